//! The one conversion of a note to Hz, and the audible range it is kept in.

use super::interval::{to_f64, Interval};
use crate::time::Rational;

/// The lowest frequency a note plays, in Hz: the lowest organ pipe (C0 is
/// 16.35 Hz). Lower pitches are clamped here and counted.
pub const MIN_NOTE_HZ: f64 = 16.0;

/// The highest frequency a note plays, in Hz: the top of human hearing.
/// Higher pitches are clamped here and counted.
pub const MAX_NOTE_HZ: f64 = 20_000.0;

/// A note's frequency, and whether it had to be clamped into
/// [`MIN_NOTE_HZ`]..=[`MAX_NOTE_HZ`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frequency {
    /// Hz, always finite and in range.
    pub hz: f64,
    /// True when the exact pitch lay outside the range (or overflowed).
    pub clamped: bool,
}

/// `base_hz × interval`, rounded once, clamped into the audible range. A
/// result that is not finite (an interval that overflowed) is clamped too.
pub fn frequency(base_hz: Rational, interval: Interval) -> Frequency {
    let hz = to_f64(base_hz) * interval.factor();
    clamp(hz)
}

/// `hz` clamped into the audible range; NaN becomes [`MIN_NOTE_HZ`].
pub fn clamp(hz: f64) -> Frequency {
    if hz.is_nan() {
        return Frequency {
            hz: MIN_NOTE_HZ,
            clamped: true,
        };
    }
    let clamped = hz.clamp(MIN_NOTE_HZ, MAX_NOTE_HZ);
    Frequency {
        hz: clamped,
        clamped: clamped != hz,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    #[test]
    fn in_range_out_of_range_and_nan() {
        let a4 = frequency(q(440, 1), Interval::UNISON);
        assert_eq!(
            a4,
            Frequency {
                hz: 440.0,
                clamped: false
            }
        );
        let low = frequency(q(440, 1), Interval::octaves(q(-10, 1)));
        assert_eq!(
            low,
            Frequency {
                hz: MIN_NOTE_HZ,
                clamped: true
            }
        );
        let high = frequency(q(440, 1), Interval::octaves(q(10, 1)));
        assert_eq!(
            high,
            Frequency {
                hz: MAX_NOTE_HZ,
                clamped: true
            }
        );
        assert!(clamp(f64::NAN).clamped);
        assert_eq!(clamp(f64::INFINITY).hz, MAX_NOTE_HZ);
    }
}
