//! What the MIDI threads, OSC, scripts and the terminal ask of the control
//! thread's MIDI part ([`super::MidiDesk`]), through
//! [`Command::Midi`](crate::control::Command::Midi).

use super::learn::LearnRequest;
use super::message::MidiMessage;
use crate::time::Nanos;

/// A request for the MIDI part of the control thread.
#[derive(Clone, Debug)]
pub enum MidiCommand {
    /// Bind the next control moved to a target.
    Learn(LearnRequest),
    /// Forget every binding to a target (its text form, e.g. `tempo`).
    Forget(String),
    /// The bindings, one per line.
    Mappings,
    /// A loop's gain, times its own (a learned knob).
    LoopGain {
        /// The loop's name.
        name: String,
        /// Linear gain, multiplied with the loop's own.
        gain: f32,
    },
    /// A tempo now, in the metre's beats a minute (a learned knob).
    Tempo(f64),
    /// A message for scripts (`midi_events()`), at `nanos`.
    Event {
        /// The message.
        message: MidiMessage,
        /// When it arrived, in nanoseconds on the monotonic clock of [`crate::time::wallclock`].
        nanos: Nanos,
    },
    /// Clock, Start, Stop, Continue or Song Position from the input.
    ClockIn {
        /// The clock or transport message.
        message: MidiMessage,
        /// When it arrived, in nanoseconds on the monotonic clock of [`crate::time::wallclock`].
        nanos: Nanos,
    },
    /// Follow the external clock (true) or run on loam's own (false).
    Follow(bool),
    /// Clock out on (start at the next bar line) or off (Stop now).
    ClockOut(bool),
    /// Something for the performer (learned, port gone, port back).
    Say {
        /// What to say.
        text: String,
        /// True: shown as an error.
        error: bool,
    },
}
