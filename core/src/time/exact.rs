//! Cheap exact arithmetic for the hot loops of pattern queries.
//!
//! [`Rational`]'s general operations reduce every result by a greatest
//! common divisor of `i128`s, and divide by every common factor even when it
//! is 1; that dominated a query's cost. These functions give exactly the
//! value the general operation gives, in the same lowest terms (a
//! `Rational` is always kept in lowest terms with a positive denominator),
//! with less work, by the classic identities (Knuth, TAOCP vol. 2, 4.5.1):
//!
//! - adding or taking away a whole number needs no reduction:
//!   `n/d + k = (n + k·d)/d` and `gcd(n + k·d, d) = gcd(n, d) = 1`;
//! - a product of two fractions in lowest terms, reduced across first
//!   (`a/b · c/d` with `gcd(a, d)` and `gcd(c, b)` taken out), is in lowest
//!   terms already;
//! - a sum `a/b + c/d` with `g = gcd(b, d)` is `t / (b/g · d)` with
//!   `t = a·(d/g) + c·(b/g)`, and only `gcd(t, g)` can be common to both.
//!
//! Intermediate values never exceed those of the general operations, so
//! nothing overflows that did not overflow before.

use std::cmp::Ordering;

use num_integer::Integer;

use super::Rational;

/// `r + k` for a whole number `k` (exact, already in lowest terms).
pub fn plus_whole(r: Rational, k: i128) -> Rational {
    Rational::new_raw(r.numer() + k * r.denom(), *r.denom())
}

/// `r - k` for a whole number `k` (exact, already in lowest terms).
pub fn minus_whole(r: Rational, k: i128) -> Rational {
    Rational::new_raw(r.numer() - k * r.denom(), *r.denom())
}

/// `a · b`, exactly.
pub fn mul(a: Rational, b: Rational) -> Rational {
    let (an, ad, bn, bd) = (*a.numer(), *a.denom(), *b.numer(), *b.denom());
    if an == 0 || bn == 0 {
        return Rational::from_integer(0);
    }
    let g1 = gcd(an, bd);
    let g2 = gcd(bn, ad);
    let (an, bd) = (divided(an, g1), divided(bd, g1));
    let (bn, ad) = (divided(bn, g2), divided(ad, g2));
    Rational::new_raw(an * bn, ad * bd)
}

/// `a + b`, exactly.
pub fn add(a: Rational, b: Rational) -> Rational {
    let (an, ad, bn, bd) = (*a.numer(), *a.denom(), *b.numer(), *b.denom());
    if ad == 1 {
        return plus_whole(b, an);
    }
    if bd == 1 {
        return plus_whole(a, bn);
    }
    let g = gcd(ad, bd);
    if g == 1 {
        // Coprime denominators: the sum is in lowest terms as it stands.
        return Rational::new_raw(an * bd + bn * ad, ad * bd);
    }
    let t = an * divided(bd, g) + bn * divided(ad, g);
    if t == 0 {
        return Rational::from_integer(0);
    }
    let g2 = gcd(t, g);
    Rational::new_raw(divided(t, g2), divided(ad, g) * divided(bd, g2))
}

/// `a - b`, exactly.
pub fn sub(a: Rational, b: Rational) -> Rational {
    add(a, -b)
}

/// `a / b`, exactly (`b` not zero: dividing by zero panics, as the
/// general operation does).
pub fn div(a: Rational, b: Rational) -> Rational {
    mul(a, b.recip())
}

/// The order of `a` and `b`. Denominators are positive, so it is the
/// order of the cross products `a.numer · b.denom` and `b.numer · a.denom`;
/// when every part fits in 64 bits (always, in practice, for musical time)
/// those products fit in `i128`, and comparing them costs no division.
/// Otherwise it is the general comparison.
pub fn cmp(a: &Rational, b: &Rational) -> Ordering {
    let (an, ad, bn, bd) = (*a.numer(), *a.denom(), *b.numer(), *b.denom());
    if ad == bd {
        return an.cmp(&bn);
    }
    let small = |x: i128| i128::from(x as i64) == x;
    if small(an) && small(ad) && small(bn) && small(bd) {
        (an * bd).cmp(&(bn * ad))
    } else {
        a.cmp(b)
    }
}

/// The larger of `a` and `b` (`b` when equal, as [`Ord::max`]).
pub fn max(a: Rational, b: Rational) -> Rational {
    if cmp(&a, &b) == Ordering::Greater {
        a
    } else {
        b
    }
}

/// The smaller of `a` and `b` (`a` when equal, as [`Ord::min`]).
pub fn min(a: Rational, b: Rational) -> Rational {
    if cmp(&a, &b) == Ordering::Greater {
        b
    } else {
        a
    }
}

/// The greatest common divisor of `a` and `b` (never negative), in 64-bit
/// arithmetic when both fit, about twice as fast as in 128 bits.
fn gcd(a: i128, b: i128) -> i128 {
    match (
        u64::try_from(a.unsigned_abs()),
        u64::try_from(b.unsigned_abs()),
    ) {
        (Ok(x), Ok(y)) => i128::from(x.gcd(&y)),
        _ => a.gcd(&b),
    }
}

/// `x / g` for a common divisor `g > 0`: no division when `g` is 1 (the
/// usual case), a 64-bit one when both fit.
fn divided(x: i128, g: i128) -> i128 {
    if g == 1 {
        return x;
    }
    match (i64::try_from(x), i64::try_from(g)) {
        (Ok(x), Ok(g)) => i128::from(x / g),
        _ => x / g,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::q;

    #[test]
    fn whole_shifts_equal_the_general_sum_in_lowest_terms() {
        for (n, d) in [(0, 1), (3, 7), (-5, 4), (12, 8), (1, 1), (-9, 3)] {
            for k in [-3, 0, 1, 1_000_003] {
                let r = q(n, d);
                let (up, down) = (plus_whole(r, k), minus_whole(r, k));
                let (sum, difference) =
                    (r + Rational::from_integer(k), r - Rational::from_integer(k));
                // The same lowest terms as the general operation, not just equal.
                assert_eq!((up.numer(), up.denom()), (sum.numer(), sum.denom()));
                assert_eq!(
                    (down.numer(), down.denom()),
                    (difference.numer(), difference.denom())
                );
            }
        }
    }

    #[test]
    fn products_and_sums_equal_the_general_operations_in_lowest_terms() {
        let values: Vec<Rational> = [
            (0, 1),
            (1, 1),
            (-1, 1),
            (3, 7),
            (-5, 4),
            (7, 12),
            (12, 8),
            (-9, 3),
            (1, 6),
            (5, 6),
            (49, 48_000),
            (1_000_003, 1_024),
            (-137, 60),
            (2, 9),
        ]
        .iter()
        .map(|&(n, d)| q(n, d))
        .collect();
        for &a in &values {
            for &b in &values {
                let (p, s, d) = (mul(a, b), add(a, b), sub(a, b));
                assert_eq!((p.numer(), p.denom()), ((a * b).numer(), (a * b).denom()));
                assert_eq!((s.numer(), s.denom()), ((a + b).numer(), (a + b).denom()));
                assert_eq!((d.numer(), d.denom()), ((a - b).numer(), (a - b).denom()));
                assert_eq!(cmp(&a, &b), a.cmp(&b));
                assert_eq!((max(a, b), min(a, b)), (a.max(b), a.min(b)));
                if *b.numer() != 0 {
                    let r = div(a, b);
                    assert_eq!((r.numer(), r.denom()), ((a / b).numer(), (a / b).denom()));
                }
            }
        }
    }

    #[test]
    fn comparing_beyond_64_bits_falls_back_to_the_general_order() {
        let big = q(1 << 100, 3);
        let bigger = q((1 << 100) + 1, 3);
        let other = q(1 << 99, 7);
        assert_eq!(cmp(&big, &bigger), Ordering::Less);
        assert_eq!(cmp(&big, &other), big.cmp(&other));
        assert_eq!(cmp(&other, &big), other.cmp(&big));
    }
}
