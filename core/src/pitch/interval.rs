//! An exact distance between two pitches: a frequency ratio times a power
//! of two, both rationals. A Scala ratio (`3/2`) lives in the ratio; cents
//! (`701.955`, exact as a decimal) and equal divisions (`9\53`) live in the
//! power of two. Nothing is rounded until [`Interval::factor`], which a
//! note calls once, for its frequency.

use num_traits::{CheckedAdd, CheckedMul, CheckedSub, One, Zero};

use crate::time::Rational;

/// `ratio × 2^octaves`, exact. Kept normalised: the ratio holds no factor
/// of two (those are in the octaves), so equal intervals compare equal and
/// the ratio's terms stay small.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Interval {
    /// A positive frequency ratio (`3/2` a just fifth).
    pub ratio: Rational,
    /// A power of two, in octaves (`7/12` an equal-tempered fifth).
    pub octaves: Rational,
}

impl Default for Interval {
    fn default() -> Self {
        Interval::UNISON
    }
}

impl Interval {
    /// No distance at all: ratio 1, no octaves.
    pub const UNISON: Interval = Interval {
        ratio: Rational::new_raw(1, 1),
        octaves: Rational::new_raw(0, 1),
    };

    /// A frequency ratio (must be positive; see [`super::scala`] for the check).
    pub fn ratio(ratio: Rational) -> Interval {
        Interval {
            ratio,
            octaves: Rational::zero(),
        }
        .normalised()
    }

    /// The same interval with every factor of two of the ratio moved into
    /// the octaves.
    fn normalised(self) -> Interval {
        let (mut n, mut d) = (*self.ratio.numer(), *self.ratio.denom());
        if n == 0 || d == 0 {
            return self;
        }
        let up = n.trailing_zeros().min(126);
        let down = d.trailing_zeros().min(126);
        n >>= up;
        d >>= down;
        match self
            .octaves
            .checked_add(&Rational::from_integer(up as i128 - down as i128))
        {
            Some(octaves) => Interval {
                ratio: Rational::new(n, d),
                octaves,
            },
            None => self,
        }
    }

    /// A power of two: `octaves` octaves (`1/12` an equal-tempered semitone).
    pub fn octaves(octaves: Rational) -> Interval {
        Interval {
            ratio: Rational::one(),
            octaves,
        }
    }

    /// Cents, exactly: `cents / 1200` octaves.
    pub fn cents(cents: Rational) -> Interval {
        Interval::octaves(cents / 1200)
    }

    /// `steps` steps of `n` equal divisions of the octave.
    pub fn edo_steps(steps: i128, n: i128) -> Interval {
        Interval::octaves(Rational::new(steps, n.max(1)))
    }

    /// This interval then `other` (their sum, as musicians add intervals).
    /// `None` if an exact term would leave `i128`.
    pub fn then(self, other: Interval) -> Option<Interval> {
        Some(
            Interval {
                ratio: self.ratio.checked_mul(&other.ratio)?,
                octaves: self.octaves.checked_add(&other.octaves)?,
            }
            .normalised(),
        )
    }

    /// The interval from `other` up to this one (their difference).
    /// `None` if an exact term would leave `i128`.
    pub fn above(self, other: Interval) -> Option<Interval> {
        if other.ratio.is_zero() {
            return None;
        }
        Some(
            Interval {
                ratio: self.ratio.checked_mul(&other.ratio.recip())?,
                octaves: self.octaves.checked_sub(&other.octaves)?,
            }
            .normalised(),
        )
    }

    /// This interval `k` times over (`k < 0`: downwards). A ratio that is a
    /// power of two moves into the octaves so it stays small; `None` if an
    /// exact term would leave `i128`.
    pub fn times(self, k: i64) -> Option<Interval> {
        let octaves = self
            .octaves
            .checked_mul(&Rational::from_integer(k as i128))?;
        let base = if k < 0 {
            self.ratio.recip()
        } else {
            self.ratio
        };
        let mut ratio = Rational::one();
        if base != Rational::one() {
            for _ in 0..k.unsigned_abs() {
                ratio = ratio.checked_mul(&base)?;
            }
        }
        Some(Interval { ratio, octaves }.normalised())
    }

    /// The size in cents (a float, for messages and tests).
    pub fn in_cents(self) -> f64 {
        1200.0 * (to_f64(self.ratio).log2() + to_f64(self.octaves))
    }

    /// The frequency factor, `ratio × 2^octaves`: the one rounding of a note.
    pub fn factor(self) -> f64 {
        to_f64(self.ratio) * to_f64(self.octaves).exp2()
    }
}

/// `r` as the nearest float.
pub fn to_f64(r: Rational) -> f64 {
    *r.numer() as f64 / *r.denom() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    #[test]
    fn ratios_and_octaves_stay_exact() {
        let fifth = Interval::ratio(q(3, 2));
        let fourth = Interval::ratio(q(4, 3));
        assert_eq!(fifth.then(fourth), Some(Interval::ratio(q(2, 1))));
        assert_eq!(
            Interval::edo_steps(7, 12).then(Interval::edo_steps(5, 12)),
            Some(Interval::octaves(q(1, 1)))
        );
        assert_eq!(
            Interval::ratio(q(2, 1)).times(-3),
            Some(Interval::octaves(q(-3, 1)))
        );
        assert_eq!(fifth.times(2), Some(Interval::ratio(q(9, 4))));
        assert_eq!(Interval::ratio(q(5, 4)).ratio, q(5, 1));
        assert_eq!(
            Interval::ratio(q(5, 4)),
            Interval::ratio(q(5, 1))
                .then(Interval::octaves(q(-2, 1)))
                .unwrap()
        );
        assert_eq!(fifth.times(-1), Some(Interval::ratio(q(2, 3))));
        assert_eq!(fifth.above(fourth), Some(Interval::ratio(q(9, 8))));
        assert!((Interval::cents(q(701955, 1000)).factor() - 1.5).abs() < 1e-5);
        assert!((fifth.in_cents() - 701.955).abs() < 1e-3);
    }

    #[test]
    fn overflow_is_none_not_a_panic() {
        let big = Interval::ratio(q(i128::MAX / 3, 7));
        assert_eq!(big.times(3), None);
    }
}
