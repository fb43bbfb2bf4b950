//! Seeded, stateless randomness for `?` (drop events) and `|` (choose per cycle).
//!
//! Every draw is a hash of the query seed, the operator's byte offset in the
//! source and an exact time, so the same query always gives the same answer
//! and no state is carried between queries.

use super::splitmix::splitmix64;
use crate::time::Rational;

/// A 64-bit draw for operator `id` at exact time `at`, under `seed`.
pub fn draw(seed: u64, id: usize, at: Rational) -> u64 {
    let words = [
        id as u64,
        *at.numer() as u64,
        (*at.numer() >> 64) as u64,
        *at.denom() as u64,
        (*at.denom() >> 64) as u64,
    ];
    words
        .iter()
        .fold(splitmix64(seed), |h, &w| splitmix64(h ^ w))
}

/// True when an event drawn as `value` is dropped at `probability` (in `[0, 1]`).
///
/// Exact: drops when `value / 2^64 < probability`, compared in integers.
pub fn dropped(value: u64, probability: Rational) -> bool {
    // The parser keeps numerators and denominators below 10^18 < 2^64, so
    // neither product overflows u128.
    let num = (*probability.numer()).max(0) as u128;
    let den = (*probability.denom()).max(1) as u128;
    (value as u128) * den < num << 64
}

/// An index in `0..count` from a 64-bit draw (multiply-shift, no modulo bias to speak of).
pub fn choose(value: u64, count: usize) -> usize {
    (((value as u128) * (count as u128)) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    #[test]
    fn draws_are_deterministic_and_depend_on_every_input() {
        let a = draw(1, 5, q(3, 4));
        assert_eq!(a, draw(1, 5, q(3, 4)));
        assert_ne!(a, draw(2, 5, q(3, 4)));
        assert_ne!(a, draw(1, 6, q(3, 4)));
        assert_ne!(a, draw(1, 5, q(1, 4)));
        assert_ne!(draw(1, 5, q(1, 2)), draw(1, 5, q(1, 3)));
    }

    #[test]
    fn drop_threshold_is_exact() {
        assert!(dropped(0, q(1, 2)));
        assert!(dropped((1u64 << 63) - 1, q(1, 2)));
        assert!(!dropped(1u64 << 63, q(1, 2)));
        assert!(!dropped(0, q(0, 1)));
        assert!(dropped(u64::MAX, q(1, 1)));
    }

    #[test]
    fn drop_rate_is_close_to_probability() {
        let n = 10_000;
        let dropped_count = (0..n)
            .filter(|&i| dropped(draw(7, 3, q(i, 8)), q(3, 10)))
            .count();
        assert!((2_700..3_300).contains(&dropped_count), "{dropped_count}");
    }

    #[test]
    fn choose_stays_in_range() {
        assert_eq!(choose(0, 3), 0);
        assert_eq!(choose(u64::MAX, 3), 2);
        let mut seen = [0usize; 3];
        for i in 0..3000 {
            seen[choose(draw(0, 0, q(i, 1)), 3)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }
}
