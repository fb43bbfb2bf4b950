//! The MIDI input thread: holds the port connection, stamps each message on
//! loam's clock, hands it to the [`Router`], and reconnects a port that
//! went away when it comes back.
//!
//! midir calls back on its own thread (the JACK process thread with the
//! `jack` feature); the callback only copies the bytes into a bounded queue
//! (`try_send`: a full queue drops and counts) and returns.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use midir::{MidiInput, MidiInputConnection};

use super::counters::MidiCounters;
use super::ports::{find, no_midi, PortLister, PortSpec, INPUT_CLIENT};
use super::router::Router;
use super::timestamp::StampClock;
use super::MidiCommand;
use crate::control::Command;
use crate::time::wallclock;

/// How often port lists are checked for a port that left or came back.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(300);

/// (backend stamp in µs, arrival in monotonic ns, bytes).
type Raw = (u64, u64, Vec<u8>);

/// A running input thread; stops (and closes its port) on [`InputThread::stop`].
pub struct InputThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    /// The port connected first (or the virtual port's name).
    pub port: Option<String>,
}

impl InputThread {
    /// Opens the port (or starts waiting for it) and starts the thread.
    /// `Err` when the MIDI system cannot be reached or a virtual port
    /// cannot be made.
    pub fn start(
        spec: PortSpec,
        router: Router,
        commands: Sender<Command>,
        counters: Arc<MidiCounters>,
    ) -> Result<InputThread, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = bounded::<Result<Option<String>, String>>(1);
        let s = stop.clone();
        let handle = std::thread::Builder::new()
            .name("loam-midi-in".into())
            .spawn(move || run(spec, router, commands, counters, s, ready_tx))
            .map_err(|e| format!("cannot start the MIDI input thread: {e}"))?;
        match ready_rx.recv() {
            Ok(Ok(port)) => Ok(InputThread {
                stop,
                handle: Some(handle),
                port,
            }),
            Ok(Err(e)) => {
                let _ = handle.join();
                Err(e)
            }
            Err(_) => Err("the MIDI input thread ended at once".into()),
        }
    }

    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn say(commands: &Sender<Command>, text: String, error: bool) {
    let _ = commands.try_send(Command::Midi {
        command: MidiCommand::Say { text, error },
        reply: None,
    });
}

fn callback(
    tx: Sender<Raw>,
    counters: Arc<MidiCounters>,
) -> impl FnMut(u64, &[u8], &mut ()) + Send + 'static {
    move |stamp, bytes, _| {
        if tx
            .try_send((stamp, wallclock::now_nanos(), bytes.to_vec()))
            .is_err()
        {
            MidiCounters::add(&counters.dropped, 1);
        }
    }
}

/// Connects to `name`.
fn connect(
    name: &str,
    tx: &Sender<Raw>,
    counters: &Arc<MidiCounters>,
) -> Result<MidiInputConnection<()>, String> {
    let input = MidiInput::new(INPUT_CLIENT).map_err(|e| no_midi(&e))?;
    let port = input
        .ports()
        .into_iter()
        .find(|p| input.port_name(p).ok().as_deref() == Some(name))
        .ok_or_else(|| format!("MIDI input '{name}' is gone"))?;
    input
        .connect(&port, "in", callback(tx.clone(), counters.clone()), ())
        .map_err(|e| format!("cannot connect MIDI input '{name}': {e}"))
}

#[cfg(unix)]
fn make_virtual(
    name: &str,
    tx: &Sender<Raw>,
    counters: &Arc<MidiCounters>,
) -> Result<MidiInputConnection<()>, String> {
    use midir::os::unix::VirtualInput;
    let input = MidiInput::new(INPUT_CLIENT).map_err(|e| no_midi(&e))?;
    input
        .create_virtual(name, callback(tx.clone(), counters.clone()), ())
        .map_err(|e| format!("cannot create the virtual MIDI input '{name}': {e}"))
}

#[cfg(not(unix))]
fn make_virtual(
    name: &str,
    _tx: &Sender<Raw>,
    _counters: &Arc<MidiCounters>,
) -> Result<MidiInputConnection<()>, String> {
    Err(format!(
        "virtual MIDI port '{name}': this platform has none; give a port name pattern"
    ))
}

fn run(
    spec: PortSpec,
    mut router: Router,
    commands: Sender<Command>,
    counters: Arc<MidiCounters>,
    stop: Arc<AtomicBool>,
    ready: Sender<Result<Option<String>, String>>,
) {
    let mut clock = StampClock::new();
    let mut calibrated = Instant::now();
    // Boundary: midir's callback thread -> MIDI input thread.
    let (tx, rx): (Sender<Raw>, Receiver<Raw>) = bounded(4096);
    let mut conn: Option<(String, MidiInputConnection<()>)> = None;
    let mut lister = None;
    let pattern = match &spec {
        PortSpec::Virtual(name) => match make_virtual(name, &tx, &counters) {
            Ok(c) => {
                let full = format!("{INPUT_CLIENT}:{name}");
                let _ = ready.send(Ok(Some(full.clone())));
                conn = Some((full, c));
                None
            }
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        },
        PortSpec::Pattern(p) => match PortLister::new() {
            Ok(l) => {
                let names = l.inputs();
                let first = find(p, &names).cloned();
                match first.as_ref().map(|n| (n, connect(n, &tx, &counters))) {
                    Some((n, Ok(c))) => conn = Some((n.clone(), c)),
                    Some((_, Err(e))) => say(&commands, e, true),
                    None => say(
                        &commands,
                        format!(
                            "no MIDI input matches '{p}' yet (have: {}); loam connects when it appears",
                            if names.is_empty() { "none".into() } else { names.join(", ") }
                        ),
                        true,
                    ),
                }
                let _ = ready.send(Ok(conn.as_ref().map(|(n, _)| n.clone())));
                lister = Some(l);
                Some(p.clone())
            }
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        },
    };
    if let Some((n, _)) = &conn {
        say(&commands, format!("MIDI input: {n}"), false);
    }
    let mut was_connected = conn.is_some();
    let mut last_watch = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok((stamp, arrival, bytes)) => {
                router.on_port_message(clock.to_nanos(stamp, arrival), &bytes);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if calibrated.elapsed() >= Duration::from_secs(1) {
            clock.recalibrate();
            calibrated = Instant::now();
        }
        let (Some(p), Some(l)) = (&pattern, &lister) else {
            continue;
        };
        if last_watch.elapsed() < WATCH_INTERVAL {
            continue;
        }
        last_watch = Instant::now();
        let names = l.inputs();
        if let Some((name, _)) = &conn {
            if !names.contains(name) {
                let name = name.clone();
                conn = None;
                say(
                    &commands,
                    format!("MIDI input '{name}' went away; the music goes on, and loam reconnects when it is back"),
                    true,
                );
            }
        }
        if conn.is_none() {
            if let Some(n) = find(p, &names).cloned() {
                match connect(&n, &tx, &counters) {
                    Ok(c) => {
                        let verb = if was_connected {
                            "reconnected"
                        } else {
                            "connected"
                        };
                        if was_connected {
                            MidiCounters::add(&counters.reconnects, 1);
                        }
                        say(&commands, format!("MIDI input {verb}: {n}"), false);
                        conn = Some((n, c));
                        was_connected = true;
                    }
                    Err(e) => say(&commands, e, true),
                }
            }
        }
    }
    drop(conn);
}
