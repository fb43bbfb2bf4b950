//! The UDP socket and the two threads that read it: a reader that only
//! moves datagrams into a queue (so a burst is never lost while a message is
//! handled), and a handler that checks, decodes and dispatches them.

use std::cell::RefCell;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use rosc::{OscMessage, OscPacket, OscTime};

use super::address::{dispatch, Context, Outcome};
use super::datagrams::send_all;
use super::decode::{self, Element};
use super::echo;
use super::fail_limit::FailLimit;
use super::reply::{self, Pending};
use super::subscribers::{self, Subscribers};
use super::timetag::{self, When};
use super::{Access, OscCounters};
use crate::control::{Command, Notice, StatusBoard};
use crate::time::wallclock;

/// Where loam listens unless told otherwise.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:57130";

/// The kernel receive buffer loam asks for: room for tens of thousands of
/// small datagrams, so bursts survive a busy moment.
pub const RECEIVE_BUFFER: usize = 64 << 20;

/// Datagrams read but not yet handled.
const QUEUE: usize = 1 << 16;

/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65_536;

/// The handler takes up to this many queued datagrams at a time and sends
/// their answers together.
const BATCH: usize = 64;

/// How the server listens.
#[derive(Clone, Debug)]
pub struct OscConfig {
    /// The address and port to listen on (`--osc`, default [`DEFAULT_ADDRESS`]).
    pub bind: SocketAddr,
    /// Who is heard (`--osc-allow`), and whether other machines may send code.
    pub access: Access,
    /// The control thread's lookahead: timetags older than this play now and count late.
    pub lookahead: Duration,
}

impl OscConfig {
    /// Listen on `bind` with [`Access`]'s defaults (every client heard, no
    /// `/eval` or `/load` from other machines) and a 50 ms lookahead.
    pub fn new(bind: SocketAddr) -> OscConfig {
        OscConfig {
            bind,
            access: Access::default(),
            lookahead: Duration::from_millis(50),
        }
    }
}

/// A running OSC server. Dropping it stops its threads.
pub struct OscServer {
    local: SocketAddr,
    receive_buffer: usize,
    /// What the server received, refused and sent, read by `/status` and tests.
    pub counters: Arc<OscCounters>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

struct Datagram {
    bytes: Vec<u8>,
    from: SocketAddr,
}

impl OscServer {
    /// Binds the socket and starts the reader, handler, replier and notifier
    /// threads. Commands go to `commands`; `/status` is read from `board`;
    /// `notices` (from [`crate::control::Controller::subscribe`]) go to subscribers.
    pub fn start(
        config: OscConfig,
        commands: Sender<Command>,
        board: Arc<StatusBoard>,
        notices: Receiver<Notice>,
    ) -> io::Result<OscServer> {
        let (socket, receive_buffer) = bind(config.bind)?;
        let socket = Arc::new(socket);
        let local = socket.local_addr()?;
        let counters = Arc::new(OscCounters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let subscribers = Arc::new(Subscribers::default());
        let fails = Arc::new(FailLimit::default());
        // Boundary: reader -> handler (OSC threads only).
        let (datagrams_tx, datagrams_rx) = crossbeam_channel::bounded(QUEUE);
        // Boundary: handler -> replier (OSC threads only).
        let (pending_tx, pending_rx) = crossbeam_channel::bounded(QUEUE);
        let mut threads = Vec::new();
        threads.push(spawn_reader(
            socket.clone(),
            datagrams_tx,
            counters.clone(),
            stop.clone(),
        )?);
        let handler = Handler {
            socket: socket.clone(),
            local,
            fails: fails.clone(),
            commands,
            board,
            counters: counters.clone(),
            subscribers: subscribers.clone(),
            access: config.access,
            lookahead: config.lookahead,
            pending: pending_tx,
            outbox: RefCell::new(Vec::with_capacity(BATCH)),
            status_cache: RefCell::new(None),
        };
        threads.push(spawn_handler(handler, datagrams_rx, stop.clone())?);
        threads.push(reply::spawn_replier(
            socket.clone(),
            pending_rx,
            counters.clone(),
            fails,
            stop.clone(),
        )?);
        threads.push(subscribers::spawn_notifier(
            socket,
            local,
            subscribers,
            notices,
            counters.clone(),
            stop.clone(),
        )?);
        Ok(OscServer {
            local,
            receive_buffer,
            counters,
            stop,
            threads,
        })
    }

    /// Where the socket is bound (the port the system chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The receive buffer the kernel granted, in bytes.
    pub fn receive_buffer(&self) -> usize {
        self.receive_buffer
    }

    /// Stops every thread and waits for them.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for OscServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A UDP socket with a large receive buffer (forced past the system limit
/// where the process may), and a short read timeout so threads notice `stop`.
fn bind(addr: SocketAddr) -> io::Result<(UdpSocket, usize)> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
    force_receive_buffer(&socket, RECEIVE_BUFFER);
    let _ = socket.set_send_buffer_size(4 << 20);
    socket.bind(&addr.into())?;
    socket.set_read_timeout(Some(Duration::from_millis(100)))?;
    let granted = socket.recv_buffer_size().unwrap_or(0);
    Ok((socket.into(), granted))
}

/// Linux caps SO_RCVBUF at net.core.rmem_max; SO_RCVBUFFORCE passes the cap
/// when the process has CAP_NET_ADMIN. Elsewhere, or without it, the granted
/// size stays.
#[cfg(target_os = "linux")]
fn force_receive_buffer(socket: &socket2::Socket, size: usize) {
    use std::os::fd::AsRawFd;
    if socket.recv_buffer_size().unwrap_or(0) >= size {
        return;
    }
    let value = size.min(i32::MAX as usize / 2) as libc::c_int;
    // SAFETY: a valid socket descriptor and a pointer to a c_int of the given length.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            &value as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn force_receive_buffer(_socket: &socket2::Socket, _size: usize) {}

/// The reader: socket to queue, nothing else.
fn spawn_reader(
    socket: Arc<UdpSocket>,
    out: Sender<Datagram>,
    counters: Arc<OscCounters>,
    stop: Arc<AtomicBool>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("loam-osc-reader".into())
        .spawn(move || {
            let mut buf = vec![0u8; MAX_DATAGRAM];
            while !stop.load(Ordering::Acquire) {
                let (n, from) = match socket.recv_from(&mut buf) {
                    Ok(r) => r,
                    // Timeouts (to look at `stop`) and ICMP errors from earlier replies.
                    Err(_) => continue,
                };
                OscCounters::add(&counters.packets);
                let d = Datagram {
                    bytes: buf[..n].to_vec(),
                    from,
                };
                match out.try_send(d) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => OscCounters::add(&counters.dropped),
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
        })
}

fn spawn_handler(
    handler: Handler,
    datagrams: Receiver<Datagram>,
    stop: Arc<AtomicBool>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("loam-osc-handler".into())
        .spawn(move || {
            while !stop.load(Ordering::Acquire) {
                let first = match datagrams.recv_timeout(Duration::from_millis(100)) {
                    Ok(d) => d,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                for d in std::iter::once(first).chain(datagrams.try_iter().take(BATCH - 1)) {
                    // NOTE: a last line of defence; nothing below is expected to
                    // panic, but one bad packet must never end OSC for the night.
                    if catch_unwind(AssertUnwindSafe(|| handler.packet(&d.bytes, d.from))).is_err()
                    {
                        OscCounters::add(&handler.counters.bad);
                    }
                }
                handler.flush();
            }
        })
}

/// Everything the handler thread owns.
pub struct Handler {
    socket: Arc<UdpSocket>,
    /// Where loam's socket is bound: packets from there are never handled.
    local: SocketAddr,
    /// The per-client `/fail` budget.
    fails: Arc<FailLimit>,
    commands: Sender<Command>,
    board: Arc<StatusBoard>,
    counters: Arc<OscCounters>,
    subscribers: Arc<Subscribers>,
    access: Access,
    lookahead: Duration,
    pending: Sender<Pending>,
    /// Answers of the current batch, sent together by [`Handler::flush`].
    outbox: RefCell<Vec<(SocketAddr, Vec<u8>)>>,
    /// The encoded `/status` answer and what it was made from.
    status_cache: RefCell<Option<([u64; 5], Vec<u8>)>>,
}

impl Handler {
    /// Handles one datagram from `from`: check, decode, dispatch, answer.
    fn packet(&self, bytes: &[u8], from: SocketAddr) {
        if !self.access.admits(from.ip()) {
            OscCounters::add(&self.counters.refused);
            return;
        }
        if echo::is_own(from, self.local) {
            // loam's own answer come back (or a forged source): never answered.
            OscCounters::add(&self.counters.answers_ignored);
            return;
        }
        self.walk(&decode::decode(bytes), When::Now, from);
    }

    /// Queues an answer for the end of the batch; a `/fail` only while its
    /// client is within [`FAIL_RATE`](super::fail_limit::FAIL_RATE).
    fn answer(&self, to: SocketAddr, msg: OscMessage) {
        if msg.addr == "/fail" && !self.fails.allow(to, std::time::Instant::now()) {
            OscCounters::add(&self.counters.fails_unsent);
            return;
        }
        match rosc::encoder::encode(&OscPacket::Message(msg)) {
            Ok(bytes) => self.outbox.borrow_mut().push((to, bytes)),
            Err(_) => OscCounters::add(&self.counters.send_errors),
        }
    }

    /// The `/status` answer, encoded again only when something in it changed.
    fn status_bytes(&self) -> Vec<u8> {
        let c = &self.counters;
        let key = [
            self.board.version(),
            OscCounters::get(&c.bad),
            OscCounters::get(&c.dropped),
            OscCounters::get(&c.refused),
            OscCounters::get(&c.late_bundles),
        ];
        let mut cache = self.status_cache.borrow_mut();
        match cache.as_ref() {
            Some((k, bytes)) if *k == key => bytes.clone(),
            _ => {
                let msg = super::address::status_message(&self.board, c);
                let bytes = rosc::encoder::encode(&OscPacket::Message(msg)).unwrap_or_default();
                *cache = Some((key, bytes.clone()));
                bytes
            }
        }
    }

    /// Sends the batch's answers (one system call on Linux).
    fn flush(&self) {
        let mut out = self.outbox.borrow_mut();
        if !out.is_empty() {
            send_all(&self.socket, &out, &self.counters);
            out.clear();
        }
    }

    /// Dispatches every message of a packet, with its bundle's time.
    fn walk(&self, element: &Element, when: When, from: SocketAddr) {
        match element {
            Element::Refused { address, reason } => {
                OscCounters::add(&self.counters.bad);
                self.answer(from, reply::fail(address, reason));
            }
            Element::Message(msg) if echo::is_answer(msg) => {
                OscCounters::add(&self.counters.answers_ignored);
            }
            Element::Message(msg) if msg.addr == "/status" && msg.args.is_empty() => {
                OscCounters::add(&self.counters.messages);
                let bytes = self.status_bytes();
                self.outbox.borrow_mut().push((from, bytes));
            }
            Element::Message(msg) => {
                OscCounters::add(&self.counters.messages);
                let cx = Context {
                    commands: &self.commands,
                    board: &self.board,
                    counters: &self.counters,
                    subscribers: &self.subscribers,
                    access: &self.access,
                    from,
                    local: self.local,
                };
                match dispatch(msg, when, &cx) {
                    Outcome::Reply(m) => self.answer(from, m),
                    Outcome::Pending(answer) => {
                        let p = Pending {
                            to: from,
                            address: msg.addr.clone(),
                            answer,
                        };
                        if self.pending.try_send(p).is_err() {
                            OscCounters::add(&self.counters.dropped);
                        }
                    }
                }
            }
            Element::Bundle { timetag, content } => {
                let inner = match self.bundle_time(*timetag, when) {
                    Ok(w) => w,
                    Err(reason) => {
                        OscCounters::add(&self.counters.bad);
                        self.answer(from, reply::fail("#bundle", &reason.to_string()));
                        return;
                    }
                };
                for e in content {
                    self.walk(e, inner, from);
                }
            }
        }
    }

    fn bundle_time(&self, tag: OscTime, outer: When) -> Result<When, timetag::TooFarAhead> {
        let w = timetag::resolve(tag, outer, wallclock::now_nanos(), self.lookahead)?;
        if w == When::Late && outer != When::Late {
            OscCounters::add(&self.counters.late_bundles);
        }
        Ok(w)
    }
}
