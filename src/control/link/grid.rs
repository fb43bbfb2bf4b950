//! Where loam's bars lie on a Link timeline, as plain arithmetic (no Link
//! library needed, so it is tested in every build).
//!
//! - A Link beat is the note value loam's tempo counts: the metre's beat
//!   ([`Metre::beat_value`]) or the note a tempo names (`tempo(90, "q.")`).
//! - The quantum is loam's bar in those beats: `2+2+3/8` at `tempo(138)` is
//!   3.5 beats at 138 BPM; `12/8` at `tempo(90, "q.")` is 4 beats at 90.
//! - A bar line belongs where Link's phase for that quantum is 0 (beats
//!   counted from the session's shared origin), so bars of different
//!   lengths meet wherever their quanta have a common multiple.
//! - With `link_quantum(q)` (q a whole number of loam's bars, k of them) only
//!   every k-th bar line (bar numbers divisible by k) is tied to a Link
//!   boundary of q; the bars between keep loam's own length.

use crate::time::{Metre, Rational, Tempo};

/// The slowest session tempo loam follows, in beats per minute. Link
/// itself allows 20; slower, a 4/4 bar would last over 9 s and a peer's
/// typo (1 BPM) would stall every loop: loam plays at this tempo instead
/// and says so.
pub const MIN_FOLLOWED_BPM: f64 = 26.0;
/// The fastest session tempo loam follows, in beats per minute. Link allows
/// 999; above this a bar of 4 is shorter than 0.4 s, less than loam's
/// planning margin and lookahead together, so changes could not be made
/// in time: loam plays at this tempo instead and says so.
pub const MAX_FOLLOWED_BPM: f64 = 600.0;
/// How far loam's tempo may be bent, as a fraction of the session tempo,
/// to bring its next bar line onto Link's. A larger difference (on joining
/// a session, or when a session's timeline is replaced) is closed at once
/// by cutting one bar short at Link's next bar line instead.
pub const MAX_BEND: f64 = 0.15;
/// Bar lines this close to Link's (in nanoseconds) are left as they are:
/// a fifth of loam's 1 ms median agreement, well above the microsecond
/// resolution of Link's clock.
pub const TOLERANCE_NANOS: f64 = 100_000.0;
/// Positions loam moves its tempo at, or cuts a bar at, are multiples of
/// 1/GRID of a bar (25 µs in a 2-second bar), so exact positions keep
/// small denominators however often loam steers.
pub const GRID: i128 = 80_640;

/// Loam's bar in Link beats (Link beats being the note value `tempo` counts).
pub fn quantum(metre: &Metre, tempo: &Tempo) -> Rational {
    let beat = tempo
        .note()
        .map(|n| n.0)
        .unwrap_or_else(|| metre.beat_value());
    metre.bar_length() / beat
}

/// An exact rational as a float.
pub fn to_f64(r: Rational) -> f64 {
    *r.numer() as f64 / *r.denom() as f64
}

/// The first multiple of 1/[`GRID`] of a bar at or after `pos`.
pub fn grid_at_or_after(pos: Rational) -> Rational {
    Rational::new((pos * GRID).ceil().to_integer(), GRID)
}

/// The nearest multiple of 1/[`GRID`] of a bar to a float position.
pub fn grid_nearest(pos: f64) -> Rational {
    Rational::new((pos * GRID as f64).round() as i128, GRID)
}

/// A session tempo inside loam's followed range: the tempo loam plays,
/// and whether it had to be clamped.
pub fn clamp_bpm(bpm: f64) -> (f64, bool) {
    if !bpm.is_finite() {
        return (MIN_FOLLOWED_BPM, true);
    }
    let c = bpm.clamp(MIN_FOLLOWED_BPM, MAX_FOLLOWED_BPM);
    (c, c != bpm)
}

/// How many of loam's bars one `link_quantum(q)` spans, or why it cannot
/// be used with a bar of `bar_quantum` Link beats.
pub fn bars_per_quantum(q: f64, bar_quantum: Rational) -> Result<i64, String> {
    let bar = to_f64(bar_quantum);
    let k = (q / bar).round();
    if !(q.is_finite() && q > 0.0) || k < 1.0 || (k * bar - q).abs() > 1e-9 || k > 64.0 {
        return Err(format!(
            "link_quantum({q}): loam's bar is {bar} Link beats; give a whole number of bars \
             ({bar}, {}, …, at most 64 bars) or 0 for the bar itself",
            2.0 * bar
        ));
    }
    Ok(k as i64)
}

/// The Link beat a bar line belongs on: `predicted` is the (phase-encoded)
/// beat where loam's timeline puts it now, `bar` its number, `bar_quantum`
/// the bar in Link beats and `k` the bars per quantum (1 without
/// `link_quantum`). The bar line goes to the nearest beat whose bar in the
/// group of `k` starts at a multiple of `k × bar_quantum`.
pub fn target_beat(predicted: f64, bar: i64, bar_quantum: f64, k: i64) -> f64 {
    let into = bar.rem_euclid(k) as f64 * bar_quantum;
    let q = bar_quantum * k as f64;
    ((predicted - into) / q).round() * q + into
}

/// A straight stretch of a Link timeline: `beat` at loam time `at`
/// (nanoseconds), `bpm` beats a minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    /// A loam time on the line, in nanoseconds.
    pub at: f64,
    /// The (phase-encoded) beat there.
    pub beat: f64,
    /// Beats per minute.
    pub bpm: f64,
}

impl Line {
    /// The beat at loam time `t` (nanoseconds).
    pub fn beat_at(&self, t: f64) -> f64 {
        self.beat + (t - self.at) * self.bpm / 60e9
    }

    /// The loam time (nanoseconds) of `beat`.
    pub fn time_of(&self, beat: f64) -> f64 {
        self.at + (beat - self.beat) * 60e9 / self.bpm
    }

    /// Where a tempo change turned this line into `new` (both read over
    /// `quantum`): the time both give the same phase. `None` when they
    /// never meet (same tempo).
    pub fn pivot(&self, new: &Line, quantum: f64) -> Option<f64> {
        if (self.bpm - new.bpm).abs() < 1e-9 {
            return None;
        }
        // Phase-encoded beats may differ by whole quanta: compare phases.
        let mut gap = new.beat_at(self.at) - self.beat;
        gap -= (gap / quantum).round() * quantum;
        Some(self.at + gap * 60e9 / (self.bpm - new.bpm))
    }
}

/// The first Link beat after `beat` (by more than a 64th of a bar) where
/// bar `bar` belongs (see [`target_beat`]): where a bar that starts at
/// `beat` is cut short to meet the session's grid.
pub fn next_boundary(beat: f64, bar: i64, bar_quantum: f64, k: i64) -> f64 {
    let into = bar.rem_euclid(k) as f64 * bar_quantum;
    let q = bar_quantum * k as f64;
    let mut next = ((beat - into) / q).ceil() * q + into;
    if next - beat < bar_quantum / 64.0 {
        next += q;
    }
    next
}

/// The tempo factor (of the session tempo `bpm`) that carries loam from
/// `from_nanos` over `beats` Link beats to land at `to_nanos`; `None` when
/// the bar line is not ahead or the factor bends more than [`MAX_BEND`].
pub fn bend(beats: f64, bpm: f64, from_nanos: f64, to_nanos: f64) -> Option<f64> {
    let needed = (to_nanos - from_nanos) / 1e9;
    if needed <= 0.0 || beats <= 0.0 {
        return None;
    }
    let factor = beats * 60.0 / bpm / needed;
    ((1.0 - MAX_BEND..=1.0 + MAX_BEND).contains(&factor)).then_some(factor)
}

/// `tempo`'s note value (or the metre's beat) at `bpm` beats per minute;
/// `bpm` is kept inside Tempo's own range.
pub fn tempo_like(tempo: &Tempo, bpm: f64) -> Tempo {
    let t = Tempo::bpm(bpm.clamp(1.0, 1000.0)).unwrap_or(*tempo);
    match tempo.note() {
        Some(n) => t.counting(n),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{q, NoteValue};

    fn tempo(bpm: f64, note: Option<&str>) -> Tempo {
        let t = Tempo::bpm(bpm).unwrap();
        match note {
            Some(n) => t.counting(NoteValue::parse(n).unwrap()),
            None => t,
        }
    }

    #[test]
    fn the_quantum_is_the_bar_in_the_beats_the_tempo_counts() {
        let m = |s: &str| Metre::parse(s).unwrap();
        // The two examples.
        assert_eq!(quantum(&m("2+2+3/8"), &tempo(138.0, None)), q(7, 2));
        assert_eq!(quantum(&m("12/8"), &tempo(90.0, Some("q."))), q(4, 1));
        // The other kinds: simple, compound (beat = one group), additive, a named note.
        assert_eq!(quantum(&m("4/4"), &tempo(120.0, None)), q(4, 1));
        assert_eq!(quantum(&m("6/8"), &tempo(120.0, None)), q(2, 1));
        assert_eq!(quantum(&m("9/8"), &tempo(120.0, None)), q(3, 1));
        assert_eq!(quantum(&m("12/8"), &tempo(90.0, None)), q(4, 1));
        assert_eq!(quantum(&m("2+2+2+3/8"), &tempo(120.0, None)), q(9, 2));
        assert_eq!(quantum(&m("5/4"), &tempo(120.0, None)), q(5, 1));
        assert_eq!(quantum(&m("6/8"), &tempo(240.0, Some("e"))), q(6, 1));
        assert_eq!(quantum(&m("4/4"), &tempo(60.0, Some("h"))), q(2, 1));
    }

    #[test]
    fn bar_lines_go_to_the_nearest_boundary() {
        assert_eq!(target_beat(10.4, 3, 3.5, 1), 10.5);
        assert_eq!(target_beat(-0.2, 0, 4.0, 1), 0.0);
        assert_eq!(target_beat(13.9, 7, 4.0, 1), 12.0);
        // link_quantum(4) over 2-beat bars: odd bars sit halfway.
        assert_eq!(target_beat(6.1, 1, 2.0, 2), 6.0);
        assert_eq!(target_beat(8.2, 2, 2.0, 2), 8.0);
        assert_eq!(target_beat(9.9, 3, 2.0, 2), 10.0);
    }

    #[test]
    fn cut_bars_end_at_the_next_boundary() {
        assert_eq!(next_boundary(10.5, 4, 4.0, 1), 12.0);
        assert_eq!(next_boundary(12.0, 4, 4.0, 1), 16.0);
        assert_eq!(next_boundary(11.99, 4, 4.0, 1), 16.0);
        assert_eq!(next_boundary(-1.0, 0, 4.5, 1), 0.0);
        // link_quantum(4) over 2-beat bars: odd bars start halfway.
        assert_eq!(next_boundary(6.5, 1, 2.0, 2), 10.0);
        assert_eq!(next_boundary(6.5, 2, 2.0, 2), 8.0);
    }

    #[test]
    fn a_tempo_change_pivots_where_the_lines_meet() {
        let old = Line {
            at: 0.0,
            beat: 0.0,
            bpm: 120.0,
        };
        // At 2 s (beat 4) the tempo became 150: the new line through (2 s, 4).
        let new = Line {
            at: 1e9,
            beat: 4.0 - 150.0 / 60.0,
            bpm: 150.0,
        };
        let p = old.pivot(&new, 4.0).unwrap();
        assert!((p - 2e9).abs() < 1.0, "{p}");
        // The same, with the new line's beats a quantum apart.
        let shifted = Line {
            beat: new.beat + 4.0,
            ..new
        };
        assert!((old.pivot(&shifted, 4.0).unwrap() - 2e9).abs() < 1.0);
        assert_eq!(old.pivot(&old, 4.0), None);
        assert!((old.time_of(old.beat_at(1.5e9)) - 1.5e9).abs() < 1e-3);
    }

    #[test]
    fn link_quantum_must_be_whole_bars() {
        assert_eq!(bars_per_quantum(4.0, q(2, 1)), Ok(2));
        assert_eq!(bars_per_quantum(3.5, q(7, 2)), Ok(1));
        assert_eq!(bars_per_quantum(7.0, q(7, 2)), Ok(2));
        let e = bars_per_quantum(4.0, q(7, 2)).unwrap_err();
        assert!(e.contains("3.5 Link beats"), "{e}");
        assert!(bars_per_quantum(0.0, q(4, 1)).is_err());
        assert!(bars_per_quantum(f64::NAN, q(4, 1)).is_err());
    }

    #[test]
    fn absurd_tempi_are_clamped() {
        assert_eq!(clamp_bpm(1.0), (MIN_FOLLOWED_BPM, true));
        assert_eq!(clamp_bpm(999.0), (MAX_FOLLOWED_BPM, true));
        assert_eq!(clamp_bpm(138.0), (138.0, false));
        assert_eq!(clamp_bpm(f64::NAN), (MIN_FOLLOWED_BPM, true));
    }

    #[test]
    fn bending_reaches_the_bar_line_or_refuses() {
        // 2 beats at 120 take 1 s; landing after 0.95 s needs 1/0.95.
        let f = bend(2.0, 120.0, 0.0, 0.95e9).unwrap();
        assert!((f - 1.0 / 0.95).abs() < 1e-12);
        assert_eq!(bend(2.0, 120.0, 0.0, 0.5e9), None);
        assert_eq!(bend(2.0, 120.0, 1e9, 0.5e9), None);
    }

    #[test]
    fn grid_positions_keep_small_denominators() {
        let p = Rational::new(123_456_789, 98_765_431);
        let g = grid_at_or_after(p);
        assert!(g >= p && g - p < q(1, GRID));
        assert!(*g.denom() <= GRID);
        assert_eq!(grid_nearest(0.5), q(1, 2));
        let t = tempo(90.0, Some("q."));
        assert_eq!(tempo_like(&t, 100.0).note(), t.note());
        assert_eq!(tempo_like(&t, 100.0).bpm_f64(), 100.0);
    }
}
