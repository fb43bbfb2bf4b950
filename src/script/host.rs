//! A loaded performance script: compiled, its top level run to set the
//! scene, its `bar(n)` function and loop functions run before each bar, and
//! new versions swapped in without stopping anything.
//!
//! Reloading keeps the last good version whenever the new one fails to
//! compile or its top level fails; loops the new top level no longer defines
//! stop at their next boundary; the `set`/`get` store survives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::{Dynamic, Engine, FnPtr, Scope, AST};

use super::api::{self, Shared};
use super::ScriptError;
use crate::pattern::Pattern;
use crate::schedule::{BarHook, Change, LoopDef};

/// Limits that cut off runaway scripts (an infinite loop, deep recursion,
/// a huge string) with an error instead of stalling the scheduler.
pub const MAX_OPERATIONS: u64 = 500_000;
pub const MAX_CALL_DEPTH: usize = 48;

/// A compiled script and the state its functions share.
pub struct Script {
    path: PathBuf,
    engine: Engine,
    ast: AST,
    shared: Arc<Shared>,
    has_bar_fn: bool,
    messages: Vec<String>,
    /// Loops whose function gives their pattern before each bar.
    generators: BTreeMap<String, (FnPtr, LoopDef)>,
    /// Loops the top level defines (a reload stops the ones that vanish).
    top_loops: BTreeSet<String>,
}

fn new_engine(shared: &Arc<Shared>, dir: Option<&Path>) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(MAX_CALL_DEPTH);
    engine.set_max_expr_depths(128, 64);
    engine.set_max_string_size(1 << 20);
    engine.set_max_array_size(100_000);
    engine.set_max_map_size(100_000);
    engine.set_max_modules(64);
    // `import "name"` reads name.rhai from the script's own folder, nowhere else.
    engine.set_module_resolver(super::imports::FolderImports::new(dir));
    api::register(&mut engine, shared);
    engine
}

fn compile(engine: &Engine, path: &Path, source: &str) -> Result<AST, ScriptError> {
    engine
        .compile(source)
        .map_err(|e| ScriptError::from_position(path, e.position(), e.err_type().to_string()))
}

impl Script {
    /// Reads, compiles and runs a script file; returns the script and the
    /// changes its top level asked for (tempo, metre, loops, …).
    pub fn load(path: &Path) -> Result<(Script, Vec<Change>), ScriptError> {
        let source = read(path)?;
        Script::from_source(path, &source)
    }

    /// Compiles and runs `source`, reporting errors against `path`.
    pub fn from_source(path: &Path, source: &str) -> Result<(Script, Vec<Change>), ScriptError> {
        let shared = Arc::new(Shared::default());
        if let Some(dir) = path.parent() {
            *shared.base_dir.lock().unwrap_or_else(|p| p.into_inner()) = dir.to_path_buf();
        }
        let engine = new_engine(&shared, path.parent());
        let ast = compile(&engine, path, source)?;
        let mut script = Script {
            path: path.to_path_buf(),
            engine,
            ast: AST::empty(),
            shared,
            has_bar_fn: false,
            messages: Vec::new(),
            generators: BTreeMap::new(),
            top_loops: BTreeSet::new(),
        };
        let changes = script.install(ast)?;
        Ok((script, changes))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets a named control that the script reads with `ctrl(name)`.
    pub fn set_control(&self, name: &str, value: f64) {
        self.shared.controls().insert(name.to_string(), value);
    }

    /// Keeps a MIDI message for `midi_events()` (the oldest goes when full).
    pub fn push_midi_event(&self, event: rhai::Map) {
        let mut q = self.shared.midi_events();
        if q.len() >= api::MAX_MIDI_EVENTS {
            q.pop_front();
        }
        q.push_back(event);
    }

    /// MIDI requests (`midi_learn`, …) the script made since the last call.
    pub fn take_midi_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.midi_requests())
    }

    /// Loop names the running version defines at its top level.
    pub fn loop_names(&self) -> Vec<String> {
        self.top_loops.iter().cloned().collect()
    }

    /// Compiles and runs a new version. On any error the running version
    /// stays as it was and the error says file, line and column.
    pub fn reload(&mut self, source: &str) -> Result<Vec<Change>, ScriptError> {
        let ast = compile(&self.engine, &self.path, source)?;
        self.install(ast)
    }

    /// Re-reads the file and reloads it.
    pub fn reload_file(&mut self) -> Result<Vec<Change>, ScriptError> {
        let source = read(&self.path)?;
        self.reload(&source)
    }

    /// Runs a piece of code (an editor's selection) against the running
    /// script: its functions are visible, its loops are added or replaced.
    pub fn eval(&mut self, code: &str, origin: &str) -> Result<Vec<Change>, ScriptError> {
        let label = PathBuf::from(origin);
        let snippet = compile(&self.engine, &label, code)?;
        let ast = self.ast.clone_functions_only().merge(&snippet);
        *self.shared.collected() = Default::default();
        let result = self.engine.run_ast_with_scope(&mut Scope::new(), &ast);
        let collected = std::mem::take(&mut *self.shared.collected());
        result.map_err(|e| ScriptError::from_eval(&label, &e))?;
        self.messages.extend(collected.messages);
        let mut changes = collected.changes;
        self.absorb_loops(collected.loops, &mut changes);
        Ok(changes)
    }

    /// Runs `ast`'s top level; if it succeeds, it becomes the running version.
    fn install(&mut self, ast: AST) -> Result<Vec<Change>, ScriptError> {
        *self.shared.collected() = Default::default();
        let result = self.engine.run_ast_with_scope(&mut Scope::new(), &ast);
        let collected = std::mem::take(&mut *self.shared.collected());
        result.map_err(|e| ScriptError::from_eval(&self.path, &e))?;
        self.messages.extend(collected.messages);
        let mut changes = collected.changes;
        let names: BTreeSet<String> = collected.loops.keys().cloned().collect();
        for gone in self.top_loops.difference(&names) {
            self.generators.remove(gone);
            changes.push(Change::StopLoop(gone.clone()));
        }
        self.absorb_loops(collected.loops, &mut changes);
        self.top_loops = names;
        self.has_bar_fn = ast
            .iter_functions()
            .any(|f| f.name == "bar" && f.params.len() == 1);
        self.ast = ast;
        Ok(changes)
    }

    /// Loops an evaluation defined: function loops become generators; plain
    /// loops become changes (and stop any generator of the same name).
    fn absorb_loops(
        &mut self,
        loops: BTreeMap<String, super::api::LoopEntry>,
        changes: &mut Vec<Change>,
    ) {
        for (name, entry) in loops {
            match entry.generator {
                Some(f) => {
                    self.generators.insert(name, (f, entry.def));
                }
                None => {
                    self.generators.remove(&name);
                    changes.push(Change::Loop(entry.def));
                }
            }
        }
    }

    /// Takes what the last evaluation produced.
    fn drain(&mut self) -> Vec<Change> {
        let collected = std::mem::take(&mut *self.shared.collected());
        self.messages.extend(collected.messages);
        let mut changes = collected.changes;
        self.absorb_loops(collected.loops, &mut changes);
        changes
    }

    /// Runs each loop function for bar `bar`. A loop whose function fails
    /// keeps its last good pattern; the others go on.
    fn run_generators(&mut self, bar: i64, changes: &mut Vec<Change>) {
        let names: Vec<String> = self.generators.keys().cloned().collect();
        for name in names {
            let Some((f, template)) = self.generators.get(&name).cloned() else {
                continue;
            };
            *self.shared.collected() = Default::default();
            let result = f.call::<Dynamic>(&self.engine, &self.ast, (bar,));
            // Anything else the function asked for (tempo, …) still counts.
            changes.extend(self.drain());
            let text = match result {
                Ok(v) if v.is_string() => v.into_string().unwrap_or_default(),
                Ok(v) if v.is_unit() => continue,
                Ok(v) => {
                    self.messages.push(format!(
                        "loop '{name}', bar {bar}: the function gave {} instead of a pattern string (keeps its last good version)",
                        v.type_name()
                    ));
                    continue;
                }
                Err(e) => {
                    let err = ScriptError::from_eval(&self.path, &e);
                    self.messages.push(format!(
                        "loop '{name}', bar {bar}: {err} (keeps its last good version; the other loops go on)"
                    ));
                    continue;
                }
            };
            match Pattern::parse(&text) {
                Ok(p) => {
                    let mut def = template.clone();
                    def.pattern = p;
                    def.source = text;
                    changes.push(Change::Loop(def));
                }
                Err(e) => self.messages.push(format!(
                    "loop '{name}', bar {bar}: pattern {e} in \"{text}\" (keeps its last good version)"
                )),
            }
        }
    }
}

fn read(path: &Path) -> Result<String, ScriptError> {
    std::fs::read_to_string(path).map_err(|e| ScriptError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the script: {e}"),
    })
}

impl BarHook for Script {
    fn on_bar(&mut self, bar: i64) -> Vec<Change> {
        let mut changes = Vec::new();
        if self.has_bar_fn {
            *self.shared.collected() = Default::default();
            let result =
                self.engine
                    .call_fn::<Dynamic>(&mut Scope::new(), &self.ast, "bar", (bar,));
            let produced = self.drain();
            match result {
                Ok(_) => changes.extend(produced),
                Err(e) => {
                    let err = ScriptError::from_eval(&self.path, &e);
                    self.messages
                        .push(format!("bar {bar}: {err} (bar() skipped, music goes on)"));
                }
            }
        }
        self.run_generators(bar, &mut changes);
        changes
    }

    fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }
}
