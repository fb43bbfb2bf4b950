//! The ring that joins a cpal input stream's callback to the output's.
//! cpal opens input and output as two streams with two callbacks, each on
//! its own device clock; this small fixed-capacity SPSC ring carries the
//! input frames across, and the output side keeps it near a target fill
//! so input and output stay on one clock. (With JACK, loam reads the
//! input in the output's own callback and needs no ring.)
//!
//! Bursts. Each side notes the frames of every device callback
//! ([`InputRingWriter::begin_callback`], [`InputRingReader::begin_callback`]),
//! and the target the reader keeps is the larger of the latency asked for
//! and the largest input callback plus twice the largest output callback
//! seen: a whole input period can arrive just after the output asked for
//! one, and an output stream fills its device buffer (two periods, in
//! cpal's ALSA host) with two callbacks back to back when it starts and
//! after an xrun. So devices that pick long periods themselves (the
//! ALSA JACK plugin, with no `--buffer`, gives both streams 16,384-frame
//! periods) cost latency, never lost audio; the ring holds
//! [`MAX_INPUT_RING_FRAMES`] frames, so the target stops at a quarter of it.
//!
//! Drift. Two device clocks differ by some parts per million, and
//! callbacks come in bursts. The reader waits (playing silence, not
//! counted) until the ring first holds its target, skips what it holds
//! beyond the target then (input from before the output started: the
//! input stream starts first), then each output block takes exactly its
//! frames. Over its first [`LEARN_READS`] reads it learns the fill it
//! finds in steady state (where the callbacks' phase and the output's
//! start set it). When the fill has drifted above that by more than the
//! tolerance (half the target, or an input and an output callback if
//! more), one extra frame is dropped in that block; below it, one frame is
//! repeated (the block takes one frame less). A block that finds fewer frames than it needs repeats the last
//! frame for the rest and waits for the target again (silence, counted
//! as repeated). Every dropped or repeated frame is counted
//! ([`super::EngineStatus::input_dropped`], `input_repeated`), so drift
//! shows as a slow count, a broken input as a fast one. What the input
//! callback cannot fit is dropped and counted too.
//!
//! Both ends are wait-free: no lock, allocation or wait on either callback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rtrb::{Consumer, Producer, RingBuffer};

use super::live_input::MAX_INPUT_CHANNELS;
use super::status::EngineStatus;

/// Frames the ring holds (per channel): 262,144, 5.5 s at 48 kHz. The
/// target stops at a quarter of it, 65,536 frames, above the 49,152 that
/// 16,384-frame periods need (the longest a device gave in loam's tests:
/// the ALSA JACK plugin with its own default buffer), with room above it
/// for the drift tolerance (half the target) and a period arriving. 8 MiB
/// at 8 channels, 2 MiB at 2, allocated when the input opens.
pub const MAX_INPUT_RING_FRAMES: usize = 262_144;

/// Reads after priming over which the reader learns the fill it finds in
/// steady state (its callbacks' phase against the input's, and an output
/// that filled its device buffer at start, set where that is): 32, at least
/// a few periods of either stream at any block size.
pub const LEARN_READS: usize = 32;

/// The input side (the input stream's callback).
pub struct InputRingWriter {
    ring: Producer<f32>,
    channels: usize,
    status: Arc<EngineStatus>,
    /// The largest input callback seen, in frames, for the reader.
    burst: Arc<AtomicUsize>,
    /// The same, kept here so a callback stores only a new largest.
    largest: usize,
}

/// The output side (the output stream's callback).
pub struct InputRingReader {
    ring: Consumer<f32>,
    channels: usize,
    /// The latency asked for, in frames: the least target.
    latency: usize,
    target: usize,
    tolerance: usize,
    primed: bool,
    /// Primed once: waiting again after that is counted.
    started: bool,
    /// The fill the reads find in steady state, learned over the first
    /// [`LEARN_READS`] reads after priming: drift is measured from it.
    center: Option<usize>,
    /// The fills found while learning it, summed, and how many.
    learned: (usize, usize),
    last: [f32; MAX_INPUT_CHANNELS],
    status: Arc<EngineStatus>,
    /// The largest input callback the writer has seen, in frames.
    burst: Arc<AtomicUsize>,
    /// The largest output callback seen, in frames.
    block: usize,
}

/// A ring for `channels` channels (1 … [`MAX_INPUT_CHANNELS`]) kept near
/// `latency` frames (the added latency; at least one output block) or, if
/// larger, the largest input callback plus twice the largest output callback,
/// within half that. It holds [`MAX_INPUT_RING_FRAMES`] frames.
pub fn input_ring(
    channels: usize,
    latency: usize,
    status: Arc<EngineStatus>,
) -> (InputRingWriter, InputRingReader) {
    let channels = channels.clamp(1, MAX_INPUT_CHANNELS);
    let latency = latency.clamp(1, MAX_INPUT_RING_FRAMES / 4);
    let (tx, rx) = RingBuffer::new(MAX_INPUT_RING_FRAMES * channels);
    let burst = Arc::new(AtomicUsize::new(0));
    (
        InputRingWriter {
            ring: tx,
            channels,
            status: status.clone(),
            burst: burst.clone(),
            largest: 0,
        },
        InputRingReader {
            ring: rx,
            channels,
            latency,
            target: latency,
            tolerance: (latency / 2).max(1),
            primed: false,
            started: false,
            center: None,
            learned: (0, 0),
            last: [0.0; MAX_INPUT_CHANNELS],
            status,
            burst,
            block: 0,
        },
    )
}

impl InputRingWriter {
    /// Notes that a device callback of `frames` frames begins (before its
    /// pushes). Input callback: a relaxed store when it is the largest yet.
    pub fn begin_callback(&mut self, frames: usize) {
        if frames > self.largest {
            self.largest = frames;
            self.burst.store(frames, Ordering::Relaxed);
        }
    }

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

    /// The fill the reader keeps now, in frames (see the module).
    pub fn target(&self) -> usize {
        self.target
    }

    /// Notes that an output callback of `frames` frames begins (before its
    /// reads), and grows the target when the callbacks have grown. Output
    /// callback: no wait, lock or allocation.
    pub fn begin_callback(&mut self, frames: usize) {
        self.block = self.block.max(frames);
        let needed = self.burst.load(Ordering::Relaxed) + 2 * self.block;
        let target = self.latency.max(needed).min(MAX_INPUT_RING_FRAMES / 4);
        // A fill may swing by a whole input and output callback within
        // one cycle without any drift.
        let swing = self.burst.load(Ordering::Relaxed) + self.block;
        self.tolerance = (target / 2).max(swing).max(1);
        if target != self.target {
            self.target = target;
            self.center = None;
            self.learned = (0, 0);
        }
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
                if self.started {
                    self.status
                        .input_repeated
                        .fetch_add(frames as u64, Ordering::Relaxed);
                }
                return;
            }
            // Input from before the output started (or before the ring
            // ran dry) is older than the target: start at the target.
            let excess = (fill - self.target) * ch;
            if excess > 0 {
                if let Ok(chunk) = self.ring.read_chunk(excess) {
                    chunk.commit_all();
                }
            }
            self.primed = true;
            self.started = true;
            self.center = None;
            self.learned = (0, 0);
        }
        let fill = self.fill();
        // One frame more or less than the block, when the fill has drifted
        // from where it settled.
        let (take, skip) = match self.center {
            None => {
                self.learned.0 += fill;
                self.learned.1 += 1;
                if self.learned.1 >= LEARN_READS {
                    self.center = Some(self.learned.0 / self.learned.1);
                }
                (frames, 0)
            }
            Some(center) if fill > center + self.tolerance && fill > frames => (frames, 1),
            Some(center) if fill + self.tolerance < center && frames > 1 => (frames - 1, 0),
            Some(_) => (frames, 0),
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
        // What the ring lacked (or the one frame held back): the last frame
        // again. A ring that ran dry waits for its target again, so one
        // late period costs one gap, not a gap in every block after it.
        for f in have..frames {
            out[f * ch..(f + 1) * ch].copy_from_slice(&self.last[..ch]);
        }
        if have < take {
            self.primed = false;
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
        // The 72 frames beyond the target that waited before the first
        // read are skipped (a backlog from before the output started).
        assert_eq!(got, ramp(72, 192));
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
        w.push(&ramp(0, MAX_INPUT_RING_FRAMES + 100), 1);
        assert_eq!(EngineStatus::get(&status.input_dropped), 100);
    }

    /// The input stream starts before the output: its backlog is skipped
    /// when the reader first reaches its target, not drained one frame a
    /// block (which took seconds and counted a drop in every block).
    #[test]
    fn a_backlog_from_before_the_output_started_is_skipped_at_once() {
        let status = Arc::new(EngineStatus::default());
        let (mut w, mut r) = input_ring(1, 512, status.clone());
        w.begin_callback(256);
        w.push(&ramp(0, 10_000), 1);
        let mut out = vec![0.0; 256];
        let mut got = Vec::new();
        for k in 0..100 {
            r.begin_callback(256);
            r.read(&mut out);
            got.extend_from_slice(&out);
            w.push(&ramp(10_000 + k * 256, 256), 1);
        }
        // The first frame heard is the target's worth (an input callback and
        // two output callbacks: 768 frames) before the end of the backlog.
        assert_eq!(got[0], (10_000 - 768) as f32);
        for pair in got.windows(2) {
            assert_eq!(pair[1], pair[0] + 1.0);
        }
        assert_eq!(EngineStatus::get(&status.input_dropped), 0);
        assert_eq!(EngineStatus::get(&status.input_repeated), 0);
    }

    /// An output stream starts by filling its two-period device buffer
    /// (two callbacks back to back), and then the input's thread wakes a
    /// period late once: the target of an input period plus two output
    /// callbacks keeps a period in hand through both, so nothing is lost
    /// or repeated. (With an input period plus one output callback the
    /// late period found the ring dry.)
    #[test]
    fn an_output_filling_its_buffer_and_a_late_input_period_lose_nothing() {
        const P: usize = 256;
        let status = Arc::new(EngineStatus::default());
        let (mut w, mut r) = input_ring(1, 1, status.clone());
        let mut at = 0;
        let mut push = |w: &mut InputRingWriter| {
            w.begin_callback(P);
            w.push(&ramp(at, P), 1);
            at += P;
        };
        let mut out = vec![0.0; P];
        let mut got = Vec::new();
        let mut read = |r: &mut InputRingReader, got: &mut Vec<f32>| {
            r.begin_callback(P);
            r.read(&mut out);
            got.extend_from_slice(&out);
        };
        // The input starts first; the output's first two callbacks come at once.
        for _ in 0..3 {
            push(&mut w);
        }
        read(&mut r, &mut got);
        read(&mut r, &mut got);
        for k in 0..20 {
            if k != 10 {
                push(&mut w);
            }
            if k == 11 {
                push(&mut w); // the late period
            }
            read(&mut r, &mut got);
        }
        assert_eq!(r.target(), 3 * P);
        let first = got.iter().position(|v| *v != 0.0).unwrap() - 1;
        for (i, v) in got[first..].iter().enumerate() {
            assert_eq!(*v, got[first] + i as f32, "frame {i}");
        }
        assert_eq!(EngineStatus::get(&status.input_dropped), 0);
        assert_eq!(EngineStatus::get(&status.input_repeated), 0);
    }

    /// Devices that choose long periods (the ALSA JACK plugin's 16,384
    /// frames on both streams): the target grows to an input period plus
    /// two output callbacks, so a period arriving just after the output
    /// asked loses nothing, in either order of the callbacks, nor does an
    /// output that starts by filling its two-period buffer at once.
    #[test]
    fn long_device_periods_grow_the_target_and_lose_nothing() {
        const PERIOD: usize = 16_384;
        let status = Arc::new(EngineStatus::default());
        let (mut w, mut r) = input_ring(2, 512, status.clone());
        let stereo = |from: usize, n: usize| -> Vec<f32> {
            (from..from + n)
                .flat_map(|i| [i as f32, -(i as f32)])
                .collect()
        };
        let mut out = vec![0.0; PERIOD * 2];
        let (mut at, mut got) = (0, Vec::new());
        // Output before input in odd periods, after it in even ones.
        for k in 0..40 {
            if k % 2 == 1 {
                r.begin_callback(PERIOD);
                r.read(&mut out);
                got.extend(out.chunks_exact(2).map(|f| f[0]));
            }
            w.begin_callback(PERIOD);
            w.push(&stereo(at, PERIOD), 2);
            at += PERIOD;
            if k % 2 == 0 {
                r.begin_callback(PERIOD);
                r.read(&mut out);
                got.extend(out.chunks_exact(2).map(|f| f[0]));
            }
        }
        assert_eq!(r.target(), 3 * PERIOD);
        // Silence while priming, then every frame once, in order.
        let first = got.iter().position(|v| *v != 0.0).unwrap();
        let heard = &got[first..];
        assert!(heard.len() > 30 * PERIOD);
        for (i, v) in heard.iter().enumerate() {
            assert_eq!(*v, heard[0] + i as f32, "frame {i}");
        }
        assert_eq!(EngineStatus::get(&status.input_dropped), 0);
        assert_eq!(EngineStatus::get(&status.input_repeated), 0);
    }
}
