//! The script thread: runs every piece of performer code (top levels,
//! `/eval`, `bar(n)`, loop functions) and reads script files, so that the
//! control thread, which keeps time, never waits on any of it. Jobs come in
//! order over a channel; answers go back in the same order.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::job::{Answer, EvalKind, ScriptJob, ScriptOutcome};
use super::{Script, ScriptWatcher};
use crate::schedule::BarHook;

/// How many jobs may wait for the script thread before new ones are refused.
pub const JOB_CAPACITY: usize = 256;

/// How often the thread looks for saved files when it has nothing to do.
const WATCH_EVERY: Duration = Duration::from_millis(20);

/// The control side's ends of the script thread's channels.
pub struct ScriptThread {
    // Boundary: control thread -> script thread (jobs, bounded, try_send only).
    /// Jobs for the script thread.
    pub jobs: Sender<ScriptJob>,
    // Boundary: script thread -> control thread (answers, read with try_recv only).
    /// What the script thread gave, one answer per job.
    pub answers: Receiver<Answer>,
}

impl ScriptThread {
    /// Moves `script` onto a new thread named `loam-script`. With a
    /// `watcher`, the thread also reloads the script when its folder's
    /// `.rhai` files are saved (answered as a [`EvalKind::Reload`] with
    /// ticket 0).
    pub fn spawn(script: Script, watcher: Option<ScriptWatcher>) -> std::io::Result<ScriptThread> {
        let (jobs, job_rx) = crossbeam_channel::bounded(JOB_CAPACITY);
        let (answer_tx, answers) = crossbeam_channel::bounded(JOB_CAPACITY * 2);
        std::thread::Builder::new()
            .name("loam-script".into())
            .spawn(move || run(script, job_rx, answer_tx, watcher))?;
        Ok(ScriptThread { jobs, answers })
    }
}

/// Runs jobs until the control side goes away.
fn run(
    mut script: Script,
    jobs: Receiver<ScriptJob>,
    answers: Sender<Answer>,
    mut watcher: Option<ScriptWatcher>,
) {
    loop {
        match jobs.recv_timeout(WATCH_EVERY) {
            Ok(ScriptJob::Watch(on)) => {
                watcher = on.then(|| ScriptWatcher::new(script.path()));
                continue;
            }
            Ok(job) => {
                let outcome = perform_caught(&mut script, job);
                if !reply(&mut script, &answers, outcome) {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if watcher.as_mut().is_some_and(|w| w.changed()) {
            let outcome = ScriptOutcome::Done {
                ticket: 0,
                kind: EvalKind::Reload,
                result: script.reload_file(),
            };
            if !reply(&mut script, &answers, outcome) {
                return;
            }
        }
    }
}

/// Sends an outcome with the messages it produced; false once nobody listens.
fn reply(script: &mut Script, answers: &Sender<Answer>, outcome: ScriptOutcome) -> bool {
    let messages = script.take_messages();
    answers.send(Answer { outcome, messages }).is_ok()
}

/// Does one job, turning a panic inside it (a bug in loam or a library)
/// into an error for that job: the thread, and the script, go on.
fn perform_caught(script: &mut Script, job: ScriptJob) -> ScriptOutcome {
    let answer_for = match &job {
        ScriptJob::Bar { bar, .. } => Err(*bar),
        ScriptJob::Eval { ticket, .. } => Ok((*ticket, EvalKind::Eval)),
        ScriptJob::Reload { ticket } => Ok((*ticket, EvalKind::Reload)),
        ScriptJob::Load { path, ticket } => Ok((*ticket, EvalKind::Load(path.clone()))),
        ScriptJob::Watch(_) => Err(i64::MIN),
    };
    let path = script.path().to_path_buf();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| perform(script, job))) {
        Ok(outcome) => outcome,
        Err(_) => match answer_for {
            Err(bar) => ScriptOutcome::Bar {
                bar,
                changes: Vec::new(),
            },
            Ok((ticket, kind)) => ScriptOutcome::Done {
                ticket,
                kind,
                result: Err(super::ScriptError {
                    file: path,
                    line: 0,
                    column: 0,
                    message: "loam failed inside this evaluation (a bug: please report it); nothing of it was applied".into(),
                }),
            },
        },
    }
}

/// Does one job on the script thread.
pub fn perform(script: &mut Script, job: ScriptJob) -> ScriptOutcome {
    match job {
        ScriptJob::Bar { bar, metre } => {
            script.metre_for_bar(&metre);
            let changes = script.on_bar(bar);
            ScriptOutcome::Bar { bar, changes }
        }
        ScriptJob::Eval {
            code,
            origin,
            ticket,
        } => ScriptOutcome::Done {
            ticket,
            kind: EvalKind::Eval,
            result: script.eval(&code, &origin),
        },
        ScriptJob::Reload { ticket } => ScriptOutcome::Done {
            ticket,
            kind: EvalKind::Reload,
            result: script.reload_file(),
        },
        ScriptJob::Load { path, ticket } => {
            // loam's one path rule (crate::data::paths), applied here on the
            // script thread: a relative path is read from the running
            // script's folder, and the timekeeper never waits on the disk.
            let dir = script
                .path()
                .parent()
                .unwrap_or(std::path::Path::new(""))
                .to_path_buf();
            let resolved = crate::data::paths::ReadRoots::for_script(&dir)
                .resolve("/load", &path.to_string_lossy());
            let (path, result) = match resolved {
                Ok(path) => {
                    let result = super::host::read(&path)
                        .and_then(|src| script.eval(&src, &path.display().to_string()));
                    (path, result)
                }
                Err(refused) => (
                    path,
                    Err(super::ScriptError {
                        file: std::path::PathBuf::new(),
                        line: 0,
                        column: 0,
                        message: refused.to_string(),
                    }),
                ),
            };
            ScriptOutcome::Done {
                ticket,
                kind: EvalKind::Load(path),
                result,
            }
        }
        // Handled by the thread loop; inline runners have no watcher.
        ScriptJob::Watch(_) => ScriptOutcome::Bar {
            bar: i64::MIN,
            changes: Vec::new(),
        },
    }
}
