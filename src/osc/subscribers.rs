//! Clients that asked for `/subscribe`: they receive `/beat bar beat pulse`
//! for every beat, in a bundle timetagged with the beat's time and sent a
//! lookahead ahead, so they can schedule against it; and `/reloaded`,
//! `/error` and `/info` as the script changes.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};

use super::sending_thread::spawn_sending_thread;
use super::OscCounters;
use crate::control::Notice;
use crate::time::wallclock;

/// At most this many subscribers (each costs a datagram per beat).
pub const MAX_SUBSCRIBERS: usize = 64;

/// A `/subscribe` refused: there are already [`MAX_SUBSCRIBERS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscribersFull;

impl std::fmt::Display for SubscribersFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "already {MAX_SUBSCRIBERS} subscribers")
    }
}

impl std::error::Error for SubscribersFull {}

/// The subscribed addresses.
#[derive(Debug, Default)]
pub struct Subscribers {
    list: Mutex<Vec<SocketAddr>>,
}

impl Subscribers {
    /// Adds `addr` (already there: nothing changes).
    pub fn add(&self, addr: SocketAddr) -> Result<(), SubscribersFull> {
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        if list.contains(&addr) {
            return Ok(());
        }
        if list.len() >= MAX_SUBSCRIBERS {
            return Err(SubscribersFull);
        }
        list.push(addr);
        Ok(())
    }

    /// Removes `addr`; false if it was not subscribed.
    pub fn remove(&self, addr: SocketAddr) -> bool {
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        let before = list.len();
        list.retain(|a| *a != addr);
        list.len() != before
    }

    /// Who subscribes now.
    pub fn snapshot(&self) -> Vec<SocketAddr> {
        self.list.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The packet a notice becomes.
pub fn packet(notice: &Notice) -> OscPacket {
    let msg = |addr: &str, args: Vec<OscType>| {
        OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        })
    };
    match notice {
        Notice::Beat {
            bar,
            beat,
            pulse,
            nanos,
        } => {
            let (seconds, fractional) = wallclock::nanos_to_ntp(*nanos);
            OscPacket::Bundle(OscBundle {
                timetag: OscTime {
                    seconds,
                    fractional,
                },
                content: vec![msg(
                    "/beat",
                    vec![
                        OscType::Int(*bar as i32),
                        OscType::Int(*beat as i32),
                        OscType::Int(*pulse as i32),
                    ],
                )],
            })
        }
        Notice::Reloaded(m) => msg("/reloaded", vec![OscType::String(m.clone())]),
        Notice::Error(m) => msg("/error", vec![OscType::String(m.clone())]),
        Notice::Info(m) => msg("/info", vec![OscType::String(m.clone())]),
        Notice::ModelStep {
            name,
            label,
            ticks,
            p,
        } => msg(
            &format!("/model/{name}/step"),
            vec![
                OscType::String(label.clone()),
                OscType::Int(*ticks as i32),
                OscType::Float(*p),
            ],
        ),
        Notice::Latent { name, values } => msg(
            &format!("/model/{name}/latent"),
            values.iter().map(|v| OscType::Float(*v)).collect(),
        ),
        Notice::Signal { name, value } => {
            msg(&format!("/signal/{name}"), vec![OscType::Float(*value)])
        }
        Notice::CorpusPlayed {
            corpus,
            segment,
            x,
            y,
            recording,
            offset_seconds,
        } => msg(
            &format!("/corpus/{corpus}/played"),
            vec![
                OscType::Int(*segment as i32),
                OscType::Float(*x as f32),
                OscType::Float(*y as f32),
                OscType::String(recording.clone()),
                OscType::Float(*offset_seconds as f32),
            ],
        ),
    }
}

/// Starts the notifier: every notice goes to every subscriber.
pub fn spawn_notifier(
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    subscribers: Arc<Subscribers>,
    notices: Receiver<Notice>,
    counters: Arc<OscCounters>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    spawn_sending_thread("loam-osc-notifier", notices, stop, move |notice: Notice| {
        let to = subscribers.snapshot();
        if to.is_empty() {
            return;
        }
        let Ok(bytes) = rosc::encoder::encode(&packet(&notice)) else {
            OscCounters::add(&counters.send_errors);
            return;
        };
        for addr in to {
            if super::echo::is_own(addr, local) {
                // Refused at /subscribe; never sent, whatever the list holds.
                continue;
            }
            if socket.send_to(&bytes, addr).is_err() {
                OscCounters::add(&counters.send_errors);
            }
        }
    })
}
