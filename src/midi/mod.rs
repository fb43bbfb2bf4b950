//! MIDI: controllers and pads in, clock and notes out, through midir (ALSA
//! or CoreMIDI; JACK MIDI with the `jack` feature).
//!
//! Three threads, none of them the audio callback:
//!
//! - the **input thread** ([`input`]) drains the input port, whose
//!   messages come stamped on loam's one monotonic clock, parses each
//!   ([`message`]; garbage is counted, never a panic) and turns it into
//!   [`Command`](crate::control::Command)s ([`router`]): named controls,
//!   pads played at the message's time plus a fixed latency, learned
//!   bindings ([`learn`](crate::control::midi::learn), saved in the
//!   [`mapping_file`]), script events and the external clock;
//! - the **control thread** runs the
//!   [`MidiDesk`](crate::control::midi::MidiDesk): it computes clock pulses
//!   and sends the loop notes the planner made
//!   ([`midi_notes`](crate::schedule::midi_notes)) as exact frames from the
//!   timeline, converted to wall-clock times, and steers the tempo when
//!   following an external clock;
//! - the **output thread** ([`sender`]) sends each message at its time.
//!
//! This folder holds the ports and their threads; the vocabulary they speak
//! (messages, learn targets, requests to the control thread) lives below
//! them, in [`control::midi`](crate::control::midi).
//!
//! Both port threads are written once against one [`backend`] seam (midir,
//! or loam's own JACK ports with the `jack` feature) and keep their port
//! with one [`watcher`]: one that goes away is said so, the music goes on,
//! and it is reconnected when it comes back ([`ports`] says how a pattern
//! finds one).

pub mod backend;
pub mod counters;
pub mod error;
pub mod input;
#[cfg(feature = "jack")]
pub mod jack_backend;
#[cfg(feature = "jack")]
pub mod jack_port;
pub mod mapping_file;
pub mod midir_backend;
pub mod pads;
pub mod port_thread;
pub mod ports;
pub mod router;
pub mod sender;
pub mod stamped;
pub mod watcher;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Sender;

pub use counters::MidiCounters;
pub use error::MidiError;
pub use mapping_file::MappingFile;
pub use pads::PadMap;
// What the port threads speak lives below them, with the control thread's
// MIDI part; the names stay in reach here.
pub use crate::control::midi::{
    message, Curve, LearnRequest, Mapping, MidiCommand, MidiMessage, Parser, Target,
};
pub use ports::PortSpec;

use crate::control::midi::{MidiDesk, MidiOut, MidiTuning};
use crate::control::Command;
use crate::time::Nanos;
use port_thread::PortThread;
use router::{Bindings, Router, SharedBindings};

/// What `loam serve`'s MIDI flags asked for.
#[derive(Clone, Debug, Default)]
pub struct MidiConfig {
    /// The input port to connect (`--midi-in`); `None`: no input.
    pub input: Option<PortSpec>,
    /// The output port to connect (`--midi-out`); `None`: no output.
    pub output: Option<PortSpec>,
    /// Send clock (Start/Song Position at the next bar line).
    pub clock_out: bool,
    /// Follow the input's clock from the start.
    pub follow: bool,
    /// Where learned bindings live (`None`: [`mapping_file::default_path`]).
    pub mappings: Option<PathBuf>,
    /// How long after its stamp an incoming message sounds (a pad).
    pub latency: Duration,
    /// How notes between the keys go out (`--midi-tuning`).
    pub tuning: MidiTuning,
}

/// The running MIDI threads.
pub struct MidiSystem {
    input: Option<PortThread>,
    output: Option<PortThread>,
    /// What the ports delivered, sent and skipped.
    pub counters: Arc<MidiCounters>,
    /// The ports in use, for the start-up message.
    pub ports: Vec<String>,
}

impl MidiSystem {
    /// Opens the ports, loads the bindings, and starts the threads. The
    /// [`MidiDesk`] goes to the control thread
    /// ([`Controller::attach_midi`](crate::control::Controller::attach_midi)).
    /// `commands` is the control thread's queue.
    pub fn start(
        config: MidiConfig,
        commands: Sender<Command>,
    ) -> Result<(MidiSystem, MidiDesk), MidiError> {
        let counters = Arc::new(MidiCounters::default());
        let path = config
            .mappings
            .clone()
            .unwrap_or_else(mapping_file::default_path);
        let mut bindings = Bindings::default();
        match MappingFile::load(&path) {
            Ok(f) => {
                bindings.file = f;
                bindings.path = Some(path);
            }
            Err(e) => {
                let _ = commands.try_send(Command::Midi {
                    command: MidiCommand::Say {
                        text: format!("{e}; MIDI bindings start empty and are not saved"),
                        error: true,
                    },
                    reply: None,
                });
            }
        }
        let bindings = SharedBindings::new(bindings);
        let mut ports = Vec::new();
        let input = match config.input {
            Some(spec) => {
                let router = Router::new(
                    bindings.clone(),
                    commands.clone(),
                    config.latency,
                    counters.clone(),
                );
                let t = input::start(spec, router, commands.clone(), counters.clone())?;
                ports.extend(t.port.clone().map(|p| format!("in: {p}")));
                Some(t)
            }
            None => None,
        };
        let (output, handle) = match config.output {
            Some(spec) => {
                let (t, h) = sender::start(spec, commands.clone(), counters.clone())?;
                ports.extend(t.port.clone().map(|p| format!("out: {p}")));
                (Some(t), Some(h))
            }
            None => (None, None),
        };
        let desk = MidiDesk::new(
            handle.map(|h| Box::new(h) as Box<dyn MidiOut>),
            config.clock_out,
            config.follow,
            Box::new(bindings),
        )
        .tuned(config.tuning);
        Ok((
            MidiSystem {
                input,
                output,
                counters,
                ports,
            },
            desk,
        ))
    }

    /// Closes the ports (pending note-offs and Stop go out first).
    pub fn stop(mut self) {
        if let Some(i) = self.input.take() {
            i.stop();
        }
        if let Some(o) = self.output.take() {
            o.stop();
        }
    }
}

/// The desk's messages go to the output thread's queue.
impl MidiOut for sender::OutputHandle {
    fn send_at(&mut self, nanos: Nanos, message: MidiMessage) {
        sender::OutputHandle::send_at(self, nanos, message)
    }
}
