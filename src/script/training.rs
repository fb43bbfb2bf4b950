//! Models a script trains while the music plays. The VAE and the GRU take
//! seconds, far longer than a bar may wait, so they train on a helper
//! thread at lowered priority (the audio and control threads come first);
//! the script holds the model from the start and it plays once it is ready.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use std::fmt;

use crossbeam_channel::{bounded, Receiver, TryRecvError};

use crate::model::trained::cost::{CostMeter, TrainingCost};
use crate::model::trained::TrainedModelError;

/// Trainings running in this process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Ends every training at its next step and waits (at most `wait`) for
/// them: call before the process exits, which must not happen while
/// libtorch is mid-step on another thread.
pub fn stop_all(wait: Duration) {
    crate::model::trained::request_stop();
    let started = Instant::now();
    while RUNNING.load(Ordering::Acquire) > 0 && started.elapsed() < wait {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Counts a training thread for as long as it lives.
struct Running;

impl Running {
    fn enter() -> Running {
        RUNNING.fetch_add(1, Ordering::AcqRel);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Where a model a script trains stands; `E` is the trainer's error.
pub enum Trained<T, E = TrainedModelError> {
    /// Training on a helper thread.
    Training {
        /// Where the helper's model (or its failure) arrives, with what
        /// training cost.
        result: Receiver<(Result<T, E>, TrainingCost)>,
        /// When training started.
        started: Instant,
        /// What is trained, for messages.
        what: String,
    },
    /// Trained and usable.
    Ready(T),
    /// Training failed: what was trained, and why.
    Failed(TrainingError<E>),
}

/// Why a training did not give a model: what was trained, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingError<E = TrainedModelError> {
    /// The call that started it, e.g. `rnn_train("data.pat")`.
    pub what: String,
    /// Why it failed.
    pub failure: TrainingFailure<E>,
}

/// The reason a training failed.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainingFailure<E = TrainedModelError> {
    /// The trainer's own error.
    Trainer(E),
    /// The helper thread could not be started: the system's words.
    ThreadStart(String),
    /// The helper thread ended without a result.
    ThreadEnded,
}

impl<E: fmt::Display> fmt::Display for TrainingFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainingFailure::Trainer(e) => write!(f, "{e}"),
            TrainingFailure::ThreadStart(detail) => write!(f, "cannot start training: {detail}"),
            TrainingFailure::ThreadEnded => f.write_str("the training thread ended"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for TrainingError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.failure)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for TrainingError<E> {}

impl<T: Send + 'static, E: Clone + fmt::Display + Send + 'static> Trained<T, E> {
    /// Starts `train` on a helper thread; `what` names it in messages.
    pub fn start(
        what: String,
        train: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Trained<T, E> {
        let (tx, rx) = bounded(1);
        let running = Running::enter();
        let spawned = std::thread::Builder::new()
            .name("loam-train".into())
            .spawn(move || {
                let _running = running;
                lower_priority();
                // Measured on the helper thread, around the training alone.
                let meter = CostMeter::start(None);
                let trained = train();
                let _ = tx.send((trained, meter.finish()));
            });
        match spawned {
            Ok(_) => Trained::Training {
                result: rx,
                started: Instant::now(),
                what,
            },
            Err(e) => Trained::Failed(TrainingError {
                what,
                failure: TrainingFailure::ThreadStart(e.to_string()),
            }),
        }
    }

    /// Takes the model in if training finished; returns the news to tell
    /// the performer when it just did.
    pub fn poll(&mut self) -> Option<String> {
        let Trained::Training {
            result,
            started,
            what,
        } = self
        else {
            return None;
        };
        let (outcome, cost) = match result.try_recv() {
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => (Err(TrainingFailure::ThreadEnded), None),
            Ok((r, cost)) => (r.map_err(TrainingFailure::Trainer), Some(cost)),
        };
        let seconds = started.elapsed().as_secs_f32();
        let (next, news) = match outcome {
            Ok(model) => (
                Trained::Ready(model),
                match cost {
                    // The cost as `loam train` reports it: wall and CPU
                    // time, and energy with how it was found.
                    Some(cost) => format!(
                        "{what}: trained in {seconds:.1} s; it plays from the next bar; {cost} (CPU time and energy are the whole process's, the music's own included)"
                    ),
                    None => format!("{what}: trained in {seconds:.1} s; it plays from the next bar"),
                },
            ),
            Err(failure) => {
                let news = format!("{what}: training failed: {failure}");
                let what = std::mem::take(what);
                (Trained::Failed(TrainingError { what, failure }), news)
            }
        };
        *self = next;
        Some(news)
    }

    /// The model once it is ready; `Ok(None)` while it trains.
    pub fn ready(&mut self) -> Result<Option<&mut T>, TrainingError<E>> {
        match self {
            Trained::Ready(m) => Ok(Some(m)),
            Trained::Training { .. } => Ok(None),
            Trained::Failed(e) => Err(e.clone()),
        }
    }
}

/// Nice 10 for the calling thread (on Linux `setpriority` on thread 0 is
/// this thread alone), so training yields to everything that keeps time.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority takes plain integers and changes only this thread's nice value.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_model_is_pending_then_ready_and_a_failure_says_why() {
        let mut t: Trained<i32, String> = Trained::start("test".into(), || {
            std::thread::sleep(Duration::from_millis(50));
            Ok(7)
        });
        assert!(matches!(t.ready(), Ok(None)));
        let mut news = None;
        while news.is_none() {
            news = t.poll();
            std::thread::sleep(Duration::from_millis(5));
        }
        let news = news.unwrap();
        assert!(news.starts_with("test: trained in"), "{news}");
        // The cost, as `loam train` reports it, with the energy's method.
        assert!(news.contains("s CPU"), "{news}");
        assert!(
            news.contains("RAPL") || news.contains("estimated as CPU time"),
            "{news}"
        );
        assert_eq!(t.ready().unwrap().copied(), Some(7));
        let mut f: Trained<i32, String> = Trained::start("bad".into(), || Err("too small".into()));
        // Wait for the answer itself, not for a time.
        let failed = loop {
            if let Some(news) = f.poll() {
                break news;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(failed, "bad: training failed: too small");
        assert_eq!(f.ready().unwrap_err().to_string(), "bad: too small");
    }
}
