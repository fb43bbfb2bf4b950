//! The control thread's MIDI part, and the MIDI vocabulary every MIDI thread
//! speaks.
//!
//! The [`MidiDesk`] runs on the control thread with the live session at
//! hand: it computes clock pulses ([`clock_out`]) and sends the notes the
//! planner made of loops that play MIDI, converting frames to wall-clock
//! times; it steers the tempo when following an external clock
//! ([`clock_in`]); and it answers [`MidiCommand`]s (learn, forget, clock
//! switches, script events). What a MIDI message is ([`message`]) and what
//! a learned control drives ([`learn`]) live here too, below the port
//! threads (loam's `midi` folder) that read and send them.

pub mod clock_in;
pub mod clock_out;
pub mod command;
pub mod desk;
pub mod desk_error;
pub mod learn;
pub mod learn_error;
pub mod message;
pub mod tuning_out;
#[cfg(test)]
mod tuning_out_test;

pub use command::MidiCommand;
pub use desk::{parse_request, LearnedBindings, MidiDesk, MidiOut};
pub use desk_error::MidiDeskError;
pub use learn::{Curve, LearnRequest, Mapping, MidiControl, Target};
pub use learn_error::LearnError;
pub use message::{MidiMessage, Parser};
pub use tuning_out::{Channels, MidiTuning, TunedNotes};
