//! Transforms: what a loop does to its pattern, as Tidal's functions do.
//!
//! A loop plays a [`Pattern`] through a list of [`Transform`]s. The list is
//! applied in order, the first innermost: `[Fast(2), Rev]` is Tidal's
//! `rev $ fast 2 $ p`. [`query_transformed`] returns the resulting [`Note`]s.
//!
//! # Two onsets: where a note is selected, where it sounds
//!
//! Every note carries a *nominal* onset, the grid position it has before any
//! timing feel, and its reported [`Note::onset`]. Time transforms (`Fast`,
//! `Slow`, `Shift`, `Rev`) move both; feel transforms (`Humanise`, `Swing`)
//! move only the reported onset. A query for `[from, to)` selects the notes
//! whose **nominal** onset lies in the span, so querying a span in pieces
//! gives exactly the notes of one query, and every note appears in exactly
//! one piece. The price: a reported onset may lie slightly outside the span,
//! by at most the note's swing and humanise displacement (after swing, a
//! later; after humanise, either way; `Rev` mirrors a displacement, `Fast`
//! scales it). The scheduler's lookahead absorbs this; a note whose onset is
//! already past is late, as any other.
//!
//! Transforms that look at positions (`Every`, `Degrade`, `Humanise`,
//! `Swing`) look at the nominal onset in their own time, so a swung or
//! humanised note is never re-selected, re-drawn or swung twice by accident.
//!
//! # The transforms
//!
//! The metre's pulses: `P` = the sum of [`QueryContext::groups`] (1 if there
//! are none); pulse `i` of cycle `c` spans `[c + i/P, c + (i+1)/P)`.
//!
//! - **`Fast(n)`**: `n` cycles of the inner pattern per cycle. Times and
//!   durations are divided by `n`. `n <= 0` is silence.
//! - **`Slow(n)`**: `Fast(1/n)`. `n <= 0` is silence.
//! - **`Shift(k)`**: every note `k` pulses later (`k < 0`: earlier), i.e. by
//!   `k/P` cycles: Tidal's `(k/P) ~> p`. It is a plain translation in time,
//!   so notes pushed past the end of one cycle open the next, and notes from
//!   the end of the previous cycle come in at the start.
//! - **`Rev`**: reverses each cycle `[c, c+1)`. A note of cycle `c` (nominal
//!   onset `t` in it) is first clipped to the cycle, `[t, min(t + d, c+1))`,
//!   then reflected: it starts at `2c + 1 - min(t + d, c+1)` and lasts the
//!   clipped length. So the reversed cycle holds exactly the mirror image of
//!   the cycle, and a note longer than the rest of its cycle (`a/2`) is
//!   shortened. The humanise/swing offset is mirrored too (late becomes
//!   early). The metre is not consulted: with groups 2+2+3 the reversed
//!   cycle's parts sit as 3+2+2.
//! - **`Every { n, offset, transform }`**: in cycles `c` with
//!   `(c - offset) mod n == 0` (Euclidean remainder, so negative cycles
//!   work) the notes are those of `transform` applied to the inner pattern;
//!   otherwise the inner pattern's. Cycle 0 is transformed when `offset` is
//!   0, as in Tidal's `every`. `n < 1` never applies.
//! - **`Degrade(p)`**: drops each note with probability `p` (clamped to
//!   `[0, 1]`; NaN drops nothing). The draw hashes the query seed, the
//!   transform's place in the list, the note's nominal onset, sound and
//!   variant: simultaneous notes of different sounds are dropped
//!   independently, and two `Degrade`s in one list draw independently.
//! - **`Humanise { timing, velocity }`**: moves each note's onset by a
//!   uniform draw in `[-timing, +timing]` pulses, in steps of `timing/1000`
//!   (so time stays an exact rational with a small denominator), and changes
//!   its velocity by a uniform draw in `[-velocity, +velocity]`, floored at 0.
//!   Drawn like `Degrade`, independently for timing and velocity.
//!   Negative amounts count as their absolute value.
//! - **`Swing(a)`**: a time warp inside each pulse of the metre (so inside
//!   each group: group boundaries are pulse boundaries). With `a` clamped to
//!   `[0, 1]` and `y` the note's nominal position in its pulse (in pulses,
//!   `0 <= y < 1`), the note moves to
//!   `y(1+a)` when `y < 1/2`, and to `(1+a)/2 + (y - 1/2)(1-a)` otherwise.
//!   Notes on the pulse stay; a note on the off-beat half (`y = 1/2`) is
//!   delayed by `a` half-pulses (`a = 1/3` is triplet swing); finer notes
//!   move in proportion, so the order of notes never changes. Durations are
//!   kept.
//! - **`Layer(p)`**: adds the notes of `p` (velocity 1), queried in the same
//!   time and context; later transforms apply to both.
//! - **`Gain(g)`**: multiplies velocity by `g` (negative or not finite: 0).
//! - **`Transpose(k)`**, **`OctaveShift(k)`**: move each note's pitch by
//!   `k` steps of the loop's tuning, or `k` periods (octaves), on top of
//!   the loop's `.transpose`/`.octave_shift` ([`Note::transpose`],
//!   [`Note::octave_shift`]; they add up when nested). Time, velocity and
//!   sound stay; a word that is not a pitch (a drum) ignores them.
//!
//! Out-of-range parameters (a negative factor, a probability above 1) are
//! clamped as above rather than rejected here; [`Transform::check`] says
//! which values a script should reject with a clear message, which also
//! keeps the exact arithmetic far from `i128` limits.
//!
//! Called on a control thread (the scheduler's lookahead); it allocates, so
//! never from the audio callback. Cost grows with the span, the pattern's
//! density and the product of `Fast` factors.

mod apply;
mod branch;
mod params;
mod reshape;
mod slice;
mod time_arg;

pub use params::{Control, Values};
pub use time_arg::TimeArg;

use std::fmt;

use super::{values, Pattern, QueryContext};
use crate::time::{exact, Rational};
use num_traits::Signed;

/// The largest `Fast`/`Slow` factor [`Transform::check`] accepts.
pub const MAX_FACTOR: i128 = 256;

/// The most events one cycle of a loop may hold after *all* its transforms
/// (`fast` multiplies, `layer` adds, `every` counts as if it always applied).
/// The same number as the parser's limit for one pattern, so
/// `"hat*65536"` plays while `"hat*65536"` with `.fast(256)` (16.7 million a
/// cycle, 2.7 GB a bar) is refused when the loop is defined. With the tempo
/// octave at most +2 (four cycles a bar) a loop plays at most 262 144 events
/// a bar.
pub const MAX_EVENTS_PER_CYCLE: u128 = 1 << 16;

/// The most transforms one loop may carry. Each query walks them
/// recursively, so a script adding them in a loop must not reach the end of
/// the stack.
pub const MAX_TRANSFORMS: usize = 64;

/// One transform of a loop's pattern. See the module documentation for the
/// exact rule of each.
#[derive(Clone, Debug, PartialEq)]
pub enum Transform {
    /// `n` cycles per cycle (Tidal `fast`).
    Fast(Rational),
    /// One cycle per `n` cycles (Tidal `slow`).
    Slow(Rational),
    /// Move by whole pulses of the metre: +1 = one pulse later.
    Shift(i64),
    /// Reverse each cycle.
    Rev,
    /// Apply `transform` on cycles where `(cycle - offset) mod n == 0`.
    Every {
        /// Period, in cycles.
        n: i64,
        /// The first cycle it applies on, within the period.
        offset: i64,
        /// The transform applied on those cycles.
        transform: Box<Transform>,
    },
    /// Drop each note with this probability (seeded).
    Degrade(f64),
    /// Jitter: `timing` = max onset change in pulses, `velocity` = max
    /// velocity change; seeded per note.
    Humanise {
        /// The largest onset change, in pulses.
        timing: Rational,
        /// The largest velocity change (velocity 1 = as written).
        velocity: f64,
    },
    /// Delay the off-beat half of each pulse by `amount` half-pulses.
    Swing(Rational),
    /// Add another pattern on top.
    Layer(Pattern),
    /// Multiply velocity.
    Gain(f64),
    /// Each note is replaced, with probability `probability`, by the notes
    /// of `transforms` at the same nominal onset (Tidal's `sometimesBy`):
    /// `sometimes` 1/2, `often` 3/4, `rarely` 1/4, `almost_never` 1/10,
    /// `almost_always` 9/10, `always` 1. Seeded.
    SomeBy {
        /// The chance each note is transformed, 0 … 1.
        probability: f64,
        /// The function's transforms, first innermost.
        transforms: Vec<Transform>,
    },
    /// Whole cycles transformed with probability `probability` (Tidal's `somecyclesBy`). Seeded.
    SomeCyclesBy {
        /// The chance each cycle is transformed, 0 … 1.
        probability: f64,
        /// The function's transforms, first innermost.
        transforms: Vec<Transform>,
    },
    /// The pattern plus a copy moved `time` later and then transformed (Tidal's `off`).
    Off {
        /// How much later the copy starts.
        time: TimeArg,
        /// The function's transforms, applied to the moved copy.
        transforms: Vec<Transform>,
    },
    /// The pattern plus a transformed copy (Tidal's `superimpose`).
    Superimpose(Vec<Transform>),
    /// Each note repeated `n` times across its own length (Tidal's `ply`).
    Ply(Rational),
    /// Every other cycle reversed, each cycle of the pattern played twice (Tidal's `palindrome`).
    Palindrome,
    /// Each cycle starts `1/n` further into the pattern, going round in `n` cycles (Tidal's `iter`).
    Iter(i64),
    /// Cycle `c` transforms its part `c mod n` of `n` (Tidal's `chunk`).
    Chunk {
        /// Parts of a cycle.
        n: i64,
        /// The function's transforms.
        transforms: Vec<Transform>,
    },
    /// Repeats the first `x` of each cycle to fill it; negative: the last `-x` (Tidal's `linger`).
    Linger(Rational),
    /// The pattern played on the hits of a Euclidean rhythm, one cycle in each hit;
    /// `invert`: on its rests (Tidal's `euclid`, `euclidInv`).
    Euclid {
        /// Hits.
        pulses: i64,
        /// Steps in the rhythm.
        steps: i64,
        /// Steps it is rotated left by.
        rotation: i64,
        /// Play on the rests instead of the hits.
        invert: bool,
    },
    /// `count` copies, each `time` later than the one before and `feedback`
    /// times as loud (Tidal's `echo`).
    Echo {
        /// How many copies, the original included.
        count: i64,
        /// The delay between copies.
        time: TimeArg,
        /// The velocity factor from one copy to the next.
        feedback: f64,
    },
    /// Notes whose nominal onset lies in `[start, end)` of their cycle come
    /// from the transformed pattern, the others from the pattern (Tidal's `within`).
    Within {
        /// Where the window starts, as a fraction of the cycle.
        start: Rational,
        /// Where it ends (exclusive).
        end: Rational,
        /// The function's transforms.
        transforms: Vec<Transform>,
    },
    /// Cycles `c` with `c mod a >= b` are transformed (Tidal's `whenmod`).
    WhenMod {
        /// The period, in cycles.
        a: i64,
        /// The first cycle of the period that is transformed.
        b: i64,
        /// The function's transforms.
        transforms: Vec<Transform>,
    },
    /// The pattern hard left, the transformed copy hard right (Tidal's `jux`).
    Jux(Vec<Transform>),
    /// `Fast(x)` with the playback rate multiplied by `x` (Tidal's `hurry`).
    Hurry(Rational),
    /// Odd cycles squashed into half a cycle and moved a quarter later (Tidal's `brak`).
    Brak,
    /// Each note cut into `n` equal parts in time, part `i` playing the
    /// `i`-th `n`th of its sample (Tidal's `chop`).
    Chop(i64),
    /// Each cycle played `n` times as fast, `n` times over, the `i`-th time
    /// with every sample's `i`-th `n`th, so the slices of all a cycle's
    /// sounds interleave (Tidal's `striate`).
    Striate(i64),
    /// Every note `k` steps of the loop's tuning higher (lower when negative):
    /// semitones in 12-EDO, commas in 53-EDO.
    Transpose(i64),
    /// Every note `k` periods (octaves) higher (lower when negative).
    OctaveShift(i64),
    /// A parameter pattern (Tidal's `#`, structure from the left): each
    /// note takes the value `values` holds at its nominal onset; a note
    /// that falls in a rest of `values` is dropped, as in Tidal.
    Set {
        /// Which parameter.
        control: Control,
        /// A pattern of numbers ([`Pattern::parse_values`]), checked by the
        /// control's rule, or a continuous signal, clamped into it.
        values: Values,
    },
}

/// One note to play.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    /// When it sounds, in absolute cycles (after swing and humanise).
    pub onset: Rational,
    /// How long it lasts, in cycles.
    pub duration: Rational,
    /// The sound's name.
    pub sound: String,
    /// Which file of the folder, counted from 0 and wrapping.
    pub variant: u32,
    /// 1.0 unless a transform changed it; never negative.
    pub velocity: f64,
    /// −1 (left) … 1 (right), when a transform (`jux`) or a parameter
    /// pattern set it; `None`: the loop's pan.
    pub pan: Option<f64>,
    /// Multiplies the playback rate (`hurry`); 1 unless changed.
    pub rate_scale: f64,
    /// Linear gain from a parameter pattern; `None`: the loop's gain.
    pub gain: Option<f64>,
    /// Playback rate from a parameter pattern; `None`: the loop's rate.
    pub rate: Option<f64>,
    /// Legato from a parameter pattern; `None`: the loop's legato.
    pub legato: Option<f64>,
    /// The part of the sample it plays, as exact fractions of its length
    /// (`chop`, `striate`); 0 to 1 unless cut.
    pub slice: (Rational, Rational),
    /// Steps of the tuning the pattern's `transpose` transforms move it by
    /// (added to the loop's `.transpose`); 0 unless moved.
    pub transpose: i64,
    /// Periods its `octave_shift` transforms move it by (added to the
    /// loop's `.octave_shift`); 0 unless moved.
    pub octave_shift: i64,
}

/// A transform parameter a script should not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformError {
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for TransformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransformError {}

fn error(message: impl Into<String>) -> TransformError {
    TransformError {
        message: message.into(),
    }
}

/// All notes whose nominal onset lies in `[from, to)` after applying
/// `transforms` in order (first = innermost), sorted by onset, then sound,
/// then variant, duration and velocity.
///
/// Deterministic, and splitting the span into pieces selects the same notes
/// (see the module documentation for why a reported onset may lie just
/// outside the span).
pub fn query_transformed(
    pattern: &Pattern,
    transforms: &[Transform],
    from: Rational,
    to: Rational,
    ctx: &QueryContext,
) -> Vec<Note> {
    let mut notes: Vec<Note> = apply::eval(pattern, transforms, from, to, ctx)
        .into_iter()
        .map(|placed| placed.note)
        .collect();
    notes.sort_by(|a, b| {
        exact::cmp(&a.onset, &b.onset)
            .then_with(|| (&a.sound, a.variant).cmp(&(&b.sound, b.variant)))
            .then_with(|| exact::cmp(&a.duration, &b.duration))
            .then(a.velocity.total_cmp(&b.velocity))
    });
    notes
}

/// A bound on the events one cycle of `pattern` holds under `transforms`
/// (first innermost). Saturates instead of overflowing.
pub fn events_per_cycle(pattern: &Pattern, transforms: &[Transform]) -> u128 {
    transforms
        .iter()
        .fold(pattern.tree().density(), |n, t| t.events_bound(n))
}

/// Checks a loop's size before it is ever queried: at most
/// [`MAX_TRANSFORMS`] transforms and [`MAX_EVENTS_PER_CYCLE`] events a cycle
/// after all of them. The message says which limit and by how much.
pub fn check_loop_size(pattern: &Pattern, transforms: &[Transform]) -> Result<(), TransformError> {
    if transforms.len() > MAX_TRANSFORMS {
        return Err(error(format!(
            "{} transforms; a loop carries at most {MAX_TRANSFORMS}",
            transforms.len()
        )));
    }
    let n = events_per_cycle(pattern, transforms);
    if n > MAX_EVENTS_PER_CYCLE {
        let shown = if n == u128::MAX {
            "more than 2^128".to_owned()
        } else {
            n.to_string()
        };
        return Err(error(format!(
            "up to {shown} events a cycle after its transforms (the pattern alone: {}); a loop plays at most {MAX_EVENTS_PER_CYCLE} a cycle",
            pattern.tree().density()
        )));
    }
    Ok(())
}

impl Transform {
    /// A bound on events a cycle after this transform, given `n` beneath it.
    fn events_bound(&self, n: u128) -> u128 {
        match self {
            Transform::Fast(f) => {
                let ceil = u128::try_from(f.ceil().to_integer()).unwrap_or(u128::MAX);
                n.saturating_mul(ceil.max(1))
            }
            Transform::Every { transform, .. } => n.max(transform.events_bound(n)),
            Transform::Layer(p) => n.saturating_add(p.tree().density()),
            Transform::SomeBy { transforms, .. }
            | Transform::Off { transforms, .. }
            | Transform::Within { transforms, .. }
            | Transform::Chunk { transforms, .. }
            | Transform::Superimpose(transforms)
            | Transform::Jux(transforms) => n.saturating_add(chain_bound(transforms, n)),
            Transform::SomeCyclesBy { transforms, .. } | Transform::WhenMod { transforms, .. } => {
                n.max(chain_bound(transforms, n))
            }
            Transform::Ply(x) | Transform::Hurry(x) => {
                let ceil = u128::try_from(x.ceil().to_integer()).unwrap_or(u128::MAX);
                n.saturating_mul(ceil.max(1))
            }
            Transform::Linger(x) => {
                let x = x.abs();
                let copies = if x > Rational::from_integer(0) {
                    u128::try_from(x.recip().ceil().to_integer()).unwrap_or(u128::MAX)
                } else {
                    1
                };
                n.saturating_mul(copies.max(1))
            }
            Transform::Euclid { steps, .. } => {
                n.saturating_mul(u128::try_from(*steps).unwrap_or(0).max(1))
            }
            Transform::Echo { count, .. } => {
                n.saturating_mul(u128::try_from(*count).unwrap_or(0).max(1))
            }
            // Iter, palindrome and brak move a cycle's notes; each cycle
            // holds one cycle's worth (a moved cycle may straddle two).
            Transform::Iter(_) | Transform::Palindrome | Transform::Brak => n.saturating_mul(2),
            Transform::Set { .. } | Transform::Transpose(_) | Transform::OctaveShift(_) => n,
            // Each note becomes `n` notes (chop), each cycle `n` cycles (striate).
            Transform::Chop(k) | Transform::Striate(k) => {
                n.saturating_mul(u128::try_from(*k).unwrap_or(0).max(1))
            }
            // Slow spreads a cycle over several; the others move, drop or
            // rescale notes without adding any.
            Transform::Slow(_)
            | Transform::Shift(_)
            | Transform::Rev
            | Transform::Degrade(_)
            | Transform::Humanise { .. }
            | Transform::Swing(_)
            | Transform::Gain(_) => n,
        }
    }

    /// Parses a positive factor for `Fast`, `Slow` or `Swing`: an integer
    /// (`2`), a decimal (`1.5`, at most 9 decimals) or a fraction (`3/2`),
    /// converted exactly. Errors say what was wrong, for the script's message.
    pub fn parse_factor(text: &str) -> Result<Rational, TransformError> {
        let text = text.trim();
        let bad = || {
            error(format!(
                "expected a number like 2, 1.5 or 3/2, got {text:?}"
            ))
        };
        let value = match text.split_once('/') {
            Some((n, d)) => {
                let (n, d) = (parse_decimal(n.trim()), parse_decimal(d.trim()));
                let (n, d) = (n.ok_or_else(bad)?, d.ok_or_else(bad)?);
                if d == Rational::from_integer(0) {
                    return Err(error(format!("{text:?} divides by zero")));
                }
                n / d
            }
            None => parse_decimal(text).ok_or_else(bad)?,
        };
        if value <= Rational::from_integer(0) {
            return Err(error(format!("{text:?} must be greater than 0")));
        }
        Ok(value)
    }

    /// Whether the parameters are in the range a script should allow, by
    /// the rules of [`super::values`]: `Fast` by [`values::FAST`], `Slow` by
    /// [`values::SLOW`], `Shift` by [`values::SHIFT`], `Every` with
    /// `n >= 1`, `Degrade` by [`values::DEGRADE`], `Humanise` by
    /// [`values::HUMANISE_TIMING`] and [`values::HUMANISE_VELOCITY`],
    /// `Swing` by [`values::SWING`], `Gain` (`.velocity(g)`) by
    /// [`values::VELOCITY`]. Out-of-range values still query safely (they
    /// are clamped), but every entry refuses them with this message.
    pub fn check(&self) -> Result<(), TransformError> {
        let exact = |r: &Rational| *r.numer() as f64 / *r.denom() as f64;
        let rule = |rule: values::Rule, v: f64| {
            rule.check(v).map(|_| ()).map_err(|e| error(e.to_string()))
        };
        match self {
            Transform::Fast(n) => rule(values::FAST, exact(n)),
            Transform::Slow(n) => rule(values::SLOW, exact(n)),
            Transform::Shift(k) => rule(values::SHIFT, *k as f64),
            Transform::Every { n, transform, .. } => {
                if *n < 1 {
                    return Err(error(format!("every {n}: n must be at least 1")));
                }
                transform.check()
            }
            Transform::Degrade(p) => rule(values::DEGRADE, *p),
            Transform::Humanise { timing, velocity } => {
                rule(values::HUMANISE_TIMING, exact(timing))?;
                rule(values::HUMANISE_VELOCITY, *velocity)
            }
            Transform::Swing(a) => rule(values::SWING, exact(a)),
            Transform::Gain(g) => rule(values::VELOCITY, *g),
            Transform::Transpose(k) => within_steps(
                "transpose",
                *k,
                crate::pitch::loop_pitch::MAX_TRANSPOSE_STEPS,
                " steps",
            ),
            Transform::OctaveShift(k) => within_steps(
                "octave_shift",
                *k,
                crate::pitch::loop_pitch::MAX_OCTAVE_SHIFT,
                " periods",
            ),
            // A parameter pattern's values were checked when it was parsed.
            Transform::Rev
            | Transform::Layer(_)
            | Transform::Palindrome
            | Transform::Brak
            | Transform::Set { .. } => Ok(()),
            Transform::SomeBy {
                probability,
                transforms,
            }
            | Transform::SomeCyclesBy {
                probability,
                transforms,
            } => {
                rule(values::CHANCE, *probability)?;
                check_chain(transforms)
            }
            Transform::Off { time, transforms } => {
                time.check()?;
                check_chain(transforms)
            }
            Transform::Superimpose(transforms) | Transform::Jux(transforms) => {
                check_chain(transforms)
            }
            Transform::Ply(n) => rule(values::PLY, exact(n)),
            Transform::Iter(n) => rule(values::PARTS, *n as f64),
            Transform::Chunk { n, transforms } => {
                rule(values::PARTS, *n as f64)?;
                check_chain(transforms)
            }
            Transform::Linger(x) => rule(values::LINGER, exact(x)),
            Transform::Euclid {
                pulses,
                steps,
                rotation,
                ..
            } => {
                rule(values::EUCLID_STEPS, *steps as f64)?;
                if *pulses == 0 || pulses.unsigned_abs() > steps.unsigned_abs() {
                    return Err(error(format!(
                        "euclid pulses {pulses}: give 1 to {steps} (negative: the rests)"
                    )));
                }
                rule(values::SHIFT, *rotation as f64)
            }
            Transform::Echo {
                count,
                time,
                feedback,
            } => {
                rule(values::ECHOES, *count as f64)?;
                time.check()?;
                rule(values::FEEDBACK, *feedback)
            }
            Transform::Within {
                start,
                end,
                transforms,
            } => {
                rule(values::CYCLE_POSITION, exact(start))?;
                rule(values::CYCLE_POSITION, exact(end))?;
                if start >= end {
                    return Err(error(format!(
                        "within {start} to {end}: the start must come before the end"
                    )));
                }
                check_chain(transforms)
            }
            Transform::WhenMod { a, b, transforms } => {
                rule(values::PARTS, *a as f64)?;
                if *b < 0 || b >= a {
                    return Err(error(format!(
                        "whenmod {a} {b}: give b from 0 to {}",
                        a - 1
                    )));
                }
                check_chain(transforms)
            }
            Transform::Hurry(x) => rule(values::FAST, exact(x)),
            Transform::Chop(n) | Transform::Striate(n) => rule(values::SLICES, *n as f64),
        }
    }
}

/// `k` within `-limit..=limit`, else a message naming `what`.
fn within_steps(what: &str, k: i64, limit: i64, unit: &str) -> Result<(), TransformError> {
    if k.checked_abs().is_some_and(|a| a <= limit) {
        return Ok(());
    }
    Err(error(format!("{what} {k}: give -{limit} to {limit}{unit}")))
}

/// A bound on events a cycle after `transforms` (first innermost), given `n` beneath.
fn chain_bound(transforms: &[Transform], n: u128) -> u128 {
    transforms.iter().fold(n, |n, t| t.events_bound(n))
}

/// Checks a function's transforms: each by its rule, and at most
/// [`MAX_TRANSFORMS`] of them.
fn check_chain(transforms: &[Transform]) -> Result<(), TransformError> {
    if transforms.len() > MAX_TRANSFORMS {
        return Err(error(format!(
            "{} transforms in one function; at most {MAX_TRANSFORMS}",
            transforms.len()
        )));
    }
    transforms.iter().try_for_each(Transform::check)
}

/// `12`, `-3`, `1.5`, `.25`: exact, at most 18 integer digits and 9 decimals.
fn parse_decimal(text: &str) -> Option<Rational> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !all_digits(whole)
        || !all_digits(fraction)
        || whole.len() > 18
        || fraction.len() > 9
        || (digits.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let scale = 10i128.pow(fraction.len() as u32);
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let value = Rational::new(whole * scale + fraction, scale);
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests;
