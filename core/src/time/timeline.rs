//! The one map between musical positions and frames.
//!
//! A position is an exact number of bars from the start (`5 + 2/7` is two
//! eighths into bar 5 of a 7/8). The timeline is a list of segments, each with
//! a constant metre and tempo and an exact (rational) start frame. A frame is
//! computed as `start_frame + (position − start) × frames_per_bar` and rounded
//! once, half up: `floor(x + 1/2)`. With a constant tempo there is a single
//! segment and every frame is the exact formula rounded once; nothing
//! accumulates.
//!
//! Metre changes happen at bar lines; tempo changes anywhere. A metre change
//! "now" cuts the current bar short at a group boundary; the next bar, in the
//! new metre, starts there.

use super::{exact, Metre, Rational, Tempo};
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};

/// One stretch of constant metre and tempo.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Position (in bars) where the segment starts.
    pub start: Rational,
    /// Exact frame of `start`.
    pub start_frame: Rational,
    /// The metre in force.
    pub metre: Metre,
    /// The tempo in force.
    pub tempo: Tempo,
    /// When this segment begins a bar that follows a bar cut short, the
    /// position where that earlier bar was cut.
    pub cut_from: Option<Rational>,
    /// Exact frames in one bar (kept, not recomputed for every event).
    pub frames_per_bar: Rational,
}

/// Positions to frames, piecewise over metre and tempo changes.
#[derive(Clone, Debug)]
pub struct Timeline {
    sample_rate: u32,
    segments: Vec<Segment>,
}

// NOTE: a segment that begins at a non-grid frame keeps its start exactly,
// unless the fraction's denominator grows past 2^24 (many tempo changes at
// odd positions), when it is snapped to 1/2^24 of a frame. That bounds
// integer sizes; the error is far below one frame and never accumulates.
const SNAP: i128 = 1 << 24;

impl Timeline {
    /// A timeline at `sample_rate` Hz starting at frame 0 in `metre` at `tempo`.
    pub fn new(sample_rate: u32, metre: Metre, tempo: Tempo) -> Timeline {
        Timeline {
            sample_rate,
            segments: vec![Segment {
                start: Rational::zero(),
                start_frame: Rational::zero(),
                frames_per_bar: tempo.frames_per_bar(&metre, sample_rate),
                metre,
                tempo,
                cut_from: None,
            }],
        }
    }

    /// Frames per second, in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The spans of constant metre and tempo, in order of start.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    fn segment_index(&self, pos: Rational) -> usize {
        // Last segment starting at or before `pos`.
        match self
            .segments
            .binary_search_by(|s| s.start.cmp(&pos).then(std::cmp::Ordering::Less))
        {
            Ok(i) | Err(i) => i.saturating_sub(1),
        }
    }

    fn segment(&self, pos: Rational) -> &Segment {
        &self.segments[self.segment_index(pos)]
    }

    /// The metre in force at `pos`.
    pub fn metre_at(&self, pos: Rational) -> &Metre {
        &self.segment(pos).metre
    }

    /// The tempo in force at `pos`.
    pub fn tempo_at(&self, pos: Rational) -> Tempo {
        self.segment(pos).tempo
    }

    /// The exact frame of a position.
    pub fn exact_frame_at(&self, pos: Rational) -> Rational {
        let s = self.segment(pos);
        if pos == s.start {
            return s.start_frame;
        }
        // Called for every planned note: the cheap exact operations.
        exact::add(
            s.start_frame,
            exact::mul(exact::sub(pos, s.start), s.frames_per_bar),
        )
    }

    /// The frame of a position, rounded once, half up.
    pub fn frame_at(&self, pos: Rational) -> u64 {
        round_half_up(self.exact_frame_at(pos))
    }

    /// Where bar `bar` ends: the next bar line, or earlier if the bar was cut.
    pub fn bar_end(&self, bar: i64) -> Rational {
        let next = Rational::from_integer(bar as i128 + 1);
        self.segments
            .iter()
            .find(|s| s.start == next)
            .and_then(|s| s.cut_from)
            .unwrap_or(next)
    }

    /// The position sounding at `frame` (exact; inside a cut-off stretch the
    /// following bar line).
    pub fn position_at_frame(&self, frame: u64) -> Rational {
        let f = Rational::from_integer(frame as i128);
        let i = match self
            .segments
            .binary_search_by(|s| s.start_frame.cmp(&f).then(std::cmp::Ordering::Less))
        {
            Ok(i) | Err(i) => i.saturating_sub(1),
        };
        let s = &self.segments[i];
        s.start + (f - s.start_frame) / s.frames_per_bar
    }

    /// A new tempo from `pos` on (later changes are replaced). No phase jump:
    /// the frame of `pos` is the same under the old and the new tempo.
    pub fn set_tempo(&mut self, pos: Rational, tempo: Tempo) {
        let s = self.segment(pos).clone();
        self.push_segment(Segment {
            start: pos,
            start_frame: snap(self.exact_frame_at(pos)),
            metre: s.metre,
            tempo,
            cut_from: if s.start == pos { s.cut_from } else { None },
            frames_per_bar: Rational::zero(),
        });
    }

    /// A new metre from bar `bar` on (later changes are replaced).
    pub fn set_metre(&mut self, bar: i64, metre: Metre) {
        let pos = Rational::from_integer(bar as i128);
        let s = self.segment(pos).clone();
        self.push_segment(Segment {
            start: pos,
            start_frame: snap(self.exact_frame_at(pos)),
            metre,
            tempo: s.tempo,
            cut_from: if s.start == pos { s.cut_from } else { None },
            frames_per_bar: Rational::zero(),
        });
    }

    /// Cuts the bar holding `cut` short at `cut`; the next bar starts there in `metre`.
    pub fn cut_bar_and_set_metre(&mut self, cut: Rational, metre: Metre) {
        let next = cut.floor() + 1;
        if cut.is_integer() {
            return self.set_metre(cut.to_integer() as i64, metre);
        }
        let s = self.segment(cut).clone();
        self.push_segment(Segment {
            start: next,
            start_frame: snap(self.exact_frame_at(cut)),
            metre,
            tempo: s.tempo,
            cut_from: Some(cut),
            frames_per_bar: Rational::zero(),
        });
    }

    fn push_segment(&mut self, mut seg: Segment) {
        seg.frames_per_bar = seg.tempo.frames_per_bar(&seg.metre, self.sample_rate);
        self.segments.retain(|s| s.start < seg.start);
        self.segments.push(seg);
    }

    /// Forgets segments wholly before `pos` (keeps the one holding it).
    pub fn forget_before(&mut self, pos: Rational) {
        let i = self.segment_index(pos);
        if i > 0 {
            self.segments.drain(..i);
        }
    }
}

/// `floor(x + 1/2)` for non-negative exact frames; negative positions map to 0.
pub fn round_half_up(x: Rational) -> u64 {
    let n = x.numer() * 2 + x.denom();
    let d = x.denom() * 2;
    Integer::div_floor(&n, &d)
        .max(0)
        .to_u64()
        .unwrap_or(u64::MAX)
}

fn snap(x: Rational) -> Rational {
    if *x.denom() <= SNAP {
        x
    } else {
        Rational::new((x * SNAP).round().to_integer(), SNAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    fn tl(metre: &str, bpm: f64) -> Timeline {
        Timeline::new(
            48_000,
            Metre::parse(metre).unwrap(),
            Tempo::bpm(bpm).unwrap(),
        )
    }

    #[test]
    fn bars_in_four_four_at_120_last_two_seconds() {
        let t = tl("4/4", 120.0);
        assert_eq!(t.frame_at(q(1, 1)), 96_000);
        assert_eq!(t.frame_at(q(1, 4)), 24_000);
        assert_eq!(t.position_at_frame(96_000), q(1, 1));
    }

    #[test]
    fn tempo_change_keeps_the_phase() {
        let mut t = tl("4/4", 120.0);
        t.set_tempo(q(2, 1), Tempo::bpm(60.0).unwrap());
        assert_eq!(t.frame_at(q(2, 1)), 192_000);
        assert_eq!(t.frame_at(q(3, 1)), 192_000 + 192_000);
        // Mid-bar, "now".
        t.set_tempo(q(5, 2), Tempo::bpm(240.0).unwrap());
        assert_eq!(t.frame_at(q(5, 2)), 192_000 + 96_000);
        assert_eq!(t.frame_at(q(3, 1)), 192_000 + 96_000 + 24_000);
    }

    #[test]
    fn metre_change_at_a_bar_and_a_cut_bar() {
        let mut t = tl("4/4", 120.0);
        t.set_metre(1, Metre::parse("7/8").unwrap());
        // 7/8 at 120 quarters: 3.5 quarters = 1.75 s.
        assert_eq!(t.frame_at(q(2, 1)), 96_000 + 84_000);
        assert_eq!(t.bar_end(1), q(2, 1));
        // Cut bar 2 after its first two groups (4/7 of the bar), go to 6/8.
        t.cut_bar_and_set_metre(q(2, 1) + q(4, 7), Metre::parse("6/8").unwrap());
        assert_eq!(t.bar_end(2), q(18, 7));
        assert_eq!(t.frame_at(q(3, 1)), 180_000 + 48_000);
        assert_eq!(t.metre_at(q(3, 1)).groups(), &[3, 3]);
    }

    #[test]
    fn rounding_is_half_up_once() {
        assert_eq!(round_half_up(q(5, 2)), 3);
        assert_eq!(round_half_up(q(7, 3)), 2);
        assert_eq!(round_half_up(q(-1, 2)), 0);
    }
}
