//! SplitMix64 (Steele, Lea and Flood), the one seeded mixer in loam.
//!
//! Pattern randomness (`?`, `|`, humanise, swing draws) hashes with
//! [`splitmix64`]; trained models draw from a [`SplitMix64`] stream. Both are
//! the same function, so one copy of the constants serves every seeded
//! result, and a seed repeats exactly across platforms and versions.

/// The golden-ratio increment (2^64 / φ, odd) that advances the state.
pub const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// One SplitMix64 step as a hash: advance `x` by the increment and mix it.
/// A cheap, well-mixed 64-bit hash; pure, so safe on any thread.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A SplitMix64 stream: each [`next_u64`](SplitMix64::next_u64) returns the
/// hash of the current state and advances it by the increment.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A stream whose first draw is `splitmix64(state)`.
    pub fn from_state(state: u64) -> SplitMix64 {
        SplitMix64 { state }
    }

    /// The next 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        let out = splitmix64(self.state);
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
    #[test]
    fn first_draws_match_the_reference() {
        let mut s = SplitMix64::from_state(0);
        assert_eq!(s.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(s.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(s.next_u64(), 0x06C4_5D18_8009_454F);
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }
}
