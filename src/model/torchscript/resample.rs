//! Streaming sample-rate conversion between the engine's rate and a model's.
//!
//! `crate::sound::resample` converts a whole sample at load time; a stream
//! needs state across buffers. This is the same kind of filter (a windowed
//! sinc, tabulated, weights normalised so DC passes unchanged) with a
//! history of input frames and an exact integer output position, so
//! buffers of any size give the same output as one long call.
//!
//! The kernel is symmetric and output frame `j` sits exactly at input time
//! `j × from / to`: the conversion adds no delay to the timeline, only
//! look-ahead (an output frame is produced once `HALF_WIDTH` input frames
//! after it have arrived). 8 zero crossings each side and a Blackman window
//! (sidelobes near −58 dB): about 17 taps per output frame when upsampling.
//! Runs on model worker threads, never on the audio thread.

/// Zero crossings of the sinc on each side of the centre.
const ZERO_CROSSINGS: f64 = 8.0;
/// Table points per input frame of kernel width.
const OVERSAMPLE: f64 = 256.0;
/// Cut-off as a fraction of the lower Nyquist frequency.
const CUTOFF: f64 = 0.95;

pub struct StreamResampler {
    channels: usize,
    from: u64,
    to: u64,
    /// Kernel half width in input frames.
    half: usize,
    /// Kernel values at `OVERSAMPLE` points per input frame, from 0 to `half`.
    table: Vec<f32>,
    /// Interleaved input frames not yet fully used.
    history: Vec<f32>,
    /// Position of the next output frame in `history`: `base + frac / to`.
    base: usize,
    frac: u64,
    weights: Vec<f32>,
}

impl StreamResampler {
    /// A converter from `from` Hz to `to` Hz for interleaved frames of
    /// `channels`. Equal rates pass samples through untouched.
    pub fn new(channels: usize, from: u32, to: u32) -> StreamResampler {
        let g = gcd(u64::from(from.max(1)), u64::from(to.max(1)));
        let (from, to) = (u64::from(from.max(1)) / g, u64::from(to.max(1)) / g);
        let cutoff = CUTOFF * (to as f64 / from as f64).min(1.0);
        let half = if from == to {
            0
        } else {
            (ZERO_CROSSINGS / cutoff).ceil() as usize
        };
        let points = (half as f64 * OVERSAMPLE) as usize + 2;
        let table = (0..points)
            .map(|i| {
                let d = i as f64 / OVERSAMPLE;
                if d >= half as f64 {
                    return 0.0;
                }
                let x = std::f64::consts::PI * cutoff * d;
                let sinc = if d == 0.0 { 1.0 } else { x.sin() / x };
                let t = d / half as f64; // 0..1 across the half window
                let w = 0.42
                    + 0.5 * (std::f64::consts::PI * t).cos()
                    + 0.08 * (2.0 * std::f64::consts::PI * t).cos();
                (sinc * w) as f32
            })
            .collect();
        // `half` silent frames before the start: the first output frame is
        // centred on the first input frame.
        let history = vec![0.0; half * channels.max(1)];
        StreamResampler {
            channels: channels.max(1),
            from,
            to,
            half,
            table,
            history,
            base: half,
            frac: 0,
            weights: Vec::with_capacity(2 * half + 2),
        }
    }

    /// True when input passes through unchanged.
    pub fn is_identity(&self) -> bool {
        self.from == self.to
    }

    /// Output frames produced for `frames` input frames, at most.
    pub fn max_output(&self, frames: usize) -> usize {
        (frames as u64 * self.to).div_ceil(self.from) as usize + 1
    }

    /// Input frames needed before `frames` more output frames can be made.
    pub fn input_needed(&self, frames: usize) -> usize {
        if self.is_identity() {
            return frames;
        }
        let have = self.history.len() / self.channels;
        let last =
            self.base as u64 * self.to + self.frac + (frames as u64).saturating_sub(1) * self.from;
        let need = (last / self.to) as usize + self.half + 1;
        need.saturating_sub(have)
    }

    fn kernel(&self, d: f64) -> f32 {
        let x = d.abs() * OVERSAMPLE;
        let i = x as usize;
        if i + 1 >= self.table.len() {
            return 0.0;
        }
        let f = (x - i as f64) as f32;
        self.table[i] * (1.0 - f) + self.table[i + 1] * f
    }

    /// Converts interleaved `input`, appending what it can to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.is_identity() {
            out.extend_from_slice(input);
            return;
        }
        let ch = self.channels;
        self.history.extend_from_slice(input);
        let frames = self.history.len() / ch;
        while self.base + self.half < frames {
            let pos = self.base as f64 + self.frac as f64 / self.to as f64;
            let first = self.base + 1 - self.half;
            let last = self.base + self.half;
            self.weights.clear();
            let mut sum = 0.0f32;
            for k in first..=last {
                let w = self.kernel(pos - k as f64);
                self.weights.push(w);
                sum += w;
            }
            let norm = if sum.abs() > 1e-9 { 1.0 / sum } else { 0.0 };
            for c in 0..ch {
                let mut acc = 0.0f32;
                for (i, w) in self.weights.iter().enumerate() {
                    acc += w * self.history[(first + i) * ch + c];
                }
                out.push(acc * norm);
            }
            self.frac += self.from;
            self.base += (self.frac / self.to) as usize;
            self.frac %= self.to;
        }
        // Forget frames no output frame will need again.
        let keep_from = (self.base + 1).saturating_sub(self.half).min(frames);
        if keep_from > 0 {
            self.history.drain(..keep_from * ch);
            self.base -= keep_from;
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(r: &mut StreamResampler, input: &[f32], chunk: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for c in input.chunks(chunk) {
            r.process(c, &mut out);
        }
        out
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        let input: Vec<f32> = (0..5000).map(|i| (i as f32 * 0.01).sin()).collect();
        let a = run(&mut StreamResampler::new(1, 44100, 48000), &input, 5000);
        let b = run(&mut StreamResampler::new(1, 44100, 48000), &input, 37);
        assert_eq!(a, b);
    }

    #[test]
    fn a_sine_keeps_its_frequency_and_phase() {
        let (from, to) = (44100u32, 48000u32);
        let f = 1000.0f64;
        let input: Vec<f32> = (0..8820)
            .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / f64::from(from)).sin() as f32)
            .collect();
        let out = run(&mut StreamResampler::new(1, from, to), &input, 512);
        assert!(out.len() > 9000);
        for (j, y) in out.iter().enumerate().skip(100).take(8000) {
            let want = (2.0 * std::f64::consts::PI * f * j as f64 / f64::from(to)).sin() as f32;
            assert!((y - want).abs() < 2e-3, "frame {j}: {y} vs {want}");
        }
    }

    #[test]
    fn input_needed_is_enough_and_equal_rates_pass_through() {
        let mut r = StreamResampler::new(2, 48000, 44100);
        let need = r.input_needed(100);
        let mut out = Vec::new();
        r.process(&vec![0.5; need * 2], &mut out);
        assert!(out.len() / 2 >= 100, "{} frames from {need}", out.len() / 2);
        let mut id = StreamResampler::new(2, 48000, 48000);
        let mut out = Vec::new();
        id.process(&[1.0, 2.0, 3.0, 4.0], &mut out);
        assert_eq!(out, vec![1.0, 2.0, 3.0, 4.0]);
    }
}
