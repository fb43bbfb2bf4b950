//! Pitch and its confidence by YIN (de Cheveigné and Kawahara, 2002): the
//! cumulative-mean-normalised difference function of a frame, its first dip
//! below [`YIN_THRESHOLD`] (or its lowest point), refined by a parabola.
//! Confidence is one minus the dip's depth (1 for a pure periodic sound,
//! near 0 for noise). The difference function is computed through one
//! cross-correlation by FFT, so a frame costs three transforms instead of
//! window × lags multiply-adds.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// The dip that counts as the period, in the normalised difference (0.15).
pub const YIN_THRESHOLD: f64 = 0.15;

/// One frame's pitch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PitchEstimate {
    /// Fundamental frequency, in Hz.
    pub hz: f64,
    /// Confidence, 0 to 1.
    pub confidence: f64,
}

/// A YIN pitch tracker for frames of one size at one rate (it keeps its
/// transforms and buffers, so tracking allocates nothing per frame).
pub struct Yin {
    window: usize,
    min_lag: usize,
    max_lag: usize,
    sample_rate: u32,
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
    a: Vec<f64>,
    b: Vec<f64>,
    spec_a: Vec<Complex<f64>>,
    spec_b: Vec<Complex<f64>>,
    corr: Vec<f64>,
    diff: Vec<f64>,
    scratch: Vec<Complex<f64>>,
}

impl Yin {
    /// A tracker over `window`-frame frames, looking for pitches from
    /// `min_hz` to `max_hz` (the lowest is raised to what the window can
    /// hold: a period of at most `window` frames).
    pub fn new(window: usize, sample_rate: u32, min_hz: f64, max_hz: f64) -> Yin {
        let window = window.max(4);
        let rate = f64::from(sample_rate);
        let max_lag = ((rate / min_hz.max(1.0)).ceil() as usize).clamp(2, window);
        let min_lag = ((rate / max_hz.max(1.0)).floor() as usize).clamp(1, max_lag - 1);
        let size = (window + max_lag + 1).next_power_of_two();
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(size);
        let inverse = planner.plan_fft_inverse(size);
        let scratch = forward.make_scratch_vec();
        let scratch = if scratch.len() >= inverse.get_scratch_len() {
            scratch
        } else {
            inverse.make_scratch_vec()
        };
        Yin {
            window,
            min_lag,
            max_lag,
            sample_rate,
            a: forward.make_input_vec(),
            b: forward.make_input_vec(),
            spec_a: forward.make_output_vec(),
            spec_b: forward.make_output_vec(),
            corr: inverse.make_output_vec(),
            diff: vec![0.0; max_lag + 1],
            forward,
            inverse,
            scratch,
        }
    }

    /// Frames of signal a frame reads from its start: window plus the
    /// longest lag.
    pub fn span(&self) -> usize {
        self.window + self.max_lag
    }

    /// The pitch of the frame starting at `signal[0]` (shorter signals are
    /// read as followed by silence); `None` for a silent frame.
    pub fn estimate(&mut self, signal: &[f32]) -> Option<PitchEstimate> {
        let w = self.window;
        let span = self.span();
        self.a.iter_mut().for_each(|x| *x = 0.0);
        self.b.iter_mut().for_each(|x| *x = 0.0);
        for (i, &x) in signal.iter().take(span).enumerate() {
            self.b[i] = f64::from(x);
            if i < w {
                self.a[i] = f64::from(x);
            }
        }
        let energy0: f64 = self.a[..w].iter().map(|x| x * x).sum();
        if energy0 <= 1e-12 {
            return None;
        }
        self.forward
            .process_with_scratch(&mut self.a, &mut self.spec_a, &mut self.scratch)
            .ok()?;
        self.forward
            .process_with_scratch(&mut self.b, &mut self.spec_b, &mut self.scratch)
            .ok()?;
        for (x, y) in self.spec_b.iter_mut().zip(&self.spec_a) {
            *x *= y.conj();
        }
        // The inverse needs a purely real first and last bin.
        if let Some(first) = self.spec_b.first_mut() {
            first.im = 0.0;
        }
        if let Some(last) = self.spec_b.last_mut() {
            last.im = 0.0;
        }
        self.inverse
            .process_with_scratch(&mut self.spec_b, &mut self.corr, &mut self.scratch)
            .ok()?;
        let scale = 1.0 / self.corr.len() as f64;
        // d(τ) = Σ x_j² + Σ x_{j+τ}² − 2 r(τ), the sums over j < window.
        // `b` was consumed by the transform: rebuild the sliding energy from the signal.
        let sample = |i: usize| signal.get(i).map_or(0.0, |&x| f64::from(x));
        let mut energy_tau = energy0;
        self.diff[0] = 0.0;
        let mut running = 0.0;
        let mut best: Option<(usize, f64)> = None;
        let mut lowest = (self.min_lag, f64::INFINITY);
        for tau in 1..=self.max_lag {
            energy_tau += sample(tau + w - 1).powi(2) - sample(tau - 1).powi(2);
            let d = (energy0 + energy_tau - 2.0 * self.corr[tau] * scale).max(0.0);
            running += d;
            self.diff[tau] = if running > 0.0 {
                d * tau as f64 / running
            } else {
                1.0
            };
        }
        for tau in self.min_lag..self.max_lag {
            let v = self.diff[tau];
            if v < lowest.1 {
                lowest = (tau, v);
            }
            if v < YIN_THRESHOLD {
                // Walk down to the bottom of this dip.
                let mut t = tau;
                while t + 1 < self.max_lag && self.diff[t + 1] < self.diff[t] {
                    t += 1;
                }
                best = Some((t, self.diff[t]));
                break;
            }
        }
        let (tau, depth) = best.unwrap_or(lowest);
        let refined = if tau > 1 && tau < self.max_lag {
            let (l, c, r) = (self.diff[tau - 1], self.diff[tau], self.diff[tau + 1]);
            let denom = l - 2.0 * c + r;
            if denom.abs() > 1e-12 {
                tau as f64 + 0.5 * (l - r) / denom
            } else {
                tau as f64
            }
        } else {
            tau as f64
        };
        Some(PitchEstimate {
            hz: f64::from(self.sample_rate) / refined,
            confidence: (1.0 - depth).clamp(0.0, 1.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(hz: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (std::f64::consts::TAU * hz * i as f64 / 48_000.0).sin() as f32 * 0.5)
            .collect()
    }

    #[test]
    fn sines_are_found_within_half_a_percent_and_confidently() {
        let mut yin = Yin::new(1024, 48_000, 50.0, 2000.0);
        for hz in [55.0, 110.0, 261.63, 440.0, 1000.0, 1760.0] {
            let est = yin.estimate(&sine(hz, 4096)).unwrap();
            assert!((est.hz - hz).abs() / hz < 0.005, "{hz}: {est:?}");
            assert!(est.confidence > 0.95, "{hz}: {est:?}");
        }
    }

    #[test]
    fn noise_has_low_confidence_and_silence_none() {
        let mut seed = 7u32;
        let noise: Vec<f32> = (0..4096)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        let mut yin = Yin::new(1024, 48_000, 50.0, 2000.0);
        let est = yin.estimate(&noise).unwrap();
        assert!(est.confidence < 0.6, "{est:?}");
        assert_eq!(yin.estimate(&[0.0; 4096]), None);
    }
}
