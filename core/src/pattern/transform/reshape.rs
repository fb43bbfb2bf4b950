//! Transforms that move a cycle's notes about: `ply`, `palindrome`,
//! `iter`, `linger`, `euclid`/`euclid_inv`, `hurry`, `brak`.
//!
//! Those that play other cycles of the pattern follow Tidal's `cat`: when a
//! transform goes round `n` variations, cycle `c` plays cycle `floor(c/n)`
//! of the pattern (`palindrome`: cycle `2k` plays cycle `k`, cycle `2k+1`
//! plays cycle `k` reversed), so a pattern that changes every cycle
//! (`<a b>`) is heard in each variation before it moves on.

use super::apply::{cycles, fast, rev, shifted, Inner, Placed};
use super::Transform;
use crate::pattern::euclid as euclid_rhythm;
use crate::time::{exact, Rational};
use num_traits::Signed;

/// One of this file's transforms over `inner` (see [`Transform`] for each rule).
pub fn apply(transform: &Transform, inner: &Inner, from: Rational, to: Rational) -> Vec<Placed> {
    let zero = Rational::from_integer(0);
    let one = Rational::from_integer(1);
    match transform {
        Transform::Ply(n) => {
            let mut notes = Vec::new();
            if *n <= zero {
                return notes;
            }
            for (cycle, lo, hi) in cycles(from, to) {
                // Whole cycles beneath, so a note that starts before `lo`
                // still gives its later repeats.
                for p in inner(cycle, cycle + 1) {
                    if p.note.duration <= zero {
                        if p.key >= lo && p.key < hi {
                            notes.push(p);
                        }
                        continue;
                    }
                    // Repeat j starts `by = j * step` in: summed step by
                    // step, the same exact values with cheaper operations.
                    let step = exact::div(p.note.duration, *n);
                    let next_cycle = exact::plus_whole(cycle, 1);
                    let mut by = zero;
                    while by < p.note.duration {
                        let key = exact::add(p.key, by);
                        if key >= lo && key < hi && key < next_cycle {
                            let mut copy = p.clone();
                            copy.key = key;
                            copy.note.onset = exact::add(copy.note.onset, by);
                            copy.note.duration = step;
                            notes.push(copy);
                        }
                        by = exact::add(by, step);
                    }
                }
            }
            notes
        }
        Transform::Palindrome => {
            let mut notes = Vec::new();
            for (cycle, lo, hi) in cycles(from, to) {
                let c = cycle.to_integer();
                let source = Rational::from_integer(c.div_euclid(2));
                let by = cycle - source;
                if c.rem_euclid(2) == 0 {
                    notes.extend(shifted(inner, by, lo, hi));
                } else {
                    let reversed = |a, b| rev(inner, a, b);
                    notes.extend(shifted(&reversed, by, lo, hi));
                }
            }
            notes
        }
        Transform::Iter(n) => {
            let n = i128::from(*n).max(1);
            let mut notes = Vec::new();
            for (cycle, lo, hi) in cycles(from, to) {
                let c = cycle.to_integer();
                // Cycle c plays cycle floor(c/n) of the pattern, started
                // (c mod n)/n of the way in.
                let start =
                    Rational::from_integer(c.div_euclid(n)) + Rational::new(c.rem_euclid(n), n);
                notes.extend(shifted(inner, cycle - start, lo, hi));
            }
            notes
        }
        Transform::Linger(x) => {
            let mut notes = Vec::new();
            if *x == zero {
                return notes;
            }
            let length = x.abs().min(one);
            for (cycle, lo, hi) in cycles(from, to) {
                let begin = if *x > zero {
                    cycle
                } else {
                    cycle + one - length
                };
                let mut copy = zero;
                while copy < one {
                    let by = cycle + copy - begin;
                    for mut p in inner(begin, begin + length) {
                        let key = p.key + by;
                        if key >= lo && key < hi && key < cycle + one {
                            p.key = key;
                            p.note.onset += by;
                            notes.push(p);
                        }
                    }
                    copy += length;
                }
            }
            notes
        }
        Transform::Euclid {
            pulses,
            steps,
            rotation,
            invert,
        } => {
            let n = i128::from(*steps).max(1);
            let hits = euclid_rhythm(*pulses, n as u32, *rotation);
            let mut notes = Vec::new();
            for (cycle, lo, hi) in cycles(from, to) {
                for (j, hit) in hits.iter().enumerate() {
                    if *hit == *invert {
                        continue;
                    }
                    let begin = cycle + Rational::new(j as i128, n);
                    let (a, b) = (lo.max(begin), hi.min(begin + Rational::new(1, n)));
                    if a >= b {
                        continue;
                    }
                    // The slot plays the pattern's cycle `cycle` squeezed
                    // into it: t = begin + (t' - cycle) / n.
                    let local = |t: Rational| cycle + (t - begin) * n;
                    for mut p in inner(local(a), local(b)) {
                        let feel = p.note.onset - p.key;
                        p.key = begin + (p.key - cycle) / n;
                        p.note.onset = p.key + feel / n;
                        p.note.duration /= n;
                        notes.push(p);
                    }
                }
            }
            notes
        }
        Transform::Hurry(x) => {
            let mut notes = fast(*x, inner, from, to);
            let scale = *x.numer() as f64 / *x.denom() as f64;
            for p in &mut notes {
                p.note.rate_scale *= scale;
            }
            notes
        }
        Transform::Brak => {
            let mut notes = Vec::new();
            let half = Rational::new(1, 2);
            let quarter = Rational::new(1, 4);
            for (cycle, lo, hi) in cycles(from, to) {
                if cycle.to_integer().rem_euclid(2) == 0 {
                    notes.extend(inner(lo, hi));
                    continue;
                }
                // Odd cycles: the cycle squashed into [c + 1/4, c + 3/4).
                for mut p in inner(cycle, cycle + 1) {
                    let key = cycle + quarter + (p.key - cycle) * half;
                    if key < lo || key >= hi {
                        continue;
                    }
                    let feel = p.note.onset - p.key;
                    p.key = key;
                    p.note.onset = key + feel * half;
                    p.note.duration *= half;
                    notes.push(p);
                }
            }
            notes
        }
        _ => Vec::new(),
    }
}
