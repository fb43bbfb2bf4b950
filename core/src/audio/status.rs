//! Counters the audio side reports and the control side reads. Atomics only:
//! the callback never locks or waits to report.

use std::sync::atomic::{AtomicU64, Ordering};

use super::sounded::SoundedSources;
use crate::time::wallclock::{ClockStamp, Frame, Nanos};

/// Shared between the engine (writer) and any number of readers.
#[derive(Debug, Default)]
pub struct EngineStatus {
    /// Frames rendered so far: the engine clock.
    pub frames: AtomicU64,
    /// Events that arrived after their frame had already been played; they start at offset 0.
    /// Immediate plays (OSC `/play` without a time) are on time whenever they arrive.
    pub late_events: AtomicU64,
    /// Voices cut short because all voices were busy.
    pub stolen_voices: AtomicU64,
    /// Events the scheduler could not queue because the event ring was full.
    pub queue_full: AtomicU64,
    /// Device over/underruns reported by the output backend.
    pub xruns: AtomicU64,
    /// Voices currently sounding.
    pub active_voices: AtomicU64,
    /// Frames the recording lost: its ring was full, or writing the file
    /// failed (after a failed write the rest of the take is lost).
    pub recorder_dropped: AtomicU64,
    /// Sources (model slots, voices) muted before the mix because they
    /// produced NaN, infinities or values past [`crate::audio::guard::SOURCE_LIMIT`].
    pub muted_sources: AtomicU64,
    /// Live input frames a consumer had no room for (a model stream's input
    /// queue that was full), or that the cpal input ring dropped to keep
    /// input and output on one clock (see `audio/input_ring.rs`).
    pub input_dropped: AtomicU64,
    /// Live input frames the cpal input ring repeated because the input
    /// stream ran behind the output (drift, or a late input callback).
    pub input_repeated: AtomicU64,
    /// Which credited sources (sample folders, models) have sounded, for
    /// the credits of a render or recording.
    pub sounded: SoundedSources,
    /// The last block the output started: its first frame, and when
    /// (nanoseconds on [`crate::time::wallclock`]'s monotonic clock). A
    /// sequence number makes the pair readable without locks (odd: being written).
    clock_seq: AtomicU64,
    clock_frame: AtomicU64,
    clock_nanos: AtomicU64,
}

impl EngineStatus {
    /// Frames rendered so far: the engine clock.
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Acquire)
    }

    /// Records that `stamp.frame` starts playing at `stamp.nanos`. Audio
    /// thread: wait-free (the atomics hold the plain counts).
    pub fn stamp_clock(&self, stamp: ClockStamp) {
        let (frame, nanos) = (stamp.frame.get(), stamp.nanos.get());
        let seq = self.clock_seq.load(Ordering::Relaxed);
        self.clock_seq.store(seq.wrapping_add(1), Ordering::Release);
        self.clock_frame.store(frame, Ordering::Release);
        self.clock_nanos.store(nanos, Ordering::Release);
        self.clock_seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// The last stamp the output made, if any.
    pub fn clock(&self) -> Option<ClockStamp> {
        loop {
            let a = self.clock_seq.load(Ordering::Acquire);
            if a % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let frame = self.clock_frame.load(Ordering::Acquire);
            let nanos = self.clock_nanos.load(Ordering::Acquire);
            if self.clock_seq.load(Ordering::Acquire) == a {
                return (a > 0).then_some(ClockStamp {
                    frame: Frame(frame),
                    nanos: Nanos(nanos),
                });
            }
        }
    }

    /// Adds one to `counter` (wait-free; the audio thread may call it).
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads `counter`.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
