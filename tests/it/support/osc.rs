//! The OSC side of the tests: a `loam serve` child on the null sink with a
//! port of its own (stopped by process id when the test ends, pass or fail),
//! a client that sends messages and waits for their answers, and checks for
//! the real clients (python-osc, liblo's tools, Pure Data, sclang).

use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rosc::{encoder, OscMessage, OscPacket, OscType};

use super::process::{sigterm, spawn, Finished, Running};
use super::serve::serve_command;

/// How long [`Server::start`] waits for the first answer to `/status`.
pub const READY: Duration = Duration::from_secs(30);

/// Arguments of a `/status` reply: 16, Link's 5 (`link link_peers
/// link_tempo link_phase link_quantum`; zeros in a build without Link), the
/// models' timing 3 (`model_rtf model_latency models_too_slow`) and
/// `nan_values`.
pub const STATUS_ARGS: usize = 25;

/// A UDP port nobody is using right now.
pub fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `loam serve … --host null --osc 127.0.0.1:PORT`.
pub struct Server {
    run: Running,
    pub addr: SocketAddr,
    pub dir: PathBuf,
}

impl Server {
    /// Starts loam on `script` with `extra` arguments and waits until it answers `/status`.
    pub fn start(script: &Path, extra: &[&str]) -> Server {
        Server::start_with(serve_command(script), script, extra, READY)
    }

    /// Starts `cmd` (a `loam serve SCRIPT …` command, perhaps wrapped)
    /// with its own OSC port and `extra` arguments, and waits up to
    /// `ready_within` until it answers `/status`.
    pub fn start_with(
        mut cmd: Command,
        script: &Path,
        extra: &[&str],
        ready_within: Duration,
    ) -> Server {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let run = spawn(cmd.args(["--osc", &addr.to_string()]).args(extra));
        let mut server = Server {
            run,
            addr,
            dir: script.parent().unwrap().to_path_buf(),
        };
        server.wait_ready(ready_within);
        server
    }

    fn wait_ready(&mut self, within: Duration) {
        let c = Client::new();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if c.try_request(self.addr, "/status", vec![], Duration::from_millis(200))
                .is_some()
            {
                return;
            }
            assert!(self.alive(), "loam exited:\n{}", self.log());
        }
        panic!(
            "loam did not answer /status within {within:?}:\n{}",
            self.log()
        );
    }

    /// What loam printed so far.
    pub fn log(&self) -> String {
        self.run.stderr_so_far()
    }

    pub fn pid(&self) -> u32 {
        self.run.pid()
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        !self.run.has_exited()
    }

    /// Stops loam with SIGTERM (recordings are finalised) and returns its log.
    pub fn stop(self) -> String {
        self.stop_within(Duration::from_secs(10))
    }

    /// Stops loam with SIGTERM, killing it if it has not exited within `grace`.
    pub fn stop_within(self, grace: Duration) -> String {
        self.stop_finished(grace).stderr
    }

    /// Stops loam with SIGTERM (SIGKILL after `grace`, then `timed_out`):
    /// how it ended and all it printed.
    pub fn stop_finished(self, grace: Duration) -> Finished {
        sigterm(self.run.pid());
        self.run.wait_timeout(grace)
    }
}

/// Encodes one message.
pub fn message(addr: &str, args: Vec<OscType>) -> Vec<u8> {
    encoder::encode(&OscPacket::Message(OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap()
}

pub fn s(x: &str) -> OscType {
    OscType::String(x.into())
}

/// A client socket on loopback.
///
/// Packets that arrive while [`Client::answer`] waits for an answer and
/// are not it (beats, `/info` news) are kept, in order, and handed out
/// first by [`Client::collect`] and [`Client::collect_until`]: news that
/// comes while a test waits for a reply is never lost.
pub struct Client {
    pub socket: UdpSocket,
    skipped: Mutex<VecDeque<OscPacket>>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    pub fn new() -> Client {
        Client::with_socket(UdpSocket::bind("127.0.0.1:0").expect("client socket"))
    }

    /// A client on `socket` (bound elsewhere than loopback, say).
    pub fn with_socket(socket: UdpSocket) -> Client {
        Client {
            socket,
            skipped: Mutex::new(VecDeque::new()),
        }
    }

    fn skipped(&self) -> std::sync::MutexGuard<'_, VecDeque<OscPacket>> {
        self.skipped.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn port(&self) -> u16 {
        self.socket.local_addr().unwrap().port()
    }

    /// Sends `addr args` and returns its answer: `/done ADDR …`, `/fail
    /// ADDR …`, or a reply named like the request (`/status`, `/clock`).
    pub fn request(&self, to: SocketAddr, addr: &str, args: Vec<OscType>) -> OscMessage {
        self.try_request(to, addr, args, Duration::from_secs(5))
            .unwrap_or_else(|| panic!("no answer to {addr} within 5 s"))
    }

    pub fn try_request(
        &self,
        to: SocketAddr,
        addr: &str,
        args: Vec<OscType>,
        timeout: Duration,
    ) -> Option<OscMessage> {
        self.socket.send_to(&message(addr, args), to).ok()?;
        self.answer(addr, timeout)
    }

    /// Waits for the answer about `addr`, skipping anything else (beats, news).
    pub fn answer(&self, addr: &str, timeout: Duration) -> Option<OscMessage> {
        let deadline = Instant::now() + timeout;
        let mut buf = vec![0u8; 65_536];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.socket.set_read_timeout(Some(left)).ok()?;
            let n = self.socket.recv(&mut buf).ok()?;
            let Ok((_, packet)) = rosc::decoder::decode_udp(&buf[..n]) else {
                continue;
            };
            if let OscPacket::Message(m) = &packet {
                let about = matches!(m.args.first(), Some(OscType::String(a)) if a == addr);
                if m.addr == addr || ((m.addr == "/done" || m.addr == "/fail") && about) {
                    return Some(m.clone());
                }
            }
            self.skipped().push_back(packet);
        }
    }

    /// Every packet that arrives until `enough` holds of them all (or
    /// `timeout` passes): for waiting on news that comes at its own pace.
    pub fn collect_until(
        &self,
        timeout: Duration,
        enough: impl Fn(&[OscPacket]) -> bool,
    ) -> Vec<OscPacket> {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::new();
        while !enough(&got) && Instant::now() < deadline {
            got.extend(self.collect(Duration::from_millis(50)));
        }
        got
    }

    /// Every packet kept while waiting for an answer, then every packet
    /// that arrives within `window`.
    pub fn collect(&self, window: Duration) -> Vec<OscPacket> {
        let deadline = Instant::now() + window;
        let mut buf = vec![0u8; 65_536];
        let mut out: Vec<OscPacket> = self.skipped().drain(..).collect();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return out;
            }
            let _ = self.socket.set_read_timeout(Some(left));
            match self.socket.recv(&mut buf) {
                Ok(n) => {
                    if let Ok((_, p)) = rosc::decoder::decode_udp(&buf[..n]) {
                        out.push(p);
                    }
                }
                Err(_) => return out,
            }
        }
    }
}

/// `/status` fields by name.
#[derive(Debug)]
pub struct Status {
    pub tempo: f32,
    pub metre: String,
    pub octave: i32,
    pub bar: i32,
    pub beat: i32,
    pub loops: Vec<String>,
    pub late_events: i32,
    pub xruns: i32,
    pub dropped: i32,
    pub late_bundles: i32,
    pub bad: i32,
    pub voices: i32,
    /// Bars planned without their script's answer (the script was late).
    pub late_bars: i32,
    /// Sources muted before the mix (NaN, infinite, too loud).
    pub muted_sources: i32,
    /// What is muted now, `; `-separated.
    pub muted: String,
    /// In an Ableton Link session.
    pub link: bool,
    /// Other Link peers.
    pub link_peers: i32,
    /// The Link session's tempo, in Link beats per minute (0 when off).
    pub link_tempo: f32,
    /// The Link phase now, in beats (0 … quantum).
    pub link_phase: f32,
    /// The quantum loam reads Link's phase over, in beats.
    pub link_quantum: f32,
    /// `name=rtf` per loaded model: its real-time factor as measured at load.
    pub model_rtf: String,
    /// `name=frames` per loaded model: the latency it adds, in engine frames.
    pub model_latency: String,
    /// Loaded models that measured slower than real time.
    pub models_too_slow: i32,
    /// Signal values that were NaN or infinite, withheld and counted.
    pub nan_values: i32,
}

pub fn status(c: &Client, to: SocketAddr) -> Status {
    let m = c.request(to, "/status", vec![]);
    assert_eq!(m.addr, "/status", "{m:?}");
    assert_eq!(m.args.len(), STATUS_ARGS, "{m:?}");
    let i = |k: usize| match &m.args[k] {
        OscType::Int(x) => *x,
        other => panic!("/status argument {k} should be an int: {other:?}"),
    };
    let st = |k: usize| match &m.args[k] {
        OscType::String(x) => x.clone(),
        other => panic!("/status argument {k} should be a string: {other:?}"),
    };
    let f = |k: usize| match &m.args[k] {
        OscType::Float(x) => *x,
        other => panic!("/status argument {k} should be a float: {other:?}"),
    };
    Status {
        tempo: match m.args[0] {
            OscType::Float(x) => x,
            ref other => panic!("tempo should be a float: {other:?}"),
        },
        metre: st(1),
        octave: i(2),
        bar: i(3),
        beat: i(4),
        loops: st(5).split_whitespace().map(String::from).collect(),
        late_events: i(7),
        xruns: i(8),
        dropped: i(9),
        late_bundles: i(10),
        bad: i(11),
        voices: i(12),
        late_bars: i(13),
        muted_sources: i(14),
        muted: st(15),
        link: i(16) == 1,
        link_peers: i(17),
        link_tempo: f(18),
        link_phase: f(19),
        link_quantum: f(20),
        model_rtf: st(21),
        model_latency: st(22),
        models_too_slow: i(23),
        nan_values: i(24),
    }
}

/// The engine's clock: the frame of the last block the output started
/// (`/clock`). Waiting for it to pass a frame waits for that much audio to
/// have played, however fast or slow the machine.
pub fn engine_frame(c: &Client, to: SocketAddr) -> u64 {
    let m = c.request(to, "/clock", vec![]);
    match m.args.first() {
        Some(OscType::Long(f)) => *f as u64,
        other => panic!("/clock should start with the frame: {other:?} in {m:?}"),
    }
}

/// Whether an external client is installed. Missing ones skip the test
/// with a note, unless LOAM_REQUIRE_CLIENTS=1 (set by tools/test, after
/// tools/setup --test installed them), where a missing one fails it.
pub fn have(what: &str, check: &mut Command) -> bool {
    let ok = check
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("LOAM_REQUIRE_CLIENTS").as_deref() == Ok("1") {
            panic!("{what} is not installed: run tools/setup --test");
        }
        eprintln!("skipping: {what} is not installed (tools/setup --test installs it)");
    }
    ok
}

impl Client {
    /// Sends raw bytes.
    pub fn send_raw(&self, to: SocketAddr, bytes: &[u8]) {
        self.socket.send_to(bytes, to).expect("send");
    }

    /// The next message that arrives (the first one of a bundle), with the
    /// size of its datagram.
    pub fn next_message(&self, timeout: Duration) -> Option<(OscMessage, usize)> {
        let mut buf = vec![0u8; 65_536];
        self.socket.set_read_timeout(Some(timeout)).ok()?;
        loop {
            let n = self.socket.recv(&mut buf).ok()?;
            match rosc::decoder::decode_udp(&buf[..n]) {
                Ok((_, OscPacket::Message(m))) => return Some((m, n)),
                Ok((_, OscPacket::Bundle(mut b))) if !b.content.is_empty() => {
                    if let OscPacket::Message(m) = b.content.remove(0) {
                        return Some((m, n));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Raw OSC: an address, a type tag string and the argument bytes, each
/// padded as OSC pads them (for packets no encoder would write).
pub fn raw_message(addr: &str, tags: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in [addr, tags] {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    out.extend_from_slice(data);
    out
}

/// An immediate bundle of already-sized elements.
pub fn raw_bundle(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// One bundle element: its size, then its bytes.
pub fn sized(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// `/error` texts a subscriber received.
pub fn errors(packets: &[OscPacket]) -> Vec<String> {
    packets
        .iter()
        .filter_map(|p| match p {
            OscPacket::Message(m) if m.addr == "/error" => match m.args.first() {
                Some(OscType::String(t)) => Some(t.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}
