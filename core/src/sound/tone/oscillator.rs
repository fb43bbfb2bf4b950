//! Band-limited saw and pulse waves (polyBLEP) and a fast sine, for the
//! subtractive and FM voices. Phases are `f64` cycles so a note stays in
//! tune over minutes.

/// A phase in cycles, `0 ≤ phase < 1`, advancing by `step` a frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phase {
    /// Where it is, in cycles.
    pub phase: f64,
    /// Cycles a frame (`hz / sample_rate`).
    pub step: f64,
}

impl Phase {
    /// A phase at `hz` for `sample_rate`, starting at 0.
    pub fn new(hz: f64, sample_rate: f64) -> Phase {
        Phase {
            phase: 0.0,
            step: (hz / sample_rate).clamp(0.0, 0.5),
        }
    }

    /// Moves on one frame.
    #[inline]
    pub fn advance(&mut self) {
        self.phase += self.step;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
        }
    }
}

/// The polyBLEP correction near a discontinuity at phase 0 (`t` the phase,
/// `dt` the step), which removes most of a naive wave's aliasing.
#[inline]
fn blep(t: f64, dt: f64) -> f64 {
    if dt <= 0.0 {
        0.0
    } else if t < dt {
        let x = t / dt;
        x + x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

/// A saw wave rising from −1 to 1 each cycle, band-limited.
#[inline]
pub fn saw(p: &Phase) -> f32 {
    (2.0 * p.phase - 1.0 - blep(p.phase, p.step)) as f32
}

/// A pulse wave of duty `width` (0.5: square), band-limited.
#[inline]
pub fn pulse(p: &Phase, width: f64) -> f32 {
    let high = if p.phase < width { 1.0 } else { -1.0 };
    let mut t = p.phase - width;
    if t < 0.0 {
        t += 1.0;
    }
    (high + blep(p.phase, p.step) - blep(t, p.step)) as f32
}

/// `sin(2π x)` for any `x` in cycles, to about 1e-4 (a polynomial: no table,
/// nothing to allocate, cheaper than `sin`). No branch and no call (the
/// rounding is done by adding and taking away [`ROUNDER`]), so a loop of
/// sines becomes vector code.
#[inline]
pub fn sine(x: f32) -> f32 {
    // Reduce to [-0.5, 0.5] cycles: x minus the nearest whole number (a
    // value this large is a whole number already, or half of one, whose
    // sine is 0 either way).
    let whole = if x.abs() < ROUNDER_RANGE {
        (x + ROUNDER) - ROUNDER
    } else {
        x
    };
    let t = x - whole;
    // Fold into [-0.25, 0.25].
    let t = if t > 0.25 {
        0.5 - t
    } else if t < -0.25 {
        -0.5 - t
    } else {
        t
    };
    // Odd polynomial for sin(2π t), |t| ≤ 1/4.
    let u = std::f32::consts::TAU * t;
    let u2 = u * u;
    u * (1.0 + u2 * (-1.0 / 6.0 + u2 * (1.0 / 120.0 + u2 * (-1.0 / 5040.0 + u2 / 362_880.0))))
}

/// 1.5 × 2²³: adding it to an `f32` of magnitude below [`ROUNDER_RANGE`]
/// leaves no fractional bits, so adding and taking it away again rounds to
/// the nearest whole number (halves to even).
const ROUNDER: f32 = 12_582_912.0;

/// 2²²: below it [`ROUNDER`] rounds exactly; at and above it an `f32` has
/// no fraction finer than a half.
const ROUNDER_RANGE: f32 = 4_194_304.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_is_close_to_sin() {
        for i in -2000..2000 {
            let x = i as f32 / 997.0;
            let want = (std::f32::consts::TAU * x).sin();
            assert!((sine(x) - want).abs() < 2e-4, "{x}");
        }
    }

    #[test]
    fn sine_of_whole_numbers_halves_and_huge_values() {
        for x in [0.0f32, 1.0, -3.0, 0.5, -0.5, 2.5, 4_194_304.5, 1e9, -1e9] {
            assert!(sine(x).abs() < 1e-6, "{x}");
        }
        assert!((sine(0.25) - 1.0).abs() < 1e-4 && (sine(-1.75) - 1.0).abs() < 1e-4);
        assert!(sine(f32::NAN).is_nan() && sine(f32::INFINITY).is_nan());
    }

    #[test]
    fn waves_stay_in_range() {
        let mut p = Phase::new(1234.5, 48_000.0);
        for _ in 0..10_000 {
            assert!(saw(&p).abs() <= 1.01);
            assert!(pulse(&p, 0.5).abs() <= 1.01);
            p.advance();
        }
    }
}
