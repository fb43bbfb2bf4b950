//! A driven stream's model, run on the thread that drives it: an offline
//! render's thread (or a bench's), which asks for each buffer with
//! [`StreamHandle::compute_now`](super::StreamHandle::compute_now) and
//! waits for it anyway. Running the model there instead of on a worker
//! thread saves two thread wake-ups per buffer, which for a small model at
//! a small buffer cost more CPU time than the model itself; the numbers it
//! computes are the same.
//!
//! The worker warms the model up on its own thread as a live stream's does,
//! then hands itself over here and ends.

use super::error::TorchScriptError;
use super::stream::{DrivenStep, WorkerCommand};
use super::worker::{Scratch, Worker};

/// A warmed-up worker the caller's thread runs; held by the
/// [`StreamHandle`](super::StreamHandle) of a [`super::Pace::Driven`] stream.
pub(crate) struct DrivenWorker {
    worker: Worker,
    scratch: Scratch,
    playing: bool,
    stopped: bool,
}

impl DrivenWorker {
    pub(super) fn new(worker: Worker, scratch: Scratch) -> DrivenWorker {
        DrivenWorker {
            worker,
            scratch,
            playing: false,
            stopped: false,
        }
    }

    /// Carries out a command at once, as the worker would between two
    /// buffers. After `Stop`, commands are ignored (their replies are
    /// dropped, which the handle reports as a stopped stream).
    pub(super) fn command(&mut self, command: WorkerCommand) {
        if self.stopped {
            return;
        }
        let w = &mut self.worker;
        let (s, playing) = (&mut self.scratch, &mut self.playing);
        if !one_intra_op_thread(|| w.apply(s, playing, command)) {
            self.stopped = true;
        }
    }

    /// Computes one buffer now (see `compute_now`); `None` once stopped.
    pub(super) fn compute(&mut self) -> Option<Result<DrivenStep, TorchScriptError>> {
        if self.stopped {
            return None;
        }
        let (w, s) = (&mut self.worker, &mut self.scratch);
        Some(one_intra_op_thread(|| w.compute_driven(s)))
    }
}

/// Runs `f` with one libtorch intra-op thread on this thread, as the
/// model's worker thread does (so a driven stream uses one core, and
/// figures compare with Python's `torch.set_num_threads(1)`), and with
/// gradients off; the caller's own thread count is restored after.
fn one_intra_op_thread<R>(f: impl FnOnce() -> R) -> R {
    let threads = tch::get_num_threads();
    if threads != 1 {
        tch::set_num_threads(1);
    }
    let result = {
        let _no_grad = tch::no_grad_guard();
        f()
    };
    if threads != 1 {
        tch::set_num_threads(threads);
    }
    result
}
