//! 120,000 random, mutated and wrongly typed packets at a running server:
//! every one is answered or counted, nothing panics, and `/status` still
//! answers afterwards. Then the campaign's kinds: valid bundles with their
//! structure broken, answers (`/done`, `/fail`, `/beat`…) sent back to loam,
//! and loam's own port offered as a subscriber: no storm.

use crate::support;

use std::time::Duration;

use loam::osc::fail_limit::{FAIL_BURST, FAIL_RATE};

use rosc::{
    encoder, OscArray, OscBundle, OscColor, OscMessage, OscMidiMessage, OscPacket, OscTime, OscType,
};
use support::osc::{s, status, Client, Server};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const ADDRESSES: &[&str] = &[
    "/tempo",
    "/metre",
    "/octave",
    "/play",
    "/set",
    "/loop/k/mute",
    "/loop/k/unmute",
    "/loop/k/solo",
    "/loop//mute",
    "/unsolo",
    "/hush",
    "/eval",
    "/load",
    "/status",
    "/clock",
    "/subscribe",
    "/unsubscribe",
    "/nope",
    "/",
    "/loop/",
    "/play/",
    "/tempo/now",
];

const WORDS: &[&str] = &[
    "click",
    "kick",
    "hat:3",
    "gain",
    "pan",
    "rate",
    "length",
    "n",
    "7/8",
    "2+2+3/8",
    "q.",
    "k",
    "",
    "tempo(",
    "live_loop(\"z\", \"click\");",
    "x:y:z",
    "-1",
    "/no/such.rhai",
];

fn random_string(r: &mut Rng) -> String {
    if r.below(3) == 0 {
        return r.pick(WORDS).to_string();
    }
    let n = r.below(24);
    (0..n)
        .map(|_| char::from_u32(r.below(0x2FF) as u32 + 1).unwrap_or('?'))
        .collect()
}

fn random_arg(r: &mut Rng, depth: usize) -> OscType {
    match r.below(if depth > 2 { 14 } else { 15 }) {
        0 | 1 => OscType::Int(r.next() as i32 % 2000),
        2 | 3 => OscType::Float(f32::from_bits(r.next() as u32) % 2000.0),
        4 | 5 => OscType::String(random_string(r)),
        6 => OscType::Blob((0..r.below(40)).map(|_| r.next() as u8).collect()),
        7 => OscType::Time(OscTime {
            seconds: r.next() as u32,
            fractional: r.next() as u32,
        }),
        8 => OscType::Long(r.next() as i64),
        9 => OscType::Double(f64::from_bits(r.next())),
        10 => OscType::Bool(r.below(2) == 0),
        11 => OscType::Char(char::from_u32(r.below(0x7f) as u32).unwrap_or('a')),
        12 => OscType::Color(OscColor {
            red: 1,
            green: 2,
            blue: 3,
            alpha: 4,
        }),
        13 => OscType::Midi(OscMidiMessage {
            port: 0,
            status: 0x90,
            data1: 60,
            data2: 100,
        }),
        _ => OscType::Array(OscArray {
            content: (0..r.below(4)).map(|_| random_arg(r, depth + 1)).collect(),
        }),
    }
}

fn random_message(r: &mut Rng) -> OscPacket {
    let addr = if r.below(10) == 0 {
        format!("/{}", random_string(r))
    } else {
        r.pick(ADDRESSES).to_string()
    };
    let args = (0..r.below(6)).map(|_| random_arg(r, 0)).collect();
    OscPacket::Message(OscMessage { addr, args })
}

fn random_packet(r: &mut Rng, depth: usize) -> OscPacket {
    if depth < 3 && r.below(4) == 0 {
        // Timetags: immediate, near future, past, or anything.
        let now = OscTime::try_from(std::time::SystemTime::now()).unwrap();
        let timetag = match r.below(4) {
            0 => OscTime {
                seconds: 0,
                fractional: 1,
            },
            1 => OscTime {
                seconds: now.seconds + r.below(3) as u32,
                fractional: r.next() as u32,
            },
            2 => OscTime {
                seconds: now.seconds - r.below(100) as u32,
                fractional: 0,
            },
            _ => OscTime {
                seconds: r.next() as u32,
                fractional: r.next() as u32,
            },
        };
        let content = (0..r.below(4))
            .map(|_| random_packet(r, depth + 1))
            .collect();
        OscPacket::Bundle(OscBundle { timetag, content })
    } else {
        random_message(r)
    }
}

/// Bytes: random garbage, a well-formed packet with random content, or a mutated one.
fn fuzz_bytes(r: &mut Rng) -> Vec<u8> {
    match r.below(3) {
        0 => {
            let n = r.below(200);
            let mut b: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
            // Often start like OSC, to get past the first check.
            match r.below(3) {
                0 if b.len() >= 8 => b[..8].copy_from_slice(b"#bundle\0"),
                1 if !b.is_empty() => b[0] = b'/',
                _ => {}
            }
            b
        }
        1 => encoder::encode(&random_packet(r, 0)).unwrap_or_default(),
        _ => {
            let mut b = encoder::encode(&random_packet(r, 0)).unwrap_or_default();
            for _ in 0..1 + r.below(4) {
                if b.is_empty() {
                    break;
                }
                match r.below(5) {
                    0 => {
                        let i = r.below(b.len());
                        b[i] ^= 1 << r.below(8);
                    }
                    1 => {
                        let n = r.below(b.len());
                        b.truncate(n);
                    }
                    2 => {
                        let i = r.below(b.len());
                        b.insert(i, r.next() as u8);
                    }
                    3 => {
                        // Huge sizes where bundle element lengths and blob sizes live.
                        let i = r.below(b.len());
                        for k in i..(i + 4).min(b.len()) {
                            b[k] = 0xff;
                        }
                    }
                    _ => {
                        let i = r.below(b.len());
                        b[i] = *r.pick(b",ifsbhdtTFNIcmr[]\0");
                    }
                }
            }
            b
        }
    }
}

#[test]
fn a_hundred_thousand_bad_packets_leave_status_answering() {
    let dir = support::temp_dir("fuzz");
    let script = support::script_with_click(&dir, "tempo(120);\nlive_loop(\"k\", \"click ~\");\n");
    let mut server = Server::start(&script, &[]);
    let sender = Client::new();
    let probe = Client::new();
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let total = 120_000;
    let mut sent = 0;
    while sent < total {
        for _ in 0..1000 {
            let b = fuzz_bytes(&mut r);
            // The largest UDP payload; anything longer cannot be sent at all.
            let _ = sender
                .socket
                .send_to(&b[..b.len().min(65_000)], server.addr);
            sent += 1;
        }
        // Flow control, and proof that it keeps answering all along.
        let answered = probe.try_request(server.addr, "/status", vec![], Duration::from_secs(20));
        assert!(
            answered.is_some(),
            "no /status after {sent} packets:\n{}",
            server.log()
        );
    }
    assert!(server.alive(), "loam died:\n{}", server.log());
    let st = status(&probe, server.addr);
    assert!(st.bad > 50_000, "bad packets counted: {}", st.bad);
    // Still doing its job.
    let m = probe.request(server.addr, "/tempo", vec![OscType::Float(121.0)]);
    assert_eq!(m.addr, "/done", "{m:?}");
    let m = probe.request(server.addr, "/play", vec![s("click")]);
    assert_eq!(m.addr, "/done", "{m:?}");
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}

/// A well-formed bundle of messages loam accepts.
fn valid_bundle(r: &mut Rng) -> OscPacket {
    let m = |addr: &str, args: Vec<OscType>| {
        OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        })
    };
    let content = (0..1 + r.below(4))
        .map(|_| match r.below(6) {
            0 => m("/status", vec![]),
            1 => m("/tempo", vec![OscType::Float(100.0 + r.below(40) as f32)]),
            2 => m("/set", vec![s("vol"), OscType::Float(0.5)]),
            3 => m("/play", vec![s("click"), s("gain"), OscType::Float(0.1)]),
            4 => m("/loop/k/unmute", vec![]),
            _ => m("/clock", vec![]),
        })
        .collect();
    OscPacket::Bundle(OscBundle {
        timetag: OscTime {
            seconds: 0,
            fractional: 1,
        },
        content,
    })
}

/// Offsets of the element sizes in an encoded bundle (top level only).
fn element_sizes(b: &[u8]) -> Vec<usize> {
    let mut at = Vec::new();
    let mut pos = 16;
    while pos + 4 <= b.len() {
        at.push(pos);
        let size = u32::from_be_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]]) as usize;
        pos += 4 + size;
    }
    at
}

/// A valid bundle with its structure broken: an element's size zero,
/// negative, past the end or off by a little; a garbage element inserted; a
/// type tag changed; the end cut off.
fn mutated_bundle(r: &mut Rng) -> Vec<u8> {
    let mut b = encoder::encode(&valid_bundle(r)).unwrap();
    let sizes = element_sizes(&b);
    let at = *r.pick(&sizes);
    match r.below(7) {
        0 => b[at..at + 4].copy_from_slice(&0u32.to_be_bytes()),
        1 => b[at..at + 4].copy_from_slice(&(-(r.below(64) as i32) - 1).to_be_bytes()),
        2 => b[at..at + 4].copy_from_slice(&(r.next() as u32 | 0x1000).to_be_bytes()),
        3 => {
            let size = u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
            let off = size.wrapping_add(r.below(9) as u32).wrapping_sub(4);
            b[at..at + 4].copy_from_slice(&off.to_be_bytes());
        }
        4 => {
            let n = 4 * (1 + r.below(6));
            let mut garbage = (n as u32).to_be_bytes().to_vec();
            garbage.extend((0..n).map(|_| r.next() as u8));
            b.splice(at..at, garbage);
        }
        5 => {
            if let Some(comma) = b[at..].iter().position(|x| *x == b',') {
                let i = at + comma + 1;
                if i < b.len() {
                    b[i] = *r.pick(b"uSsifhdtTFNIcmrb[]\0?");
                }
            }
        }
        _ => {
            let n = 16 + r.below(b.len() - 16);
            b.truncate(n);
        }
    }
    b
}

/// An answer or notice such as loam itself sends, with random arguments.
fn answer_like(r: &mut Rng) -> Vec<u8> {
    let addr = *r.pick(&[
        "/done",
        "/fail",
        "/beat",
        "/reloaded",
        "/error",
        "/info",
        "/status",
        "/clock",
    ]);
    let args: Vec<OscType> = (0..1 + r.below(5)).map(|_| random_arg(r, 0)).collect();
    let msg = OscPacket::Message(OscMessage {
        addr: addr.into(),
        args,
    });
    let packet = if r.below(3) == 0 {
        // As the notifier sends beats: in a timetagged bundle.
        OscPacket::Bundle(OscBundle {
            timetag: OscTime::try_from(std::time::SystemTime::now()).unwrap(),
            content: vec![msg],
        })
    } else {
        msg
    };
    encoder::encode(&packet).unwrap()
}

/// loam's own port, every way a client can name it.
fn self_subscribe(r: &mut Rng, port: u16) -> Vec<u8> {
    let arg = match r.below(3) {
        0 => OscType::Int(port as i32),
        1 => OscType::Float(port as f32),
        _ => OscType::Long(port as i64),
    };
    let addr = if r.below(4) == 0 {
        "/unsubscribe"
    } else {
        "/subscribe"
    };
    let msg = OscPacket::Message(OscMessage {
        addr: addr.into(),
        args: vec![arg],
    });
    let packet = if r.below(2) == 0 {
        OscPacket::Bundle(OscBundle {
            timetag: OscTime {
                seconds: 0,
                fractional: 1,
            },
            content: vec![msg],
        })
    } else {
        msg
    };
    encoder::encode(&packet).unwrap()
}

/// The campaign's kinds: mutated valid bundles, answers sent back to loam,
/// and loam subscribed to itself. loam stays alive, answers `/status`,
/// plays on, and what it sends stays bounded: no storm.
#[test]
fn mutated_bundles_and_answers_sent_back_raise_no_storm() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let dir = support::temp_dir("fuzz-storm");
    let script = support::script_with_click(&dir, "tempo(240);\nlive_loop(\"k\", \"click ~\");\n");
    let mut server = Server::start(&script, &[]);
    let sender = Client::new();
    let probe = Client::new();
    // Everything loam sends the sender, counted on the side.
    let received = Arc::new(AtomicU64::new(0));
    let fails = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let counter = {
        let socket = sender.socket.try_clone().unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let (received, fails, done) = (received.clone(), fails.clone(), done.clone());
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while !done.load(Ordering::Acquire) {
                if let Ok(n) = socket.recv(&mut buf) {
                    received.fetch_add(1, Ordering::Relaxed);
                    if buf[..n].starts_with(b"/fail\0") {
                        fails.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })
    };
    let port = server.addr.port();
    let mut r = Rng(0x2545_F491_4F6C_DD1D);
    let started = std::time::Instant::now();
    let (mut sent, mut answers) = (0u64, 0u64);
    let total = 30_000;
    while sent < total {
        for _ in 0..500 {
            let b = match r.below(3) {
                0 => mutated_bundle(&mut r),
                1 => {
                    answers += 1;
                    answer_like(&mut r)
                }
                _ => self_subscribe(&mut r, port),
            };
            sender.send_raw(server.addr, &b);
            sent += 1;
        }
        let answered = probe.try_request(server.addr, "/status", vec![], Duration::from_secs(20));
        assert!(
            answered.is_some(),
            "no /status after {sent} packets:\n{}",
            server.log()
        );
    }
    // Still playing: the bars advance.
    let bar = status(&probe, server.addr).bar;
    assert!(
        support::eventually(Duration::from_secs(20), || {
            status(&probe, server.addr).bar >= bar + 2
        }),
        "the bars stopped:\n{}",
        server.log()
    );
    assert!(server.alive(), "loam died:\n{}", server.log());
    let elapsed = started.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Release);
    counter.join().unwrap();
    let (received, fails) = (
        received.load(Ordering::Relaxed),
        fails.load(Ordering::Relaxed),
    );
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
    // Each packet is answered at most once an element, /fail within its rate.
    assert!(
        received <= 4 * total,
        "{received} answers to {total} packets"
    );
    let most = FAIL_BURST + FAIL_RATE * elapsed + 1.0;
    assert!(fails as f64 <= most, "{fails} /fail in {elapsed:.1} s");
    // loam heard what was sent to it and nothing of its own: the packets it
    // read are this test's, and the answers among them were ignored.
    let packets = support::summary_value(&log, "osc_packets").unwrap();
    let probes = total / 500 + 200;
    assert!(
        packets <= total + probes,
        "loam read {packets} packets, {total} were sent: it talked to itself\n{log}"
    );
    let ignored = support::summary_value(&log, "osc_answers_ignored").unwrap();
    assert!(
        ignored >= answers,
        "{ignored} of {answers} answers ignored\n{log}"
    );
}
