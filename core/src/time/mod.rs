//! Musical time: metres, tempi, tempo octaves, and the one map from exact
//! musical positions to `u64` frames.
//!
//! Positions are exact rationals; frames are integers; the conversion rounds
//! once, at the end (see [`timeline`]).

pub mod clock_types;
pub mod exact;
pub mod metre;
pub mod octave;
pub mod tempo;
pub mod timeline;
pub mod wallclock;

/// An exact rational number. Musical positions, durations and tempi use it;
/// floats never accumulate into time.
pub type Rational = num_rational::Ratio<i128>;

/// Shorthand for an exact rational `n/d`.
pub fn q(n: i128, d: i128) -> Rational {
    Rational::new(n, d)
}

pub use clock_types::{Frame, Nanos};
pub use metre::{Metre, MetreError};
pub use octave::{OctaveOutOfRange, TempoOctave};
pub use tempo::{NoteValue, Tempo, TempoError};
pub use timeline::Timeline;
