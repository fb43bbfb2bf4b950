//! Biquad filters from Robert Bristow-Johnson's "Audio EQ Cookbook", in `f64`.
//!
//! Used only at load time to shape the synthesised drum kit; nothing here runs
//! on the audio thread. Cut-off frequencies are clamped below Nyquist so every
//! voice can be rendered at any sample rate without the filter blowing up.

use std::f64::consts::PI;

/// A second-order IIR section (transposed direct form II).
#[derive(Debug, Clone)]
pub struct Biquad {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    z1: f64,
    z2: f64,
}

impl Biquad {
    /// Low-pass with resonance `q` (0.707 is Butterworth).
    pub fn lowpass(sample_rate: u32, freq: f64, q: f64) -> Self {
        let (cos_w, alpha) = omega(sample_rate, freq, q);
        let b1 = 1.0 - cos_w;
        Self::normalised(
            b1 / 2.0,
            b1,
            b1 / 2.0,
            1.0 + alpha,
            -2.0 * cos_w,
            1.0 - alpha,
        )
    }

    /// High-pass with resonance `q`.
    pub fn highpass(sample_rate: u32, freq: f64, q: f64) -> Self {
        let (cos_w, alpha) = omega(sample_rate, freq, q);
        let b1 = -(1.0 + cos_w);
        Self::normalised(
            -b1 / 2.0,
            b1,
            -b1 / 2.0,
            1.0 + alpha,
            -2.0 * cos_w,
            1.0 - alpha,
        )
    }

    /// Band-pass with 0 dB gain at the centre; higher `q` rings longer.
    pub fn bandpass(sample_rate: u32, freq: f64, q: f64) -> Self {
        let (cos_w, alpha) = omega(sample_rate, freq, q);
        Self::normalised(alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cos_w, 1.0 - alpha)
    }

    fn normalised(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        Biquad {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
            z1: 0.0,
            z2: 0.0,
        }
    }

    /// Filters one sample.
    pub fn process(&mut self, x: f64) -> f64 {
        let y = self.b0 * x + self.z1;
        self.z1 = self.b1 * x - self.a1 * y + self.z2;
        self.z2 = self.b2 * x - self.a2 * y;
        y
    }
}

/// `cos(w0)` and `alpha` for the cookbook formulas, with the frequency clamped
/// to (0, 0.45 × sample rate) and `q` kept positive.
fn omega(sample_rate: u32, freq: f64, q: f64) -> (f64, f64) {
    let sr = f64::from(sample_rate.max(1));
    let freq = freq.clamp(1e-3 * sr, 0.45 * sr);
    let w0 = 2.0 * PI * freq / sr;
    let q = q.max(1e-3);
    (w0.cos(), w0.sin() / (2.0 * q))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steady-state amplitude of a sine at `freq` through `filter`.
    fn gain(mut filter: Biquad, sr: u32, freq: f64) -> f64 {
        let n = sr as usize;
        let mut peak: f64 = 0.0;
        for i in 0..n {
            let y = filter.process((2.0 * PI * freq * i as f64 / f64::from(sr)).sin());
            if i > n / 2 {
                peak = peak.max(y.abs());
            }
        }
        peak
    }

    #[test]
    fn lowpass_passes_low_and_cuts_high() {
        assert!((gain(Biquad::lowpass(48000, 1000.0, 0.707), 48000, 100.0) - 1.0).abs() < 0.01);
        assert!(gain(Biquad::lowpass(48000, 1000.0, 0.707), 48000, 10000.0) < 0.02);
    }

    #[test]
    fn highpass_passes_high_and_cuts_low() {
        assert!((gain(Biquad::highpass(48000, 1000.0, 0.707), 48000, 10000.0) - 1.0).abs() < 0.01);
        assert!(gain(Biquad::highpass(48000, 1000.0, 0.707), 48000, 100.0) < 0.02);
    }

    #[test]
    fn bandpass_has_unity_gain_at_centre() {
        assert!((gain(Biquad::bandpass(48000, 2000.0, 4.0), 48000, 2000.0) - 1.0).abs() < 0.01);
        assert!(gain(Biquad::bandpass(48000, 2000.0, 4.0), 48000, 200.0) < 0.05);
    }

    #[test]
    fn frequencies_above_nyquist_stay_stable() {
        let mut f = Biquad::bandpass(8000, 12000.0, 2.0);
        for i in 0..8000 {
            let y = f.process(if i == 0 { 1.0 } else { 0.0 });
            assert!(y.is_finite() && y.abs() < 2.0);
        }
    }
}
