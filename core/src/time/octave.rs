//! Tempo octaves: the same groove felt at quarter, half, normal, double or
//! quadruple time against an unchanged bar grid.
//!
//! At octave `k` a pattern cycle lasts `2^-k` bars: at +1 two cycles fill a
//! bar, at −1 one cycle spans two bars. Cycle positions are always measured
//! from bar 0 (`cycle = bar × 2^k`), so a change made where both grids meet
//! keeps every downbeat where it was.

use super::{q, Rational};

/// A tempo octave. Performers set −2..=2; a loop's octave adds to the global
/// one, so the sum the scheduler uses lies in −4..=4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TempoOctave(i8);

impl TempoOctave {
    /// The lowest octave a performer sets (a quarter of the tempo).
    pub const MIN: i8 = -2;
    /// The highest octave a performer sets (four times the tempo).
    pub const MAX: i8 = 2;

    /// A performer-set octave; refuses values outside −2..=2.
    pub fn new(k: i64) -> Result<TempoOctave, OctaveOutOfRange> {
        if (Self::MIN as i64..=Self::MAX as i64).contains(&k) {
            Ok(TempoOctave(k as i8))
        } else {
            Err(OctaveOutOfRange(k))
        }
    }

    /// −2 … 2 for a performer's octave; −4 … 4 for a sum.
    pub fn get(self) -> i8 {
        self.0
    }

    /// The octave a loop actually plays at: global plus the loop's own.
    pub fn combined(self, other: TempoOctave) -> TempoOctave {
        TempoOctave((self.0 + other.0).clamp(-4, 4))
    }

    /// Pattern cycles per bar: `2^k`.
    pub fn cycles_per_bar(self) -> Rational {
        if self.0 >= 0 {
            Rational::from_integer(1 << self.0)
        } else {
            q(1, 1 << (-self.0))
        }
    }

    /// Bars spanned by one cycle, rounded up to whole bars (1 for k ≥ 0).
    fn bars_per_cycle(self) -> i64 {
        if self.0 >= 0 {
            1
        } else {
            1 << (-self.0)
        }
    }

    /// The first bar at or after `bar` where the grids of `from` and `to`
    /// meet: a multiple of the longer cycle (in whole bars), counted from bar 0.
    pub fn meeting_bar(from: TempoOctave, to: TempoOctave, bar: i64) -> i64 {
        let span = from.bars_per_cycle().max(to.bars_per_cycle());
        bar.div_euclid(span) * span + if bar.rem_euclid(span) == 0 { 0 } else { span }
    }
}

/// A performer-set tempo octave outside −2..=2: the value asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OctaveOutOfRange(pub i64);

impl std::fmt::Display for OctaveOutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tempo octave {} is out of range: use -2, -1, 0, 1 or 2",
            self.0
        )
    }
}

impl std::error::Error for OctaveOutOfRange {}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(k: i64) -> TempoOctave {
        TempoOctave::new(k).unwrap()
    }

    #[test]
    fn cycles_per_bar_are_powers_of_two() {
        assert_eq!(o(-2).cycles_per_bar(), q(1, 4));
        assert_eq!(o(0).cycles_per_bar(), q(1, 1));
        assert_eq!(o(2).cycles_per_bar(), q(4, 1));
    }

    #[test]
    fn changes_wait_for_the_grids_to_meet() {
        assert_eq!(TempoOctave::meeting_bar(o(0), o(1), 5), 5);
        assert_eq!(TempoOctave::meeting_bar(o(0), o(-1), 5), 6);
        assert_eq!(TempoOctave::meeting_bar(o(-1), o(0), 6), 6);
        assert_eq!(TempoOctave::meeting_bar(o(-2), o(1), 5), 8);
        assert_eq!(TempoOctave::meeting_bar(o(0), o(-2), 8), 8);
    }

    #[test]
    fn out_of_range_is_refused() {
        assert!(TempoOctave::new(3).is_err());
        assert!(TempoOctave::new(-3).is_err());
    }
}
