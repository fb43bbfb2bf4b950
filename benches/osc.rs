//! OSC speed, against the real server in-process (real UDP on loopback,
//! real reader/handler/replier threads, the real control-thread `handle`):
//!
//! - `/status` round trip (median; target < 200 µs), also with 64- and
//!   1024-frame audio periods to show it does not wait for the callback;
//! - `/play` from the client's send to the event being in the engine's queue
//!   (median; target < 100 µs). The send precedes the server's receive, so
//!   this bounds receive-to-queued from above. The control thread runs as
//!   `Controller::run` does, and the engine on its own thread, a 256-frame
//!   block every 5.3 ms, as a sound card would drive it;
//! - 200,000 `/status` a second, paced (a batch of 20 every 100 µs, each
//!   batch one segmented send), for one second: zero loss, every one answered;
//! - 20,000 `/status` back to back from one client: zero loss.
//!
//! The loss checks and the medians print before criterion's own estimates.

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use loam::audio::EngineConfig;
use loam::control::{Command, Controller, StatusBoard};
use loam::osc::{datagrams, OscConfig, OscCounters, OscServer};
use loam::session::Session;
use loam::time::wallclock;
use rosc::{encoder, OscMessage, OscPacket, OscType};

struct Rig {
    server: OscServer,
    /// Monotonic nanoseconds at which the control thread last queued a `/play`.
    queued_at: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    control: Option<std::thread::JoinHandle<()>>,
    audio: Option<std::thread::JoinHandle<()>>,
}

impl Rig {
    /// The server, its control thread, and an engine driven in `block`-frame periods.
    fn start(block: u64) -> Rig {
        let dir = std::env::temp_dir().join(format!("loam-bench-osc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("silent.rhai");
        std::fs::write(&script, "tempo(120);\n").unwrap();
        let (session, mut engine) = Session::start(&script, &EngineConfig::new(48_000)).unwrap();
        let board = Arc::new(StatusBoard::new(session.handle.status.clone(), 48_000));
        let (commands_tx, commands_rx) = crossbeam_channel::bounded::<Command>(1024);
        let (_notices_tx, notices_rx) = crossbeam_channel::bounded(1024);
        let server = OscServer::start(
            OscConfig::new("127.0.0.1:0".parse().unwrap()),
            commands_tx,
            board.clone(),
            notices_rx,
        )
        .unwrap();
        let queued_at = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (q, st) = (queued_at.clone(), stop.clone());
        // The control thread as `Controller::run` drives it (woken by each
        // command, then a step), timestamping the moment `handle` has
        // queued the event.
        let control = std::thread::spawn(move || {
            let (_unused_tx, unused_rx) = crossbeam_channel::bounded(1);
            let mut controller = Controller::new(session, unused_rx, 2400).without_watcher();
            controller.echo = false;
            controller.publish_status(board);
            let handle = |cmd: Command, controller: &mut Controller| {
                let is_play = matches!(cmd, Command::Play { .. });
                controller.handle(cmd);
                if is_play {
                    q.store(wallclock::now_nanos().get(), Ordering::Release);
                }
            };
            while !st.load(Ordering::Relaxed) {
                if let Ok(cmd) = commands_rx.recv_timeout(Duration::from_millis(2)) {
                    handle(cmd, &mut controller);
                    while let Ok(cmd) = commands_rx.try_recv() {
                        handle(cmd, &mut controller);
                    }
                }
                controller.step();
            }
        });
        // The engine on its own thread: a stereo block every period, as a
        // sound card drives it (256 frames: 5.3 ms).
        let st = stop.clone();
        let audio = std::thread::spawn(move || {
            let period = Duration::from_nanos(block * 1_000_000_000 / 48_000);
            let mut block = vec![0.0f32; 2 * block as usize];
            let mut due = Instant::now();
            while !st.load(Ordering::Relaxed) {
                engine.process(&mut block);
                due += period;
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
        });
        Rig {
            server,
            queued_at,
            stop,
            control: Some(control),
            audio: Some(audio),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    fn packets(&self) -> u64 {
        OscCounters::get(&self.server.counters.packets)
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in [self.control.take(), self.audio.take()]
            .into_iter()
            .flatten()
        {
            let _ = t.join();
        }
    }
}

fn message(addr: &str, args: Vec<OscType>) -> Vec<u8> {
    encoder::encode(&OscPacket::Message(OscMessage {
        addr: addr.into(),
        args,
    }))
    .unwrap()
}

fn client() -> UdpSocket {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    let _ = s.set_recv_buffer_size(64 << 20);
    force_receive_buffer(&s);
    s.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    let s: UdpSocket = s.into();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s
}

/// The client's receive buffer past rmem_max (root only), so the bench
/// measures the server's losses, not its own.
fn force_receive_buffer(s: &socket2::Socket) {
    use std::os::fd::AsRawFd;
    let value: libc::c_int = 64 << 20;
    // SAFETY: a valid descriptor and a pointer to a c_int of the given length.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            &value as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

fn median(mut xs: Vec<u64>) -> f64 {
    xs.sort_unstable();
    xs[xs.len() / 2] as f64 / 1000.0
}

fn status_round_trip(sock: &UdpSocket, to: SocketAddr, packet: &[u8], buf: &mut [u8]) -> u64 {
    let t0 = Instant::now();
    sock.send_to(packet, to).unwrap();
    sock.recv(buf).unwrap();
    t0.elapsed().as_nanos() as u64
}

fn play_to_queued(rig: &Rig, sock: &UdpSocket, packet: &[u8], buf: &mut [u8]) -> u64 {
    let before = rig.queued_at.load(Ordering::Acquire);
    let t0 = wallclock::now_nanos().get();
    sock.send_to(packet, rig.addr()).unwrap();
    // Wait (blocked, not spinning: two cores) for the `/done /play` answer,
    // which the control thread sends as it queues the event.
    sock.recv(buf).unwrap();
    let queued = loop {
        let q = rig.queued_at.load(Ordering::Acquire);
        if q != before {
            break q;
        }
        std::hint::spin_loop();
    };
    queued.saturating_sub(t0)
}

/// UDP datagrams the kernel dropped for full receive buffers, machine-wide
/// (`RcvbufErrors` in /proc/net/snmp); 0 where unavailable.
fn kernel_udp_drops() -> u64 {
    let text = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut udp = text.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "RcvbufErrors")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// Sends `n` `/status` at `rate` a second (0: as fast as possible) and
/// counts what the server read and what came back.
fn flood(rig: &Rig, n: u64, rate: u64) -> (u64, u64, f64) {
    let kernel_before = kernel_udp_drops();
    let dropped_before = OscCounters::get(&rig.server.counters.dropped);
    let errors_before = OscCounters::get(&rig.server.counters.send_errors);
    let to = rig.addr();
    let sock = client();
    let rx = sock.try_clone().unwrap();
    let before = rig.packets();
    let counter = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1024];
        let mut got = 0u64;
        rx.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        while rx.recv(&mut buf).is_ok() {
            got += 1;
            if got == n {
                break;
            }
        }
        got
    });
    let packet = message("/status", vec![]);
    // A batch of copies goes out as one send (segmented by the kernel on
    // Linux, as load generators do); the server still receives each as a
    // datagram of its own.
    let batch: Vec<(SocketAddr, Vec<u8>)> = (0..20).map(|_| (to, packet.clone())).collect();
    let send_errors = OscCounters::default();
    // Paced: a batch of 20 every 100 µs at 200,000/s.
    const BATCH: u64 = 20;
    let start = Instant::now();
    let mut i = 0;
    while i < n {
        // Sleep to each batch's time (not spin: on two cores a spinning
        // sender would take a whole core from the server it measures).
        if let Some(offset) = (i * 1_000_000_000).checked_div(rate) {
            let due = start + Duration::from_nanos(offset);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let k = BATCH.min(n - i);
        datagrams::send_all(&sock, &batch[..k as usize], &send_errors);
        i += k;
    }
    let sent_in = start.elapsed().as_secs_f64();
    let replies = counter.join().unwrap();
    // Give the reader a moment to count the last ones.
    std::thread::sleep(Duration::from_millis(100));
    eprintln!(
        "osc:   client send errors {}, server queue drops {}, reply send errors {}, kernel receive-buffer drops {}",
        OscCounters::get(&send_errors.send_errors),
        OscCounters::get(&rig.server.counters.dropped) - dropped_before,
        OscCounters::get(&rig.server.counters.send_errors) - errors_before,
        kernel_udp_drops() - kernel_before,
    );
    (rig.packets() - before, replies, n as f64 / sent_in)
}

fn main() {
    // The round trip does not wait for the audio callback: the same at any period.
    for block in [64, 1024] {
        let rig = Rig::start(block);
        let sock = client();
        let mut buf = vec![0u8; 1024];
        let status = message("/status", vec![]);
        let rtt: Vec<u64> = (0..10_000)
            .map(|_| status_round_trip(&sock, rig.addr(), &status, &mut buf))
            .collect();
        eprintln!(
            "osc: /status round trip with {block}-frame audio blocks: median {:.1} µs",
            median(rtt)
        );
    }
    let rig = Rig::start(256);
    let to = rig.addr();
    eprintln!(
        "osc: server on {to}, receive buffer {} KiB",
        rig.server.receive_buffer() / 1024
    );
    let sock = client();
    let mut buf = vec![0u8; 65_536];
    let status = message("/status", vec![]);
    let play = message(
        "/play",
        vec![
            OscType::String("kick".into()),
            OscType::String("gain".into()),
            OscType::Float(0.0),
        ],
    );

    // Explicit medians (criterion below reports means).
    for _ in 0..2000 {
        status_round_trip(&sock, to, &status, &mut buf);
    }
    let rtt: Vec<u64> = (0..20_000)
        .map(|_| status_round_trip(&sock, to, &status, &mut buf))
        .collect();
    eprintln!(
        "osc: /status round trip: median {:.1} µs over {} (target < 200 µs)",
        median(rtt),
        20_000
    );
    let queued: Vec<u64> = (0..5_000)
        .map(|_| play_to_queued(&rig, &sock, &play, &mut buf))
        .collect();
    eprintln!(
        "osc: /play send-to-queued: median {:.1} µs over {} (target < 100 µs)",
        median(queued),
        5_000
    );

    // Lost: sent and not answered (a reply needs the message read and handled).
    let (read, replies, rate) = flood(&rig, 200_000, 200_000);
    eprintln!(
        "osc: paced /status at {rate:.0}/s: sent 200000, server read {read}, answered {replies}; lost {}",
        200_000 - replies.min(200_000)
    );
    let (read, replies, rate) = flood(&rig, 20_000, 0);
    eprintln!(
        "osc: burst of 20000 /status back to back ({rate:.0}/s): server read {read}, answered {replies}; lost {}",
        20_000 - replies.min(20_000)
    );

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("osc");
    group.bench_function("/status round trip", |b| {
        b.iter(|| status_round_trip(&sock, to, &status, &mut buf))
    });
    group.bench_function("/play send to queued", |b| {
        b.iter_custom(|iters| {
            let total: u64 = (0..iters)
                .map(|_| play_to_queued(&rig, &sock, &play, &mut buf))
                .sum();
            Duration::from_nanos(total)
        })
    });
    group.finish();
    c.final_summary();
}
