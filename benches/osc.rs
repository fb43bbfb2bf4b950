//! OSC speed, against the real server in-process (real UDP on loopback,
//! real reader/handler/replier threads, the real control-thread `handle`):
//!
//! - `/status` round trip (median; target < 200 µs, any audio buffer size);
//! - `/play` from the client's send to the event being in the engine's queue
//!   (median; target < 100 µs). The send precedes the server's receive, so
//!   this bounds receive-to-queued from above;
//! - 200,000 `/status` a second, paced (a batch of 20 every 100 µs), for one second: zero loss;
//! - 20,000 `/status` back to back from one client: zero loss.
//!
//! The loss checks and the medians print before criterion's own estimates.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use loam::audio::EngineConfig;
use loam::control::{Command, Controller, StatusBoard};
use loam::osc::{OscConfig, OscCounters, OscServer};
use loam::session::Session;
use loam::time::wallclock;
use rosc::{encoder, OscMessage, OscPacket, OscType};

struct Rig {
    server: OscServer,
    /// Monotonic nanoseconds at which the control thread last queued a `/play`.
    queued_at: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    control: Option<std::thread::JoinHandle<()>>,
}

impl Rig {
    fn start() -> Rig {
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
        // command), timestamping the moment `handle` has queued the event.
        let control = std::thread::spawn(move || {
            let (_unused_tx, unused_rx) = crossbeam_channel::bounded(1);
            let mut controller = Controller::new(session, unused_rx, 2400).without_watcher();
            controller.echo = false;
            controller.publish_status(board);
            let mut block = vec![0.0f32; 512];
            while !st.load(Ordering::Relaxed) {
                if let Ok(cmd) = commands_rx.recv_timeout(Duration::from_millis(50)) {
                    let is_play = matches!(cmd, Command::Play { .. });
                    controller.handle(cmd);
                    if is_play {
                        q.store(wallclock::now_nanos(), Ordering::Release);
                    }
                    // Let the engine take what was queued, as the audio thread would.
                    engine.process(&mut block);
                }
            }
        });
        Rig {
            server,
            queued_at,
            stop,
            control: Some(control),
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
        if let Some(t) = self.control.take() {
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

/// Sends `count` copies of `packet` on a connected socket in one `sendmmsg`
/// call (the way load generators pace: a batch per tick); returns how many went.
fn send_batch(sock: &UdpSocket, packet: &[u8], count: usize) -> usize {
    use std::os::fd::AsRawFd;
    let mut iov: Vec<libc::iovec> = (0..count)
        .map(|_| libc::iovec {
            iov_base: packet.as_ptr() as *mut libc::c_void,
            iov_len: packet.len(),
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = iov
        .iter_mut()
        .map(|v| {
            // SAFETY: mmsghdr is plain data; zeroed is a valid empty header.
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_iov = v as *mut libc::iovec;
            h.msg_hdr.msg_iovlen = 1;
            h
        })
        .collect();
    let mut sent = 0;
    while sent < count {
        // SAFETY: `msgs` points at `count - sent` valid headers whose buffers outlive the call.
        let n = unsafe {
            libc::sendmmsg(
                sock.as_raw_fd(),
                msgs[sent..].as_mut_ptr(),
                (count - sent) as libc::c_uint,
                0,
            )
        };
        if n > 0 {
            sent += n as usize;
        }
    }
    sent
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
    let t0 = wallclock::now_nanos();
    sock.send_to(packet, rig.addr()).unwrap();
    let queued = loop {
        let q = rig.queued_at.load(Ordering::Acquire);
        if q != before {
            break q;
        }
        std::hint::spin_loop();
    };
    // The `/done /play` answer.
    sock.recv(buf).unwrap();
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
    sock.connect(to).unwrap();
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
        send_batch(&sock, &packet, k as usize);
        i += k;
    }
    let sent_in = start.elapsed().as_secs_f64();
    let replies = counter.join().unwrap();
    // Give the reader a moment to count the last ones.
    std::thread::sleep(Duration::from_millis(100));
    eprintln!(
        "osc:   server queue drops {}, reply send errors {}, kernel receive-buffer drops {}",
        OscCounters::get(&rig.server.counters.dropped) - dropped_before,
        OscCounters::get(&rig.server.counters.send_errors) - errors_before,
        kernel_udp_drops() - kernel_before,
    );
    (rig.packets() - before, replies, n as f64 / sent_in)
}

fn main() {
    let rig = Rig::start();
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

    let (read, replies, rate) = flood(&rig, 200_000, 200_000);
    eprintln!(
        "osc: paced /status at {rate:.0}/s: sent 200000, server read {read}, answered {replies}; lost {}",
        200_000 - read.min(200_000)
    );
    let (read, replies, rate) = flood(&rig, 20_000, 0);
    eprintln!(
        "osc: burst of 20000 /status back to back ({rate:.0}/s): server read {read}, answered {replies}; lost {}",
        20_000 - read.min(20_000)
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
