//! Ctrl-C, SIGTERM and SIGHUP (a closed terminal) end a performance, and a
//! recording is always finalised: a thread of its own waits for the signal,
//! asks the control loop to stop, and, should that loop not have stopped
//! within [`STOP_GRACE`], finalises the recording itself and ends the
//! process. No signal ever leaves a `.part` file behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use loam::output::Recorder;

/// How long the control loop has to stop by itself after a signal.
pub const STOP_GRACE: Duration = Duration::from_millis(1500);

/// Exit status when the watchdog had to end the process itself.
pub const EXIT_FORCED: i32 = 6;

/// The recording the watchdog finalises if it must (the main thread takes
/// it first when it stops in time).
pub type SharedRecorder = Arc<Mutex<Option<Recorder>>>;

/// What the main thread holds: `stop` is set on a signal; `done` is set by
/// the main thread once it has stopped everything.
pub struct SignalWatch {
    pub stop: Arc<AtomicBool>,
    pub done: Arc<AtomicBool>,
}

/// Starts the signal thread. Signals that cannot be watched are reported
/// and the process keeps their default action.
pub fn watch(recorder: SharedRecorder) -> SignalWatch {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let watch = SignalWatch {
        stop: stop.clone(),
        done: done.clone(),
    };
    let mut signals = match Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        Ok(s) => s,
        Err(e) => {
            loam::say!("loam: cannot watch for Ctrl-C and SIGTERM ({e})");
            return watch;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("loam-signals".into())
        .spawn(move || {
            let Some(signal) = signals.forever().next() else {
                return;
            };
            stop.store(true, Ordering::Relaxed);
            let asked = Instant::now();
            while asked.elapsed() < STOP_GRACE {
                if done.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let taken = {
                let mut held = recorder.lock().unwrap_or_else(|p| p.into_inner());
                if done.load(Ordering::Relaxed) {
                    return;
                }
                held.take()
            };
            let saved = match taken.map(Recorder::finish) {
                Some(Ok(p)) => format!("; recording saved to {}", p.display()),
                Some(Err(e)) => format!("; {e}"),
                None => String::new(),
            };
            loam::say!(
                "loam: signal {signal}: the control loop did not stop within {} ms, ending the process{saved}",
                STOP_GRACE.as_millis()
            );
            std::process::exit(EXIT_FORCED);
        });
    if let Err(e) = spawned {
        loam::say!("loam: cannot watch for Ctrl-C and SIGTERM ({e})");
    }
    watch
}
