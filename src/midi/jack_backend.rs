//! The JACK [`Backend`]s (the `jack` feature): every port is a JACK client
//! of loam's own ([`JackIn`], [`JackOut`]), frame-exact both ways. Ports
//! are listed through midir's JACK backend.

use std::sync::Arc;
use std::time::Duration;

use super::backend::{Backend, Direction, Incoming, Outgoing};
use super::counters::MidiCounters;
use super::error::MidiError;
use super::jack_port::{JackIn, JackOut};
use super::ports::{Listing, INPUT_CLIENT, OUTPUT_CLIENT};
use super::sender::Scheduled;
use super::stamped::Stamped;

/// JACK's input side.
pub struct JackInput {
    counters: Arc<MidiCounters>,
    listing: Listing,
}

impl JackInput {
    /// Counts messages its callback had to drop in `counters`.
    pub fn new(counters: Arc<MidiCounters>) -> JackInput {
        JackInput {
            counters,
            listing: Listing::new(Direction::Input),
        }
    }
}

impl Backend for JackInput {
    type Port = JackIn;

    fn direction(&self) -> Direction {
        Direction::Input
    }

    fn reach(&mut self) -> Result<(), MidiError> {
        self.listing.reach()
    }

    fn list(&mut self) -> Vec<String> {
        self.listing.names()
    }

    fn connect(&mut self, name: &str) -> Result<JackIn, MidiError> {
        JackIn::open(INPUT_CLIENT, "in", Some(name), self.counters.clone())
    }

    fn make_virtual(&mut self, name: &str) -> Result<(String, JackIn), MidiError> {
        JackIn::open(INPUT_CLIENT, name, None, self.counters.clone())
            .map(|j| (j.name.clone(), j))
            .map_err(|e| MidiError::Virtual {
                direction: Direction::Input,
                name: name.into(),
                detail: e.to_string(),
            })
    }
}

impl Incoming for JackIn {
    const POLL: Duration = Duration::from_millis(1);

    fn receive(&mut self, wait: Duration, f: impl FnMut(&Stamped)) {
        std::thread::sleep(wait);
        self.drain(f);
    }

    fn recalibrate(&self) {
        JackIn::recalibrate(self);
    }
}

/// JACK's output side.
pub struct JackOutput {
    counters: Arc<MidiCounters>,
    listing: Listing,
}

impl JackOutput {
    /// Its callback counts what it sent, and what it could not, in `counters`.
    pub fn new(counters: Arc<MidiCounters>) -> JackOutput {
        JackOutput {
            counters,
            listing: Listing::new(Direction::Output),
        }
    }
}

impl Backend for JackOutput {
    type Port = JackOut;

    fn direction(&self) -> Direction {
        Direction::Output
    }

    fn reach(&mut self) -> Result<(), MidiError> {
        self.listing.reach()
    }

    fn list(&mut self) -> Vec<String> {
        self.listing.names()
    }

    fn connect(&mut self, name: &str) -> Result<JackOut, MidiError> {
        JackOut::open(OUTPUT_CLIENT, "out", Some(name), self.counters.clone())
    }

    fn make_virtual(&mut self, name: &str) -> Result<(String, JackOut), MidiError> {
        JackOut::open(OUTPUT_CLIENT, name, None, self.counters.clone())
            .map(|j| (j.name.clone(), j))
            .map_err(|e| MidiError::Virtual {
                direction: Direction::Output,
                name: name.into(),
                detail: e.to_string(),
            })
    }
}

impl Outgoing for JackOut {
    const TIMES_ITSELF: bool = true;

    fn send(&mut self, s: &Scheduled) -> bool {
        self.queue(*s)
    }

    fn recalibrate(&self) {
        JackOut::recalibrate(self);
    }

    fn close(self) {
        JackOut::close(self);
    }
}
