//! A loaded performance script: compiled, its top level run to set the
//! scene, its `bar(n)` function and loop functions run before each bar, and
//! new versions swapped in without stopping anything.
//!
//! Reloading keeps the last good version whenever the new one fails to
//! compile or its top level fails; loops the new top level no longer defines
//! stop at their next boundary; the `set`/`get` store survives.
//!
//! All or nothing: a version (a reload, an `/eval` selection, a `/load`)
//! applies only if it succeeds as a whole. Until then its store writes are
//! pending, its MIDI requests, model operations, `samples()` folders and
//! named step models are held, and a failure drops all of them (the MIDI
//! messages it read go back for the next reader). The same holds for each
//! bar: a failing `bar(n)` changes nothing; a failing loop function (an
//! error, or no valid pattern) keeps its last pattern and nothing else it
//! did applies; the other loops go on. What cannot be undone: a step
//! model's own history and random draws, and trainings a failed version
//! started (they finish unheard).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, FnPtr, Module, Scope, AST};

use super::api::{self, Shared};
use super::error::ScriptFileError;
use super::whereabouts::{note_each_step, Whereabouts};
use super::ScriptError;
use crate::pattern::Pattern;
use crate::schedule::{BarHook, Change, LoopDef};

/// Limits that cut off runaway scripts (an infinite loop, deep recursion,
/// a huge string) with an error instead of stalling the scheduler.
pub const MAX_OPERATIONS: u64 = 500_000;
/// Deepest nesting of function calls a script may reach (rhai's call levels); deeper recursion is an error.
pub const MAX_CALL_DEPTH: usize = 48;

/// Wall-clock limit for one bar's script work: `bar(n)` and every loop
/// function together. Bars are asked for about 100 ms before they must be
/// planned (see [`crate::schedule::Scheduler`]), so a bar whose code runs
/// longer is cut off with an error and its loops keep their last patterns.
pub const BAR_TIME_LIMIT: Duration = Duration::from_millis(60);

/// Wall-clock limit for one evaluation: a version's top level (load, save,
/// `/load`) or an `/eval` selection. It runs on the script thread, so the
/// music never waits for it; bars due meanwhile play their last patterns.
pub const EVAL_TIME_LIMIT: Duration = Duration::from_secs(2);

/// How long reading a script file may take (a hung network mount) before it
/// is reported as unreadable.
pub const READ_TIME_LIMIT: Duration = Duration::from_secs(2);

/// The largest script file loam reads (bytes); rhai's own string limit is
/// 1 MiB, and a performance script is a few kilobytes.
pub const MAX_SCRIPT_BYTES: u64 = 4 << 20;

/// Checks that `path` is a regular file of at most [`MAX_SCRIPT_BYTES`],
/// without opening it (opening a FIFO blocks until someone writes to it).
pub fn check_script_file(path: &Path) -> Result<(), ScriptFileError> {
    let meta = std::fs::metadata(path).map_err(ScriptFileError::Unreadable)?;
    if !meta.is_file() {
        return Err(ScriptFileError::NotAFile);
    }
    if meta.len() > MAX_SCRIPT_BYTES {
        return Err(ScriptFileError::TooBig(meta.len()));
    }
    Ok(())
}

/// The most lines a script (a file, an import, an `/eval` selection) may
/// have: rhai keeps a position's line in 16 bits, so an error past this
/// line could not say where it is. Such a script is refused before it is
/// compiled.
pub const MAX_SCRIPT_LINES: usize = u16::MAX as usize;

/// The most characters one line of a script may have, for the same reason
/// (rhai keeps a position's column in 16 bits).
pub const MAX_LINE_CHARS: usize = u16::MAX as usize;

/// Checks that every error in `source` can say its line and column: at
/// most [`MAX_SCRIPT_LINES`] lines of at most [`MAX_LINE_CHARS`]
/// characters. The message names the line and the limit.
pub fn check_script_size(source: &str) -> Result<(), ScriptFileError> {
    for (i, line) in source.lines().enumerate() {
        let number = i + 1;
        if number > MAX_SCRIPT_LINES {
            return Err(ScriptFileError::TooManyLines);
        }
        // Counting stops at the limit: a 4 MiB line costs no more than that.
        if line.chars().nth(MAX_LINE_CHARS).is_some() {
            return Err(ScriptFileError::LineTooLong(number));
        }
    }
    Ok(())
}

/// The operation count between two looks at the clock (a look costs ~20 ns;
/// 256 operations take a few microseconds).
const CLOCK_EVERY: u64 = 256;

/// Calls `bar` or a loop's function inside the environment of the version
/// that defined it, so the modules its top level imported are in reach
/// (rhai's own `call_fn` would have to run the whole top level again).
const CALLER: &str = "loam_call_in_version";
const CALLER_SOURCE: &str = "fn loam_call_in_version(f, n) { f.call(n) }";

/// A loop whose function gives its pattern before each bar.
#[derive(Clone)]
struct Generator {
    function: FnPtr,
    template: LoopDef,
    /// The evaluated version (functions with their imports) it belongs to.
    running: AST,
}

/// A compiled script and the state its functions share.
pub struct Script {
    path: PathBuf,
    engine: Engine,
    /// The running version as compiled (an `eval` adds to its functions).
    ast: AST,
    /// The running version as evaluated: its functions carry the modules
    /// its top level imported. `bar(n)` is called here, never re-running
    /// the top level.
    running: AST,
    caller: AST,
    shared: Arc<Shared>,
    has_bar_fn: bool,
    messages: Vec<String>,
    /// Loops whose function gives their pattern before each bar.
    generators: BTreeMap<String, Generator>,
    /// Loops the top level defines (a reload stops the ones that vanish).
    top_loops: BTreeSet<String>,
    /// When the running job must end, in nanoseconds after `clock_base`.
    deadline: Arc<AtomicU64>,
    clock_base: Instant,
    /// Where the running code is, for errors rhai gives no position.
    whereabouts: Arc<Whereabouts>,
    /// [`BAR_TIME_LIMIT`], longer only in tests that must reach the
    /// operation limit first.
    bar_time_limit: Duration,
}

/// Stops a script at its wall-clock deadline: checked every
/// [`CLOCK_EVERY`] operations from rhai's progress callback. The returned
/// token makes rhai end the run with `ErrorTerminated`.
fn watch_the_clock(engine: &mut Engine, deadline: Arc<AtomicU64>, base: Instant) {
    engine.on_progress(move |ops| {
        if ops % CLOCK_EVERY != 0 {
            return None;
        }
        let now = base.elapsed().as_nanos() as u64;
        (now > deadline.load(Ordering::Relaxed)).then(|| Dynamic::from(TIME_LIMIT_TOKEN))
    });
}

/// What a run cut off by its wall-clock deadline carries.
const TIME_LIMIT_TOKEN: &str = "loam: time limit";

/// Turns rhai's `ErrorTerminated` (the clock) into a message that names the limit.
fn explain(e: EvalAltResult, limit: Duration) -> Box<EvalAltResult> {
    match e {
        EvalAltResult::ErrorTerminated(_, pos) => Box::new(EvalAltResult::ErrorRuntime(
            Dynamic::from(format!(
                "the script ran past its time limit of {} ms (loam never lets script code hold up the music)",
                limit.as_millis()
            )),
            pos,
        )),
        EvalAltResult::ErrorInFunctionCall(f, src, inner, pos) => Box::new(
            EvalAltResult::ErrorInFunctionCall(f, src, explain(*inner, limit), pos),
        ),
        EvalAltResult::ErrorInModule(m, inner, pos) => {
            Box::new(EvalAltResult::ErrorInModule(m, explain(*inner, limit), pos))
        }
        other => Box::new(other),
    }
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
    engine
        .set_module_resolver(super::imports::FolderImports::new(dir).noting(shared.played.clone()));
    api::register(&mut engine, shared);
    // rhai's core package has a `sleep` that blocks the thread: a script
    // never waits. Registered functions win over packages.
    engine.register_fn("sleep", |_: f64| -> Result<(), Box<EvalAltResult>> {
        Err(NO_SLEEP.into())
    });
    engine.register_fn("sleep", |_: i64| -> Result<(), Box<EvalAltResult>> {
        Err(NO_SLEEP.into())
    });
    engine
}

const NO_SLEEP: &str = "sleep() is not available: a script never waits (use bar(n) or a loop function to do things later)";

fn compile(engine: &Engine, path: &Path, source: &str) -> Result<AST, ScriptError> {
    check_script_size(source).map_err(|e| ScriptError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: e.to_string(),
    })?;
    engine
        .compile(source)
        .map_err(|e| ScriptError::from_position(path, e.position(), e.err_type().to_string()))
}

impl Script {
    /// Reads, compiles and runs a script file; returns the script and the
    /// changes its top level asked for (tempo, metre, loops, …).
    /// Sample folders are read at [`crate::sound::DEFAULT_SAMPLE_RATE`].
    pub fn load(path: &Path) -> Result<(Script, Vec<Change>), ScriptError> {
        Script::load_at(path, crate::sound::DEFAULT_SAMPLE_RATE)
    }

    /// [`Script::load`] for an engine at `sample_rate` (Hz): the rate
    /// `samples()` reads folders at.
    pub fn load_at(path: &Path, sample_rate: u32) -> Result<(Script, Vec<Change>), ScriptError> {
        let source = read(path)?;
        Script::from_source_at(path, &source, sample_rate)
    }

    /// Compiles and runs `source`, reporting errors against `path`; sample
    /// folders are read at [`crate::sound::DEFAULT_SAMPLE_RATE`].
    pub fn from_source(path: &Path, source: &str) -> Result<(Script, Vec<Change>), ScriptError> {
        Script::from_source_at(path, source, crate::sound::DEFAULT_SAMPLE_RATE)
    }

    /// [`Script::from_source`] for an engine at `sample_rate` (Hz).
    pub fn from_source_at(
        path: &Path,
        source: &str,
        sample_rate: u32,
    ) -> Result<(Script, Vec<Change>), ScriptError> {
        let shared = Arc::new(Shared::default());
        shared.sample_rate.store(sample_rate, Ordering::Relaxed);
        if let Some(dir) = path.parent() {
            *shared.base_dir.lock().unwrap_or_else(|p| p.into_inner()) = dir.to_path_buf();
        }
        let mut engine = new_engine(&shared, path.parent());
        let deadline = shared.deadline.clone();
        deadline.store(u64::MAX, Ordering::Relaxed);
        let clock_base = Instant::now();
        watch_the_clock(&mut engine, deadline.clone(), clock_base);
        let whereabouts = Arc::new(Whereabouts::default());
        note_each_step(&mut engine, whereabouts.clone());
        let ast = compile(&engine, path, source)?;
        let caller = engine
            .compile(CALLER_SOURCE)
            .expect("the loop caller compiles");
        let mut script = Script {
            path: path.to_path_buf(),
            engine,
            ast: AST::empty(),
            running: AST::empty(),
            caller,
            shared,
            has_bar_fn: false,
            messages: Vec::new(),
            generators: BTreeMap::new(),
            top_loops: BTreeSet::new(),
            deadline,
            clock_base,
            whereabouts,
            bar_time_limit: BAR_TIME_LIMIT,
        };
        let changes = script.install(ast)?;
        script.shared.played.note(path, source);
        Ok((script, changes))
    }

    /// The script file this host runs.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state the script's functions share with other threads (controls,
    /// MIDI events and requests, step models).
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Gives the work that starts now `limit` of wall-clock time.
    fn start_clock(&self, limit: Duration) {
        let end = self.clock_base.elapsed() + limit;
        self.deadline.store(
            end.as_nanos().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
    }

    /// Loop names the running version defines at its top level.
    pub fn loop_names(&self) -> Vec<String> {
        self.top_loops.iter().cloned().collect()
    }

    /// Compiles and runs a new version. On any error the running version
    /// stays as it was and the error says file, line and column.
    pub fn reload(&mut self, source: &str) -> Result<Vec<Change>, ScriptError> {
        let ast = compile(&self.engine, &self.path, source)?;
        let changes = self.install(ast)?;
        self.shared.played.note(&self.path, source);
        Ok(changes)
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
        self.shared.begin();
        let result = self.evaluate(&ast);
        let collected = self.shared.finish(result.is_ok());
        let running = result.map_err(|e| self.script_error(&label, &e))?;
        self.messages.extend(collected.messages);
        let mut changes = collected.changes;
        self.absorb_loops(collected.loops, &running, &mut changes);
        self.shared.played.note(&label, code);
        Ok(changes)
    }

    /// The error `e` that code from `file` gave, at the step that failed
    /// when rhai lost its position (limits: operations, call depth, time),
    /// in the imported file when the step was in one.
    fn script_error(&self, file: &Path, e: &EvalAltResult) -> ScriptError {
        let mut err = ScriptError::from_eval(file, e);
        if e.is_system_exception() || err.line == 0 {
            let (line, column, source) = self.whereabouts.last();
            if line > 0 {
                err.line = line;
                err.column = column;
                if !source.is_empty() {
                    err.file = PathBuf::from(source);
                }
            }
        }
        err
    }

    /// Calls `function(bar)` in the environment of the evaluated `version`.
    fn call(
        &self,
        version: &AST,
        function: FnPtr,
        bar: i64,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        self.whereabouts.forget();
        self.engine
            .call_fn_with_options::<Dynamic>(
                CallFnOptions::new().eval_ast(false),
                &mut Scope::new(),
                version,
                CALLER,
                (function, bar),
            )
            .map_err(|e| {
                // Errors come wrapped twice: in the caller, then in the
                // function it called. The position that matters is inside
                // the function, where the error happened.
                let e = unwrap_call(*e, |f| f == CALLER);
                explain(*unwrap_call(*e, |_| true), self.bar_time_limit)
            })
    }

    /// Runs `ast`'s top level once and gives its functions, each carrying
    /// the modules that top level imported.
    fn evaluate(&self, ast: &AST) -> Result<AST, Box<EvalAltResult>> {
        let ast = ast.merge(&self.caller);
        self.start_clock(EVAL_TIME_LIMIT);
        self.whereabouts.forget();
        let module = Module::eval_ast_as_new(Scope::new(), &ast, &self.engine)
            .map_err(|e| explain(*e, EVAL_TIME_LIMIT))?;
        Ok(AST::new_from_module(module))
    }

    /// Runs `ast`'s top level; if it succeeds, it becomes the running version.
    /// All or nothing: on an error nothing the top level did applies (see
    /// [`Shared::finish`]).
    fn install(&mut self, ast: AST) -> Result<Vec<Change>, ScriptError> {
        self.shared.begin();
        let result = self.evaluate(&ast);
        let collected = self.shared.finish(result.is_ok());
        let running = result.map_err(|e| self.script_error(&self.path, &e))?;
        self.messages.extend(collected.messages);
        let mut changes = collected.changes;
        let names: BTreeSet<String> = collected.loops.keys().cloned().collect();
        for gone in self.top_loops.difference(&names) {
            self.generators.remove(gone);
            changes.push(Change::StopLoop(gone.clone()));
        }
        self.absorb_loops(collected.loops, &running, &mut changes);
        self.top_loops = names;
        self.has_bar_fn = ast
            .iter_functions()
            .any(|f| f.name == "bar" && f.params.len() == 1);
        self.ast = ast;
        self.running = running;
        Ok(changes)
    }

    /// Loops an evaluation defined: function loops become generators; plain
    /// loops become changes (and stop any generator of the same name).
    fn absorb_loops(
        &mut self,
        loops: BTreeMap<String, super::api::LoopEntry>,
        running: &AST,
        changes: &mut Vec<Change>,
    ) {
        for (name, entry) in loops {
            match entry.generator {
                Some(function) => {
                    let g = Generator {
                        function,
                        template: entry.def,
                        running: running.clone(),
                    };
                    self.generators.insert(name, g);
                }
                None => {
                    self.generators.remove(&name);
                    changes.push(Change::Loop(entry.def));
                }
            }
        }
    }

    /// Ends a run of script code begun with [`Shared::begin`]: on success
    /// gives what it asked for; on failure drops all of it (its prints are
    /// still said).
    fn finish(&mut self, succeeded: bool, running: &AST) -> Vec<Change> {
        let collected = self.shared.finish(succeeded);
        self.messages.extend(collected.messages);
        if !succeeded {
            return Vec::new();
        }
        let mut changes = collected.changes;
        self.absorb_loops(collected.loops, running, &mut changes);
        changes
    }

    /// Runs each loop function for bar `bar`, each all or nothing: a loop
    /// whose function fails (an error, or no valid pattern) keeps its last
    /// good pattern and nothing else it did applies (tempo, `set`, MIDI
    /// requests, …); the others go on.
    fn run_generators(&mut self, bar: i64, changes: &mut Vec<Change>) {
        let names: Vec<String> = self.generators.keys().cloned().collect();
        for name in names {
            let Some(g) = self.generators.get(&name).cloned() else {
                continue;
            };
            self.shared.begin();
            let result = self.call(&g.running, g.function, bar);
            let outcome = match result {
                Ok(v) if v.is_string() => {
                    let text = v.into_string().unwrap_or_default();
                    match Pattern::parse(&text) {
                        Ok(p) => {
                            let mut def = g.template.clone();
                            def.pattern = p;
                            def.source = text;
                            // Every trained model the function asked is
                            // credited when this bar sounds.
                            def.credits = self.shared.collected().consulted;
                            Ok(Some(def))
                        }
                        Err(e) => Err(format!(
                            "loop '{name}', bar {bar}: pattern {e} in \"{text}\" (keeps its last good version)"
                        )),
                    }
                }
                Ok(v) if v.is_unit() => Ok(None),
                Ok(v) => Err(format!(
                    "loop '{name}', bar {bar}: the function gave {} instead of a pattern string (keeps its last good version)",
                    v.type_name()
                )),
                Err(e) => {
                    let err = self.script_error(&self.path, &e);
                    Err(format!(
                        "loop '{name}', bar {bar}: {err} (keeps its last good version; the other loops go on)"
                    ))
                }
            };
            changes.extend(self.finish(outcome.is_ok(), &g.running));
            match outcome {
                Ok(Some(def)) => changes.push(Change::Loop(def)),
                Ok(None) => {}
                Err(message) => self.messages.push(message),
            }
        }
    }
}

/// The error inside a function call, when `e` is a call to a function
/// `which` accepts; `e` itself otherwise.
fn unwrap_call(e: EvalAltResult, which: impl Fn(&str) -> bool) -> Box<EvalAltResult> {
    match e {
        EvalAltResult::ErrorInFunctionCall(f, _, inner, _) if which(&f) => inner,
        other => Box::new(other),
    }
}

/// Reads a script file, giving up after [`READ_TIME_LIMIT`] (a FIFO or a
/// hung network mount would otherwise hold the script thread for good; the
/// reader thread is left to finish or hang on its own).
pub fn read(path: &Path) -> Result<String, ScriptError> {
    let err = |message: String| ScriptError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message,
    };
    let (tx, rx) = crossbeam_channel::bounded(1);
    let owned = path.to_path_buf();
    std::thread::Builder::new()
        .name("loam-script-read".into())
        .spawn(move || {
            let read = check_script_file(&owned).and_then(|()| {
                use std::io::Read;
                let mut text = String::new();
                std::fs::File::open(&owned)
                    .and_then(|f| f.take(MAX_SCRIPT_BYTES).read_to_string(&mut text))
                    .map(|_| crate::data::text::without_bom(&text).to_string())
                    .map_err(ScriptFileError::Unreadable)
            });
            let _ = tx.send(read);
        })
        .map_err(|e| {
            err(format!(
                "cannot read the script: no thread to read it ({e})"
            ))
        })?;
    match rx.recv_timeout(READ_TIME_LIMIT) {
        Ok(r) => r.map_err(|e| err(format!("cannot read the script: {e}"))),
        Err(_) => Err(err(format!(
            "cannot read the script: reading took longer than {} s (a folder that does not answer?)",
            READ_TIME_LIMIT.as_secs()
        ))),
    }
}

impl BarHook for Script {
    fn metre_for_bar(&mut self, metre: &crate::time::Metre) {
        self.shared.trained.set_metre(metre);
    }

    fn on_bar(&mut self, bar: i64) -> Vec<Change> {
        let mut changes = Vec::new();
        self.shared.trained.set_bar(bar);
        self.start_clock(self.bar_time_limit);
        if self.has_bar_fn {
            self.shared.begin();
            // Only `bar` runs: the top level ran once, when this version was
            // installed, and its tempo, loops, model loads and MIDI learn
            // requests are not repeated.
            let bar_fn = FnPtr::new("bar").expect("a valid name");
            let result = self.call(&self.running, bar_fn, bar);
            let running = self.running.clone();
            // All or nothing: a failing bar(n) changes nothing.
            changes.extend(self.finish(result.is_ok(), &running));
            match result {
                Ok(_) => {}
                Err(e) => {
                    let err = self.script_error(&self.path, &e);
                    self.messages
                        .push(format!("bar {bar}: {err} (bar() skipped, music goes on)"));
                }
            }
        }
        self.run_generators(bar, &mut changes);
        changes
    }

    fn take_messages(&mut self) -> Vec<String> {
        let mut messages = std::mem::take(&mut self.messages);
        messages.extend(self.shared.trained.take_news());
        messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_is_refused_and_slow_code_is_cut_off_by_the_clock() {
        let path = std::env::temp_dir().join("loam-host-clock.rhai");
        let (mut script, _) = Script::from_source(&path, "let x = 1;").unwrap();
        for code in ["sleep(4.0);", "sleep(1000000000);", "sleep(1e9);"] {
            let e = script.eval(code, "<eval>").unwrap_err().to_string();
            assert!(e.contains("sleep() is not available"), "{code}: {e}");
        }
        // Well under the operation limit, but each step copies 1 MB.
        let slow =
            "let big = \"x\"; big.pad(1000000, \"y\"); for i in 0..50000 { let t = big; t.replace(\"y\", \"z\"); }";
        let started = Instant::now();
        let e = script.eval(slow, "<eval>").unwrap_err();
        let took = started.elapsed();
        assert!(
            e.message.contains("time limit of 2000 ms") && e.line == 1,
            "{e}"
        );
        assert!(
            took >= EVAL_TIME_LIMIT && took < EVAL_TIME_LIMIT * 2,
            "{took:?}"
        );
        // The same code in bar() is cut at the bar's limit, with its line.
        let source = format!("fn bar(n) {{\n  {slow}\n}}\n");
        let (mut script, _) = Script::from_source(&path, &source).unwrap();
        let started = Instant::now();
        assert!(script.on_bar(0).is_empty());
        assert!(started.elapsed() < EVAL_TIME_LIMIT);
        let said = script.take_messages();
        assert!(
            said[0].starts_with("bar 0: ")
                && said[0].contains("loam-host-clock.rhai:2:")
                && said[0].contains("time limit of 60 ms"),
            "{said:?}"
        );
    }

    /// The top level runs once per version; each bar runs only `bar()` and
    /// the loop functions, and both still see the script's imports.
    #[test]
    fn each_bar_runs_only_bar_and_loop_functions_with_imports_in_reach() {
        let dir = std::env::temp_dir().join(format!("loam-host-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("grooves.rhai"), "fn kick(n) { `bd*${n}` }\n").unwrap();
        let path = dir.join("piece.rhai");
        let source = r#"import "grooves" as g;
print("top level");
midi_learn("drive");
live_loop("a", |n| g::kick(n % 3 + 1));
fn bar(n) { print(`bar ${n} ${g::kick(2)}`); }
"#;
        let (mut script, changes) = Script::from_source(&path, source).unwrap();
        assert!(
            changes.is_empty(),
            "a function loop plays from its first bar"
        );
        assert_eq!(script.take_messages(), ["top level"]);
        assert_eq!(script.shared().take_midi_requests(), ["learn drive"]);
        for n in 0..3 {
            let changes = script.on_bar(n);
            assert_eq!(script.take_messages(), [format!("bar {n} bd*2")]);
            assert!(script.shared().take_midi_requests().is_empty(), "bar {n}");
            let sources: Vec<_> = changes
                .iter()
                .map(|c| match c {
                    Change::Loop(def) => def.source.clone(),
                    other => panic!("bar {n}: only the loop changes, not {other:?}"),
                })
                .collect();
            assert_eq!(sources, [format!("bd*{}", n % 3 + 1)]);
        }
        // A loop function sent by `loam eval` runs in its own evaluation.
        let code = "import \"grooves\" as h;\nlive_loop(\"b\", |n| h::kick(4));";
        assert!(script.eval(code, "<eval>").unwrap().is_empty());
        let changes = script.on_bar(3);
        assert_eq!(script.take_messages(), ["bar 3 bd*2"]);
        let b = changes
            .iter()
            .any(|c| matches!(c, Change::Loop(d) if d.source == "bd*4"));
        assert!(b, "{changes:?}");
        // An error inside bar() or a loop function points into the script.
        let source = "live_loop(\"a\", |n| if n == 1 { 1 / 0 } else { \"bd\" });\nfn bar(n) {\n  if n == 1 { let x = [][3]; }\n}\n";
        let (mut script, _) = Script::from_source(&path, source).unwrap();
        script.on_bar(1);
        let errors = script.take_messages();
        assert!(
            errors[0].starts_with("bar 1: ") && errors[0].contains("piece.rhai:3:"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("loop 'a', bar 1: ") && errors[1].contains("piece.rhai:1:"),
            "{errors:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Runs `source`'s bar 0 and gives what it said.
    fn bar_zero(source: &str, bar_limit: Duration) -> Vec<String> {
        let path = std::env::temp_dir().join("loam-host-limits.rhai");
        let (mut script, _) = Script::from_source(&path, source).unwrap();
        script.bar_time_limit = bar_limit;
        script.on_bar(0);
        script.take_messages()
    }

    /// Limit errors inside `bar()` and loop functions say where they
    /// happened (rhai gives them no position there: see `Whereabouts`).
    #[test]
    fn limit_errors_in_bar_and_loop_functions_say_where() {
        let spin = "  let x = 0;\n  loop { x += 1; }\n";
        let deep = "fn deep(k) {\n  deep(k + 1)\n}\n";
        let slow = "  let big = \"x\"; big.pad(1000000, \"y\");\n  for i in 0..50000 { let t = big; t.replace(\"y\", \"z\"); }\n";
        // The operation limit, with the clock far off.
        let long = Duration::from_secs(60);
        let cases = [
            (
                format!("fn bar(n) {{\n{spin}}}\n"),
                long,
                "bar 0: ",
                3,
                "Too many operations",
            ),
            (
                format!("live_loop(\"a\", |n| {{\n{spin}}});\n"),
                long,
                "loop 'a', bar 0: ",
                3,
                "Too many operations",
            ),
            (
                format!("{deep}fn bar(n) {{\n  deep(0);\n}}\n"),
                BAR_TIME_LIMIT,
                "bar 0: ",
                2,
                "Stack overflow",
            ),
            (
                format!("{deep}live_loop(\"a\", |n| deep(0));\n"),
                BAR_TIME_LIMIT,
                "loop 'a', bar 0: ",
                2,
                "Stack overflow",
            ),
            (
                format!("fn bar(n) {{\n{slow}}}\n"),
                BAR_TIME_LIMIT,
                "bar 0: ",
                3,
                "time limit of 60 ms",
            ),
            (
                format!("live_loop(\"a\", |n| {{\n{slow}}});\n"),
                BAR_TIME_LIMIT,
                "loop 'a', bar 0: ",
                3,
                "time limit of 60 ms",
            ),
        ];
        for (source, limit, start, line, message) in cases {
            let said = bar_zero(&source, limit);
            let at = format!("loam-host-limits.rhai:{line}:");
            assert!(
                said.len() == 1
                    && said[0].starts_with(start)
                    && said[0].contains(&at)
                    && said[0].contains(message),
                "{source}\n{said:?}"
            );
        }
        // At the top level too, the innermost step, not the outermost call.
        let path = std::env::temp_dir().join("loam-host-limits.rhai");
        let (mut script, _) = Script::from_source(&path, "let a = 1;").unwrap();
        let e = script
            .eval(&format!("{deep}deep(0);"), "<eval>")
            .unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (2, "Stack overflow"), "{e}");
        let e = script
            .eval(&format!("let y = 1;\n{spin}"), "<eval>")
            .unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (3, "Too many operations"),
            "{e}"
        );
    }

    /// Past rhai's 16-bit lines and columns an error could not say where it
    /// is: such a script, import or selection is refused, by name.
    #[test]
    fn scripts_past_the_positions_rhai_keeps_are_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("loam-host-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("long.rhai");
        let lines = |n: usize| "1;\n".repeat(n);
        assert!(Script::from_source(&path, &lines(MAX_SCRIPT_LINES)).is_ok());
        let e = Script::from_source(&path, &lines(MAX_SCRIPT_LINES + 1))
            .err()
            .expect("refused");
        assert_eq!(e.file, path);
        assert!(
            e.message.contains("more than 65535 lines") && e.message.contains("MAX_SCRIPT_LINES"),
            "{e}"
        );
        let wide = format!("let a = 1;\nlet s = \"{}\";\n", "x".repeat(MAX_LINE_CHARS));
        let e = Script::from_source(&path, &wide).err().expect("refused");
        assert!(
            e.to_string()
                .contains("long.rhai: line 2 has more than 65535 characters")
                && e.message.contains("MAX_LINE_CHARS"),
            "{e}"
        );
        let (mut script, _) = Script::from_source(&path, "let a = 1;").unwrap();
        let e = script.eval(&wide, "<eval>").unwrap_err();
        assert!(e.to_string().starts_with("<eval>: line 2 has more"), "{e}");
        assert!(script.reload(&lines(MAX_SCRIPT_LINES + 1)).is_err());
        std::fs::write(dir.join("wide.rhai"), &wide).unwrap();
        let e = script.eval("import \"wide\" as w;", "<eval>").unwrap_err();
        assert!(
            e.message.contains("wide.rhai") && e.message.contains("MAX_LINE_CHARS"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
