//! 120,000 random, mutated and wrongly typed packets at a running server:
//! every one is answered or counted, nothing panics, and `/status` still
//! answers afterwards.

mod osc_support;

use std::time::Duration;

use osc_support::{s, status, Client, Server};
use rosc::{
    encoder, OscArray, OscBundle, OscColor, OscMessage, OscMidiMessage, OscPacket, OscTime, OscType,
};

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
    let dir = osc_support::temp_dir("fuzz");
    let script =
        osc_support::script_with_click(&dir, "tempo(120);\nlive_loop(\"k\", \"click ~\");\n");
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
