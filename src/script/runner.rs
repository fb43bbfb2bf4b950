//! The control thread's handle on the performer's script. Live, the script
//! runs on its own thread ([`ScriptThread`]) and this handle only sends jobs
//! and takes answers, never waiting: a bar whose code is not back by the
//! time it must be planned plays its loops' last good patterns, and the
//! performer is told. Offline (renders, tests) the same handle runs the
//! script inline, so both paths share one set of rules.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::api::Shared;
use super::job::{Answer, EvalKind, ScriptJob, ScriptOutcome};
use super::thread::{perform, ScriptThread};
use super::{Script, ScriptError, ScriptWatcher};
use crate::schedule::{BarHook, Change};
use crate::time::Metre;

/// An evaluation that finished: its ticket, kind and changes (or error).
pub type Finished = (u64, EvalKind, Result<Vec<Change>, ScriptError>);

enum Mode {
    /// Runs each job when asked (offline renders, tests, before serving).
    Inline(Box<Script>),
    /// Sends jobs to the script thread.
    Thread(ScriptThread),
    /// Only while switching modes.
    Moving,
}

/// The script as the control thread sees it.
pub struct ScriptRunner {
    path: PathBuf,
    shared: Arc<Shared>,
    mode: Mode,
    /// Finished evaluations not yet taken by the control thread.
    finished: VecDeque<Finished>,
    messages: Vec<String>,
    next_ticket: u64,
    /// The metre the next asked-for bar starts in.
    metre: Metre,
    /// The bar the script thread is working on.
    bar_in_flight: Option<i64>,
    /// Evaluations sent and not yet answered.
    evals_in_flight: usize,
    /// A bar's answer, waiting to be planned.
    answer: Option<(i64, Vec<Change>)>,
    /// First bar of the current run of late bars.
    late_since: Option<i64>,
    late_bars: Arc<AtomicU64>,
    /// What the script's folder looked like when the script was read, so a
    /// save made before the thread starts is still heard.
    watcher: Option<ScriptWatcher>,
    /// The last bar whose changes were given (or found late): a bar planned
    /// again after a mute or a change "now" already has them in the planner.
    planned_through: Option<i64>,
    /// The script thread has ended (it never should; said once).
    gone: bool,
}

impl ScriptRunner {
    /// A runner that runs `script` inline.
    pub fn inline(script: Script) -> ScriptRunner {
        ScriptRunner {
            path: script.path().to_path_buf(),
            shared: script.shared(),
            mode: Mode::Inline(Box::new(script)),
            finished: VecDeque::new(),
            messages: Vec::new(),
            next_ticket: 1,
            metre: Metre::default(),
            bar_in_flight: None,
            evals_in_flight: 0,
            answer: None,
            late_since: None,
            late_bars: Arc::new(AtomicU64::new(0)),
            watcher: None,
            planned_through: None,
            gone: false,
        }
    }

    /// Saves are looked for against `watcher`'s view of the folder (taken
    /// before the script was read) once the script runs on its thread.
    pub fn with_watcher(mut self, watcher: ScriptWatcher) -> ScriptRunner {
        self.watcher = Some(watcher);
        self
    }

    /// Moves the script onto its own thread (live serving). With `watch`,
    /// that thread reloads the script when its folder's `.rhai` files are
    /// saved. Does nothing if it already runs on one.
    pub fn start_thread(&mut self, watch: bool) -> std::io::Result<()> {
        match std::mem::replace(&mut self.mode, Mode::Moving) {
            Mode::Inline(script) => {
                let watcher = if watch {
                    Some(
                        self.watcher
                            .take()
                            .unwrap_or_else(|| ScriptWatcher::new(&self.path)),
                    )
                } else {
                    None
                };
                match ScriptThread::spawn(*script, watcher) {
                    Ok(t) => self.mode = Mode::Thread(t),
                    Err(e) => {
                        // The script was moved into the failed spawn's closure
                        // and is gone: no way to play on.
                        return Err(e);
                    }
                }
            }
            other => self.mode = other,
        }
        Ok(())
    }

    /// Starts or stops reloading on save (thread mode only).
    pub fn watch(&mut self, on: bool) {
        if let Mode::Thread(t) = &self.mode {
            let _ = t.jobs.try_send(ScriptJob::Watch(on));
        }
    }

    /// True when the script runs on its own thread.
    pub fn is_threaded(&self) -> bool {
        matches!(self.mode, Mode::Thread(_))
    }

    /// The script file it runs.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bars planned without their script answer (counted since the start).
    pub fn late_bars(&self) -> u64 {
        self.late_bars.load(Ordering::Relaxed)
    }

    /// Asks for an evaluation; its answer comes from [`ScriptRunner::take_finished`]
    /// with the returned ticket. `job` is `Eval`, `Reload` or `Load`; its
    /// ticket is set here.
    pub fn submit(&mut self, mut job: ScriptJob) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let kind = match &mut job {
            ScriptJob::Eval { ticket: t, .. } => {
                *t = ticket;
                EvalKind::Eval
            }
            ScriptJob::Reload { ticket: t } => {
                *t = ticket;
                EvalKind::Reload
            }
            ScriptJob::Load { ticket: t, path } => {
                *t = ticket;
                EvalKind::Load(path.clone())
            }
            ScriptJob::Bar { .. } | ScriptJob::Watch(_) => return 0,
        };
        match &mut self.mode {
            Mode::Inline(script) => {
                let outcome = perform(script, job);
                self.messages.extend(script.take_messages());
                self.take_outcome(outcome);
            }
            Mode::Thread(t) => match t.jobs.try_send(job) {
                Ok(()) => self.evals_in_flight += 1,
                Err(e) => {
                    let message = if e.is_full() {
                        format!(
                            "the script thread has {} jobs waiting; try again",
                            super::thread::JOB_CAPACITY
                        )
                    } else {
                        "the script thread has ended: script code cannot run".to_string()
                    };
                    self.refuse(ticket, kind, message);
                }
            },
            Mode::Moving => self.refuse(
                ticket,
                kind,
                "no thread could be started for the script: its code cannot run".into(),
            ),
        }
        ticket
    }

    /// Answers an evaluation that could not be sent with `message`.
    fn refuse(&mut self, ticket: u64, kind: EvalKind, message: String) {
        self.finished.push_back((
            ticket,
            kind,
            Err(ScriptError {
                file: self.path.clone(),
                line: 0,
                column: 0,
                message,
            }),
        ));
    }

    /// Evaluations that finished since the last call, in order.
    pub fn take_finished(&mut self) -> Vec<Finished> {
        self.drain();
        self.finished.drain(..).collect()
    }

    /// Runs an evaluation and waits for its answer (offline renders and
    /// tests; the live control thread uses [`ScriptRunner::submit`]).
    pub fn run_now(&mut self, job: ScriptJob) -> Result<Vec<Change>, ScriptError> {
        let ticket = self.submit(job);
        loop {
            if let Some(i) = self.finished.iter().position(|f| f.0 == ticket) {
                let (_, _, result) = self.finished.remove(i).unwrap_or_else(|| unreachable!());
                return result;
            }
            let answer = match &self.mode {
                Mode::Thread(t) => t.answers.recv().ok(),
                _ => None,
            };
            match answer {
                Some(a) => self.absorb(a),
                None => {
                    return Err(ScriptError {
                        file: self.path.clone(),
                        line: 0,
                        column: 0,
                        message: "the script thread is gone".into(),
                    })
                }
            }
        }
    }

    /// Takes every answer the script thread has sent, without waiting.
    fn drain(&mut self) {
        loop {
            let answer = match &self.mode {
                Mode::Thread(t) => t.answers.try_recv(),
                _ => return,
            };
            match answer {
                Ok(a) => self.absorb(a),
                Err(crossbeam_channel::TryRecvError::Empty) => return,
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    if !self.gone {
                        self.gone = true;
                        self.bar_in_flight = None;
                        self.messages.push(
                            "the script thread has ended: loops play as they are and script code cannot run"
                                .into(),
                        );
                    }
                    return;
                }
            }
        }
    }

    fn absorb(&mut self, answer: Answer) {
        self.messages.extend(answer.messages);
        self.take_outcome(answer.outcome);
    }

    fn take_outcome(&mut self, outcome: ScriptOutcome) {
        match outcome {
            ScriptOutcome::Bar { bar, changes } => {
                if self.bar_in_flight == Some(bar) {
                    self.bar_in_flight = None;
                    self.answer = Some((bar, changes));
                }
            }
            ScriptOutcome::Done {
                ticket,
                kind,
                result,
            } => {
                if ticket != 0 {
                    self.evals_in_flight = self.evals_in_flight.saturating_sub(1);
                }
                // A new version: a bar answered by the old one is asked again.
                if result.is_ok() {
                    self.answer = None;
                }
                self.finished.push_back((ticket, kind, result));
            }
        }
    }

    /// The state the script shares with the control thread: controls, MIDI
    /// events and requests, step models, latent frames.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }
}

impl BarHook for ScriptRunner {
    fn metre_for_bar(&mut self, metre: &Metre) {
        match &mut self.mode {
            Mode::Inline(script) => script.metre_for_bar(metre),
            _ => self.metre = metre.clone(),
        }
    }

    fn prepare(&mut self, bar: i64) {
        let Mode::Thread(t) = &self.mode else {
            return;
        };
        let t_jobs = t.jobs.clone();
        if self.planned_through.is_some_and(|p| bar <= p) {
            return;
        }
        self.drain();
        if self.answer.as_ref().is_some_and(|(b, _)| *b != bar) {
            self.answer = None;
        }
        if self.answer.is_some() || self.bar_in_flight.is_some() {
            return;
        }
        let job = ScriptJob::Bar {
            bar,
            metre: self.metre.clone(),
        };
        if t_jobs.try_send(job).is_ok() {
            self.bar_in_flight = Some(bar);
        }
    }

    fn ready(&mut self, bar: i64) -> bool {
        if !self.is_threaded() || self.planned_through.is_some_and(|p| bar <= p) {
            return true;
        }
        self.drain();
        // Evaluations ahead of the bar apply first (the control thread takes
        // them on its next step), so a save lands in the bar it was made for.
        self.evals_in_flight == 0
            && self.finished.is_empty()
            && self.answer.as_ref().is_some_and(|(b, _)| *b == bar)
    }

    fn on_bar(&mut self, bar: i64) -> Vec<Change> {
        if let Mode::Inline(script) = &mut self.mode {
            return script.on_bar(bar);
        }
        if self.planned_through.is_some_and(|p| bar <= p) {
            // Planned again (a mute, a change "now"): its changes are in
            // the planner already, and bar() does not run twice.
            return Vec::new();
        }
        self.planned_through = Some(bar);
        self.drain();
        // Evaluations that finished ahead of this answer apply first; the
        // control thread takes them at its next step, so this bar is late.
        let evaluations_first = !self.finished.is_empty();
        if let Some((b, changes)) = self.answer.take().filter(|_| !evaluations_first) {
            if b == bar {
                if let Some(from) = self.late_since.take() {
                    self.messages.push(format!(
                        "the script is back in time from bar {bar} (bars {from}..{} played their last good patterns)",
                        bar - 1
                    ));
                }
                return changes;
            }
        }
        self.late_bars.fetch_add(1, Ordering::Relaxed);
        if self.late_since.is_none() {
            self.late_since = Some(bar);
            let why = match self.bar_in_flight {
                _ if evaluations_first => "an evaluation finished just before it".to_string(),
                _ if self.gone => "its thread has ended".to_string(),
                Some(b) if b != bar => format!("it is still running bar {b}"),
                Some(_) => "bar() and the loop functions did not finish in time".to_string(),
                None if self.evals_in_flight > 0 => "an evaluation is still running".to_string(),
                None => "it is busy".to_string(),
            };
            self.messages.push(format!(
                "bar {bar}: the script was late ({why}); its loops play their last good patterns"
            ));
        }
        Vec::new()
    }

    fn take_messages(&mut self) -> Vec<String> {
        if let Mode::Inline(script) = &mut self.mode {
            self.messages.extend(script.take_messages());
        } else {
            self.drain();
        }
        std::mem::take(&mut self.messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn loop_sources(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::Loop(d) => Some(d.source.clone()),
                _ => None,
            })
            .collect()
    }

    /// Waits (polling, up to 20 s) until the script thread has answered `bar`.
    fn wait_ready(runner: &mut ScriptRunner, bar: i64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !runner.ready(bar) {
            assert!(Instant::now() < deadline, "bar {bar} never answered");
            runner.take_finished();
            runner.prepare(bar);
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_bar_the_script_is_late_for_plays_on_and_is_counted() {
        let path = std::env::temp_dir().join("loam-runner-late.rhai");
        let source = "live_loop(\"a\", |n| if n == 2 { let s = \"x\"; s.pad(1000000, \"y\"); for i in 0..50000 { let t = s; t.replace(\"y\", \"z\"); } \"bd\" } else { `bd*${n + 1}` });";
        let (script, _) = Script::from_source(&path, source).unwrap();
        let mut runner = ScriptRunner::inline(script);
        runner.start_thread(false).unwrap();
        assert!(runner.is_threaded());
        for bar in 0..2 {
            runner.prepare(bar);
            wait_ready(&mut runner, bar);
            assert_eq!(
                loop_sources(&runner.on_bar(bar)),
                [format!("bd*{}", bar + 1)]
            );
        }
        assert!(runner.take_messages().is_empty());
        // Bar 2 waits behind a 2 s evaluation (and then runs long itself):
        // planned at once, it gets nothing and says so, however fast the
        // machine is.
        runner.submit(ScriptJob::Eval {
            code: "let big = \"x\"; big.pad(1000000, \"y\"); for i in 0..50000 { let t = big; t.replace(\"y\", \"z\"); }".into(),
            origin: "<eval>".into(),
            ticket: 0,
        });
        runner.prepare(2);
        assert!(runner.on_bar(2).is_empty());
        runner.prepare(3);
        assert!(runner.on_bar(3).is_empty());
        assert_eq!(runner.late_bars(), 2);
        let said = runner.take_messages();
        assert_eq!(
            said.len(),
            1,
            "one message for a run of late bars: {said:?}"
        );
        assert!(
            said[0].starts_with("bar 2: the script was late")
                && said[0].ends_with("its loops play their last good patterns"),
            "{said:?}"
        );
        // Bar 4 is answered again; bar 2's loop error says which limit cut it.
        runner.prepare(4);
        wait_ready(&mut runner, 4);
        assert_eq!(loop_sources(&runner.on_bar(4)), ["bd*5"]);
        let said = runner.take_messages();
        assert!(
            said.iter()
                .any(|m| m.starts_with("loop 'a', bar 2:") && m.contains("time limit of 60 ms")),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|m| m.starts_with("the script is back in time from bar 4")),
            "{said:?}"
        );
        assert_eq!(runner.late_bars(), 2);
    }

    #[test]
    fn evaluations_on_the_thread_answer_in_order_and_a_new_version_renews_the_bar() {
        let path = std::env::temp_dir().join("loam-runner-order.rhai");
        let (script, _) = Script::from_source(&path, "live_loop(\"a\", |n| \"bd\");").unwrap();
        let mut runner = ScriptRunner::inline(script);
        runner.start_thread(false).unwrap();
        runner.prepare(0);
        let first = runner.submit(ScriptJob::Eval {
            code: "live_loop(\"a\", |n| \"sn\");".into(),
            origin: "<eval>".into(),
            ticket: 0,
        });
        let second = runner.submit(ScriptJob::Eval {
            code: "live_loop(\"b\", ".into(),
            origin: "<eval>".into(),
            ticket: 0,
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut finished = Vec::new();
        while finished.len() < 2 {
            assert!(Instant::now() < deadline);
            // Not ready while evaluations ahead of the bar are unapplied.
            assert!(!runner.ready(0) || finished.len() == 2);
            finished.extend(runner.take_finished());
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(finished[0].0, first);
        assert!(finished[0].2.is_ok());
        assert_eq!(finished[1].0, second);
        let e = finished[1].2.as_ref().unwrap_err().to_string();
        assert!(e.starts_with("<eval>:1:"), "{e}");
        // Bar 0 was answered by the old version, then asked again of the new.
        wait_ready(&mut runner, 0);
        assert_eq!(loop_sources(&runner.on_bar(0)), ["sn"]);
    }
}
