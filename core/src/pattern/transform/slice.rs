//! Transforms that play parts of samples, as Tidal's granular `chop` and
//! `striate`: each note carries the part of its sample it plays (its
//! `slice`, exact fractions of the sample's length), which the voice reads
//! from a preallocated sample without allocating.
//!
//! - `chop(n)`: every note is cut into `n` equal notes in time; the `i`-th
//!   plays the `i`-th `n`th of the note's slice. `"a b".chop(2)`: a's first
//!   half at 0, its second half at 1/4, b's halves at 1/2 and 3/4.
//! - `striate(n)`: each cycle is played `n` times, each `n` times as fast;
//!   the `i`-th time every note plays the `i`-th `n`th of its slice (Tidal's
//!   `fastcat [p # begin (i/n) # end ((i+1)/n) | i <- [0..n-1]]`).
//!   `"a b".striate(2)`: a's first half at 0, b's first half at 1/4, a's
//!   second half at 1/2, b's second half at 3/4.
//!
//! Slices nest: a chopped note chopped again cuts its own part.

use super::apply::{cycles, Inner, Placed};
use super::Transform;
use crate::time::Rational;

/// Part `i` of `n` of `slice`.
fn part(slice: (Rational, Rational), i: i128, n: i128) -> (Rational, Rational) {
    let (b, e) = slice;
    let w = e - b;
    (b + w * Rational::new(i, n), b + w * Rational::new(i + 1, n))
}

/// `chop` or `striate` over `inner` (see the module documentation).
pub fn apply(transform: &Transform, inner: &Inner, from: Rational, to: Rational) -> Vec<Placed> {
    let zero = Rational::from_integer(0);
    let mut notes = Vec::new();
    match transform {
        Transform::Chop(n) => {
            let n = i128::from(*n);
            if n < 1 {
                return notes;
            }
            for (cycle, lo, hi) in cycles(from, to) {
                // Whole cycles beneath, so a note that starts before `lo`
                // still gives its later parts.
                for p in inner(cycle, cycle + 1) {
                    if p.note.duration <= zero {
                        if p.key >= lo && p.key < hi {
                            notes.push(p);
                        }
                        continue;
                    }
                    let step = p.note.duration / n;
                    for i in 0..n {
                        let by = step * i;
                        let key = p.key + by;
                        if key >= lo && key < hi {
                            let mut copy = p.clone();
                            copy.key = key;
                            copy.note.onset += by;
                            copy.note.duration = step;
                            copy.note.slice = part(p.note.slice, i, n);
                            notes.push(copy);
                        }
                    }
                }
            }
        }
        Transform::Striate(n) => {
            let n = i128::from(*n);
            if n < 1 {
                return notes;
            }
            for (cycle, lo, hi) in cycles(from, to) {
                let beneath = inner(cycle, cycle + 1);
                for i in 0..n {
                    let start = cycle + Rational::new(i, n);
                    for p in &beneath {
                        let squeeze = |t: Rational| start + (t - cycle) / n;
                        let key = squeeze(p.key);
                        if key >= lo && key < hi {
                            let mut copy = p.clone();
                            copy.key = key;
                            copy.note.onset = squeeze(p.note.onset);
                            copy.note.duration = p.note.duration / n;
                            copy.note.slice = part(p.note.slice, i, n);
                            notes.push(copy);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    notes
}
