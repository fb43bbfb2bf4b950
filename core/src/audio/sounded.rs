//! Which credited sources have sounded: one bit per [`Credit`], set by the
//! audio thread when a voice starts a sample of that source with an audible
//! gain, or a model slot mixes a block of that model; read by whoever
//! writes the credits of a recording or render when it finishes.
//!
//! Audio thread: [`SoundedSources::mark`] is a relaxed load and, the first
//! time only, a relaxed store into a fixed array (no allocation, no lock,
//! no read-modify-write: the audio thread is the only writer). Readers see
//! every bit set before the audio that carried it was handed over (the
//! recording's ring, an offline render's return), and at worst miss the
//! last block's new bits when reading while the audio still runs.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::data::credit::{Credit, MAX_CREDITED_SOURCES};

/// Words of 64 bits: one bit per credit and one for [`Credit::OVERFLOW`].
const WORDS: usize = MAX_CREDITED_SOURCES / 64 + 1;

/// The bits, preallocated inside the engine's shared status.
#[derive(Debug)]
pub struct SoundedSources {
    words: [AtomicU64; WORDS],
}

impl Default for SoundedSources {
    fn default() -> SoundedSources {
        SoundedSources {
            words: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl SoundedSources {
    /// Notes that `credit` sounded ([`Credit::NONE`] is ignored).
    ///
    /// Audio thread: wait-free, no allocation.
    #[inline]
    pub fn mark(&self, credit: Credit) {
        let Some(bit) = credit.bit() else { return };
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        let Some(w) = self.words.get(word) else {
            return;
        };
        let old = w.load(Ordering::Relaxed);
        if old & mask == 0 {
            w.store(old | mask, Ordering::Relaxed);
        }
    }

    /// True once `credit` has sounded.
    pub fn has(&self, credit: Credit) -> bool {
        credit.bit().is_some_and(|bit| {
            self.words
                .get(bit / 64)
                .is_some_and(|w| w.load(Ordering::Relaxed) & (1u64 << (bit % 64)) != 0)
        })
    }

    /// Every credit that has sounded, lowest first. Control side (allocates).
    pub fn sounded(&self) -> Vec<Credit> {
        let mut out = Vec::new();
        for (i, w) in self.words.iter().enumerate() {
            let mut bits = w.load(Ordering::Relaxed);
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                out.push(Credit::from_bit(i * 64 + b));
                bits &= bits - 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_kept_and_read_back_in_order_and_none_is_ignored() {
        let s = SoundedSources::default();
        let (a, b) = (Credit::from_bit(3), Credit::from_bit(700));
        assert!(s.sounded().is_empty());
        s.mark(b);
        s.mark(a);
        s.mark(a);
        s.mark(Credit::NONE);
        s.mark(Credit::OVERFLOW);
        assert!(s.has(a) && s.has(b) && s.has(Credit::OVERFLOW));
        assert!(!s.has(Credit::from_bit(4)) && !s.has(Credit::NONE));
        assert_eq!(s.sounded(), vec![a, b, Credit::OVERFLOW]);
    }
}
