//! loam's own JACK MIDI ports (the `jack` feature), frame-exact both ways.
//!
//! midir's JACK backend stamps each incoming message with the time its
//! process callback happens to run, and writes outgoing ones at the start
//! of the next cycle: a busy machine moves both by a period or more. Here
//! each port is a JACK client of loam's own whose process callback is a
//! thin adapter:
//!
//! - **in**: every event is stamped with the time of its frame, from the
//!   cycle's times (`jack_get_cycle_times`) and its offset in the cycle,
//!   converted to loam's clock, and pushed into a wait-free ring the MIDI
//!   input thread drains;
//! - **out**: messages arrive stamped ahead of time over a wait-free ring;
//!   the callback keeps them in time order in a fixed-capacity list and
//!   writes each one in the cycle that contains its time, at its frame.
//!
//! Neither callback allocates, locks or prints; a full ring or list is
//! counted. JACK's clock (`jack_get_time`) and loam's are tied by an offset
//! measured by the owning thread about once a second ([`JackClock`]).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use jack::{AsyncClient, Client, ClientOptions, Control, MidiIn, MidiOut, ProcessScope, RawMidi};

use super::backend::Direction;
use super::counters::MidiCounters;
use super::error::MidiError;
use super::sender::Scheduled;
use super::stamped::Stamped;
use crate::time::wallclock::{self, Nanos};

/// Incoming messages waiting for the input thread.
const IN_RING: usize = 4096;
/// Outgoing messages waiting for their cycle.
const OUT_RING: usize = 8192;
const OUT_PENDING: usize = 4096;

/// JACK's clock minus loam's, in nanoseconds, shared with a process callback.
#[derive(Debug, Default)]
pub struct JackClock {
    offset: AtomicI64,
}

impl JackClock {
    /// Measures the offset: the reading with the tightest bracket of five.
    pub fn calibrate(&self, client: &Client) {
        let best = (0..5)
            .map(|_| {
                let a = wallclock::now_nanos().get();
                let j = client.time() as i64 * 1000;
                let b = wallclock::now_nanos().get();
                (b - a, j - (a / 2 + b / 2) as i64)
            })
            .min_by_key(|(spread, _)| *spread);
        if let Some((_, off)) = best {
            // jack_get_time has microsecond steps: centre the reading.
            self.offset.store(off + 500, Ordering::Relaxed);
        }
    }

    /// The time on loam's clock of JACK nanoseconds (`jack_get_time`'s
    /// clock, in nanoseconds).
    pub fn to_loam(&self, jack_nanos: i64) -> Nanos {
        Nanos((jack_nanos - self.offset.load(Ordering::Relaxed)).max(0) as u64)
    }

    /// JACK nanoseconds of a time on loam's clock.
    pub fn to_jack(&self, nanos: Nanos) -> i64 {
        nanos.get() as i64 + self.offset.load(Ordering::Relaxed)
    }
}

/// A cycle's frames on JACK's clock: where frame offset `k` lies in time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cycle {
    /// JACK nanoseconds of the cycle's first frame.
    pub start: i64,
    /// JACK nanoseconds of the next cycle's first frame.
    pub next: i64,
    /// Frames in the cycle.
    pub frames: u32,
}

impl Cycle {
    fn of(client: &Client, ps: &ProcessScope) -> Cycle {
        let frames = ps.n_frames();
        match ps.cycle_times() {
            Ok(c) if c.next_usecs > c.current_usecs => Cycle {
                start: c.current_usecs as i64 * 1000,
                next: c.next_usecs as i64 * 1000,
                frames,
            },
            // A server without cycle times: its frame-to-time estimate.
            _ => {
                let first = ps.last_frame_time();
                let start = client.frames_to_time(first) as i64 * 1000;
                let next = client.frames_to_time(first.wrapping_add(frames)) as i64 * 1000;
                Cycle {
                    start,
                    next: next.max(start + 1),
                    frames,
                }
            }
        }
    }

    /// JACK nanoseconds of frame offset `k`.
    pub fn time_of(&self, k: u32) -> i64 {
        self.start + (self.next - self.start) * k as i64 / self.frames.max(1) as i64
    }

    /// The frame offset of JACK nanoseconds `t`, if it falls before the
    /// next cycle (times before this cycle: offset 0).
    pub fn offset_of(&self, t: i64) -> Option<u32> {
        if t >= self.next {
            return None;
        }
        let span = (self.next - self.start).max(1);
        // The nearest frame.
        let k = ((t - self.start).max(0) * self.frames as i64 + span / 2) / span;
        Some((k as u32).min(self.frames.saturating_sub(1)))
    }
}

/// Opens client `name` without starting a server.
fn open(name: &str) -> Result<Client, MidiError> {
    Client::new(name, ClientOptions::NO_START_SERVER)
        .map(|(c, _)| c)
        .map_err(|e| MidiError::no_system(&e))
}

/// Client `client` (not started) with its one MIDI port `port` of kind
/// `S`, and the port's full name (`loam-in:in`).
fn client_with_port<S: jack::PortSpec + Default>(
    client: &str,
    port: &str,
    direction: Direction,
) -> Result<(Client, jack::Port<S>, String), MidiError> {
    let c = open(client)?;
    let p = c
        .register_port(port, S::default())
        .map_err(|e| MidiError::MakePort {
            direction,
            port: port.into(),
            detail: e.to_string(),
        })?;
    let name = p.name().unwrap_or_else(|_| format!("{client}:{port}"));
    Ok((c, p, name))
}

/// Starts client `c` with its callback `process`, then connects its port
/// `own` (its full name) with `other` if given: from `other` for an input,
/// to it for an output.
fn activate<P: jack::ProcessHandler + 'static>(
    c: Client,
    process: P,
    direction: Direction,
    own: &str,
    other: Option<&str>,
) -> Result<AsyncClient<(), P>, MidiError> {
    let active = c
        .activate_async((), process)
        .map_err(|e| MidiError::StartClient {
            direction,
            detail: e.to_string(),
        })?;
    if let Some(other) = other {
        let (from, to) = match direction {
            Direction::Input => (other, own),
            Direction::Output => (own, other),
        };
        active
            .as_client()
            .connect_ports_by_name(from, to)
            .map_err(|e| MidiError::Connect {
                direction,
                name: other.into(),
                detail: e.to_string(),
            })?;
    }
    Ok(active)
}

/// A started one-port client: its handle, its clock and the port's name.
struct StartedPort<P: jack::ProcessHandler> {
    client: AsyncClient<(), P>,
    clock: Arc<JackClock>,
    name: String,
}

/// Opens client `client` with its one MIDI port `port` of kind `S`,
/// calibrates a clock for it, starts it with the callback `make` builds from
/// the port and the clock, and connects it with `peer` if given.
fn start_port<S, P>(
    client: &str,
    port: &str,
    direction: Direction,
    peer: Option<&str>,
    make: impl FnOnce(jack::Port<S>, Arc<JackClock>) -> P,
) -> Result<StartedPort<P>, MidiError>
where
    S: jack::PortSpec + Default,
    P: jack::ProcessHandler + 'static,
{
    let (c, p, name) = client_with_port::<S>(client, port, direction)?;
    let clock = Arc::new(JackClock::default());
    clock.calibrate(&c);
    let process = make(p, clock.clone());
    let client = activate(c, process, direction, &name, peer)?;
    Ok(StartedPort {
        client,
        clock,
        name,
    })
}

struct InProcess {
    port: jack::Port<MidiIn>,
    ring: rtrb::Producer<Stamped>,
    clock: Arc<JackClock>,
    counters: Arc<MidiCounters>,
}

impl jack::ProcessHandler for InProcess {
    fn process(&mut self, client: &Client, ps: &ProcessScope) -> Control {
        let cycle = Cycle::of(client, ps);
        for e in self.port.iter(ps) {
            let nanos = self.clock.to_loam(cycle.time_of(e.time));
            if self.ring.push(Stamped::new(nanos, e.bytes)).is_err() {
                MidiCounters::add(&self.counters.dropped, 1);
            }
        }
        Control::Continue
    }
}

/// An open JACK MIDI input: its messages come out of [`JackIn::drain`].
pub struct JackIn {
    client: AsyncClient<(), InProcess>,
    ring: rtrb::Consumer<Stamped>,
    clock: Arc<JackClock>,
    /// The port's full name (`loam-in:in`).
    pub name: String,
}

impl JackIn {
    /// Client `client` with input port `port`, connected from `source` if given.
    pub fn open(
        client: &str,
        port: &str,
        source: Option<&str>,
        counters: Arc<MidiCounters>,
    ) -> Result<JackIn, MidiError> {
        // Boundary: JACK MIDI input callback -> MIDI input thread.
        let (tx, ring) = rtrb::RingBuffer::new(IN_RING);
        let started = start_port(client, port, Direction::Input, source, |port, clock| {
            InProcess {
                port,
                ring: tx,
                clock,
                counters,
            }
        })?;
        Ok(JackIn {
            client: started.client,
            ring,
            clock: started.clock,
            name: started.name,
        })
    }

    /// Measures the clock offset again (call about once a second).
    pub fn recalibrate(&self) {
        self.clock.calibrate(self.client.as_client());
    }

    /// Hands every message received so far to `f`.
    pub fn drain(&mut self, mut f: impl FnMut(&Stamped)) {
        while let Ok(s) = self.ring.pop() {
            f(&s);
        }
    }
}

/// What the output callback shares with its owner.
#[derive(Debug, Default)]
struct OutShared {
    /// Send every pending note-off and Stop now, drop the rest.
    flush: AtomicBool,
    /// Cycles run since the flush was asked for.
    flushed_cycles: AtomicU64,
}

/// Outgoing messages on their way to their cycle: a wait-free ring from the
/// output thread, and a fixed-capacity list in time order. Everything here
/// runs in the JACK output callback: no allocation, no lock.
pub struct OutQueue {
    ring: rtrb::Consumer<(i64, Scheduled)>,
    /// Sorted latest first: the next one due is at the end.
    pending: Vec<(i64, Scheduled)>,
}

impl OutQueue {
    /// A queue and its producer: messages keyed by JACK nanoseconds.
    pub fn new(ring: usize, pending: usize) -> (rtrb::Producer<(i64, Scheduled)>, OutQueue) {
        // Boundary: MIDI output thread -> JACK MIDI output callback.
        let (tx, rx) = rtrb::RingBuffer::new(ring);
        let q = OutQueue {
            ring: rx,
            pending: Vec::with_capacity(pending),
        };
        (tx, q)
    }

    /// Moves queued messages into the time-ordered list while it has room.
    fn take_queued(&mut self) {
        while self.pending.len() < self.pending.capacity() {
            let Ok(m) = self.ring.pop() else { break };
            let key = (m.0, m.1.seq);
            let at = self.pending.partition_point(|p| (p.0, p.1.seq) > key);
            self.pending.insert(at, m);
        }
    }

    /// Writes every message due in `cycle` at its frame offset, in time
    /// order (one that is late: at offset 0, its lateness counted). When
    /// `flush`, writes every note-off and Stop now and drops the rest.
    /// `write` returns whether the port took the message.
    pub fn write_cycle(
        &mut self,
        cycle: &Cycle,
        flush: bool,
        counters: &MidiCounters,
        mut write: impl FnMut(u32, &[u8]) -> bool,
    ) {
        self.take_queued();
        let mut last = 0;
        while let Some(&(t, s)) = self.pending.last() {
            let offset = if flush {
                Some(last)
            } else {
                cycle.offset_of(t)
            };
            let Some(k) = offset else { break };
            self.pending.pop();
            if flush && !s.ends_sound() {
                continue;
            }
            if t < cycle.start && !flush {
                let late = (cycle.start - t) as u64;
                counters.worst_late_nanos.fetch_max(late, Ordering::Relaxed);
            }
            // Offsets never go back within a cycle.
            let k = k.max(last);
            last = k;
            let counter = if write(k, &s.bytes[..s.len as usize]) {
                &counters.sent
            } else {
                &counters.unsent
            };
            MidiCounters::add(counter, 1);
        }
    }
}

struct OutProcess {
    port: jack::Port<MidiOut>,
    queue: OutQueue,
    shared: Arc<OutShared>,
    counters: Arc<MidiCounters>,
}

impl jack::ProcessHandler for OutProcess {
    fn process(&mut self, client: &Client, ps: &ProcessScope) -> Control {
        let cycle = Cycle::of(client, ps);
        let flush = self.shared.flush.load(Ordering::Relaxed);
        let mut w = self.port.writer(ps);
        self.queue
            .write_cycle(&cycle, flush, &self.counters, |time, bytes| {
                w.write(&RawMidi { time, bytes }).is_ok()
            });
        if flush {
            self.shared.flushed_cycles.fetch_add(1, Ordering::Relaxed);
        }
        Control::Continue
    }
}

/// An open JACK MIDI output: messages queued with [`JackOut::queue`] leave
/// at their frame.
pub struct JackOut {
    client: Option<AsyncClient<(), OutProcess>>,
    ring: rtrb::Producer<(i64, Scheduled)>,
    clock: Arc<JackClock>,
    shared: Arc<OutShared>,
    /// The port's full JACK name (`loam-out:out`).
    pub name: String,
}

impl JackOut {
    /// Client `client` with output port `port`, connected to `dest` if given.
    pub fn open(
        client: &str,
        port: &str,
        dest: Option<&str>,
        counters: Arc<MidiCounters>,
    ) -> Result<JackOut, MidiError> {
        let (ring, queue) = OutQueue::new(OUT_RING, OUT_PENDING);
        let shared = Arc::new(OutShared::default());
        let process_shared = shared.clone();
        let started = start_port(client, port, Direction::Output, dest, |port, _| {
            OutProcess {
                port,
                queue,
                shared: process_shared,
                counters,
            }
        })?;
        Ok(JackOut {
            client: Some(started.client),
            ring,
            clock: started.clock,
            shared,
            name: started.name,
        })
    }

    /// Measures the clock offset again (call about once a second).
    pub fn recalibrate(&self) {
        if let Some(c) = &self.client {
            self.clock.calibrate(c.as_client());
        }
    }

    /// Queues a message for its time; `false` when the ring is full (try
    /// again later).
    pub fn queue(&mut self, s: Scheduled) -> bool {
        self.ring.push((self.clock.to_jack(s.nanos), s)).is_ok()
    }

    /// Sends pending note-offs and Stop at once, drops the rest, and closes.
    pub fn close(mut self) {
        self.shared.flush.store(true, Ordering::Relaxed);
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
        while self.shared.flushed_cycles.load(Ordering::Relaxed) < 2
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if let Some(c) = self.client.take() {
            let _ = c.deactivate();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_place_times_on_frames() {
        // 64 frames from 1 ms to 2.333 ms.
        let c = Cycle {
            start: 1_000_000,
            next: 2_333_333,
            frames: 64,
        };
        assert_eq!(c.time_of(0), 1_000_000);
        assert_eq!(c.time_of(32), 1_666_666);
        assert_eq!(c.offset_of(1_666_667), Some(32));
        // Late: the first frame; beyond: a later cycle.
        assert_eq!(c.offset_of(0), Some(0));
        assert_eq!(c.offset_of(2_333_332), Some(63));
        assert_eq!(c.offset_of(2_333_333), None);
        // Round trip for every frame.
        for k in 0..64 {
            assert_eq!(c.offset_of(c.time_of(k)), Some(k), "frame {k}");
        }
    }

    fn msg(nanos: u64, seq: u64, bytes: [u8; 3]) -> Scheduled {
        Scheduled::new(Nanos(nanos), seq, &bytes).unwrap()
    }

    /// A cycle of 256 frames from `start` to `next` (JACK nanoseconds).
    fn cycle(start: i64, next: i64) -> Cycle {
        Cycle {
            start,
            next,
            frames: 256,
        }
    }

    /// A queue holding `messages` (JACK time, sequence, bytes), as the
    /// MIDI sender thread would have pushed them.
    fn queue_of(messages: &[(i64, u64, [u8; 3])]) -> OutQueue {
        let (mut tx, q) = OutQueue::new(64, 16);
        for &(t, seq, b) in messages {
            tx.push((t, msg(t as u64, seq, b))).unwrap();
        }
        q
    }

    /// What one cycle writes: (frame, status byte) in order.
    fn cycle_writes(
        q: &mut OutQueue,
        c: &Cycle,
        flush: bool,
        counters: &MidiCounters,
    ) -> Vec<(u32, u8)> {
        let mut got = Vec::new();
        q.write_cycle(c, flush, counters, |k, b| {
            got.push((k, b[0]));
            true
        });
        got
    }

    #[test]
    fn messages_leave_in_their_cycle_at_their_frame_in_order() {
        let counters = MidiCounters::default();
        let c = cycle(10_000_000, 15_333_333);
        // Out of order, one late, one for the next cycle, two at one time.
        let mut q = queue_of(&[
            (12_000_000, 1, [0x90, 60, 100]),
            (9_000_000, 2, [0xF8, 0, 0]),
            (16_000_000, 3, [0x80, 60, 0]),
            (11_000_000, 4, [0xF8, 0, 0]),
            (11_000_000, 5, [0xFA, 0, 0]),
        ]);
        let got = cycle_writes(&mut q, &c, false, &counters);
        // 1 ms into a 5.33 ms cycle of 256 frames is frame 48.
        assert_eq!(got, [(0, 0xF8), (48, 0xF8), (48, 0xFA), (96, 0x90)]);
        assert_eq!(counters.worst_late_nanos.load(Ordering::Relaxed), 1_000_000);
        // The note-off waits for the cycle that holds it.
        let next = cycle(15_333_333, 20_666_666);
        assert_eq!(cycle_writes(&mut q, &next, false, &counters), [(32, 0x80)]);
        assert_eq!(MidiCounters::get(&counters.sent), 5);
    }

    #[test]
    fn a_flush_sends_what_ends_sound_and_drops_the_rest() {
        let counters = MidiCounters::default();
        let c = cycle(0, 5_333_333);
        let mut q = queue_of(&[
            (50_000_000, 1, [0x90, 60, 100]),
            (60_000_000, 2, [0x80, 60, 0]),
            (70_000_000, 3, [0xFC, 0, 0]),
        ]);
        let got = cycle_writes(&mut q, &c, true, &counters);
        assert_eq!(got, [(0, 0x80), (0, 0xFC)]);
    }
}
