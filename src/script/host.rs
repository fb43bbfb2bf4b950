//! A loaded performance script: compiled once, its top level run to set the
//! scene, its `bar(n)` function (if any) run before each bar.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::{Engine, Scope, AST};

use super::api::{self, Shared};
use super::ScriptError;
use crate::schedule::{BarHook, Change};

/// Limits that cut off runaway scripts (an infinite loop, deep recursion,
/// a huge string) with an error instead of stalling the scheduler.
pub const MAX_OPERATIONS: u64 = 2_000_000;
pub const MAX_CALL_DEPTH: usize = 64;

/// A compiled script and the state its functions share.
pub struct Script {
    path: PathBuf,
    engine: Engine,
    ast: AST,
    shared: Arc<Shared>,
    has_bar_fn: bool,
    messages: Vec<String>,
}

fn new_engine(shared: &Arc<Shared>) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(MAX_CALL_DEPTH);
    engine.set_max_expr_depths(128, 64);
    engine.set_max_string_size(1 << 20);
    engine.set_max_array_size(100_000);
    engine.set_max_map_size(100_000);
    api::register(&mut engine, shared);
    engine
}

impl Script {
    /// Reads, compiles and runs a script file; returns the script and the
    /// changes its top level asked for (tempo, metre, loops, …).
    pub fn load(path: &Path) -> Result<(Script, Vec<Change>), ScriptError> {
        let source = std::fs::read_to_string(path).map_err(|e| ScriptError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read the script: {e}"),
        })?;
        Script::from_source(path, &source)
    }

    /// Compiles and runs `source`, reporting errors against `path`.
    pub fn from_source(path: &Path, source: &str) -> Result<(Script, Vec<Change>), ScriptError> {
        let shared = Arc::new(Shared::default());
        let engine = new_engine(&shared);
        let ast = engine.compile(source).map_err(|e| {
            ScriptError::from_position(path, e.position(), e.err_type().to_string())
        })?;
        let has_bar_fn = ast
            .iter_functions()
            .any(|f| f.name == "bar" && f.params.len() == 1);
        let mut script = Script {
            path: path.to_path_buf(),
            engine,
            ast,
            shared,
            has_bar_fn,
            messages: Vec::new(),
        };
        let changes = script.run_top_level()?;
        Ok((script, changes))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn run_top_level(&mut self) -> Result<Vec<Change>, ScriptError> {
        *self.shared.collected() = Default::default();
        let mut scope = Scope::new();
        let result = self.engine.run_ast_with_scope(&mut scope, &self.ast);
        let changes = self.drain();
        result.map_err(|e| ScriptError::from_eval(&self.path, &e))?;
        Ok(changes)
    }

    /// Takes what the last evaluation produced, loops last.
    fn drain(&mut self) -> Vec<Change> {
        let mut c = self.shared.collected();
        let collected = std::mem::take(&mut *c);
        drop(c);
        self.messages.extend(collected.messages);
        let mut changes = collected.changes;
        changes.extend(collected.loops.into_values().map(Change::Loop));
        changes
    }
}

impl BarHook for Script {
    fn on_bar(&mut self, bar: i64) -> Vec<Change> {
        if !self.has_bar_fn {
            return Vec::new();
        }
        *self.shared.collected() = Default::default();
        let mut scope = Scope::new();
        let result = self
            .engine
            .call_fn::<rhai::Dynamic>(&mut scope, &self.ast, "bar", (bar,));
        let changes = self.drain();
        match result {
            Ok(_) => changes,
            Err(e) => {
                let err = ScriptError::from_eval(&self.path, &e);
                self.messages
                    .push(format!("bar {bar}: {err} (bar skipped, music goes on)"));
                Vec::new()
            }
        }
    }

    fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }
}
