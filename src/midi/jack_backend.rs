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

/// One side of JACK: loam's own client and port per connection, opened
/// by [`JackPort::open`]; ports to connect to are listed through midir.
pub struct JackSide<P> {
    counters: Arc<MidiCounters>,
    listing: Listing,
    port: std::marker::PhantomData<fn() -> P>,
}

/// JACK's input side.
pub type JackInput = JackSide<JackIn>;
/// JACK's output side.
pub type JackOutput = JackSide<JackOut>;

/// What a side needs of its kind of port ([`JackIn`], [`JackOut`]).
pub trait JackPort: Sized {
    /// Which way it carries messages.
    const DIRECTION: Direction;
    /// The name of loam's JACK client for it.
    const CLIENT: &'static str;
    /// Its port's name when it connects to another program's port.
    const PORT: &'static str;
    /// Client `client` with port `port`, connected with `other` if given;
    /// its callback counts in `counters`.
    fn open(
        client: &str,
        port: &str,
        other: Option<&str>,
        counters: Arc<MidiCounters>,
    ) -> Result<Self, MidiError>;
    /// The port's full name.
    fn full_name(&self) -> &str;
}

/// `impl JackPort` for a port type that has `open` and `name` of its own.
macro_rules! jack_port {
    ($port:ty, $direction:expr, $client:expr, $name:expr) => {
        impl JackPort for $port {
            const DIRECTION: Direction = $direction;
            const CLIENT: &'static str = $client;
            const PORT: &'static str = $name;
            fn open(
                client: &str,
                port: &str,
                other: Option<&str>,
                counters: Arc<MidiCounters>,
            ) -> Result<Self, MidiError> {
                <$port>::open(client, port, other, counters)
            }
            fn full_name(&self) -> &str {
                &self.name
            }
        }
    };
}

jack_port!(JackIn, Direction::Input, INPUT_CLIENT, "in");
jack_port!(JackOut, Direction::Output, OUTPUT_CLIENT, "out");

impl<P: JackPort> JackSide<P> {
    /// Its ports' callbacks count what they drop (and an output what it
    /// sent) in `counters`.
    pub fn new(counters: Arc<MidiCounters>) -> JackSide<P> {
        JackSide {
            counters,
            listing: Listing::new(P::DIRECTION),
            port: std::marker::PhantomData,
        }
    }
}

impl<P: JackPort> Backend for JackSide<P> {
    type Port = P;

    fn direction(&self) -> Direction {
        P::DIRECTION
    }

    fn reach(&mut self) -> Result<(), MidiError> {
        self.listing.reach()
    }

    fn list(&mut self) -> Vec<String> {
        self.listing.names()
    }

    fn connect(&mut self, name: &str) -> Result<P, MidiError> {
        P::open(P::CLIENT, P::PORT, Some(name), self.counters.clone())
    }

    fn make_virtual(&mut self, name: &str) -> Result<(String, P), MidiError> {
        P::open(P::CLIENT, name, None, self.counters.clone())
            .map(|j| (j.full_name().to_string(), j))
            .map_err(|e| MidiError::Virtual {
                direction: P::DIRECTION,
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
