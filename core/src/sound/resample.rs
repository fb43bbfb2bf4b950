//! Sample-rate conversion: one Kaiser-windowed sinc interpolator for whole
//! samples at load time ([`resample`]) and for model streams
//! ([`StreamResampler`], which keeps state across buffers).
//!
//! Each output frame is a weighted sum of the input frames around its exact
//! position. The kernel is `sinc` windowed by a Kaiser window (β = 8.6,
//! sidelobes around −90 dB) spanning 16 zero crossings on each side, i.e. 32
//! taps when upsampling. When downsampling the kernel is stretched by the
//! rate ratio, so its cut-off follows the new Nyquist frequency and nothing
//! above it aliases. The cut-off sits at 95 % of the lower Nyquist frequency,
//! which keeps the passband flat to about 18 kHz at 44.1/48 kHz.
//!
//! Output positions are exact integers (`j × from / to` as quotient and
//! remainder, the rates reduced by their common divisor), so long samples
//! and streams do not drift, and buffers of any size give the same output as
//! one long call. The kernel is symmetric and output frame `j` sits exactly
//! at input time `j × from / to`: the conversion adds no delay to the
//! timeline, only look-ahead (an output frame is made once the kernel's half
//! width of input frames after it has arrived). The kernel is tabulated (512
//! points per zero crossing, linearly interpolated), and each frame's weights
//! are normalised to sum to one, so DC passes unchanged.
//!
//! Costs about 35 multiply-adds per output sample when upsampling (more when
//! downsampling, as the kernel widens). Output positions repeat every `to`
//! frames of the reduced rates (147 or 160 between 44.1 and 48 kHz), so the
//! weights of each such phase are computed once (up to
//! [`MAX_CACHED_WEIGHTS`]). It runs on loading threads and model worker
//! threads, never on the audio thread: it allocates.

/// Zero crossings of the sinc on each side of the centre.
const ZERO_CROSSINGS: usize = 16;
/// Table points per zero crossing.
const OVERSAMPLE: usize = 512;
/// Kaiser window shape.
const BETA: f64 = 8.6;
/// Cut-off as a fraction of the lower of the two Nyquist frequencies.
const CUTOFF: f64 = 0.95;

/// Converts interleaved `input` with `channels` channels from `from` Hz to
/// `to` Hz. The result has `ceil(frames × to / from)` frames. Equal rates (or
/// a zero rate, which is meaningless) return the input unchanged.
pub fn resample(input: &[f32], channels: usize, from: u32, to: u32) -> Vec<f32> {
    let channels = channels.max(1);
    if from == to || from == 0 || to == 0 || input.is_empty() {
        return input.to_vec();
    }
    let frames = input.len() / channels;
    let out_frames = (frames as u128 * u128::from(to)).div_ceil(u128::from(from)) as usize;
    let mut r = StreamResampler::new(channels, from, to);
    let mut out = Vec::with_capacity(out_frames * channels);
    r.process(&input[..frames * channels], &mut out);
    // Silence after the end, so the last frames get their look-ahead.
    r.process(&vec![0.0; r.half * channels], &mut out);
    out.truncate(out_frames * channels);
    out
}

/// A sample-rate converter that keeps state across buffers (a model's input
/// and output streams): the same filter as [`resample`], fed piece by piece.
pub struct StreamResampler {
    channels: usize,
    /// The rates, divided by their greatest common divisor.
    from: u64,
    to: u64,
    /// Kernel half width in input frames.
    half: usize,
    /// The kernel's cut-off, as a fraction of the input's Nyquist frequency.
    cutoff: f64,
    /// The right half of the windowed sinc (see [`kernel_table`]).
    table: Vec<f64>,
    /// Interleaved input frames not yet fully used.
    history: Vec<f32>,
    /// Position of the next output frame in `history`: `base + frac / to`.
    base: usize,
    frac: u64,
    /// Every phase's `2 × half` weights, then its normalising factor
    /// (empty when there are more than [`MAX_CACHED_WEIGHTS`]).
    phases: Vec<f64>,
    /// One frame's weights and factor, when the phases are not cached.
    weights: Vec<f64>,
}

/// The most kernel weights a stream converter computes once for all its
/// phases (one phase per reduced output step: 147 or 160 between 44.1 and
/// 48 kHz), in `f64`s: 64 Ki, 512 KiB. Above it (unusual rate pairs) each
/// frame's weights are computed as it is made.
pub const MAX_CACHED_WEIGHTS: usize = 1 << 16;

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
            (ZERO_CROSSINGS as f64 / cutoff).ceil() as usize
        };
        // `half` silent frames before the start: the first output frame is
        // centred on the first input frame.
        let history = vec![0.0; half * channels.max(1)];
        let mut r = StreamResampler {
            channels: channels.max(1),
            from,
            to,
            half,
            cutoff,
            table: if half == 0 {
                Vec::new()
            } else {
                kernel_table()
            },
            history,
            base: half,
            frac: 0,
            phases: Vec::new(),
            weights: Vec::with_capacity(2 * half + 1),
        };
        let row = 2 * half + 1;
        if half > 0 && (to as usize).saturating_mul(row) <= MAX_CACHED_WEIGHTS {
            let mut phases = Vec::with_capacity(to as usize * row);
            for frac in 0..to {
                r.phase_weights(frac, &mut phases);
            }
            r.phases = phases;
        }
        r
    }

    /// Appends the weights of the input frames around an output frame at
    /// `frac / to` past an input frame, then their normalising factor.
    fn phase_weights(&self, frac: u64, out: &mut Vec<f64>) {
        let frac = frac as f64 / self.to as f64;
        let mut sum = 0.0;
        for k in 0..2 * self.half {
            let w = self.weight((k as f64 + 1.0 - self.half as f64) - frac);
            out.push(w);
            sum += w;
        }
        out.push(if sum.abs() > 1e-9 { 1.0 / sum } else { 0.0 });
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

    /// The kernel's weight for an input frame `d` frames from the output
    /// position (either side).
    fn weight(&self, d: f64) -> f64 {
        let x = (d * self.cutoff).abs() * OVERSAMPLE as f64;
        let i = x as usize;
        if i + 1 >= self.table.len() {
            return 0.0;
        }
        let t = x - i as f64;
        self.table[i] + (self.table[i + 1] - self.table[i]) * t
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
        let row = 2 * self.half + 1;
        while self.base + self.half < frames {
            let first = self.base + 1 - self.half;
            let weights: &[f64] = if self.phases.is_empty() {
                let mut w = std::mem::take(&mut self.weights);
                w.clear();
                self.phase_weights(self.frac, &mut w);
                self.weights = w;
                &self.weights
            } else {
                let at = self.frac as usize * row;
                &self.phases[at..at + row]
            };
            let (weights, norm) = weights.split_at(row - 1);
            for c in 0..ch {
                let mut acc = 0.0f64;
                for (i, w) in weights.iter().enumerate() {
                    acc += w * f64::from(self.history[(first + i) * ch + c]);
                }
                out.push((acc * norm[0]) as f32);
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

/// The right half of the windowed sinc, sampled `OVERSAMPLE` times per zero
/// crossing, with one extra zero point for interpolation at the edge.
fn kernel_table() -> Vec<f64> {
    let len = ZERO_CROSSINGS * OVERSAMPLE;
    let i0_beta = bessel_i0(BETA);
    let mut table: Vec<f64> = (0..=len)
        .map(|i| {
            let u = i as f64 / OVERSAMPLE as f64;
            let r = u / ZERO_CROSSINGS as f64;
            let window = bessel_i0(BETA * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
            sinc(u) * window
        })
        .collect();
    table.push(0.0);
    table
}

fn sinc(u: f64) -> f64 {
    if u == 0.0 {
        1.0
    } else {
        let x = std::f64::consts::PI * u;
        x.sin() / x
    }
}

/// Modified Bessel function of the first kind, order zero (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= (half / k as f64) * (half / k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
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
    use std::f64::consts::PI;

    fn sine(freq: f64, rate: u32, frames: usize) -> Vec<f32> {
        (0..frames)
            .map(|i| (2.0 * PI * freq * i as f64 / f64::from(rate)).sin() as f32 * 0.5)
            .collect()
    }

    /// Amplitude of the middle half of a mono signal.
    fn middle_peak(x: &[f32]) -> f32 {
        x[x.len() / 4..3 * x.len() / 4]
            .iter()
            .fold(0.0, |p, v| p.max(v.abs()))
    }

    #[test]
    fn lengths_follow_the_ratio() {
        assert_eq!(resample(&[0.0; 44100], 1, 44100, 48000).len(), 48000);
        assert_eq!(resample(&[0.0; 200], 2, 96000, 48000).len(), 100);
        assert_eq!(resample(&[0.0; 3], 1, 44100, 48000).len(), 4);
        assert_eq!(resample(&[0.5; 7], 1, 48000, 48000), vec![0.5; 7]);
    }

    #[test]
    fn dc_passes_unchanged() {
        let out = resample(&[0.25; 4410], 1, 44100, 48000);
        for v in &out[100..out.len() - 100] {
            assert!((v - 0.25).abs() < 1e-5, "{v}");
        }
    }

    #[test]
    fn passband_sine_keeps_its_amplitude() {
        let out = resample(&sine(10000.0, 44100, 4410), 1, 44100, 48000);
        assert!((middle_peak(&out) - 0.5).abs() < 0.01);
    }

    #[test]
    fn downsampling_rejects_what_would_alias() {
        // 30 kHz at 96 kHz would fold to 18 kHz at 48 kHz.
        let out = resample(&sine(30000.0, 96000, 9600), 1, 96000, 48000);
        assert!(middle_peak(&out) < 0.001, "{}", middle_peak(&out));
    }

    #[test]
    fn stereo_channels_stay_separate() {
        let input: Vec<f32> = (0..2000).flat_map(|_| [0.5, -0.25]).collect();
        let out = resample(&input, 2, 48000, 44100);
        for frame in out[200..out.len() - 200].chunks(2) {
            assert!((frame[0] - 0.5).abs() < 1e-5 && (frame[1] + 0.25).abs() < 1e-5);
        }
    }

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
    fn cached_phases_give_what_each_frame_computed_alone_gives() {
        let input: Vec<f32> = (0..6000).map(|i| (i as f32 * 0.013).sin()).collect();
        for (from, to) in [(44_100, 48_000), (48_000, 44_100), (96_000, 48_000)] {
            let mut cached = StreamResampler::new(1, from, to);
            assert!(!cached.phases.is_empty(), "{from} -> {to}");
            let mut alone = StreamResampler::new(1, from, to);
            alone.phases.clear();
            assert_eq!(run(&mut cached, &input, 300), run(&mut alone, &input, 300));
        }
        // 48 001 phases: past the cache, computed frame by frame.
        assert!(StreamResampler::new(1, 44_100, 48_001).phases.is_empty());
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
