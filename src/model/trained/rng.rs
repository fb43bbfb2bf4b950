//! A small seeded random source (SplitMix64), so that training, sampling and
//! drawing steps repeat exactly for a seed, across platforms and versions.

use crate::pattern::splitmix::{SplitMix64, GOLDEN_GAMMA};

/// Seeded draws for training and sampling, on the shared [`SplitMix64`].
#[derive(Clone, Debug)]
pub struct Rng(SplitMix64);

impl Rng {
    /// A source for `seed`; the same seed gives the same draws.
    pub fn new(seed: u64) -> Rng {
        // The seed is whitened by the increment, as this source always did.
        Rng(SplitMix64::from_state(seed ^ GOLDEN_GAMMA))
    }

    /// The next 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = (self.uniform() as f64).max(1e-12);
        let u2 = self.uniform() as f64;
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Pins the sequence trained models were saved and tested with.
    #[test]
    fn first_draws_for_seed_7_are_pinned() {
        let mut r = Rng::new(7);
        assert_eq!(r.next_u64(), 0xEC77_9C36_93F8_8501);
        assert_eq!(r.next_u64(), 0xFED9_EEB4_936D_E39D);
        assert_eq!(r.next_u64(), 0x6F9F_B04B_092B_D30A);
    }

    #[test]
    fn repeats_for_a_seed_and_stays_in_range() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            let x = a.uniform();
            assert_eq!(x, b.uniform());
            assert!((0.0..1.0).contains(&x));
            assert!(a.below(5) < 5);
            b.below(5);
        }
    }
}
