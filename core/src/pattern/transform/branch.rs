//! Transforms that take a function (`|p| p.fast(2)`) and choose, per note
//! or per cycle, between the pattern and the function's version of it, or
//! play both: `sometimes` and its family, `some_cycles`, `within`,
//! `whenmod`, `chunk`, `off`, `superimpose`, `echo`, `jux`.
//!
//! The function's transforms are a list like the loop's own (first
//! innermost), applied to the same notes beneath. Random choices hash the
//! query seed, the transform's place and the nominal onset (per note) or the
//! cycle (per cycle), so the same query always gives the same notes.

use super::apply::{apply_chain, cycles, scale_velocity, shifted, unit, Inner, Placed};
use super::Transform;
use crate::pattern::splitmix::splitmix64;
use crate::pattern::{chance, QueryContext};
use crate::time::Rational;

/// One of this file's transforms over `inner` (see [`Transform`] for each rule).
pub fn apply(
    transform: &Transform,
    salt: u64,
    inner: &Inner,
    from: Rational,
    to: Rational,
    ctx: &QueryContext,
) -> Vec<Placed> {
    // The function's own draws are told apart from this transform's.
    let inner_salt = splitmix64(salt ^ 0xF0_0D_F0_0D);
    let chain = |list: &[Transform], a, b| apply_chain(list, inner_salt, inner, a, b, ctx);
    match transform {
        Transform::SomeBy {
            probability,
            transforms,
        } => {
            // One draw per nominal onset, shared by both sides, so a note is
            // either kept or replaced, never both (Tidal's `sometimesBy`).
            let chosen =
                |p: &Placed| unit(chance::draw(ctx.seed, salt as usize, p.key)) < *probability;
            let (mut notes, mut changed) = both(transforms, inner_salt, inner, from, to, ctx);
            notes.retain(|p| !chosen(p));
            changed.retain(chosen);
            notes.extend(changed);
            notes
        }
        Transform::SomeCyclesBy {
            probability,
            transforms,
        } => {
            let mut notes = Vec::new();
            for (cycle, lo, hi) in cycles(from, to) {
                let draw = unit(chance::draw(ctx.seed, salt as usize, cycle));
                if draw < *probability {
                    notes.extend(chain(transforms, lo, hi));
                } else {
                    notes.extend(inner(lo, hi));
                }
            }
            notes
        }
        Transform::Within {
            start,
            end,
            transforms,
        } => {
            let inside = |p: &Placed| {
                let pos = p.key - p.key.floor();
                pos >= *start && pos < *end
            };
            let (mut notes, mut changed) = both(transforms, inner_salt, inner, from, to, ctx);
            notes.retain(|p| !inside(p));
            changed.retain(inside);
            notes.extend(changed);
            notes
        }
        Transform::WhenMod { a, b, transforms } => {
            let (a, b) = (i128::from(*a).max(1), i128::from(*b));
            let mut notes = Vec::new();
            for (cycle, lo, hi) in cycles(from, to) {
                if cycle.to_integer().rem_euclid(a) >= b {
                    notes.extend(chain(transforms, lo, hi));
                } else {
                    notes.extend(inner(lo, hi));
                }
            }
            notes
        }
        Transform::Chunk { n, transforms } => {
            // As Tidal's `chunk`: cycle c plays cycle floor(c / n) of the
            // pattern, transformed in its part c mod n.
            let n = i128::from(*n).max(1);
            let mut notes = Vec::new();
            for (cycle, lo, hi) in cycles(from, to) {
                let c = cycle.to_integer();
                let part = c.rem_euclid(n);
                let source = Rational::from_integer(c.div_euclid(n));
                let within = Transform::Within {
                    start: Rational::new(part, n),
                    end: Rational::new(part + 1, n),
                    transforms: transforms.clone(),
                };
                let by = cycle - source;
                let moved = |a, b| apply(&within, salt, inner, a, b, ctx);
                notes.extend(shifted(&moved, by, lo, hi));
            }
            notes
        }
        Transform::Off { time, transforms } => {
            let by = time.cycles_in(ctx.groups);
            let mut notes = inner(from, to);
            let later = |a, b| shifted(inner, by, a, b);
            notes.extend(apply_chain(transforms, inner_salt, &later, from, to, ctx));
            notes
        }
        Transform::Superimpose(transforms) => {
            let (mut notes, changed) = both(transforms, inner_salt, inner, from, to, ctx);
            notes.extend(changed);
            notes
        }
        Transform::Echo {
            count,
            time,
            feedback,
        } => {
            let by = time.cycles_in(ctx.groups);
            let mut notes = Vec::new();
            let mut gain = 1.0;
            for i in 0..(*count).max(1) {
                let mut copy = shifted(inner, by * i128::from(i), from, to);
                scale_velocity(&mut copy, gain);
                notes.extend(copy);
                gain *= feedback;
            }
            notes
        }
        Transform::Jux(transforms) => {
            let (mut notes, mut right) = both(transforms, inner_salt, inner, from, to, ctx);
            for p in &mut notes {
                p.note.pan = Some(-1.0);
            }
            for p in &mut right {
                p.note.pan = Some(1.0);
            }
            notes.extend(right);
            notes
        }
        _ => Vec::new(),
    }
}

/// The notes beneath for `[from, to)`, and the function's `transforms`
/// over them: what `sometimes`, `within`, `superimpose` and `jux` choose
/// between or play together. The notes beneath are queried once: when the
/// function asks for the same span again (`ply` asks for whole cycles, and a
/// bar is often one cycle), it gets a copy of them instead of a second query
/// of every transform and pattern beneath, with the same notes in the same
/// order, because a query is a pure function of its span.
fn both(
    transforms: &[Transform],
    salt: u64,
    inner: &Inner,
    from: Rational,
    to: Rational,
    ctx: &QueryContext,
) -> (Vec<Placed>, Vec<Placed>) {
    let notes = inner(from, to);
    let again = |a: Rational, b: Rational| {
        if a == from && b == to {
            notes.clone()
        } else {
            inner(a, b)
        }
    };
    let changed = apply_chain(transforms, salt, &again, from, to, ctx);
    (notes, changed)
}
