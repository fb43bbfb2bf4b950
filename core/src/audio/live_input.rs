//! The live input on the audio side: each block's input frames (from JACK
//! input ports read in the same callback as the outputs, or from the cpal
//! input ring, [`super::input_ring`]) pass through the input gain, into
//! the monitor mix (off by default, to avoid feedback), into the captures
//! that are recording, and into the model streams that listen to the
//! input ([`super::model_slots`]). Audio thread only, except where a
//! function says otherwise.
//!
//! Captures (live sampling). The control side prepares a [`Capture`]: the
//! bar line it starts on (an engine frame), its length in frames, and two
//! samples of that length, both allocated there: the `sample` the engine
//! writes into (the engine holds the only reference while it records, so
//! it writes through [`Arc::get_mut`], never allocating) and a silent
//! `placeholder` the sound bank holds under the capture's name while it
//! records. Patterns planned before the capture ends (the scheduler plans
//! a lookahead ahead) play the placeholder; once the capture is complete,
//! the engine swaps each such event's sample for the recorded one as the
//! voice starts, so the loop plays from the bar line right after the last
//! recorded frame. The finished sample goes back to the control side over
//! a ring ([`CaptureNews::Finished`]); a capture the engine lets go of
//! goes back whole ([`CaptureNews::Retired`]): nothing is freed here.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use rtrb::{Consumer, Producer};

use super::status::EngineStatus;
use crate::sound::Sample;

/// The most input channels loam reads (JACK ports `loam:in_1` … or a
/// device's channels). 8, for a small interface or a stereo pair and a few
/// microphones; more are left unread.
pub const MAX_INPUT_CHANNELS: usize = 8;

/// The most input frames one engine call takes (longer blocks are split by
/// the callback, as the output's are): 4096 frames, the output's chunk.
pub const MAX_INPUT_BLOCK: usize = 4096;

/// Captures the engine holds at once (recording, or finished and still
/// swapped in for the events planned with their placeholder). 8: a looper
/// with a few layers; a ninth capture replaces the oldest slot's.
pub const MAX_CAPTURES: usize = 8;

/// One take of live sampling, prepared on the control side.
pub struct Capture {
    /// The control side's number for this take.
    pub id: u64,
    /// Which of the [`MAX_CAPTURES`] slots it takes (a take already there
    /// is retired).
    pub slot: usize,
    /// The engine frame of the bar line it starts on.
    pub start: u64,
    /// Frames to record (exactly N bars).
    pub frames: usize,
    /// What the engine records into: `frames` frames of `channels`
    /// channels, silent until written. Unique while recording.
    pub sample: Arc<Sample>,
    /// The silent sample of the same length the sound bank holds under the
    /// capture's name while it records.
    pub placeholder: Arc<Sample>,
    /// Input channel of the sample's first channel (0-based).
    pub first_channel: usize,
    /// Frames written so far.
    pub written: usize,
    /// The take's state on the audio side.
    pub state: CaptureState,
}

/// Where a take is on the audio side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureState {
    /// Waiting for its bar line, or recording.
    Recording,
    /// Complete, not yet told to the control side (its ring was full).
    Complete,
    /// Complete and told: events with its placeholder play it.
    Playing,
    /// Its bar line had passed when it reached the engine.
    Late,
}

/// What the engine tells the control side about captures.
pub enum CaptureNews {
    /// A take is complete: the recorded sample (a second reference; the
    /// engine keeps one for the events already planned).
    Finished {
        /// The take's id.
        id: u64,
        /// The recorded sample.
        sample: Arc<Sample>,
    },
    /// A take reached the engine after its bar line (by this many frames):
    /// nothing was recorded.
    Late {
        /// The take's id.
        id: u64,
        /// Frames it was late by.
        by: u64,
    },
    /// A take the engine no longer holds (replaced in its slot): dropped
    /// on the control side.
    Retired(Box<Capture>),
}

/// Capacity of the capture rings (either way): more takes than
/// [`MAX_CAPTURES`] in flight is never needed.
pub const CAPTURE_RING: usize = 32;

/// The audio side of the live input.
pub struct LiveInput {
    /// This block's input, interleaved, `channels` per frame, gain applied.
    block: Vec<f32>,
    channels: usize,
    frames: usize,
    gain: f32,
    monitor: f32,
    captures: Vec<Option<Box<Capture>>>,
    requests: Consumer<Box<Capture>>,
    news: Producer<CaptureNews>,
    status: Arc<EngineStatus>,
}

/// The control side's ends of the capture rings.
pub struct CaptureRings {
    /// Takes for the engine.
    pub requests: Producer<Box<Capture>>,
    /// What the engine says about them.
    pub news: Consumer<CaptureNews>,
}

impl LiveInput {
    /// The stage and the control side's capture rings. Allocates up front.
    pub fn new(status: Arc<EngineStatus>) -> (LiveInput, CaptureRings) {
        let (req_tx, req_rx) = rtrb::RingBuffer::new(CAPTURE_RING);
        let (news_tx, news_rx) = rtrb::RingBuffer::new(CAPTURE_RING);
        let stage = LiveInput {
            block: vec![0.0; MAX_INPUT_CHANNELS * MAX_INPUT_BLOCK],
            channels: 0,
            frames: 0,
            gain: 1.0,
            monitor: 0.0,
            captures: (0..MAX_CAPTURES).map(|_| None).collect(),
            requests: req_rx,
            news: news_tx,
            status,
        };
        (
            stage,
            CaptureRings {
                requests: req_tx,
                news: news_rx,
            },
        )
    }

    /// Sets the input gain (linear; non-finite or negative values are 0).
    pub fn set_gain(&mut self, gain: f32) {
        self.gain = if gain.is_finite() { gain.max(0.0) } else { 0.0 };
    }

    /// Sets the monitor level (linear; 0 = off).
    pub fn set_monitor(&mut self, level: f32) {
        self.monitor = if level.is_finite() {
            level.max(0.0)
        } else {
            0.0
        };
    }

    /// This block's input: interleaved frames, gain applied.
    pub fn block(&self) -> (&[f32], usize) {
        (&self.block[..self.frames * self.channels], self.channels)
    }

    /// Takes this block's input (`channels` interleaved; at most
    /// [`MAX_INPUT_CHANNELS`] are kept; a block of more than
    /// [`MAX_INPUT_BLOCK`] frames is taken as silence),
    /// applying the gain. Non-finite values become silence. An empty
    /// `input` (no input stream) is `frames` frames of nothing.
    pub fn take(&mut self, input: &[f32], channels: usize, frames: usize) {
        let kept = channels.min(MAX_INPUT_CHANNELS);
        self.frames = frames;
        // No input stream, a short input, or a block longer than the
        // stage holds (only offline, where there is no input): silence.
        if kept == 0 || frames > MAX_INPUT_BLOCK || input.len() < frames * channels {
            self.channels = 0;
            return;
        }
        self.channels = kept;
        for (dst, src) in self.block[..self.frames * kept]
            .chunks_exact_mut(kept)
            .zip(input.chunks_exact(channels))
        {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = if s.is_finite() { s * self.gain } else { 0.0 };
            }
        }
    }

    /// Adds the input to `out` (interleaved stereo) at the monitor level:
    /// one channel to both sides, two as left and right (more: the first two).
    pub fn monitor_into(&self, out: &mut [f32]) {
        if self.monitor == 0.0 || self.channels == 0 {
            return;
        }
        let ch = self.channels;
        for (o, i) in out.chunks_exact_mut(2).zip(self.block.chunks_exact(ch)) {
            let (l, r) = if ch == 1 { (i[0], i[0]) } else { (i[0], i[1]) };
            o[0] += l * self.monitor;
            o[1] += r * self.monitor;
        }
    }

    /// Takes new capture requests, writes this block's input (frames
    /// `start` … `start + frames`) into the takes recording, and tells the
    /// control side about takes that finished or came late.
    pub fn record(&mut self, start: u64) {
        self.accept(start);
        let end = start + self.frames as u64;
        let (channels, frames) = (self.channels, self.frames);
        for entry in self.captures.iter_mut() {
            let Some(cap) = entry else { continue };
            if cap.state == CaptureState::Recording {
                write_take(cap, &self.block[..frames * channels], channels, start, end);
            }
            if cap.state == CaptureState::Complete {
                let news = CaptureNews::Finished {
                    id: cap.id,
                    sample: Arc::clone(&cap.sample),
                };
                if self.news.push(news).is_ok() {
                    cap.state = CaptureState::Playing;
                }
            }
        }
    }

    /// Moves new takes into their slots (a slot's old take is retired;
    /// while the news ring is full, new takes wait in their ring).
    fn accept(&mut self, start: u64) {
        while !self.requests.is_empty() && self.news.slots() >= 2 {
            let Ok(mut cap) = self.requests.pop() else {
                break;
            };
            if cap.start < start {
                let _ = self.news.push(CaptureNews::Late {
                    id: cap.id,
                    by: start - cap.start,
                });
                cap.state = CaptureState::Late;
                let _ = self.news.push(CaptureNews::Retired(cap));
                continue;
            }
            let slot = cap.slot.min(MAX_CAPTURES - 1);
            if let Some(old) = self.captures[slot].take() {
                let _ = self.news.push(CaptureNews::Retired(old));
            }
            self.captures[slot] = Some(cap);
        }
    }

    /// The sample to play for an event planned with `sample`: the recorded
    /// take when `sample` is a finished take's placeholder (a new
    /// reference; the placeholder's goes to `returns`), else `sample`
    /// itself. When `returns` is full the placeholder plays (silence).
    pub fn substitute(
        &self,
        sample: Arc<Sample>,
        returns: &mut Producer<Arc<Sample>>,
    ) -> Arc<Sample> {
        for cap in self.captures.iter().flatten() {
            if cap.state == CaptureState::Playing && Arc::ptr_eq(&sample, &cap.placeholder) {
                if returns.is_full() {
                    return sample;
                }
                let _ = returns.push(sample);
                return Arc::clone(&cap.sample);
            }
        }
        sample
    }

    /// Counts `frames` input frames some consumer had no room for.
    pub fn count_dropped(&self, frames: u64) {
        self.status
            .input_dropped
            .fetch_add(frames, Ordering::Relaxed);
    }
}

/// Writes the part of the block `[start, end)` that falls in the take.
fn write_take(cap: &mut Capture, block: &[f32], channels: usize, start: u64, end: u64) {
    let take_end = cap.start + cap.frames as u64;
    let from = start.max(cap.start + cap.written as u64);
    let to = end.min(take_end);
    if from < to {
        let Some(sample) = Arc::get_mut(&mut cap.sample) else {
            // Another reference exists (never, by construction): stop here.
            cap.state = CaptureState::Complete;
            return;
        };
        let sc = sample.channels.max(1);
        let offset = (from - cap.start) as usize;
        for k in 0..(to - from) as usize {
            let i = (from - start) as usize + k;
            for c in 0..sc {
                let v = if channels == 0 {
                    0.0
                } else {
                    let ic = (cap.first_channel + c).min(channels - 1);
                    block[i * channels + ic]
                };
                sample.data[(offset + k) * sc + c] = v;
            }
        }
        cap.written = (to - cap.start) as usize;
    }
    if end >= take_end {
        cap.state = CaptureState::Complete;
    }
}
