//! The audio side of a model stream: the mixer's model slots pop, from an
//! SPSC ring, the audio a model worker computed one buffer ahead of
//! playback. Audio thread only.
//!
//! The other sides are the model's: the worker thread that fills the ring
//! and the control handle that starts, steers and stops it
//! (`model::torchscript`: `stream.rs` sets a stream up, `worker.rs` runs on
//! the worker thread, `stream_handle.rs` on the control side). They reach
//! this side only through the ring and a [`StreamPlayback`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::worker_wake::WorkerWake;

/// What the audio side and a stream's worker share about playback: whether
/// the stream is playing, and the underruns the audio side counted. Atomics
/// only, so the audio side never waits.
#[derive(Debug, Default)]
pub struct StreamPlayback {
    /// Set by the worker once the first buffer (of silence) is queued;
    /// cleared by the control side on pause and stop. A short ring is an
    /// underrun only while this is set.
    pub playing: AtomicBool,
    /// `process` calls that found the ring short while playing.
    pub underruns: AtomicU64,
    /// Frames played as silence because of underruns.
    pub missed_frames: AtomicU64,
    /// Missed frames the worker has not yet skipped (it drops them from its
    /// next output so the stream stays on time).
    pub skip: AtomicU64,
    /// Wakes the worker when a block makes room for its next buffer or
    /// brings the live input it waits for (it sleeps in between).
    pub wake: WorkerWake,
}

/// Which live input channels a model stream listens to: `"in"` is
/// channels from 1 in order (model channel `c` hears input channel
/// `c + 1`, the last input channel where the input has fewer), `"in:2"`
/// is channel 2 into every model channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputChannels {
    /// The first input channel (0-based).
    pub first: usize,
    /// Model channels take successive input channels (`"in"`) rather than
    /// all the first one (`"in:N"`).
    pub follow: bool,
}

impl InputChannels {
    /// Reads `"in"` or `"in:N"` (N from 1); `None` for anything else (a sound's name).
    pub fn parse(text: &str) -> Option<InputChannels> {
        if text == "in" {
            return Some(InputChannels {
                first: 0,
                follow: true,
            });
        }
        let n: usize = text.strip_prefix("in:")?.parse().ok()?;
        (1..=super::live_input::MAX_INPUT_CHANNELS)
            .contains(&n)
            .then(|| InputChannels {
                first: n - 1,
                follow: false,
            })
    }

    /// The input channel model channel `c` hears, with `available` input channels (≥ 1).
    pub fn source(&self, c: usize, available: usize) -> usize {
        let want = if self.follow {
            self.first + c
        } else {
            self.first
        };
        want.min(available.saturating_sub(1))
    }
}

/// A stream's input fed from the live input by the audio side.
struct LiveFeed {
    ring: rtrb::Producer<f32>,
    channels: InputChannels,
    /// The model's input channels.
    model_channels: usize,
}

/// The audio side of a stream: pops computed audio.
pub struct StreamOutput {
    ring: rtrb::Consumer<f32>,
    channels: usize,
    playback: Arc<StreamPlayback>,
    live: Option<LiveFeed>,
}

impl StreamOutput {
    /// The reader of `ring` (interleaved, `channels` per frame), counting
    /// underruns in `playback`, which the worker filling `ring` shares.
    pub fn new(
        ring: rtrb::Consumer<f32>,
        channels: usize,
        playback: Arc<StreamPlayback>,
    ) -> StreamOutput {
        StreamOutput {
            ring,
            channels,
            playback,
            live: None,
        }
    }

    /// This output also feeds the stream's input from the live input: the
    /// audio side pushes each block's input into `ring` (interleaved,
    /// `model_channels` per frame) just before it pops the block's output,
    /// so input and output share the engine's clock exactly.
    pub fn with_live_input(
        mut self,
        ring: rtrb::Producer<f32>,
        channels: InputChannels,
        model_channels: usize,
    ) -> StreamOutput {
        self.live = Some(LiveFeed {
            ring,
            channels,
            model_channels: model_channels.max(1),
        });
        self
    }

    /// Whether the stream listens to the live input.
    pub fn hears_live_input(&self) -> bool {
        self.live.is_some()
    }

    /// Pushes one block of live input (`input` interleaved, `available`
    /// channels; with none, silence of `frames` frames) into the stream's
    /// input. Returns the frames that did not fit (the worker is behind).
    /// Audio thread: never waits, locks or allocates.
    pub fn feed_live(&mut self, input: &[f32], available: usize, frames: usize) -> u64 {
        let Some(live) = self.live.as_mut() else {
            return 0;
        };
        let mc = live.model_channels;
        let fit = (live.ring.slots() / mc).min(frames);
        if fit > 0 {
            if let Ok(mut chunk) = live.ring.write_chunk(fit * mc) {
                let (a, b) = chunk.as_mut_slices();
                for (k, v) in a.iter_mut().chain(b.iter_mut()).enumerate() {
                    let (i, c) = (k / mc, k % mc);
                    *v = if available == 0 {
                        0.0
                    } else {
                        input[i * available + live.channels.source(c, available)]
                    };
                }
                chunk.commit_all();
            }
            let queued = live.ring.buffer().capacity() - live.ring.slots();
            self.playback.wake.input_came(queued);
        }
        (frames - fit) as u64
    }

    /// An output that plays whatever another thread pushes into `ring`
    /// (interleaved, `channels` per frame), with no model behind it: for
    /// driving the mixer offline in tests, or any generator that fills a
    /// ring. It is never "playing", so a short ring is silence, not an
    /// underrun.
    pub fn from_ring(ring: rtrb::Consumer<f32>, channels: usize) -> StreamOutput {
        StreamOutput::new(ring, channels.max(1), Arc::default())
    }

    /// Interleaved output channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames ready to play now.
    pub fn available(&self) -> usize {
        self.ring.slots() / self.channels.max(1)
    }

    /// Fills `out` (interleaved, `channels()` per frame) from the ring.
    /// Called on the audio thread: never waits, locks, allocates or prints.
    /// What the ring lacks is silence; while playing that is an underrun,
    /// counted, and the worker skips the missed frames to stay on time.
    pub fn process(&mut self, out: &mut [f32]) {
        let ch = self.channels.max(1);
        let want = out.len() / ch * ch;
        let n = want.min(self.ring.slots() / ch * ch);
        if n > 0 {
            if let Ok(chunk) = self.ring.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                out[..a.len()].copy_from_slice(a);
                out[a.len()..a.len() + b.len()].copy_from_slice(b);
                chunk.commit_all();
            }
            let free = self.ring.buffer().capacity() - self.ring.slots();
            self.playback.wake.room_made(free);
        }
        out[n..].fill(0.0);
        let p = &self.playback;
        if n < want && p.playing.load(Ordering::Relaxed) {
            let missed = ((want - n) / ch) as u64;
            p.underruns.fetch_add(1, Ordering::Relaxed);
            p.missed_frames.fetch_add(missed, Ordering::Relaxed);
            p.skip.fetch_add(missed, Ordering::Relaxed);
        }
    }
}
