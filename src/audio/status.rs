//! Counters the audio side reports and the control side reads. Atomics only:
//! the callback never locks or waits to report.

use std::sync::atomic::{AtomicU64, Ordering};

/// Shared between the engine (writer) and any number of readers.
#[derive(Debug, Default)]
pub struct EngineStatus {
    /// Frames rendered so far: the engine clock.
    pub frames: AtomicU64,
    /// Events that arrived after their frame had already been played; they start at offset 0.
    pub late_events: AtomicU64,
    /// Voices cut short because all voices were busy.
    pub stolen_voices: AtomicU64,
    /// Events the scheduler could not queue because the event ring was full.
    pub queue_full: AtomicU64,
    /// Device over/underruns reported by the output backend.
    pub xruns: AtomicU64,
    /// Voices currently sounding.
    pub active_voices: AtomicU64,
    /// Frames the recorder could not keep (its ring was full).
    pub recorder_dropped: AtomicU64,
}

impl EngineStatus {
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Acquire)
    }

    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
