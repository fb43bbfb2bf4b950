//! How a loop turns the words of its pattern into frequencies: its tuning,
//! scale, root, transposition and octave shift.
//!
//! | word | means |
//! |---|---|
//! | `c4`, `eb4`, `f#3`, `bb` | a MIDI key by name (12-EDO, A4 = 440 Hz; through the `.kbm` when the tuning has one) |
//! | `60.5`, `61.25` | a MIDI number with a fraction, as a key (a key of a `.kbm` plus the fraction × 100 cents) |
//! | `0`, `4`, `-1` | with a tuning, scale or root (the loop's or the global tuning): a degree counted from the root; otherwise a MIDI key |
//! | `dugah`, `nim_zirgule` | a note name the tuning defines ([`Tuning::names`]): that tuning degree from the root, past the scale |
//! | `c4'maj`, `60'min7` | a chord on a key ([`super::chord::CHORDS`]); `[0,2,4]` stacks degrees |
//!
//! A degree `d` plays tuning degree `t = scale(d) + transpose` (the scale's
//! steps, or `d` itself without a scale) at `root × degree(t) × period^k`
//! (`k` the octave shift), where the root is MIDI key 60 (261.6256 Hz)
//! unless `.root(…)` moves it; with a `.kbm` the root is its middle key
//! and frequencies follow its reference key and frequency. A key moves by
//! `transpose` steps of the tuning (`12/size` semitones each when the
//! period is an octave) and by `k` octaves.
//!
//! A name the tuning defines plays its tuning degree `t = name + transpose`
//! the same way (the scale does not apply: the name says the degree).
//! A word that is a note name, a number or a degree never reads as a
//! tuning's name, so names change nothing a pattern already meant.
//!
//! A note's own [`NoteShift`] (the pattern transforms `transpose(n)` and
//! `octave_shift(k)` inside `every`, `sometimes`, `within`, …) adds to the
//! loop's `transpose` and `octave_shift` for that note alone.
//!
//! Everything is exact ([`Interval`]) until [`super::frequency`], once per note.

use std::fmt;
use std::sync::Arc;

use super::chord::{chord, chord_names};
use super::frequency::{frequency, Frequency};
use super::interval::Interval;
use super::note_name::{fractional_key, note_key, whole};
use super::scale::Scale;
use super::tuning::Tuning;
use crate::time::{q, Rational};

/// A loop's pitch settings (all optional: a loop without them plays note
/// names and MIDI numbers in 12-EDO, and whole numbers as MIDI keys).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoopPitch {
    /// The loop's own tuning (`.tuning(…)`); `None`: the global one, if any.
    pub tuning: Option<Arc<Tuning>>,
    /// The scale its degrees walk (`.scale(…)`).
    pub scale: Option<Scale>,
    /// The MIDI key of degree 0 (`.root(…)`; `None`: 60, or a `.kbm`'s middle key).
    pub root: Option<Rational>,
    /// Steps of the tuning every pitch moves by (`.transpose(n)`).
    pub transpose: i64,
    /// Periods (octaves) every pitch moves by (`.octave_shift(k)`).
    pub octave_shift: i64,
    /// `.note()`: every word is a pitch, even one a sample is named after.
    pub notes_only: bool,
}

/// The furthest `.transpose(steps)` or the pattern transform
/// `transpose(steps)` moves, in steps of the tuning (1000 commas of 53-EDO
/// is about 19 octaves: past hearing either way).
pub const MAX_TRANSPOSE_STEPS: i64 = 1000;

/// The furthest `.octave_shift(k)` or the pattern transform
/// `octave_shift(k)` moves, in periods (octaves): ten octaves cover hearing.
pub const MAX_OCTAVE_SHIFT: i64 = 10;

/// How far one note moves on top of its loop's settings: the sum of the
/// pattern transforms `transpose(steps)` and `octave_shift(periods)` that
/// reached it (`.every(2, transpose(9))`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoteShift {
    /// Steps of the tuning, as `.transpose(steps)`.
    pub steps: i64,
    /// Periods (octaves), as `.octave_shift(k)`.
    pub periods: i64,
}

/// A word that looks like a pitch but cannot be played, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PitchError(pub String);

impl fmt::Display for PitchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PitchError {}

/// The most notes one word (a chord) may play.
pub const MAX_CHORD_NOTES: usize = 8;

/// MIDI key 69 (A4) sounds at this many Hz without a `.kbm`.
pub const A4_HZ: i128 = 440;

impl LoopPitch {
    /// True when the loop changes nothing about pitch (the default).
    pub fn is_plain(&self) -> bool {
        *self == LoopPitch::default()
    }

    /// Whether whole numbers are degrees: the loop has a tuning, scale or
    /// root, or a global tuning is set.
    pub fn degrees(&self, global: Option<&Arc<Tuning>>) -> bool {
        self.tuning.is_some() || self.scale.is_some() || self.root.is_some() || global.is_some()
    }

    /// The frequencies `word` plays (one, or a chord's), or `Ok(None)` when
    /// it is not a pitch at all (a drum name). `global` is the session's
    /// tuning. Pitches outside the audible range come back clamped and
    /// marked ([`Frequency::clamped`]).
    pub fn frequencies(
        &self,
        word: &str,
        global: Option<&Arc<Tuning>>,
    ) -> Result<Option<Vec<Frequency>>, PitchError> {
        self.frequencies_shifted(word, global, NoteShift::default())
    }

    /// [`LoopPitch::frequencies`] for a note its pattern moved by `shift`
    /// (added to the loop's transposition and octave shift).
    pub fn frequencies_shifted(
        &self,
        word: &str,
        global: Option<&Arc<Tuning>>,
        shift: NoteShift,
    ) -> Result<Option<Vec<Frequency>>, PitchError> {
        let moved = Moves {
            steps: self.transpose.saturating_add(shift.steps),
            periods: self.octave_shift.saturating_add(shift.periods),
        };
        let (base, chord_name) = match word.split_once('\'') {
            Some((b, c)) => (b, Some(c)),
            None => (word, None),
        };
        let tuning: &Tuning = match self.tuning.as_ref().or(global) {
            Some(t) => t,
            None => &TWELVE,
        };
        let degrees = self.degrees(global);
        if degrees {
            if let Some(d) = whole(base) {
                if chord_name.is_some() {
                    return Err(PitchError(format!(
                        "'{word}': a chord name goes on a note name or MIDI number; stack degrees as [0,2,4]"
                    )));
                }
                return self.degree(tuning, d, moved).map(|f| Some(vec![f]));
            }
        }
        let key = match note_key(base) {
            Some(k) => Rational::from_integer(k as i128),
            None => match fractional_key(base).or_else(|| whole(base).map(|k| q(k as i128, 1))) {
                Some(k) => k,
                None => {
                    let Some(t) = tuning.named(base) else {
                        return Ok(None);
                    };
                    if chord_name.is_some() {
                        return Err(PitchError(format!(
                            "'{word}': a chord name goes on a note name or MIDI number; stack degrees as [0,2,4]"
                        )));
                    }
                    return self.step(tuning, t, base, moved).map(|f| Some(vec![f]));
                }
            },
        };
        let semis: &[i64] = match chord_name {
            None => &[0],
            Some(name) => chord(name).ok_or_else(|| {
                PitchError(format!(
                    "'{word}': unknown chord '{name}' (known: {})",
                    chord_names()
                ))
            })?,
        };
        let mut out = Vec::with_capacity(semis.len().min(MAX_CHORD_NOTES));
        for s in semis.iter().take(MAX_CHORD_NOTES) {
            out.push(self.key(tuning, key + Rational::from_integer(*s as i128), moved)?);
        }
        Ok(Some(out))
    }

    /// Degree `d` from the root (through the scale).
    fn degree(&self, tuning: &Tuning, d: i64, moved: Moves) -> Result<Frequency, PitchError> {
        let step = match &self.scale {
            Some(s) => s
                .tuning_degree(d, tuning.size(), tuning.equal)
                .map_err(|e| PitchError(e.0))?,
            None => d,
        };
        self.step(tuning, step, &d.to_string(), moved)
    }

    /// Tuning degree `step` from the root, moved by `moved`; `word` names
    /// it in the error.
    fn step(
        &self,
        tuning: &Tuning,
        step: i64,
        word: &str,
        moved: Moves,
    ) -> Result<Frequency, PitchError> {
        let step = step
            .checked_add(moved.steps)
            .ok_or_else(|| PitchError(format!("degree {word} is too far from the root")))?;
        if let Some(kbm) = &tuning.keyboard {
            let root = match self.root {
                None => 0,
                Some(r) => {
                    let key = r.floor().to_integer() as i64;
                    kbm.degree_of(key, tuning.size()).ok_or_else(|| {
                        PitchError(format!("root key {key} is not mapped by {}", kbm.name))
                    })?
                }
            };
            let shift = moved.periods.saturating_mul(kbm_octave(kbm, tuning));
            let interval =
                kbm.above_reference(tuning, root.saturating_add(step).saturating_add(shift));
            return Ok(exact_or_clamped(kbm.reference_hz, interval));
        }
        let root = self.root.unwrap_or(q(60, 1));
        let interval = Interval::octaves((root - 69) / 12)
            .then(tuning.degree(step).unwrap_or(OVERFLOW))
            .and_then(|i| i.then(tuning.period().times(moved.periods)?));
        Ok(exact_or_clamped(q(A4_HZ, 1), interval))
    }

    /// MIDI key `key` (maybe fractional).
    fn key(&self, tuning: &Tuning, key: Rational, moved: Moves) -> Result<Frequency, PitchError> {
        if let Some(kbm) = &tuning.keyboard {
            let whole_key = key.floor();
            let k = whole_key.to_integer() as i64;
            let d = kbm.degree_of(k, tuning.size()).ok_or_else(|| {
                PitchError(format!(
                    "key {k} is not mapped by {} (keys {}..{}; 'x' entries play nothing)",
                    kbm.name, kbm.first_key, kbm.last_key
                ))
            })?;
            let d = d
                .saturating_add(moved.steps)
                .saturating_add(moved.periods.saturating_mul(kbm_octave(kbm, tuning)));
            let cents = Interval::cents((key - whole_key) * 100);
            let interval = kbm.above_reference(tuning, d).and_then(|i| i.then(cents));
            return Ok(exact_or_clamped(kbm.reference_hz, interval));
        }
        let shifted = key + Rational::from_integer(12 * moved.periods as i128);
        let interval =
            Interval::octaves((shifted - 69) / 12).then(transposition(tuning, moved.steps));
        Ok(exact_or_clamped(q(A4_HZ, 1), interval))
    }
}

/// `steps` steps of `tuning` as an interval for a key: exact for a
/// period of a power of two, else a billionth-of-an-octave rational.
fn transposition(tuning: &Tuning, steps: i64) -> Interval {
    if steps == 0 {
        return Interval::UNISON;
    }
    let n = tuning.size() as i128;
    let t = steps as i128;
    let period = tuning.period().times(1).unwrap_or(OVERFLOW);
    if period.ratio == q(1, 1) {
        return Interval::octaves(period.octaves * t / n);
    }
    let octaves = period.in_cents() / 1200.0 * t as f64 / n as f64;
    Interval::octaves(q((octaves * 1e9).round() as i128, 1_000_000_000))
}

/// The loop's and the note's moves together.
#[derive(Clone, Copy, Debug)]
struct Moves {
    steps: i64,
    periods: i64,
}

/// Degrees from one repetition of a keyboard map to the next.
fn kbm_octave(kbm: &super::keyboard::KeyboardMap, tuning: &Tuning) -> i64 {
    match kbm.octave_degree {
        0 => tuning.size() as i64,
        d => d,
    }
}

/// An interval so large the note is clamped (used when exact terms overflow).
const OVERFLOW: Interval = Interval {
    ratio: Rational::new_raw(1, 1),
    octaves: Rational::new_raw(1_000, 1),
};

fn exact_or_clamped(base: Rational, interval: Option<Interval>) -> Frequency {
    frequency(base, interval.unwrap_or(OVERFLOW))
}

static TWELVE: std::sync::LazyLock<Tuning> = std::sync::LazyLock::new(Tuning::default);

#[cfg(test)]
mod tests;
