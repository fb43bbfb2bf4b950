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
//!
//! Randomness. Some models draw from libtorch's random generator while they
//! play (RAVE v2's `decode` fills the latent dimensions its export left out
//! with `torch.randn`). A render must come out the same every time, so for
//! a model whose code calls a random sampler (`archive::RANDOM_OPS`) the
//! generator is seeded before each buffer from the model's file name and
//! the buffer's number: what a buffer draws depends only on the score.
//! (Seeding costs a few microseconds, a third of a tiny model's buffer, so
//! models that draw nothing are not seeded.) The
//! generator is the process's (TorchScript has no other); a thread that
//! draws from it between the seed and the call (a script training a model
//! during the render) can still change a buffer.

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
    /// Buffers computed so far (the seed of the next one).
    computed: u64,
}

impl DrivenWorker {
    pub(super) fn new(worker: Worker, scratch: Scratch) -> DrivenWorker {
        DrivenWorker {
            worker,
            scratch,
            playing: false,
            stopped: false,
            computed: 0,
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
        let module = &self.worker.module;
        let seed = module
            .info()
            .draws_random_numbers
            .then(|| buffer_seed(module.path(), self.computed));
        let (w, s) = (&mut self.worker, &mut self.scratch);
        let step = one_intra_op_thread(|| {
            if let Some(seed) = seed {
                tch::manual_seed(seed);
            }
            w.compute_driven(s)
        });
        if matches!(step, Ok(DrivenStep::Computed { .. })) {
            self.computed += 1;
        }
        Some(step)
    }
}

/// The seed of buffer `n` of the model in `path`: FNV-1a of the file's
/// name (not its folder, so a render elsewhere is the same), mixed with
/// `n` (SplitMix64's finaliser), as libtorch's `manual_seed` takes it.
fn buffer_seed(path: &std::path::Path, n: u64) -> i64 {
    let name = path
        .file_name()
        .map(|n| n.as_encoded_bytes())
        .unwrap_or(&[]);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in name {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = h ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as i64
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
