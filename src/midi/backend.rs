//! The seam between loam's MIDI port threads and a MIDI system.
//!
//! A [`Backend`] serves one direction: it lists other programs' ports,
//! connects to one by name, and makes a port of loam's own. The ports it
//! opens are [`Incoming`] (the input thread drains them) or [`Outgoing`]
//! (the output thread hands them messages). The port watcher
//! ([`super::watcher`]) and both port threads are written once against
//! these traits.
//!
//! Two implementations:
//!
//! | backend | build | ports | timing |
//! |---|---|---|---|
//! | [`super::midir_backend`] | without `jack` | ALSA, CoreMIDI, Windows MIDI through midir | input stamped on arrival; output sent by the output thread at its time |
//! | `jack_backend` | with `jack` | loam's own JACK clients ([`JackIn`](super::jack_port), `JackOut`) | input stamped at its frame; output written at its frame by the JACK callback |
//!
//! [`InputBackend`] and [`OutputBackend`] name the one this build uses.

use std::fmt;
use std::time::Duration;

use super::error::MidiError;
use super::sender::Scheduled;
use super::stamped::Stamped;

#[cfg(feature = "jack")]
pub use super::jack_backend::{JackInput as InputBackend, JackOutput as OutputBackend};
#[cfg(not(feature = "jack"))]
pub use super::midir_backend::{MidirInput as InputBackend, MidirOutput as OutputBackend};

/// Which way a port carries messages, seen from loam.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// loam reads from it (a controller, a drum machine's clock).
    Input,
    /// loam sends to it (a synth, a drum machine following loam's clock).
    Output,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Input => "input",
            Direction::Output => "output",
        })
    }
}

/// One direction of a MIDI system: what the port watcher needs.
pub trait Backend {
    /// An open port.
    type Port;

    /// Which way this backend's ports go.
    fn direction(&self) -> Direction;

    /// Starts listing ports (done once, before [`Backend::list`]); `Err`
    /// when the MIDI system cannot be reached.
    fn reach(&mut self) -> Result<(), MidiError>;

    /// Other programs' ports this way, by full name (empty before
    /// [`Backend::reach`]); loam's own ports are never listed.
    fn list(&mut self) -> Vec<String>;

    /// Connects to another program's port named `name` (a full name from
    /// [`Backend::list`]).
    fn connect(&mut self, name: &str) -> Result<Self::Port, MidiError>;

    /// Makes a port of loam's own named `name` that other programs connect
    /// to; returns its full name.
    fn make_virtual(&mut self, name: &str) -> Result<(String, Self::Port), MidiError>;
}

/// An open input port. Runs on the MIDI input thread.
pub trait Incoming {
    /// How long the input thread waits for messages each round: the JACK
    /// ring is polled (its callback never wakes a thread), midir's queue
    /// wakes the thread itself.
    const POLL: Duration;

    /// Waits up to `wait` for messages and hands each one received so far
    /// to `f`, stamped on loam's clock.
    fn receive(&mut self, wait: Duration, f: impl FnMut(&Stamped));

    /// Measures the port's clock against loam's again (about once a second).
    fn recalibrate(&self) {}
}

/// An open output port. Runs on the MIDI output thread.
pub trait Outgoing {
    /// Whether the port places messages at their time itself (it takes them
    /// as soon as they are queued), or sends at once (the output thread
    /// waits until each is due).
    const TIMES_ITSELF: bool;

    /// Sends `s` now, or queues it for its time when the port
    /// [times itself](Outgoing::TIMES_ITSELF); `false` if it could not
    /// (a full queue: try again shortly).
    fn send(&mut self, s: &Scheduled) -> bool;

    /// Measures the port's clock against loam's again (about once a second).
    fn recalibrate(&self) {}

    /// Closes the port; one that times itself sends what is still due
    /// that ends sound (note-offs, Stop) first.
    fn close(self);
}
