//! Why the control thread's MIDI part refused a request (from OSC, a
//! script or the terminal): one error type whose text names what was asked.

use std::fmt;

use super::learn_error::LearnError;
use crate::time::TempoError;

/// A MIDI request that could not be read or done.
#[derive(Clone, Debug, PartialEq)]
pub enum MidiDeskError {
    /// A learn request that cannot be read or whose range its rule refuses.
    Learn(LearnError),
    /// `follow` or `clock` followed by something other than on or off:
    /// the request's word and what followed it.
    OnOff {
        /// The request (`follow` or `clock`).
        what: &'static str,
        /// What followed it, as written.
        said: String,
    },
    /// Not one of the requests (the text as written).
    UnknownRequest(String),
    /// No loop by this name (a loop-gain control).
    NoLoop(String),
    /// A tempo outside its rule (a tempo control).
    Tempo(TempoError),
    /// The bindings file could not be saved after forgetting: the file's
    /// own words (path and reason), from the MIDI port side.
    Save(String),
}

impl fmt::Display for MidiDeskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MidiDeskError::Learn(e) => write!(f, "{e}"),
            MidiDeskError::OnOff { what, said } => write!(f, "{what} {said}: say on or off"),
            MidiDeskError::UnknownRequest(t) => write!(
                f,
                "unknown MIDI request '{t}' (use learn TARGET [MIN MAX] [lin|exp], forget TARGET, mappings, follow on|off, clock on|off)"
            ),
            MidiDeskError::NoLoop(name) => write!(f, "no loop named '{name}'"),
            MidiDeskError::Tempo(e) => write!(f, "{e}"),
            MidiDeskError::Save(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for MidiDeskError {}

impl From<LearnError> for MidiDeskError {
    fn from(e: LearnError) -> MidiDeskError {
        MidiDeskError::Learn(e)
    }
}
