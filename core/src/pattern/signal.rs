//! Continuous signals in exact musical time: `sine`, `cosine`, `saw`,
//! `isaw`, `tri`, `square`, `rand`, `perlin`, `envelope([…])`, shaped with
//! `.range(lo, hi)`, `.slow(n)`, `.fast(n)`, `.segment(n)` and `.offset(x)`.
//!
//! As in Tidal, each is one cycle long and runs from 0 to 1 (`sine` starts
//! at 1/2 and rises; `cosine` starts at 1); `.range(lo, hi)` maps 0…1 to
//! `lo`…`hi`. Time is exact until the last step: a position is a rational
//! number of cycles, the phase inside the period is computed exactly and
//! only then turned into a float, so `sine.slow(4).range(-1, 1)` is exactly
//! 0 on every fourth bar line, in 7/8 as in 4/4, however long it has run.
//!
//! Shaping calls apply outside in, as Tidal's functions: in
//! `sine.slow(8).segment(4)` the segments are quarters of a cycle of the
//! slowed sine. `rand` and `perlin` are seeded (a loop's seed, as `?`).

use std::f64::consts::TAU;
use std::sync::atomic::{AtomicU64, Ordering};

use super::chance;
use crate::time::Rational;

/// The most points an [`Shape::Envelope`] holds.
pub const MAX_ENVELOPE_POINTS: usize = 256;

/// The most segments a cycle of [`Signal::segment`] holds (as `a*65536`).
pub const MAX_SEGMENTS: i128 = 1 << 16;

/// Signal values that were not finite (NaN, ±∞) since the program started;
/// each was replaced before it reached a note (see [`Signal::finite_at`]).
static NON_FINITE: AtomicU64 = AtomicU64::new(0);

/// How many signal values were not finite and were replaced.
pub fn non_finite_count() -> u64 {
    NON_FINITE.load(Ordering::Relaxed)
}

/// The basic waveform, one cycle long, from 0 to 1.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// `(sin(2πt) + 1) / 2`.
    Sine,
    /// `(cos(2πt) + 1) / 2`.
    Cosine,
    /// Rises from 0 to 1 across the cycle.
    Saw,
    /// Falls from 1 to 0 across the cycle.
    ISaw,
    /// Rises to 1 at half the cycle, falls back to 0.
    Tri,
    /// 0 in the first half of the cycle, 1 in the second.
    Square,
    /// A new seeded random value at every exact time.
    Rand,
    /// Smooth seeded noise: random values at whole cycles, eased between.
    Perlin,
    /// Straight lines through the points, spread evenly over the cycle
    /// (the last point is the next cycle's start; one point is constant).
    Envelope(Vec<f64>),
}

/// How a signal is shaped, outermost last.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Fast(Rational),
    Offset(Rational),
    Segment(i128),
    Range(f64, f64),
}

/// A continuous signal: a [`Shape`] and how it is shaped.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    shape: Shape,
    steps: Vec<Step>,
}

impl Signal {
    /// The shape, one cycle long, from 0 to 1.
    pub fn new(shape: Shape) -> Signal {
        Signal {
            shape,
            steps: Vec::new(),
        }
    }

    fn with(mut self, step: Step) -> Signal {
        self.steps.push(step);
        self
    }

    /// `n` cycles of the signal per cycle (`n > 0`; the caller checks).
    pub fn fast(self, n: Rational) -> Signal {
        self.with(Step::Fast(n))
    }

    /// One cycle of the signal per `n` cycles (`n > 0`; the caller checks).
    pub fn slow(self, n: Rational) -> Signal {
        self.with(Step::Fast(n.recip()))
    }

    /// Starts `x` cycles into the signal.
    pub fn offset(self, x: Rational) -> Signal {
        self.with(Step::Offset(x))
    }

    /// Holds the value at the start of each of `n` equal segments of a cycle
    /// (`1 <= n <= MAX_SEGMENTS`; the caller checks).
    pub fn segment(self, n: i128) -> Signal {
        self.with(Step::Segment(n))
    }

    /// Maps 0…1 to `lo`…`hi`.
    pub fn range(self, lo: f64, hi: f64) -> Signal {
        self.with(Step::Range(lo, hi))
    }

    /// The value at `t` cycles, under `seed` (for `rand` and `perlin`).
    /// Not finite only if a range was (the caller clamps and counts).
    pub fn at(&self, t: Rational, seed: u64) -> f64 {
        self.eval(self.steps.len(), t, seed)
    }

    /// The value at `t`, or `None` (counted in [`non_finite_count`]) when
    /// it is not finite, so that NaN never reaches a note, a model or the audio.
    pub fn finite_at(&self, t: Rational, seed: u64) -> Option<f64> {
        let v = self.at(t, seed);
        if v.is_finite() {
            Some(v)
        } else {
            NON_FINITE.fetch_add(1, Ordering::Relaxed);
            None
        }
    }

    fn eval(&self, depth: usize, t: Rational, seed: u64) -> f64 {
        let Some(step) = depth.checked_sub(1).map(|i| &self.steps[i]) else {
            return self.shape.at(t, seed);
        };
        match step {
            Step::Fast(n) => self.eval(depth - 1, t * *n, seed),
            Step::Offset(x) => self.eval(depth - 1, t + *x, seed),
            Step::Segment(n) => {
                let n = Rational::from_integer(*n);
                self.eval(depth - 1, (t * n).floor() / n, seed)
            }
            Step::Range(lo, hi) => lo + (hi - lo) * self.eval(depth - 1, t, seed),
        }
    }
}

/// The fraction of the cycle at `t`, exactly, then as a float.
fn phase(t: Rational) -> f64 {
    let p = t - t.floor();
    *p.numer() as f64 / *p.denom() as f64
}

/// A seeded draw in `[0, 1)` at exact time `t`.
fn draw(seed: u64, t: Rational) -> f64 {
    (chance::draw(seed, 0x5167_4A11, t) >> 11) as f64 / (1u64 << 53) as f64
}

impl Shape {
    /// The value at `t` cycles.
    fn at(&self, t: Rational, seed: u64) -> f64 {
        let x = phase(t);
        match self {
            // Exact zeros where the phase is exact: sin(π) is not 0.0 in floats.
            Shape::Sine => match x {
                _ if x == 0.0 || x == 0.5 => 0.5,
                _ if x == 0.25 => 1.0,
                _ if x == 0.75 => 0.0,
                _ => ((TAU * x).sin() + 1.0) / 2.0,
            },
            Shape::Cosine => Shape::Sine.at(t + Rational::new(1, 4), seed),
            Shape::Saw => x,
            Shape::ISaw => 1.0 - x,
            Shape::Tri => {
                if x < 0.5 {
                    2.0 * x
                } else {
                    2.0 - 2.0 * x
                }
            }
            Shape::Square => {
                if x < 0.5 {
                    0.0
                } else {
                    1.0
                }
            }
            Shape::Rand => draw(seed, t),
            Shape::Perlin => {
                let whole = t.floor();
                let a = draw(seed, whole);
                let b = draw(seed, whole + 1);
                // Smootherstep: flat at each whole cycle.
                let e = x * x * x * (x * (x * 6.0 - 15.0) + 10.0);
                a + (b - a) * e
            }
            Shape::Envelope(points) => match points.len() {
                0 => 0.0,
                1 => points[0],
                n => {
                    let segments = (n - 1) as f64;
                    let at = x * segments;
                    let i = (at.floor() as usize).min(n - 2);
                    let f = at - i as f64;
                    points[i] + (points[i + 1] - points[i]) * f
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    fn sig(shape: Shape) -> Signal {
        Signal::new(shape)
    }

    #[test]
    fn shapes_over_one_cycle() {
        let at = |s: &Signal, n, d| s.at(q(n, d), 0);
        let sine = sig(Shape::Sine);
        assert_eq!(
            [
                at(&sine, 0, 1),
                at(&sine, 1, 4),
                at(&sine, 1, 2),
                at(&sine, 3, 4)
            ],
            [0.5, 1.0, 0.5, 0.0]
        );
        let cosine = sig(Shape::Cosine);
        assert_eq!([at(&cosine, 0, 1), at(&cosine, 1, 2)], [1.0, 0.0]);
        assert_eq!(at(&sig(Shape::Saw), 3, 4), 0.75);
        assert_eq!(at(&sig(Shape::ISaw), 3, 4), 0.25);
        assert_eq!(at(&sig(Shape::Tri), 1, 4), 0.5);
        assert_eq!(at(&sig(Shape::Tri), 3, 4), 0.5);
        assert_eq!(at(&sig(Shape::Tri), 1, 2), 1.0);
        assert_eq!(
            [at(&sig(Shape::Square), 1, 4), at(&sig(Shape::Square), 1, 2)],
            [0.0, 1.0]
        );
        let env = sig(Shape::Envelope(vec![0.0, 1.0, 0.0]));
        assert_eq!(
            [
                at(&env, 0, 1),
                at(&env, 1, 4),
                at(&env, 1, 2),
                at(&env, 3, 4)
            ],
            [0.0, 0.5, 1.0, 0.5]
        );
    }

    #[test]
    fn a_slow_sine_crosses_zero_on_every_fourth_bar_line_however_late() {
        let s = sig(Shape::Sine).slow(q(4, 1)).range(-1.0, 1.0);
        for bar in [0i128, 4, 8, 400_000, 4_000_000_000] {
            assert_eq!(s.at(q(bar, 1), 0), 0.0, "bar {bar}");
            assert_eq!(s.at(q(bar + 1, 1), 0), 1.0, "bar {}", bar + 1);
            assert_eq!(s.at(q(bar + 3, 1), 0), -1.0, "bar {}", bar + 3);
        }
        // In 7/8 a pulse is 1/7 of a bar: half way is 3.5 pulses, still exact.
        assert_eq!(s.at(q(2, 1), 0), 0.0);
        assert!(s.at(q(2, 1) - q(1, 7), 0) > 0.0);
        assert!(s.at(q(2, 1) + q(1, 7), 0) < 0.0);
    }

    #[test]
    fn shaping_applies_outside_in() {
        let saw = sig(Shape::Saw);
        assert_eq!(saw.clone().fast(q(2, 1)).at(q(3, 8), 0), 0.75);
        assert_eq!(saw.clone().offset(q(1, 4)).at(q(1, 4), 0), 0.5);
        // Four held values a cycle: the value at each quarter's start.
        let held = saw.clone().segment(4);
        assert_eq!(
            [
                held.at(q(1, 8), 0),
                held.at(q(3, 8), 0),
                held.at(q(7, 8), 0)
            ],
            [0.0, 0.25, 0.75]
        );
        // Segment is outermost here: quarters of a cycle of the slowed saw.
        let s = saw.clone().slow(q(2, 1)).segment(4);
        assert_eq!(s.at(q(3, 8), 0), 0.125);
        assert_eq!(saw.range(-2.0, 2.0).at(q(1, 4), 0), -1.0);
    }

    #[test]
    fn a_value_that_is_not_finite_is_counted_and_withheld() {
        let before = non_finite_count();
        let bad = sig(Shape::Saw).range(f64::NAN, 1.0);
        assert_eq!(bad.finite_at(q(1, 2), 0), None);
        assert!(non_finite_count() > before);
        assert_eq!(sig(Shape::Saw).finite_at(q(1, 2), 0), Some(0.5));
    }

    #[test]
    fn rand_and_perlin_are_seeded() {
        let r = sig(Shape::Rand);
        assert_eq!(r.at(q(1, 3), 5), r.at(q(1, 3), 5));
        assert_ne!(r.at(q(1, 3), 5), r.at(q(1, 3), 6));
        assert_ne!(r.at(q(1, 3), 5), r.at(q(2, 3), 5));
        let p = sig(Shape::Perlin);
        // At whole cycles perlin is the draw there; between, it stays between.
        let (a, b) = (r.at(q(2, 1), 9), p.at(q(3, 1), 9));
        assert_eq!(p.at(q(2, 1), 9), a);
        assert_eq!(b, r.at(q(3, 1), 9));
        let mid = p.at(q(5, 2), 9);
        let lo = p.at(q(2, 1), 9).min(b);
        let hi = p.at(q(2, 1), 9).max(b);
        assert!(mid >= lo && mid <= hi, "{mid} not in {lo}..{hi}");
        assert!((0.0..1.0).contains(&a));
    }
}
