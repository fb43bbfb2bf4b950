//! Why a MIDI learn request (or a mapping read from a file) was refused:
//! one error type whose text names the target and what is wrong.

use std::fmt;

use super::learn::Target;
use crate::pattern::values::ValueError;

/// A learn request that cannot be read, or a range its target's rule refuses.
#[derive(Clone, Debug, PartialEq)]
pub enum LearnError {
    /// Not one of the targets (the text as written).
    UnknownTarget(String),
    /// `latent:MODEL:DIM` whose `DIM` is not a whole number.
    BadDimension {
        /// The model's name.
        model: String,
        /// The dimension as written.
        dim: String,
    },
    /// `learn` with nothing after it.
    NoTarget,
    /// A word after the target that is neither a number nor a curve.
    NotANumber {
        /// The target the request names.
        target: Target,
        /// The word, as written.
        word: String,
    },
    /// One number, or more than two, where a range takes two.
    RangeNeedsTwo(Target),
    /// A range outside the target's rule: the rule's words.
    OutOfRange {
        /// The target the range is for.
        target: Target,
        /// The rule's words for the value outside it.
        error: ValueError,
    },
}

impl fmt::Display for LearnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LearnError::UnknownTarget(t) => write!(
                f,
                "unknown MIDI learn target '{t}' (use NAME, ctrl:NAME, tempo, octave, \
loop:NAME:gain, loop:NAME:mute or latent:MODEL:DIM)"
            ),
            LearnError::BadDimension { model, dim } => write!(
                f,
                "latent:{model}:{dim}: the dimension must be a whole number"
            ),
            LearnError::NoTarget => f.write_str("learn what? give a target"),
            LearnError::NotANumber { target, word } => write!(
                f,
                "learn {target}: '{word}' is not a number or curve (lin, exp)"
            ),
            LearnError::RangeNeedsTwo(target) => {
                write!(f, "learn {target}: give a range as two numbers, MIN MAX")
            }
            LearnError::OutOfRange { target, error } => write!(f, "learn {target}: {error}"),
        }
    }
}

impl std::error::Error for LearnError {}
