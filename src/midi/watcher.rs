//! The port watcher: one for each port thread, whatever the backend.
//!
//! It opens the port a flag asks for (a virtual one of loam's own, or the
//! first of another program's ports whose name matches a pattern), says
//! what it found, and then, each time it is asked to look (every
//! [`WATCH_INTERVAL`]), notices a port that went away and connects again
//! when a matching one is there. It only tells what happened
//! ([`PortNews`]); the port thread passes the news on. A virtual port is
//! never watched: it is loam's own and cannot go away.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::{Backend, Direction};
use super::counters::MidiCounters;
use super::error::MidiError;
use super::ports::{find, PortSpec};

/// How often port lists are checked for a port that left or came back.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(300);

/// Something the performer should hear about a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortNews {
    /// The port in use from the start: `MIDI input: NAME`.
    Open {
        /// Input or output.
        direction: Direction,
        /// The port's name.
        name: String,
    },
    /// Nothing matches the pattern yet; `have` lists what is there.
    NoMatch {
        /// Input or output.
        direction: Direction,
        /// The pattern given (`--midi-in`/`--midi-out`).
        pattern: String,
        /// The ports listed now.
        have: Vec<String>,
    },
    /// The connected port is no longer listed.
    WentAway {
        /// Input or output.
        direction: Direction,
        /// The port's name.
        name: String,
    },
    /// A matching port was connected after the start; `again` when one had
    /// been connected before (a reconnection, counted).
    Connected {
        /// Input or output.
        direction: Direction,
        /// The port's name.
        name: String,
        /// True when a port had been connected before.
        again: bool,
    },
    /// A matching port could not be connected (tried again at each look).
    Failed(MidiError),
}

impl PortNews {
    /// Whether the performer should read this as an error.
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            PortNews::NoMatch { .. } | PortNews::WentAway { .. } | PortNews::Failed(_)
        )
    }
}

impl fmt::Display for PortNews {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortNews::Open { direction, name } => write!(f, "MIDI {direction}: {name}"),
            PortNews::NoMatch {
                direction,
                pattern,
                have,
            } => {
                let have = if have.is_empty() {
                    "none".to_string()
                } else {
                    have.join(", ")
                };
                write!(
                    f,
                    "no MIDI {direction} matches '{pattern}' yet (have: {have}); loam connects when it appears"
                )
            }
            PortNews::WentAway { direction, name } => write!(
                f,
                "MIDI {direction} '{name}' went away; the music goes on, and loam reconnects when it is back"
            ),
            PortNews::Connected {
                direction,
                name,
                again,
            } => {
                let verb = if *again { "reconnected" } else { "connected" };
                write!(f, "MIDI {direction} {verb}: {name}")
            }
            PortNews::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// One port, kept connected. Runs on its port thread.
pub struct PortWatcher<B: Backend> {
    backend: B,
    direction: Direction,
    /// What to connect by; `None` for a virtual port (never watched).
    pattern: Option<String>,
    /// The open port and its full name.
    port: Option<(String, B::Port)>,
    /// Whether any port was connected before (a later connection is a
    /// reconnection).
    was_connected: bool,
    last_look: Instant,
    counters: Arc<MidiCounters>,
}

impl<B: Backend> PortWatcher<B> {
    /// Opens what `spec` asks for at time `now`: makes the virtual port, or
    /// connects to the first port matching the pattern. `Err` when the MIDI
    /// system cannot be reached or the virtual port cannot be made; a
    /// pattern that matches nothing yet, or a port that refuses, is news.
    pub fn open(
        mut backend: B,
        spec: &PortSpec,
        counters: Arc<MidiCounters>,
        now: Instant,
    ) -> Result<(PortWatcher<B>, Vec<PortNews>), MidiError> {
        let direction = backend.direction();
        let mut news = Vec::new();
        let (pattern, port) = match spec {
            PortSpec::Virtual(name) => (None, Some(backend.make_virtual(name)?)),
            PortSpec::Pattern(p) => {
                backend.reach()?;
                let names = backend.list();
                let port = match find(p, &names) {
                    Some(n) => match backend.connect(n) {
                        Ok(c) => Some((n.clone(), c)),
                        Err(e) => {
                            news.push(PortNews::Failed(e));
                            None
                        }
                    },
                    None => {
                        news.push(PortNews::NoMatch {
                            direction,
                            pattern: p.clone(),
                            have: names.clone(),
                        });
                        None
                    }
                };
                (Some(p.clone()), port)
            }
        };
        if let Some((name, _)) = &port {
            news.push(PortNews::Open {
                direction,
                name: name.clone(),
            });
        }
        let watcher = PortWatcher {
            backend,
            direction,
            pattern,
            was_connected: port.is_some(),
            port,
            last_look: now,
            counters,
        };
        Ok((watcher, news))
    }

    /// The open port's full name.
    pub fn name(&self) -> Option<&str> {
        self.port.as_ref().map(|(n, _)| n.as_str())
    }

    /// The open port, if any.
    pub fn port(&mut self) -> Option<&mut B::Port> {
        self.port.as_mut().map(|(_, p)| p)
    }

    /// Takes the open port away (to close it).
    pub fn take(&mut self) -> Option<B::Port> {
        self.port.take().map(|(_, p)| p)
    }

    /// [Looks](PortWatcher::look) if [`WATCH_INTERVAL`] has passed since the
    /// last look (or the opening) at time `now`.
    pub fn look_if_due(&mut self, now: Instant) -> Vec<PortNews> {
        if self.pattern.is_none() || now.saturating_duration_since(self.last_look) < WATCH_INTERVAL
        {
            return Vec::new();
        }
        self.last_look = now;
        self.look()
    }

    /// Lists the ports once: drops a port that is no longer listed, and
    /// connects to the first match when none is open.
    pub fn look(&mut self) -> Vec<PortNews> {
        let Some(pattern) = &self.pattern else {
            return Vec::new();
        };
        let mut news = Vec::new();
        let names = self.backend.list();
        if let Some((name, _)) = &self.port {
            if !names.contains(name) {
                news.push(PortNews::WentAway {
                    direction: self.direction,
                    name: name.clone(),
                });
                self.port = None;
            }
        }
        if self.port.is_none() {
            if let Some(n) = find(pattern, &names) {
                match self.backend.connect(n) {
                    Ok(c) => {
                        let again = self.was_connected;
                        if again {
                            MidiCounters::add(&self.counters.reconnects, 1);
                        }
                        news.push(PortNews::Connected {
                            direction: self.direction,
                            name: n.clone(),
                            again,
                        });
                        self.port = Some((n.clone(), c));
                        self.was_connected = true;
                    }
                    Err(e) => news.push(PortNews::Failed(e)),
                }
            }
        }
        news
    }
}

#[cfg(test)]
mod tests;
