//! The audio side of a recording: the callback pushes the frames it played
//! into a ring, and a writer thread (`output/recorder.rs`) drains the ring
//! into a WAV file. Audio thread only: a push never blocks, and what does
//! not fit is counted, not waited for.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use rtrb::Producer;

use super::EngineStatus;

/// The audio side of a recording.
pub struct RecordTap {
    ring: Producer<f32>,
    status: Arc<EngineStatus>,
}

impl RecordTap {
    /// The tap that pushes into `ring` (interleaved stereo) and counts
    /// frames that do not fit in `status.recorder_dropped`.
    pub fn new(ring: Producer<f32>, status: Arc<EngineStatus>) -> RecordTap {
        RecordTap { ring, status }
    }

    /// Pushes interleaved stereo samples. Audio thread: never blocks; frames
    /// that do not fit are counted in `recorder_dropped`.
    pub fn write(&mut self, samples: &[f32]) {
        if self.ring.slots() < samples.len() {
            self.status
                .recorder_dropped
                .fetch_add((samples.len() / 2) as u64, Ordering::Relaxed);
            return;
        }
        for &s in samples {
            let _ = self.ring.push(s);
        }
    }
}
