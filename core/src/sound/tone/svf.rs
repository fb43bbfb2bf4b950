//! A resonant low-pass filter (the trapezoidal state-variable filter:
//! stable at any cut-off below Nyquist and any resonance below 1).
//!
//! Audio thread: no allocation; one `tan` when a note starts.

/// The highest cut-off, as a fraction of the sample rate (just below Nyquist).
pub const MAX_CUTOFF_RATIO: f32 = 0.45;

/// The lowest cut-off in Hz.
pub const MIN_CUTOFF_HZ: f32 = 20.0;

/// The highest resonance (1 would ring for ever).
pub const MAX_RESONANCE: f32 = 0.95;

/// Filter state and coefficients.
#[derive(Clone, Copy, Debug, Default)]
pub struct LowPass {
    a1: f32,
    a2: f32,
    a3: f32,
    k: f32,
    ic1: f32,
    ic2: f32,
}

impl LowPass {
    /// Sets the cut-off (Hz, clamped to 20 Hz … 0.45 × rate) and resonance
    /// (0 … 0.95) and clears the state.
    pub fn start(&mut self, cutoff: f32, resonance: f32, sample_rate: f32) {
        let top = MAX_CUTOFF_RATIO * sample_rate;
        let cutoff = if cutoff.is_finite() {
            cutoff.clamp(MIN_CUTOFF_HZ, top)
        } else {
            top
        };
        let resonance = if resonance.is_finite() {
            resonance.clamp(0.0, MAX_RESONANCE)
        } else {
            0.0
        };
        let g = (std::f32::consts::PI * cutoff / sample_rate).tan();
        self.k = 2.0 - 2.0 * resonance;
        self.a1 = 1.0 / (1.0 + g * (g + self.k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
        self.ic1 = 0.0;
        self.ic2 = 0.0;
    }

    /// Filters one value. Tiny states are flushed to zero (no denormals).
    #[inline]
    pub fn filter(&mut self, x: f32) -> f32 {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = flush(2.0 * v1 - self.ic1);
        self.ic2 = flush(2.0 * v2 - self.ic2);
        v2
    }
}

/// `x`, or 0 when it is so small it would become a denormal.
#[inline]
pub fn flush(x: f32) -> f32 {
    if x.abs() < 1e-20 {
        0.0
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_low_cuts_high_and_stays_finite() {
        let rate = 48_000.0;
        let gain = |hz: f32| {
            let mut f = LowPass::default();
            f.start(1000.0, 0.0, rate);
            let mut peak = 0.0f32;
            for n in 0..48_000 {
                let y = f.filter((std::f32::consts::TAU * hz * n as f32 / rate).sin());
                if n > 24_000 {
                    peak = peak.max(y.abs());
                }
            }
            peak
        };
        assert!((gain(100.0) - 1.0).abs() < 0.02);
        assert!(gain(10_000.0) < 0.02);
        let mut f = LowPass::default();
        f.start(f32::NAN, f32::INFINITY, rate);
        for _ in 0..1000 {
            assert!(f.filter(1.0).is_finite());
        }
    }
}
