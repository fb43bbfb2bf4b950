//! The midir [`Backend`]s (ALSA, CoreMIDI, Windows MIDI; JACK through
//! midir when its `jack` feature is on): the ports of builds without
//! loam's own JACK clients.
//!
//! - **in**: midir calls back on its own thread; the callback only stamps
//!   the message with its arrival on loam's clock and copies it into a
//!   bounded queue (`try_send`: a full queue drops and counts) that wakes
//!   the input thread.
//! - **out**: midir sends at once, so the output thread waits until each
//!   message is due ([`Outgoing::TIMES_ITSELF`] is `false`).

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use midir::{MidiInput, MidiInputConnection, MidiOutput, MidiOutputConnection};

use super::backend::{Backend, Direction, Incoming, Outgoing};
use super::counters::MidiCounters;
use super::error::MidiError;
use super::ports::{Listing, INPUT_CLIENT, OUTPUT_CLIENT};
use super::sender::Scheduled;
use super::stamped::Stamped;
use crate::time::wallclock;

/// Messages waiting between midir's callback and the input thread; a
/// burst beyond this (4096 messages unread) is dropped and counted.
pub const IN_QUEUE: usize = 4096;

/// midir's input side.
pub struct MidirInput {
    counters: Arc<MidiCounters>,
    listing: Listing,
}

impl MidirInput {
    /// Counts dropped messages in `counters`.
    pub fn new(counters: Arc<MidiCounters>) -> MidirInput {
        MidirInput {
            counters,
            listing: Listing::new(Direction::Input),
        }
    }

    /// A queue to the input thread, and the callback that fills it.
    fn queue(
        &self,
    ) -> (
        Receiver<Stamped>,
        impl FnMut(u64, &[u8], &mut ()) + Send + 'static,
    ) {
        // Boundary: midir's callback thread -> MIDI input thread.
        let (tx, rx): (Sender<Stamped>, Receiver<Stamped>) = bounded(IN_QUEUE);
        let counters = self.counters.clone();
        let callback = move |_stamp: u64, bytes: &[u8], _: &mut ()| {
            // NOTE: midir's own stamp is on a clock each of its backends
            // picks; the arrival on loam's clock is the one all agree on.
            if tx
                .try_send(Stamped::new(wallclock::now_nanos(), bytes))
                .is_err()
            {
                MidiCounters::add(&counters.dropped, 1);
            }
        };
        (rx, callback)
    }
}

/// A midir input client.
fn client() -> Result<MidiInput, MidiError> {
    MidiInput::new(INPUT_CLIENT).map_err(|e| MidiError::no_system(&e))
}

/// An open midir input: held open, its messages come through the queue.
pub struct MidirInPort {
    _open: MidiInputConnection<()>,
    rx: Receiver<Stamped>,
}

impl Backend for MidirInput {
    type Port = MidirInPort;

    fn direction(&self) -> Direction {
        Direction::Input
    }

    fn reach(&mut self) -> Result<(), MidiError> {
        self.listing.reach()
    }

    fn list(&mut self) -> Vec<String> {
        self.listing.names()
    }

    fn connect(&mut self, name: &str) -> Result<MidirInPort, MidiError> {
        let input = client()?;
        let (rx, callback) = self.queue();
        let port = input
            .ports()
            .into_iter()
            .find(|p| input.port_name(p).ok().as_deref() == Some(name))
            .ok_or_else(|| MidiError::Gone {
                direction: Direction::Input,
                name: name.into(),
            })?;
        input
            .connect(&port, "in", callback, ())
            .map(|open| MidirInPort { _open: open, rx })
            .map_err(|e| MidiError::Connect {
                direction: Direction::Input,
                name: name.into(),
                detail: e.to_string(),
            })
    }

    fn make_virtual(&mut self, name: &str) -> Result<(String, MidirInPort), MidiError> {
        #[cfg(unix)]
        {
            use midir::os::unix::VirtualInput;
            let input = client()?;
            let (rx, callback) = self.queue();
            input
                .create_virtual(name, callback, ())
                .map(|open| {
                    (
                        format!("{INPUT_CLIENT}:{name}"),
                        MidirInPort { _open: open, rx },
                    )
                })
                .map_err(|e| MidiError::Virtual {
                    direction: Direction::Input,
                    name: name.into(),
                    detail: e.to_string(),
                })
        }
        #[cfg(not(unix))]
        Err(MidiError::NoVirtual { name: name.into() })
    }
}

impl Incoming for MidirInPort {
    const POLL: Duration = Duration::from_millis(50);

    fn receive(&mut self, wait: Duration, mut f: impl FnMut(&Stamped)) {
        match self.rx.recv_timeout(wait) {
            Ok(m) => f(&m),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return,
        }
        for m in self.rx.try_iter() {
            f(&m);
        }
    }
}

/// midir's output side.
pub struct MidirOutput {
    listing: Listing,
}

impl MidirOutput {
    /// midir counts nothing itself: the output thread counts what it sent.
    pub fn new(_counters: Arc<MidiCounters>) -> MidirOutput {
        MidirOutput {
            listing: Listing::new(Direction::Output),
        }
    }
}

/// An open midir output: sends at once.
pub struct MidirOutPort(MidiOutputConnection);

impl Backend for MidirOutput {
    type Port = MidirOutPort;

    fn direction(&self) -> Direction {
        Direction::Output
    }

    fn reach(&mut self) -> Result<(), MidiError> {
        self.listing.reach()
    }

    fn list(&mut self) -> Vec<String> {
        self.listing.names()
    }

    fn connect(&mut self, name: &str) -> Result<MidirOutPort, MidiError> {
        let out = MidiOutput::new(OUTPUT_CLIENT).map_err(|e| MidiError::no_system(&e))?;
        let port = out
            .ports()
            .into_iter()
            .find(|p| out.port_name(p).ok().as_deref() == Some(name))
            .ok_or_else(|| MidiError::Gone {
                direction: Direction::Output,
                name: name.into(),
            })?;
        out.connect(&port, "out")
            .map(MidirOutPort)
            .map_err(|e| MidiError::Connect {
                direction: Direction::Output,
                name: name.into(),
                detail: e.to_string(),
            })
    }

    fn make_virtual(&mut self, name: &str) -> Result<(String, MidirOutPort), MidiError> {
        #[cfg(unix)]
        {
            use midir::os::unix::VirtualOutput;
            let out = MidiOutput::new(OUTPUT_CLIENT).map_err(|e| MidiError::no_system(&e))?;
            out.create_virtual(name)
                .map(|c| (format!("{OUTPUT_CLIENT}:{name}"), MidirOutPort(c)))
                .map_err(|e| MidiError::Virtual {
                    direction: Direction::Output,
                    name: name.into(),
                    detail: e.to_string(),
                })
        }
        #[cfg(not(unix))]
        Err(MidiError::NoVirtual { name: name.into() })
    }
}

impl Outgoing for MidirOutPort {
    const TIMES_ITSELF: bool = false;

    fn send(&mut self, s: &Scheduled) -> bool {
        self.0.send(&s.bytes[..s.len as usize]).is_ok()
    }

    fn close(self) {
        drop(self.0);
    }
}
