//! The MIDI input thread: drains the port the [`PortWatcher`] keeps
//! connected and hands each message, stamped on loam's clock, to the
//! [`Router`].
//!
//! How a message is stamped depends on the backend
//! ([`super::backend`]): loam's own JACK port stamps it with its frame's
//! time, midir with its arrival.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::backend::{Backend, Direction, Incoming, InputBackend};
use super::counters::MidiCounters;
use super::error::MidiError;
use super::port_thread::{self, announce, PortThread};
use super::ports::PortSpec;
use super::router::Router;
use super::watcher::PortWatcher;
use crate::control::Command;

/// How often the port's clock is measured against loam's again.
pub const RECALIBRATE: Duration = Duration::from_secs(1);

/// Opens the input port `spec` asks for (or starts waiting for it) and
/// starts the thread. `Err` when the MIDI system cannot be reached or a
/// virtual port cannot be made.
pub fn start(
    spec: PortSpec,
    router: Router,
    commands: Sender<Command>,
    counters: Arc<MidiCounters>,
) -> Result<PortThread, MidiError> {
    let c = counters.clone();
    port_thread::start(
        Direction::Input,
        move || InputBackend::new(c),
        spec,
        commands,
        counters,
        move |watcher, commands, stop| run(watcher, router, commands, stop),
    )
}

/// The thread's loop: receive, recalibrate, watch.
fn run<B>(
    mut watcher: PortWatcher<B>,
    mut router: Router,
    commands: &Sender<Command>,
    stop: &AtomicBool,
) where
    B: Backend,
    B::Port: Incoming,
{
    let poll = <B::Port as Incoming>::POLL;
    let mut calibrated = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match watcher.port() {
            Some(p) => p.receive(poll, |m| router.on_port_message(m.nanos, m.bytes())),
            None => std::thread::sleep(poll),
        }
        if calibrated.elapsed() >= RECALIBRATE {
            if let Some(p) = watcher.port() {
                p.recalibrate();
            }
            calibrated = Instant::now();
        }
        announce(commands, watcher.look_if_due(Instant::now()));
    }
}
