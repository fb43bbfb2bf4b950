//! The MIDI output thread: messages arrive stamped ahead of time (clock
//! pulses, loop notes, computed from the timeline a lookahead early) and
//! leave at their time. With the `jack` feature they go on at once to
//! loam's own JACK port ([`super::jack_port`]), whose process callback
//! writes each at its frame. midir (the other backends) sends at once, so
//! there this thread keeps them in time order, sleeps until about [`SPIN`]
//! before each is due, then spins to the exact moment. It also reconnects a
//! port that went away.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use super::counters::MidiCounters;
use super::input::WATCH_INTERVAL;
#[cfg(feature = "jack")]
use super::jack_port::JackOut;
use super::message::MidiMessage;
use super::ports::{find, PortLister, PortSpec, OUTPUT_CLIENT};
use super::MidiCommand;
use crate::control::Command;
use crate::time::wallclock;

/// The sender wakes this long before a message is due and spins the rest.
pub const SPIN: Duration = Duration::from_micros(400);
/// Messages waiting in the queue to the sender.
pub const QUEUE: usize = 8192;

/// A short message to send at a monotonic time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scheduled {
    pub nanos: u64,
    /// Keeps messages with equal times in the order they were queued.
    pub seq: u64,
    pub bytes: [u8; 3],
    pub len: u8,
}

impl Scheduled {
    /// A note-off or Stop: what must still go out when loam stops.
    pub fn ends_sound(&self) -> bool {
        self.bytes[0] & 0xF0 == 0x80 || self.bytes[0] == 0xFC
    }
}

/// The control side of the output thread.
pub struct OutputHandle {
    tx: Sender<Scheduled>,
    seq: u64,
    counters: Arc<MidiCounters>,
}

impl OutputHandle {
    /// Queues `msg` to go out at `nanos`; a full queue drops it (counted).
    pub fn send_at(&mut self, nanos: u64, msg: MidiMessage) {
        let (bytes, len) = msg.to_bytes();
        if len == 0 {
            return;
        }
        self.seq += 1;
        let s = Scheduled {
            nanos,
            seq: self.seq,
            bytes,
            len: len as u8,
        };
        if self.tx.try_send(s).is_err() {
            MidiCounters::add(&self.counters.unsent, 1);
        }
    }
}

/// The running output thread.
pub struct OutputThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    pub port: Option<String>,
}

impl OutputThread {
    pub fn start(
        spec: PortSpec,
        commands: Sender<Command>,
        counters: Arc<MidiCounters>,
    ) -> Result<(OutputThread, OutputHandle), String> {
        let stop = Arc::new(AtomicBool::new(false));
        // Boundary: control thread -> MIDI output thread (never the audio callback).
        let (tx, rx) = bounded(QUEUE);
        let (ready_tx, ready_rx) = bounded(1);
        let (s, c) = (stop.clone(), counters.clone());
        let handle = std::thread::Builder::new()
            .name("loam-midi-out".into())
            .spawn(move || run(spec, rx, commands, c, s, ready_tx))
            .map_err(|e| format!("cannot start the MIDI output thread: {e}"))?;
        match ready_rx.recv() {
            Ok(Ok(port)) => Ok((
                OutputThread {
                    stop,
                    handle: Some(handle),
                    port,
                },
                OutputHandle {
                    tx,
                    seq: 0,
                    counters,
                },
            )),
            Ok(Err(e)) => {
                let _ = handle.join();
                Err(e)
            }
            Err(_) => Err("the MIDI output thread ended at once".into()),
        }
    }

    /// Sends what is still due (note-offs, a Stop) at once, then stops.
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for OutputThread {
    fn drop(&mut self) {
        self.finish();
    }
}

fn say(commands: &Sender<Command>, text: String, error: bool) {
    let _ = commands.try_send(Command::Midi {
        command: MidiCommand::Say { text, error },
        reply: None,
    });
}

/// An open output port.
enum OutPort {
    #[cfg(not(feature = "jack"))]
    Midir(midir::MidiOutputConnection),
    #[cfg(feature = "jack")]
    Jack(JackOut),
}

impl OutPort {
    /// A port that times messages itself takes them as soon as they come.
    fn times_itself(&self) -> bool {
        cfg!(feature = "jack")
    }

    /// Sends now (midir) or queues for its time (JACK); `false` if it could not.
    fn send(&mut self, s: &Scheduled) -> bool {
        match self {
            #[cfg(not(feature = "jack"))]
            OutPort::Midir(c) => c.send(&s.bytes[..s.len as usize]).is_ok(),
            #[cfg(feature = "jack")]
            OutPort::Jack(j) => j.queue(*s),
        }
    }

    fn recalibrate(&self) {
        match self {
            #[cfg(not(feature = "jack"))]
            OutPort::Midir(_) => {}
            #[cfg(feature = "jack")]
            OutPort::Jack(j) => j.recalibrate(),
        }
    }

    /// Closes the port; JACK sends its pending note-offs and Stop first.
    fn close(self) {
        match self {
            #[cfg(not(feature = "jack"))]
            OutPort::Midir(c) => drop(c),
            #[cfg(feature = "jack")]
            OutPort::Jack(j) => j.close(),
        }
    }
}

#[cfg(not(feature = "jack"))]
fn connect(name: &str, _counters: &Arc<MidiCounters>) -> Result<OutPort, String> {
    let out = midir::MidiOutput::new(OUTPUT_CLIENT).map_err(|e| super::ports::no_midi(&e))?;
    let port = out
        .ports()
        .into_iter()
        .find(|p| out.port_name(p).ok().as_deref() == Some(name))
        .ok_or_else(|| format!("MIDI output '{name}' is gone"))?;
    out.connect(&port, "out")
        .map(OutPort::Midir)
        .map_err(|e| format!("cannot connect MIDI output '{name}': {e}"))
}

#[cfg(feature = "jack")]
fn connect(name: &str, counters: &Arc<MidiCounters>) -> Result<OutPort, String> {
    JackOut::open(OUTPUT_CLIENT, "out", Some(name), counters.clone()).map(OutPort::Jack)
}

#[cfg(feature = "jack")]
fn make_virtual(name: &str, counters: &Arc<MidiCounters>) -> Result<(String, OutPort), String> {
    JackOut::open(OUTPUT_CLIENT, name, None, counters.clone())
        .map(|j| (j.name.clone(), OutPort::Jack(j)))
        .map_err(|e| format!("cannot create the virtual MIDI output '{name}': {e}"))
}

#[cfg(all(unix, not(feature = "jack")))]
fn make_virtual(name: &str, _counters: &Arc<MidiCounters>) -> Result<(String, OutPort), String> {
    use midir::os::unix::VirtualOutput;
    let out = midir::MidiOutput::new(OUTPUT_CLIENT).map_err(|e| super::ports::no_midi(&e))?;
    out.create_virtual(name)
        .map(|c| (format!("{OUTPUT_CLIENT}:{name}"), OutPort::Midir(c)))
        .map_err(|e| format!("cannot create the virtual MIDI output '{name}': {e}"))
}

#[cfg(all(not(unix), not(feature = "jack")))]
fn make_virtual(name: &str, _counters: &Arc<MidiCounters>) -> Result<(String, OutPort), String> {
    Err(format!(
        "virtual MIDI port '{name}': this platform has none; give a port name pattern"
    ))
}

/// Asks for real-time scheduling (SCHED_FIFO, priority 5: below JACK's
/// own threads) so a busy machine does not wake the sender late; without
/// permission it stays an ordinary thread.
fn realtime_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 5 };
        // SAFETY: plain FFI on the calling thread with a valid parameter.
        let _ =
            unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    }
}

/// Waits until monotonic time `nanos`: sleeps, then spins the last stretch.
fn wait_until(nanos: u64) {
    loop {
        let now = wallclock::now_nanos();
        if now >= nanos {
            return;
        }
        let left = nanos - now;
        if left > SPIN.as_nanos() as u64 {
            std::thread::sleep(Duration::from_nanos(left - SPIN.as_nanos() as u64));
        } else {
            std::hint::spin_loop();
        }
    }
}

fn run(
    spec: PortSpec,
    rx: Receiver<Scheduled>,
    commands: Sender<Command>,
    counters: Arc<MidiCounters>,
    stop: Arc<AtomicBool>,
    ready: Sender<Result<Option<String>, String>>,
) {
    realtime_priority();
    let mut conn: Option<(String, OutPort)> = None;
    let mut lister = None;
    let pattern = match &spec {
        PortSpec::Virtual(name) => match make_virtual(name, &counters) {
            Ok((full, c)) => {
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
                let names = l.outputs();
                match find(p, &names).map(|n| (n, connect(n, &counters))) {
                    Some((n, Ok(c))) => conn = Some((n.clone(), c)),
                    Some((_, Err(e))) => say(&commands, e, true),
                    None => say(
                        &commands,
                        format!(
                            "no MIDI output matches '{p}' yet (have: {}); loam connects when it appears",
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
        say(&commands, format!("MIDI output: {n}"), false);
    }
    let mut was_connected = conn.is_some();
    let mut heap: BinaryHeap<Reverse<Scheduled>> = BinaryHeap::new();
    let mut last_watch = Instant::now();
    let mut calibrated = Instant::now();
    // midir: counted when sent; JACK: counted by its callback, here only if refused.
    let send = |conn: &mut Option<(String, OutPort)>, s: &Scheduled| {
        let (ok, counts_itself) = match conn {
            Some((_, c)) => (c.send(s), c.times_itself()),
            None => (false, false),
        };
        if !ok {
            MidiCounters::add(&counters.unsent, 1);
        } else if !counts_itself {
            MidiCounters::add(&counters.sent, 1);
        }
    };
    loop {
        if stop.load(Ordering::Relaxed) {
            // Whatever ends sound (note-offs, Stop) goes out now; the rest is dropped.
            heap.extend(rx.try_iter().map(Reverse));
            while let Some(Reverse(s)) = heap.pop() {
                if s.ends_sound() {
                    let now = Scheduled {
                        nanos: wallclock::now_nanos(),
                        ..s
                    };
                    send(&mut conn, &now);
                }
            }
            if let Some((_, c)) = conn.take() {
                c.close();
            }
            break;
        }
        heap.extend(rx.try_iter().map(Reverse));
        if calibrated.elapsed() >= Duration::from_secs(1) {
            if let Some((_, c)) = &conn {
                c.recalibrate();
            }
            calibrated = Instant::now();
        }
        let port_times = conn.as_ref().is_some_and(|(_, c)| c.times_itself());
        if port_times {
            // The port times them: hand everything over in time order.
            while let Some(Reverse(s)) = heap.pop() {
                if let Some((_, c)) = conn.as_mut() {
                    if !c.send(&s) {
                        // Its ring is full: try again shortly.
                        heap.push(Reverse(s));
                        break;
                    }
                }
            }
        }
        let now = wallclock::now_nanos();
        let due = heap
            .peek()
            .filter(|_| !port_times)
            .map(|Reverse(s)| s.nanos);
        match due {
            Some(t) if t <= now + SPIN.as_nanos() as u64 => {
                wait_until(t);
                let late = wallclock::now_nanos().saturating_sub(t);
                counters.worst_late_nanos.fetch_max(late, Ordering::Relaxed);
                if let Some(Reverse(s)) = heap.pop() {
                    send(&mut conn, &s);
                }
                continue;
            }
            _ => {}
        }
        let wait = if port_times && !heap.is_empty() {
            Duration::from_millis(2)
        } else {
            due.map(|t| Duration::from_nanos(t - now - SPIN.as_nanos() as u64))
                .unwrap_or(Duration::from_millis(50))
                .min(Duration::from_millis(50))
        };
        match rx.recv_timeout(wait) {
            Ok(s) => heap.push(Reverse(s)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                if heap.is_empty() {
                    break;
                }
            }
        }
        let (Some(p), Some(l)) = (&pattern, &lister) else {
            continue;
        };
        // Port upkeep only when nothing is due soon.
        let soon = heap
            .peek()
            .is_some_and(|Reverse(s)| s.nanos < wallclock::now_nanos() + 5_000_000);
        if soon || last_watch.elapsed() < WATCH_INTERVAL {
            continue;
        }
        last_watch = Instant::now();
        let names = l.outputs();
        if let Some((name, _)) = &conn {
            if !names.contains(name) {
                let name = name.clone();
                conn = None;
                say(
                    &commands,
                    format!("MIDI output '{name}' went away; the music goes on, and loam reconnects when it is back"),
                    true,
                );
            }
        }
        if conn.is_none() {
            if let Some(n) = find(p, &names).cloned() {
                match connect(&n, &counters) {
                    Ok(c) => {
                        let verb = if was_connected {
                            "reconnected"
                        } else {
                            "connected"
                        };
                        if was_connected {
                            MidiCounters::add(&counters.reconnects, 1);
                        }
                        say(&commands, format!("MIDI output {verb}: {n}"), false);
                        conn = Some((n, c));
                        was_connected = true;
                    }
                    Err(e) => say(&commands, e, true),
                }
            }
        }
    }
}
