//! The ring that joins a cpal input stream's callback to the output's.
//! cpal opens input and output as two streams with two callbacks, each on
//! its own device clock; this small fixed-capacity SPSC ring carries the
//! input frames across, and the output side keeps it near a target fill
//! so input and output stay on one clock. (With JACK, loam reads the
//! input in the output's own callback and needs no ring.)
//!
//! Drift. Two device clocks differ by some parts per million, and
//! callbacks come in bursts. The reader waits (playing silence, not
//! counted) until the ring first holds its target, then each output
//! block takes exactly its frames. When the fill has drifted above the
//! target by more than the tolerance, one extra frame is dropped in that
//! block; below it, one frame is repeated (the block takes one frame
//! less). A block that finds fewer frames than it needs repeats the last
//! frame for the rest. Every dropped or repeated frame is counted
//! ([`super::EngineStatus::input_dropped`], `input_repeated`), so drift
//! shows as a slow count, a broken input as a fast one. What the input
//! callback cannot fit is dropped and counted too.
//!
//! Both ends are wait-free: no lock, allocation or wait on either callback.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use rtrb::{Consumer, Producer, RingBuffer};

use super::live_input::MAX_INPUT_CHANNELS;
use super::status::EngineStatus;

/// The input side (the input stream's callback).
pub struct InputRingWriter {
    ring: Producer<f32>,
    channels: usize,
    status: Arc<EngineStatus>,
}

/// The output side (the output stream's callback).
pub struct InputRingReader {
    ring: Consumer<f32>,
    channels: usize,
    target: usize,
    tolerance: usize,
    primed: bool,
    last: [f32; MAX_INPUT_CHANNELS],
    status: Arc<EngineStatus>,
}

/// A ring for `channels` channels (1 … [`MAX_INPUT_CHANNELS`]) kept near
/// `target` frames (the added latency; at least one output block), within
/// `target / 2`. It holds four targets.
pub fn input_ring(
    channels: usize,
    target: usize,
    status: Arc<EngineStatus>,
) -> (InputRingWriter, InputRingReader) {
    let channels = channels.clamp(1, MAX_INPUT_CHANNELS);
    let target = target.max(1);
    let (tx, rx) = RingBuffer::new(target * 4 * channels);
    (
        InputRingWriter {
            ring: tx,
            channels,
            status: status.clone(),
        },
        InputRingReader {
            ring: rx,
            channels,
            target,
            tolerance: (target / 2).max(1),
            primed: false,
            last: [0.0; MAX_INPUT_CHANNELS],
            status,
        },
    )
}

impl InputRingWriter {
    /// Pushes interleaved frames of `device_channels` channels, keeping the
    /// ring's first channels (a missing channel repeats the device's last).
    /// Input callback: never waits; frames that do not fit are dropped and counted.
    pub fn push(&mut self, data: &[f32], device_channels: usize) {
        let dc = device_channels.max(1);
        let frames = data.len() / dc;
        let ch = self.channels;
        let fit = (self.ring.slots() / ch).min(frames);
        if fit < frames {
            self.status
                .input_dropped
                .fetch_add((frames - fit) as u64, Ordering::Relaxed);
        }
        if fit == 0 {
            return;
        }
        if let Ok(mut chunk) = self.ring.write_chunk(fit * ch) {
            let (a, b) = chunk.as_mut_slices();
            for (k, v) in a.iter_mut().chain(b.iter_mut()).enumerate() {
                let (i, c) = (k / ch, k % ch);
                *v = data[i * dc + c.min(dc - 1)];
            }
            chunk.commit_all();
        }
    }
}

impl InputRingReader {
    /// Channels per frame the reader gives.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames waiting in the ring.
    pub fn fill(&self) -> usize {
        self.ring.slots() / self.channels
    }

    /// Fills `out` (interleaved, `channels()` per frame) with the next
    /// input frames, correcting drift as the module says. Output callback:
    /// never waits, locks or allocates.
    pub fn read(&mut self, out: &mut [f32]) {
        let ch = self.channels;
        let frames = out.len() / ch;
        let fill = self.fill();
        if !self.primed {
            if fill < self.target {
                out.fill(0.0);
                return;
            }
            self.primed = true;
        }
        // One frame more or less than the block, when the fill has drifted.
        let (take, skip) = if fill > self.target + self.tolerance + frames {
            (frames, 1)
        } else if fill + self.tolerance < self.target && frames > 1 {
            (frames - 1, 0)
        } else {
            (frames, 0)
        };
        if skip > 0 {
            if let Ok(chunk) = self.ring.read_chunk(ch) {
                chunk.commit_all();
            }
            self.status.input_dropped.fetch_add(1, Ordering::Relaxed);
        }
        let have = (self.fill()).min(take);
        if have > 0 {
            if let Ok(chunk) = self.ring.read_chunk(have * ch) {
                let (a, b) = chunk.as_slices();
                out[..a.len()].copy_from_slice(a);
                out[a.len()..a.len() + b.len()].copy_from_slice(b);
                chunk.commit_all();
            }
            self.last[..ch].copy_from_slice(&out[(have - 1) * ch..have * ch]);
        }
        // What the ring lacked (or the one frame held back): the last frame again.
        for f in have..frames {
            out[f * ch..(f + 1) * ch].copy_from_slice(&self.last[..ch]);
        }
        if frames > have {
            self.status
                .input_repeated
                .fetch_add((frames - have) as u64, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(from: usize, n: usize) -> Vec<f32> {
        (from..from + n).map(|i| i as f32).collect()
    }

    #[test]
    fn frames_pass_in_order_once_the_target_is_reached() {
        let status = Arc::new(EngineStatus::default());
        let (mut w, mut r) = input_ring(1, 128, status.clone());
        let mut out = vec![9.0; 64];
        w.push(&ramp(0, 100), 1);
        r.read(&mut out);
        assert!(out.iter().all(|v| *v == 0.0), "silence until primed");
        w.push(&ramp(100, 100), 1);
        let mut got = Vec::new();
        for k in 0..3 {
            r.read(&mut out);
            got.extend_from_slice(&out);
            w.push(&ramp(200 + k * 64, 64), 1);
        }
        assert_eq!(got, ramp(0, 192));
        assert_eq!(EngineStatus::get(&status.input_dropped), 0);
        assert_eq!(EngineStatus::get(&status.input_repeated), 0);
    }

    #[test]
    fn a_fast_input_loses_one_frame_a_block_and_a_slow_one_repeats_one() {
        let status = Arc::new(EngineStatus::default());
        let (mut w, mut r) = input_ring(2, 64, status.clone());
        let stereo = |from: usize, n: usize| -> Vec<f32> {
            (from..from + n)
                .flat_map(|i| [i as f32, -(i as f32)])
                .collect()
        };
        w.push(&stereo(0, 64), 2);
        let mut out = vec![0.0; 32 * 2];
        // The input clock runs fast: 33 frames in for every 32 out.
        let mut at = 64;
        for _ in 0..200 {
            w.push(&stereo(at, 33), 2);
            at += 33;
            r.read(&mut out);
            assert!(r.fill() <= 64 + 32 + 32 + 33, "fill {}", r.fill());
        }
        assert!(EngineStatus::get(&status.input_dropped) > 0);
        assert_eq!(EngineStatus::get(&status.input_repeated), 0);
        // Then slow: 31 in for every 32 out. Frames stay in order (a
        // repeated one at most), channels together.
        let mut previous = out[out.len() - 2];
        for _ in 0..200 {
            w.push(&stereo(at, 31), 2);
            at += 31;
            r.read(&mut out);
            assert!(r.fill() + 32 + 1 >= 64 - 32, "fill {}", r.fill());
            for f in out.chunks_exact(2) {
                assert_eq!(f[0], -f[1]);
                assert!(f[0] == previous || f[0] == previous + 1.0 || f[0] == previous + 2.0);
                previous = f[0];
            }
        }
        assert!(EngineStatus::get(&status.input_repeated) > 0);
    }

    #[test]
    fn a_full_ring_drops_and_counts_what_does_not_fit() {
        let status = Arc::new(EngineStatus::default());
        let (mut w, _r) = input_ring(1, 16, status.clone());
        w.push(&ramp(0, 100), 1);
        assert_eq!(EngineStatus::get(&status.input_dropped), 100 - 64);
    }
}
