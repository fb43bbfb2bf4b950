//! Where script code is: the position of the step running now, for the
//! errors rhai gives without one (the operation limit, the call depth, the
//! clock) inside `bar(n)` and loop functions.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rhai::Engine;

/// Where script code is now: the file (empty for the script itself; an
/// import's path) and the line and column of the step running.
///
/// rhai moves the position of a limit error (operations, call depth, the
/// clock) to the call of each function it leaves, and a function loam
/// calls from outside (`bar`, a loop's function) is called from nowhere:
/// the error would arrive with no position. So every step's position is
/// noted here (a few nanoseconds a step), and such an error takes the
/// position of the step that ran past the limit.
#[derive(Default)]
pub struct Whereabouts {
    /// The line (high 32 bits) and column (low 32 bits) of the last step.
    at: AtomicU64,
    /// The source of the last step when it is not the script itself.
    source: std::sync::Mutex<String>,
    /// Whether `source` names an import (steps in the script itself then
    /// cost no lock).
    elsewhere: std::sync::atomic::AtomicBool,
}

impl Whereabouts {
    /// Notes the step at `pos` in `source` (`None` or empty: the script).
    fn note(&self, source: Option<&str>, pos: rhai::Position) {
        if let (Some(line), Some(column)) = (pos.line(), pos.position()) {
            self.at
                .store(((line as u64) << 32) | column as u64, Ordering::Relaxed);
            match source.filter(|s| !s.is_empty()) {
                None if !self.elsewhere.load(Ordering::Relaxed) => {}
                source => {
                    let source = source.unwrap_or("");
                    let mut held = self.source.lock().unwrap_or_else(|p| p.into_inner());
                    if *held != source {
                        held.clear();
                        held.push_str(source);
                    }
                    self.elsewhere.store(!source.is_empty(), Ordering::Relaxed);
                }
            }
        }
    }

    /// Starts a run of script code: no step yet.
    pub fn forget(&self) {
        self.at.store(0, Ordering::Relaxed);
        self.elsewhere.store(false, Ordering::Relaxed);
        self.source
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The last step's line and column (0 when none), and its source.
    pub fn last(&self) -> (usize, usize, String) {
        let at = self.at.load(Ordering::Relaxed);
        let source = self
            .source
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        ((at >> 32) as usize, (at & 0xffff_ffff) as usize, source)
    }
}

/// Notes every step's position in `whereabouts` (rhai's debugger
/// interface, stepping into every expression and never stopping).
#[allow(deprecated)] // rhai marks this interface "volatile", not deprecated
pub fn note_each_step(engine: &mut Engine, whereabouts: Arc<Whereabouts>) {
    use rhai::debugger::{DebuggerCommand, DebuggerEvent};
    engine.register_debugger(
        |_, debugger| debugger,
        move |_, event, _, source, pos| {
            // Only steps: leaving a function with an error is told at the
            // call, which is where rhai moved the error to.
            if matches!(event, DebuggerEvent::Step | DebuggerEvent::Start) {
                whereabouts.note(source, pos);
            }
            Ok(DebuggerCommand::StepInto)
        },
    );
}
