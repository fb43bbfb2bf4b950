//! Waking a model stream's worker from the audio side: the worker says
//! what it waits for (room in its output ring for one buffer, or one
//! buffer's worth of live input) and sleeps; the audio callback wakes it
//! in the block that makes that true. The worker then sleeps once per
//! buffer instead of polling its rings (nn~'s compute thread is woken the
//! same way, by a semaphore its perform routine releases each buffer).
//!
//! Audio thread: [`WorkerWake::room_made`] and [`WorkerWake::input_came`]
//! (atomics, a fence, and, only in the block that satisfies a sleeping
//! worker, one `Thread::unpark`: on Linux an atomic swap and a futex wake,
//! which never waits, locks a user-space lock or allocates). Worker
//! thread: [`WorkerWake::register`], [`WorkerWake::expect`],
//! [`WorkerWake::clear`].

use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;

/// What a sleeping worker waits for, shared by the worker and the audio side.
#[derive(Debug, Default)]
pub struct WorkerWake {
    /// The worker's thread, set once when it starts.
    thread: OnceLock<Thread>,
    /// Free samples in the output ring the worker waits for; 0: none.
    room: AtomicUsize,
    /// Queued samples in the input ring the worker waits for; 0: none.
    input: AtomicUsize,
}

impl WorkerWake {
    /// Worker thread, once at start: the thread the audio side wakes.
    pub fn register(&self) {
        let _ = self.thread.set(std::thread::current());
    }

    /// Worker thread, before it checks its rings one last time and sleeps:
    /// wake it once the output ring has `room` free samples, or the input
    /// ring holds `input` samples (0: not waiting on that ring).
    ///
    /// The caller must check its rings again after this and before
    /// sleeping: what the audio side did in between may already satisfy
    /// it (the wake-up is then kept by the thread's park token, so the
    /// sleep returns at once).
    pub fn expect(&self, room: usize, input: usize) {
        self.room.store(room, Ordering::SeqCst);
        self.input.store(input, Ordering::SeqCst);
        // Orders these stores before the worker's next look at the rings
        // (the audio side's fence orders its ring commit before its look
        // at these values): one of the two always sees the other.
        fence(Ordering::SeqCst);
    }

    /// Worker thread, once awake: it waits for nothing until the next [`Self::expect`].
    pub fn clear(&self) {
        self.room.store(0, Ordering::Relaxed);
        self.input.store(0, Ordering::Relaxed);
    }

    /// Audio thread, after popping a block: the output ring now has `free`
    /// free samples. Wakes the worker when that is the room it waits for.
    pub fn room_made(&self, free: usize) {
        fence(Ordering::SeqCst);
        let want = self.room.load(Ordering::Relaxed);
        if want != 0 && free >= want && self.room.swap(0, Ordering::AcqRel) != 0 {
            self.wake();
        }
    }

    /// Audio thread, after pushing a block of live input: the input ring
    /// now holds `queued` samples. Wakes the worker when that is the input
    /// it waits for.
    pub fn input_came(&self, queued: usize) {
        fence(Ordering::SeqCst);
        let want = self.input.load(Ordering::Relaxed);
        if want != 0 && queued >= want && self.input.swap(0, Ordering::AcqRel) != 0 {
            self.wake();
        }
    }

    fn wake(&self) {
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn wakes_only_when_what_the_worker_waits_for_is_there() {
        let wake = Arc::new(WorkerWake::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let w = Arc::clone(&wake);
        let worker = std::thread::spawn(move || {
            w.register();
            w.expect(100, 0);
            tx.send(()).unwrap();
            // Parked until the audio side wakes it (a spurious return is
            // possible, so park until the expectation is cleared), or 30 s:
            // a wake-up that never comes fails the test, not hangs it.
            let limit = Duration::from_secs(30);
            let start = std::time::Instant::now();
            while w.room.load(Ordering::Relaxed) != 0 && start.elapsed() < limit {
                std::thread::park_timeout(limit.saturating_sub(start.elapsed()));
            }
            start.elapsed() < limit
        });
        rx.recv().unwrap();
        // Not enough room yet, and input the worker does not wait for.
        wake.room_made(99);
        wake.input_came(1000);
        assert_eq!(wake.room.load(Ordering::Relaxed), 100);
        wake.room_made(100);
        assert_eq!(wake.room.load(Ordering::Relaxed), 0);
        assert!(worker.join().unwrap(), "the worker was never woken");
    }

    #[test]
    fn a_wake_before_the_sleep_is_kept() {
        let wake = WorkerWake::default();
        wake.register();
        wake.expect(0, 8);
        wake.input_came(8);
        // The park token is set: this returns at once rather than after the timeout.
        let t = std::time::Instant::now();
        std::thread::park_timeout(Duration::from_secs(30));
        assert!(t.elapsed() < Duration::from_secs(30));
        assert_eq!(wake.input.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn without_a_registered_thread_nothing_happens() {
        let wake = WorkerWake::default();
        wake.expect(1, 1);
        wake.room_made(10);
        wake.input_came(10);
        wake.clear();
    }
}
