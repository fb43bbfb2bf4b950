//! The MIDI output thread: messages arrive stamped ahead of time (clock
//! pulses, loop notes, computed from the timeline a lookahead early) and
//! leave at their time. A port that times itself (loam's own JACK port,
//! [`super::jack_port`], whose process callback writes each at its frame)
//! takes them at once. midir sends at once, so there this thread keeps
//! them in time order, sleeps until about [`SPIN`] before each is due, then
//! spins to the exact moment. Its [`PortWatcher`] keeps the port connected.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use super::backend::{Backend, Direction, Outgoing, OutputBackend};
use super::counters::MidiCounters;
use super::error::MidiError;
use super::input::RECALIBRATE;
use super::message::{MidiMessage, LONGEST};
use super::port_thread::{self, announce, PortThread};
use super::ports::PortSpec;
use super::watcher::PortWatcher;
use crate::control::Command;
use crate::time::wallclock::{self, Nanos};

/// The sender wakes this long before a message is due and spins the rest.
pub const SPIN: Duration = Duration::from_micros(400);
/// Messages waiting in the queue to the sender.
pub const QUEUE: usize = 8192;
/// The port list is not read while a message is due within this long, so
/// watching the port never delays a message.
pub const SOON: Duration = Duration::from_millis(5);

/// A message to send at a monotonic time: a short one, or a tuning change
/// ([`MidiMessage::NoteTuning`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scheduled {
    /// When it goes out, on loam's monotonic clock.
    pub nanos: Nanos,
    /// Keeps messages with equal times in the order they were queued.
    pub seq: u64,
    /// The message's bytes, the first `len` of them used.
    pub bytes: [u8; LONGEST],
    /// Bytes used in `bytes` (1 … [`LONGEST`]).
    pub len: u8,
}

impl Scheduled {
    /// `bytes` (1 … [`LONGEST`] of them) to go out at `nanos`, `seq`-th
    /// of those queued; `None` when empty or longer.
    pub fn new(nanos: Nanos, seq: u64, bytes: &[u8]) -> Option<Scheduled> {
        if bytes.is_empty() || bytes.len() > LONGEST {
            return None;
        }
        let mut b = [0u8; LONGEST];
        b[..bytes.len()].copy_from_slice(bytes);
        Some(Scheduled {
            nanos,
            seq,
            bytes: b,
            len: bytes.len() as u8,
        })
    }

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
    pub fn send_at(&mut self, nanos: Nanos, msg: MidiMessage) {
        let (bytes, len) = msg.wire();
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

/// Opens the output port `spec` asks for (or starts waiting for it) and
/// starts the thread; the handle queues messages for it. `Err` when the
/// MIDI system cannot be reached or a virtual port cannot be made.
pub fn start(
    spec: PortSpec,
    commands: Sender<Command>,
    counters: Arc<MidiCounters>,
) -> Result<(PortThread, OutputHandle), MidiError> {
    // Boundary: control thread -> MIDI output thread (never the audio callback).
    let (tx, rx) = bounded(QUEUE);
    let c = counters.clone();
    let made = counters.clone();
    let thread = port_thread::start(
        Direction::Output,
        move || OutputBackend::new(made),
        spec,
        commands,
        counters.clone(),
        move |watcher, commands, stop| run(watcher, rx, commands, c, stop),
    )?;
    let handle = OutputHandle {
        tx,
        seq: 0,
        counters,
    };
    Ok((thread, handle))
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
fn wait_until(nanos: Nanos) {
    loop {
        let now = wallclock::now_nanos();
        if now >= nanos {
            return;
        }
        let left = nanos.saturating_sub(now);
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Sends `s` on the open port, if any, and counts it: midir's when sent,
/// a self-timing port's by its callback (here only if refused).
fn send_now<P: Outgoing>(port: Option<&mut P>, s: &Scheduled, counters: &MidiCounters) {
    let ok = port.is_some_and(|p| p.send(s));
    if !ok {
        MidiCounters::add(&counters.unsent, 1);
    } else if !P::TIMES_ITSELF {
        MidiCounters::add(&counters.sent, 1);
    }
}

/// The thread's loop: keep messages in time order, hand them to the port
/// (at once to one that times itself, else each when due), watch the port.
fn run<B>(
    mut watcher: PortWatcher<B>,
    rx: Receiver<Scheduled>,
    commands: &Sender<Command>,
    counters: Arc<MidiCounters>,
    stop: &AtomicBool,
) where
    B: Backend,
    B::Port: Outgoing,
{
    realtime_priority();
    let mut heap: BinaryHeap<Reverse<Scheduled>> = BinaryHeap::new();
    let mut calibrated = Instant::now();
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
                    send_now(watcher.port(), &now, &counters);
                }
            }
            if let Some(p) = watcher.take() {
                p.close();
            }
            break;
        }
        heap.extend(rx.try_iter().map(Reverse));
        if calibrated.elapsed() >= RECALIBRATE {
            if let Some(p) = watcher.port() {
                p.recalibrate();
            }
            calibrated = Instant::now();
        }
        let port_times = <B::Port as Outgoing>::TIMES_ITSELF && watcher.port().is_some();
        if port_times {
            // The port times them: hand everything over in time order.
            while let Some(Reverse(s)) = heap.pop() {
                if let Some(p) = watcher.port() {
                    if !p.send(&s) {
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
            Some(t) if t <= now + SPIN => {
                wait_until(t);
                let late = wallclock::now_nanos().saturating_sub(t).as_nanos() as u64;
                counters.worst_late_nanos.fetch_max(late, Ordering::Relaxed);
                if let Some(Reverse(s)) = heap.pop() {
                    send_now(watcher.port(), &s, &counters);
                }
                continue;
            }
            _ => {}
        }
        let wait = if port_times && !heap.is_empty() {
            Duration::from_millis(2)
        } else {
            due.map(|t| t.saturating_sub(now) - SPIN)
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
        // Port upkeep only when nothing is due soon.
        let soon = heap
            .peek()
            .is_some_and(|Reverse(s)| s.nanos < wallclock::now_nanos() + SOON);
        if !soon {
            announce(commands, watcher.look_if_due(Instant::now()));
        }
    }
}
