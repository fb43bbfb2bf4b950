//! The MIDI input thread: holds the port connection, stamps each message on
//! loam's clock, hands it to the [`Router`], and reconnects a port that
//! went away when it comes back.
//!
//! With the `jack` feature the port is loam's own JACK client
//! ([`super::jack_port`]), which stamps each message with its frame's time;
//! the thread drains its ring every millisecond. Otherwise midir calls back
//! on its own thread; the callback only copies the bytes into a bounded
//! queue (`try_send`: a full queue drops and counts) and returns, and the
//! backend's stamp is converted by [`StampClock`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use super::counters::MidiCounters;
#[cfg(feature = "jack")]
use super::jack_port::JackIn;
use super::ports::{find, PortLister, PortSpec, INPUT_CLIENT};
use super::router::Router;
use super::stamped::Stamped;
use super::timestamp::StampClock;
use super::MidiCommand;
use crate::control::Command;
#[cfg(not(feature = "jack"))]
use crate::time::wallclock;

/// How often port lists are checked for a port that left or came back.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(300);

/// How often the thread looks for new messages: JACK's ring is polled (its
/// callback never wakes a thread); midir's queue wakes the thread itself.
const POLL: Duration = if cfg!(feature = "jack") {
    Duration::from_millis(1)
} else {
    Duration::from_millis(50)
};

/// (backend stamp in µs, arrival in monotonic ns, the message) from midir.
type Raw = (u64, u64, Stamped);

/// An open input port.
enum InPort {
    #[cfg(not(feature = "jack"))]
    /// Held open; midir's callback does the work.
    Midir {
        _open: midir::MidiInputConnection<()>,
    },
    #[cfg(feature = "jack")]
    Jack(JackIn),
}

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

#[cfg(not(feature = "jack"))]
fn callback(
    tx: Sender<Raw>,
    counters: Arc<MidiCounters>,
) -> impl FnMut(u64, &[u8], &mut ()) + Send + 'static {
    move |stamp, bytes, _| {
        if tx
            .try_send((stamp, wallclock::now_nanos(), Stamped::new(0, bytes)))
            .is_err()
        {
            MidiCounters::add(&counters.dropped, 1);
        }
    }
}

/// Connects to `name`.
#[cfg(not(feature = "jack"))]
fn connect(name: &str, tx: &Sender<Raw>, counters: &Arc<MidiCounters>) -> Result<InPort, String> {
    use midir::MidiInput;
    let input = MidiInput::new(INPUT_CLIENT).map_err(|e| super::ports::no_midi(&e))?;
    let port = input
        .ports()
        .into_iter()
        .find(|p| input.port_name(p).ok().as_deref() == Some(name))
        .ok_or_else(|| format!("MIDI input '{name}' is gone"))?;
    input
        .connect(&port, "in", callback(tx.clone(), counters.clone()), ())
        .map(|c| InPort::Midir { _open: c })
        .map_err(|e| format!("cannot connect MIDI input '{name}': {e}"))
}

/// Connects to `name`: a JACK client of loam's own.
#[cfg(feature = "jack")]
fn connect(name: &str, _tx: &Sender<Raw>, counters: &Arc<MidiCounters>) -> Result<InPort, String> {
    JackIn::open(INPUT_CLIENT, "in", Some(name), counters.clone()).map(InPort::Jack)
}

#[cfg(feature = "jack")]
fn make_virtual(
    name: &str,
    _tx: &Sender<Raw>,
    counters: &Arc<MidiCounters>,
) -> Result<InPort, String> {
    JackIn::open(INPUT_CLIENT, name, None, counters.clone())
        .map(InPort::Jack)
        .map_err(|e| format!("cannot create the virtual MIDI input '{name}': {e}"))
}

#[cfg(all(unix, not(feature = "jack")))]
fn make_virtual(
    name: &str,
    tx: &Sender<Raw>,
    counters: &Arc<MidiCounters>,
) -> Result<InPort, String> {
    use midir::os::unix::VirtualInput;
    let input = midir::MidiInput::new(INPUT_CLIENT).map_err(|e| super::ports::no_midi(&e))?;
    input
        .create_virtual(name, callback(tx.clone(), counters.clone()), ())
        .map(|c| InPort::Midir { _open: c })
        .map_err(|e| format!("cannot create the virtual MIDI input '{name}': {e}"))
}

#[cfg(all(not(unix), not(feature = "jack")))]
fn make_virtual(
    name: &str,
    _tx: &Sender<Raw>,
    _counters: &Arc<MidiCounters>,
) -> Result<InPort, String> {
    Err(format!(
        "virtual MIDI port '{name}': this platform has none; give a port name pattern"
    ))
}

/// The full name of an open port.
fn port_name(p: &InPort, virtual_name: &str) -> String {
    match p {
        #[cfg(not(feature = "jack"))]
        InPort::Midir { .. } => format!("{INPUT_CLIENT}:{virtual_name}"),
        #[cfg(feature = "jack")]
        InPort::Jack(j) => {
            let _ = virtual_name;
            j.name.clone()
        }
    }
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
    let mut conn: Option<(String, InPort)> = None;
    let mut lister = None;
    let pattern = match &spec {
        PortSpec::Virtual(name) => match make_virtual(name, &tx, &counters) {
            Ok(c) => {
                let full = port_name(&c, name);
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
        match rx.recv_timeout(POLL) {
            Ok((stamp, arrival, m)) => {
                router.on_port_message(clock.to_nanos(stamp, arrival), m.bytes());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        #[cfg(feature = "jack")]
        if let Some((_, InPort::Jack(j))) = &mut conn {
            j.drain(|m| router.on_port_message(m.nanos, m.bytes()));
        }
        if calibrated.elapsed() >= Duration::from_secs(1) {
            clock.recalibrate();
            #[cfg(feature = "jack")]
            if let Some((_, InPort::Jack(j))) = &conn {
                j.recalibrate();
            }
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
