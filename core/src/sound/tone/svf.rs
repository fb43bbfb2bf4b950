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
///
/// The trapezoidal SVF's two states (`ic1`, `ic2`) advance as a 2 × 2
/// linear map of themselves plus the input, and its low-pass output is a
/// sum of the states and the input: the same filter as its usual form
/// (`v3 = x − ic2`, `v1 = a1·ic1 + a2·v3`, `v2 = ic2 + a2·ic1 + a3·v3`,
/// `ic1 ← 2·v1 − ic1`, `ic2 ← 2·v2 − ic2`, output `v2`) with its
/// coefficients multiplied out when the note starts, so each state
/// depends on the frame before through one multiply and two adds.
#[derive(Clone, Copy, Debug, Default)]
pub struct LowPass {
    /// `ic1 ← s11·ic1 + s12·ic2 + x1·x`.
    s11: f32,
    s12: f32,
    x1: f32,
    /// `ic2 ← s21·ic1 + s22·ic2 + x2·x`.
    s21: f32,
    s22: f32,
    x2: f32,
    /// Output `o1·ic1 + o2·ic2 + ox·x`.
    o1: f32,
    o2: f32,
    ox: f32,
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
        // In f64, so multiplying the coefficients out adds no error of its own.
        let g = (std::f64::consts::PI * f64::from(cutoff) / f64::from(sample_rate)).tan();
        let k = 2.0 - 2.0 * f64::from(resonance);
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        self.s11 = (2.0 * a1 - 1.0) as f32;
        self.s12 = (-2.0 * a2) as f32;
        self.x1 = (2.0 * a2) as f32;
        self.s21 = (2.0 * a2) as f32;
        self.s22 = (1.0 - 2.0 * a3) as f32;
        self.x2 = (2.0 * a3) as f32;
        self.o1 = a2 as f32;
        self.o2 = (1.0 - a3) as f32;
        self.ox = a3 as f32;
        self.ic1 = 0.0;
        self.ic2 = 0.0;
    }

    /// Filters one value. Tiny states are flushed to zero (no denormals).
    #[inline]
    pub fn filter(&mut self, x: f32) -> f32 {
        let (ic1, ic2) = (self.ic1, self.ic2);
        let y = self.o1 * ic1 + self.o2 * ic2 + self.ox * x;
        self.ic1 = flush(self.s11 * ic1 + self.s12 * ic2 + self.x1 * x);
        self.ic2 = flush(self.s21 * ic1 + self.s22 * ic2 + self.x2 * x);
        y
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
