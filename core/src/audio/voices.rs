//! A fixed number of voice slots, and the rule for stealing one.
//!
//! Stealing rule: a new sound takes the lowest free slot; if none is free, it
//! takes the slot of the voice that started longest ago (the oldest), which
//! is cut off at once. Stolen voices are counted.

use std::sync::Arc;

use rtrb::Producer;

use super::guard::{FaultReport, MixSource};
use super::voice::Voice;
use super::{EngineStatus, SoundEvent};
use crate::data::credit::{Credit, PatternCredits};
use crate::sound::Sample;

/// Preallocated voices. Never grows.
pub struct VoicePool {
    voices: Vec<Voice>,
    next_order: u64,
    fade_len: u32,
    /// The credits the last audible start marked. Marks are never cleared
    /// (the engine's status lives as long as the engine), so a start whose
    /// credits equal these has nothing new to mark: the events of one loop
    /// all carry the same credits, and a block of them marks once.
    last_marked: (Credit, PatternCredits),
}

impl VoicePool {
    /// `capacity` empty voices (at least one), whose fade-outs last
    /// `fade_len` frames, playing pitched notes as at 48 kHz.
    pub fn new(capacity: usize, fade_len: u32) -> VoicePool {
        VoicePool::with_sample_rate(capacity, fade_len, crate::sound::DEFAULT_SAMPLE_RATE)
    }

    /// `capacity` empty voices (at least one), whose fade-outs last
    /// `fade_len` frames, playing pitched notes at `sample_rate`.
    pub fn with_sample_rate(capacity: usize, fade_len: u32, sample_rate: u32) -> VoicePool {
        VoicePool {
            voices: (0..capacity.max(1))
                .map(|_| Voice::with_sample_rate(sample_rate))
                .collect(),
            next_order: 0,
            fade_len,
            last_marked: (Credit::NONE, PatternCredits::default()),
        }
    }

    /// Voice slots.
    pub fn capacity(&self) -> usize {
        self.voices.len()
    }

    /// Voices holding a sound now.
    pub fn active(&self) -> usize {
        self.voices.iter().filter(|v| !v.is_free()).count()
    }

    /// Starts an event, stealing the oldest voice if every slot is busy,
    /// and marks its sound's source as sounded when it plays at a gain
    /// above 0 (`status.sounded`).
    ///
    /// Audio thread. Samples released by the start go to `returns`; if that
    /// ring is full the new event is dropped rather than freeing here.
    pub fn start(
        &mut self,
        event: SoundEvent,
        returns: &mut Producer<Arc<Sample>>,
        status: &EngineStatus,
    ) {
        let slot = match self.voices.iter().position(Voice::is_free) {
            Some(i) => i,
            None => {
                let oldest = self
                    .voices
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, v)| (!v.is_finished(), v.order))
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                if !self.voices[oldest].is_finished() {
                    EngineStatus::count(&status.stolen_voices);
                }
                if returns.is_full() {
                    // NOTE: nowhere to send the old sample without freeing it
                    // here; keep the old voice and drop the new event (counted).
                    EngineStatus::count(&status.stolen_voices);
                    return;
                }
                oldest
            }
        };
        let order = self.next_order;
        self.next_order += 1;
        // An audible start credits the sound's source (a relaxed store
        // the first time, see `sounded.rs`).
        let (credit, audible) = (event.sample.credit, event.gain > 0.0);
        let pattern_credits = event.pattern_credits;
        if let Some(old) = self.voices[slot].start(event, order, self.fade_len) {
            // Checked above: there is room.
            let _ = returns.push(old);
        }
        if audible
            && !self.voices[slot].is_finished()
            && self.last_marked != (credit, pattern_credits)
        {
            status.sounded.mark(credit);
            for c in pattern_credits.iter() {
                status.sounded.mark(c);
            }
            self.last_marked = (credit, pattern_credits);
        }
    }

    /// Adds every voice into `out` (interleaved stereo) and retires finished
    /// ones. A voice muted for a bad value is reported to `faults`.
    ///
    /// Audio thread: no allocation, no locks.
    pub fn render(
        &mut self,
        out: &mut [f32],
        returns: &mut Producer<Arc<Sample>>,
        faults: &mut FaultReport,
    ) {
        for v in self.voices.iter_mut() {
            if v.is_free() {
                continue;
            }
            v.render(out);
            if let Some(fault) = v.take_fault() {
                if let Some(sample) = v.sample() {
                    faults.report(MixSource::Voice(Arc::clone(sample)), fault);
                }
            }
            if v.is_finished() && !returns.is_full() {
                if let Some(s) = v.take_sample() {
                    let _ = returns.push(s);
                }
            }
        }
    }

    /// Silences every voice at once (hush), returning samples while the ring has room.
    pub fn silence(&mut self, returns: &mut Producer<Arc<Sample>>) {
        for v in self.voices.iter_mut() {
            v.stop();
            if !v.is_free() && !returns.is_full() {
                if let Some(s) = v.take_sample() {
                    let _ = returns.push(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(credit: Credit) -> Arc<Sample> {
        Arc::new(Sample {
            name: "click".into(),
            channels: 1,
            data: vec![0.5; 16],
            source: "test".into(),
            credit,
        })
    }

    fn credits(bits: &[usize]) -> PatternCredits {
        let mut c = PatternCredits::default();
        for &b in bits {
            c.add(Credit::from_bit(b));
        }
        c
    }

    /// Skipping a start whose credits were just marked never loses a mark:
    /// alternating sources, a new source after a run of the same, and a
    /// silent start (which marks nothing) between them.
    #[test]
    fn every_audible_source_is_marked_though_repeats_are_skipped() {
        let mut pool = VoicePool::new(4, 8);
        let (mut returns, _rx) = rtrb::RingBuffer::new(64);
        let status = EngineStatus::default();
        let start = |pool: &mut VoicePool, returns: &mut _, sample: u16, pc, gain| {
            let mut ev = SoundEvent::new(0, click(Credit::from_bit(sample as usize)));
            ev.pattern_credits = pc;
            ev.gain = gain;
            pool.start(ev, returns, &status);
        };
        let (a, b) = (credits(&[1, 2]), credits(&[3]));
        start(&mut pool, &mut returns, 0, a, 1.0);
        start(&mut pool, &mut returns, 0, a, 1.0);
        // Silent: source 9 and its credit 10 are not marked.
        start(&mut pool, &mut returns, 9, credits(&[10]), 0.0);
        start(&mut pool, &mut returns, 4, b, 1.0);
        start(&mut pool, &mut returns, 0, a, 1.0);
        start(&mut pool, &mut returns, 5, b, 1.0);
        let marked: Vec<Credit> = status.sounded.sounded();
        let want: Vec<Credit> = [0, 1, 2, 3, 4, 5].map(Credit::from_bit).to_vec();
        assert_eq!(marked, want);
    }
}
