//! Pitch: tunings and the words of a pattern that name pitches.
//!
//! This layer sits right after [`crate::time`] (it uses only its exact
//! [`Rational`](crate::time::Rational)). It knows
//!
//! - tunings ([`Tuning`]): `n`-EDO (`"53-edo"`), lists of ratios, and Scala
//!   files ([`scala`], `.scl`) with keyboard mappings ([`keyboard`], `.kbm`);
//! - note names (`c4`, `eb4`, `f#3`) and MIDI numbers with fractions
//!   (`60.5`) in [`note_name`]; chords (`c4'maj`) in [`chord`]; named and
//!   numbered scales in [`scale`];
//! - how a loop turns a word into frequencies ([`LoopPitch`]).
//!
//! Pitches stay exact ([`Interval`]: a rational ratio times a rational
//! power of two) until [`frequency()`], once per note, which also keeps
//! every note between [`MIN_NOTE_HZ`] and [`MAX_NOTE_HZ`] (clamped and
//! counted, never NaN).

pub mod chord;
pub mod frequency;
pub mod interval;
pub mod keyboard;
pub mod loop_pitch;
pub mod note_name;
pub mod scala;
pub mod scale;
pub mod tuning;

pub use frequency::{frequency, Frequency, MAX_NOTE_HZ, MIN_NOTE_HZ};
pub use interval::Interval;
pub use keyboard::{parse_kbm, read_kbm, KeyboardMap};
pub use loop_pitch::{LoopPitch, PitchError};
pub use scala::{parse_scl, read_scl, ScalaError};
pub use scale::{Scale, ScaleError};
pub use tuning::{Tuning, TuningError};
