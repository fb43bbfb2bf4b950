//! How each transform answers a query, given a query for the notes beneath it.
//!
//! Each transform turns a query for `[from, to)` into queries of the
//! transform list beneath it (`inner`), then rewrites what comes back. Notes
//! travel as [`Placed`]: the note plus its nominal onset (`key`), which
//! selects it; see the parent module for why the two differ.

use super::{Note, Transform};
use crate::pattern::splitmix::splitmix64;
use crate::pattern::{chance, Pattern, QueryContext};
use crate::time::Rational;
use num_traits::Signed;

/// A note and the nominal onset that places it in a query span.
#[derive(Clone, Debug)]
pub struct Placed {
    /// The onset before swing and humanise, in this level's time.
    pub key: Rational,
    pub note: Note,
}

/// A query for the notes beneath a transform.
pub type Inner<'a> = dyn Fn(Rational, Rational) -> Vec<Placed> + 'a;

/// Humanise moves onsets in steps of `timing / JITTER_STEPS`.
const JITTER_STEPS: i128 = 1000;

/// The notes of `pattern` under `transforms` (first innermost) whose key lies
/// in `[from, to)`, unsorted.
pub fn eval(
    pattern: &Pattern,
    transforms: &[Transform],
    from: Rational,
    to: Rational,
    ctx: &QueryContext,
) -> Vec<Placed> {
    if from >= to {
        return Vec::new();
    }
    match transforms.split_last() {
        None => base(pattern, from, to, ctx),
        Some((outer, rest)) => {
            let inner = |a, b| eval(pattern, rest, a, b, ctx);
            let salt = splitmix64(rest.len() as u64);
            apply(outer, salt, &inner, from, to, ctx)
        }
    }
}

/// The pattern's own events, as notes with their own velocity (1 unless
/// written `^v`) and nudge (`'n` pulses: the note moves, its place in the
/// pattern does not).
fn base(pattern: &Pattern, from: Rational, to: Rational, ctx: &QueryContext) -> Vec<Placed> {
    let pulse = Rational::new(1, pulses(ctx));
    pattern
        .query(from, to, ctx)
        .into_iter()
        .map(|e| Placed {
            key: e.onset,
            note: Note {
                onset: e.onset + e.accent.nudge * pulse,
                duration: e.duration,
                sound: e.sound,
                variant: e.variant,
                velocity: (*e.accent.velocity.numer() as f64) / (*e.accent.velocity.denom() as f64),
                pan: None,
                rate_scale: 1.0,
                gain: None,
                rate: None,
                legato: None,
                slice: (Rational::from_integer(0), Rational::from_integer(1)),
                transpose: 0,
                octave_shift: 0,
            },
        })
        .collect()
}

/// `transforms` (first innermost) over `inner`: a function's transforms
/// (`sometimes(|p| p.fast(2))`). `salt` tells their draws apart from the
/// enclosing list's.
pub fn apply_chain(
    transforms: &[Transform],
    salt: u64,
    inner: &Inner,
    from: Rational,
    to: Rational,
    ctx: &QueryContext,
) -> Vec<Placed> {
    match transforms.split_last() {
        None => inner(from, to),
        Some((outer, rest)) => {
            let below = |a, b| apply_chain(rest, salt, inner, a, b, ctx);
            let salt = splitmix64(salt ^ splitmix64(rest.len() as u64));
            apply(outer, salt, &below, from, to, ctx)
        }
    }
}

/// One transform over `inner`. `salt` tells this transform's draws apart
/// from every other transform's in the list.
fn apply(
    transform: &Transform,
    salt: u64,
    inner: &Inner,
    from: Rational,
    to: Rational,
    ctx: &QueryContext,
) -> Vec<Placed> {
    if from >= to {
        return Vec::new();
    }
    let zero = Rational::from_integer(0);
    match transform {
        Transform::Fast(n) => fast(*n, inner, from, to),
        Transform::Slow(n) if *n > zero => fast(n.recip(), inner, from, to),
        Transform::Slow(_) => Vec::new(),
        Transform::Shift(k) => {
            let by = Rational::new(i128::from(*k), pulses(ctx));
            let mut notes = inner(from - by, to - by);
            for p in &mut notes {
                p.key += by;
                p.note.onset += by;
            }
            notes
        }
        Transform::Rev => rev(inner, from, to),
        Transform::Every {
            n,
            offset,
            transform,
        } => {
            let (n, offset) = (i128::from(*n), i128::from(*offset));
            let mut notes = Vec::new();
            for (cycle, lo, hi) in cycles(from, to) {
                if n >= 1 && (cycle.to_integer() - offset).rem_euclid(n) == 0 {
                    let salt = splitmix64(salt ^ 0xE7E2_5EED);
                    notes.extend(apply(transform, salt, inner, lo, hi, ctx));
                } else {
                    notes.extend(inner(lo, hi));
                }
            }
            notes
        }
        Transform::Degrade(p) => {
            let mut notes = inner(from, to);
            notes.retain(|n| p.is_nan() || unit(draw(ctx, salt, n)) >= *p);
            notes
        }
        Transform::Humanise { timing, velocity } => {
            let mut notes = inner(from, to);
            humanise(&mut notes, timing.abs(), *velocity, salt, ctx);
            notes
        }
        Transform::Swing(amount) => {
            let mut notes = inner(from, to);
            swing(&mut notes, *amount, pulses(ctx));
            notes
        }
        Transform::Layer(pattern) => {
            let mut notes = inner(from, to);
            notes.extend(base(pattern, from, to, ctx));
            notes
        }
        Transform::Gain(g) => {
            let mut notes = inner(from, to);
            scale_velocity(&mut notes, *g);
            notes
        }
        Transform::SomeBy { .. }
        | Transform::SomeCyclesBy { .. }
        | Transform::Off { .. }
        | Transform::Superimpose(_)
        | Transform::Chunk { .. }
        | Transform::Echo { .. }
        | Transform::Within { .. }
        | Transform::WhenMod { .. }
        | Transform::Jux(_) => super::branch::apply(transform, salt, inner, from, to, ctx),
        Transform::Ply(_)
        | Transform::Palindrome
        | Transform::Iter(_)
        | Transform::Linger(_)
        | Transform::Euclid { .. }
        | Transform::Hurry(_)
        | Transform::Brak => super::reshape::apply(transform, inner, from, to),
        Transform::Chop(_) | Transform::Striate(_) => {
            super::slice::apply(transform, inner, from, to)
        }
        Transform::Transpose(k) => {
            let mut notes = inner(from, to);
            for p in &mut notes {
                p.note.transpose = p.note.transpose.saturating_add(*k);
            }
            notes
        }
        Transform::OctaveShift(k) => {
            let mut notes = inner(from, to);
            for p in &mut notes {
                p.note.octave_shift = p.note.octave_shift.saturating_add(*k);
            }
            notes
        }
        Transform::Set { control, values } => {
            let mut notes = inner(from, to);
            super::params::set(&mut notes, *control, values, ctx);
            notes
        }
    }
}

/// Multiplies every velocity by `g` (negative or not finite: 0).
pub fn scale_velocity(notes: &mut [Placed], g: f64) {
    let g = if g.is_finite() && g > 0.0 { g } else { 0.0 };
    for p in notes {
        p.note.velocity *= g;
    }
}

/// The notes of `inner` moved `by` cycles later, selected by their new key.
pub fn shifted(inner: &Inner, by: Rational, from: Rational, to: Rational) -> Vec<Placed> {
    let mut notes = inner(from - by, to - by);
    for p in &mut notes {
        p.key += by;
        p.note.onset += by;
    }
    notes
}

/// `factor` inner cycles per cycle; silence when `factor <= 0`.
pub fn fast(factor: Rational, inner: &Inner, from: Rational, to: Rational) -> Vec<Placed> {
    if factor <= Rational::from_integer(0) {
        return Vec::new();
    }
    let mut notes = inner(from * factor, to * factor);
    for p in &mut notes {
        p.key /= factor;
        p.note.onset /= factor;
        p.note.duration /= factor;
    }
    notes
}

/// Each cycle mirrored: notes clipped to their cycle, then reflected.
pub fn rev(inner: &Inner, from: Rational, to: Rational) -> Vec<Placed> {
    let zero = Rational::from_integer(0);
    let mut notes = Vec::new();
    for (cycle, lo, hi) in cycles(from, to) {
        let next = cycle + 1;
        // NOTE: the whole cycle is queried for every piece, because where a
        // note lands depends on its duration, not only on its onset.
        for mut p in inner(cycle, next) {
            let end = (p.key + p.note.duration.max(zero)).min(next);
            let length = end - p.key;
            let key = if length == zero && p.key == cycle {
                cycle // a point at the cycle's start stays in the cycle
            } else {
                cycle + next - end
            };
            if key < lo || key >= hi {
                continue;
            }
            let feel = p.note.onset - p.key;
            p.key = key;
            p.note.onset = key - feel;
            p.note.duration = length;
            notes.push(p);
        }
    }
    notes
}

fn humanise(notes: &mut [Placed], timing: Rational, velocity: f64, salt: u64, ctx: &QueryContext) {
    let pulse = Rational::new(1, pulses(ctx));
    let velocity = if velocity.is_finite() {
        velocity.abs()
    } else {
        0.0
    };
    let velocity_salt = splitmix64(salt ^ 0x7E10_C1D7);
    for p in notes {
        let steps = chance::choose(draw(ctx, salt, p), 2 * JITTER_STEPS as usize + 1) as i128;
        let jitter = timing * pulse * Rational::new(steps - JITTER_STEPS, JITTER_STEPS);
        let change = velocity * (2.0 * unit(draw(ctx, velocity_salt, p)) - 1.0);
        p.note.onset += jitter;
        p.note.velocity = (p.note.velocity + change).max(0.0);
    }
}

/// The swing warp (module doc) inside each of the `pulses` pulses of a cycle.
fn swing(notes: &mut [Placed], amount: Rational, pulses: i128) {
    let zero = Rational::from_integer(0);
    let one = Rational::from_integer(1);
    let half = Rational::new(1, 2);
    let a = amount.max(zero).min(one);
    if a == zero {
        return;
    }
    let per_cycle = Rational::from_integer(pulses);
    for p in notes {
        let x = p.key * per_cycle;
        let y = x - x.floor();
        let warped = if y < half {
            y * (one + a)
        } else {
            half * (one + a) + (y - half) * (one - a)
        };
        p.note.onset += (warped - y) / per_cycle;
    }
}

/// Pulses per cycle: the sum of the metre's groups, or 1 without any.
pub fn pulses(ctx: &QueryContext) -> i128 {
    let total: i128 = ctx.groups.iter().map(|&g| i128::from(g)).sum();
    total.max(1)
}

/// The cycles `[from, to)` touches, as `(cycle, piece begin, piece end)`.
pub fn cycles(
    from: Rational,
    to: Rational,
) -> impl Iterator<Item = (Rational, Rational, Rational)> {
    let mut cycle = from.floor();
    std::iter::from_fn(move || {
        if cycle >= to {
            return None;
        }
        let next = cycle + 1;
        let piece = (cycle, from.max(cycle), to.min(next));
        cycle = next;
        Some(piece)
    })
}

/// A draw for one note: seed, transform, nominal onset, sound and variant.
fn draw(ctx: &QueryContext, salt: u64, p: &Placed) -> u64 {
    // FNV-1a over the sound name and variant.
    let mut sound = 0xCBF2_9CE4_8422_2325u64;
    for b in p.note.sound.bytes().chain(p.note.variant.to_le_bytes()) {
        sound = (sound ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    chance::draw(ctx.seed, splitmix64(salt ^ sound) as usize, p.key)
}

/// A draw as a float in `[0, 1)`.
pub fn unit(value: u64) -> f64 {
    (value >> 11) as f64 / (1u64 << 53) as f64
}
