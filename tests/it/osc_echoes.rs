//! The OSC server cannot be turned against itself: loam refuses to
//! subscribe to its own socket, never answers an answer (so two servers, or
//! one and itself, cannot answer each other for ever), sends a client at
//! most a burst and then a steady rate of `/fail`, and every error answer
//! fits one datagram however long the input it quotes.

use crate::support;

use std::time::{Duration, Instant};

use loam::osc::fail_limit::{FAIL_BURST, FAIL_RATE};
use loam::osc::reply::MAX_QUOTED_CHARS;
use rosc::{encoder, OscBundle, OscMessage, OscPacket, OscTime, OscType};
use support::osc::{s, status, Client, Server};
use support::{eventually, summary_value};

const PIECE: &str = "tempo(240);\nlive_loop(\"k\", \"click ~\");\n";

fn reason(m: &OscMessage) -> String {
    match m.args.get(1) {
        Some(OscType::String(r)) => r.clone(),
        other => panic!("no reason in {m:?}: {other:?}"),
    }
}

/// Waits until loam's bar is `bars` past what it is now.
fn wait_bars(c: &Client, server: &Server, bars: i32) {
    let start = status(c, server.addr).bar;
    assert!(
        eventually(Duration::from_secs(30), || status(c, server.addr).bar
            >= start + bars),
        "the bars did not advance:\n{}",
        server.log()
    );
}

#[test]
fn loam_refuses_to_subscribe_to_itself() {
    let dir = support::temp_dir("self-subscribe");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let port = server.addr.port() as i32;
    for arg in [
        OscType::Int(port),
        OscType::Float(port as f32),
        OscType::Long(port as i64),
    ] {
        let m = c.request(server.addr, "/subscribe", vec![arg.clone()]);
        assert_eq!(m.addr, "/fail", "{arg:?}: {m:?}");
        assert!(reason(&m).contains("loam's own socket"), "{m:?}");
    }
    // Inside a bundle too.
    let b = OscPacket::Bundle(OscBundle {
        timetag: OscTime {
            seconds: 0,
            fractional: 1,
        },
        content: vec![OscPacket::Message(OscMessage {
            addr: "/subscribe".into(),
            args: vec![OscType::Int(port)],
        })],
    });
    c.send_raw(server.addr, &encoder::encode(&b).unwrap());
    let m = c.answer("/subscribe", Duration::from_secs(5)).unwrap();
    assert_eq!(m.addr, "/fail", "{m:?}");
    // A real subscriber still works.
    let listener = Client::new();
    let m = c.request(
        server.addr,
        "/subscribe",
        vec![OscType::Int(listener.port() as i32)],
    );
    assert_eq!(m.addr, "/done", "{m:?}");
    wait_bars(&c, &server, 2);
    let log = server.stop();
    // Had loam subscribed itself, its beats would have come back to it.
    assert_eq!(summary_value(&log, "osc_answers_ignored"), Some(0), "{log}");
    assert_eq!(summary_value(&log, "osc_bad"), Some(4), "{log}");
}

/// Listening on every interface, each of this machine's addresses is loam too.
#[test]
fn listening_everywhere_every_local_address_is_loam() {
    let dir = support::temp_dir("self-subscribe-any");
    let script = support::script_with_click(&dir, PIECE);
    let port = support::osc::free_port();
    let bind = format!("0.0.0.0:{port}");
    let child = support::spawn(
        support::serve_command(&script)
            .args(["--osc", &bind, "--osc-public"])
            .args(["--duration", "30"]),
    );
    let local: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let c = Client::new();
    let ready = eventually(Duration::from_secs(20), || {
        c.try_request(local, "/status", vec![], Duration::from_millis(200))
            .is_some()
    });
    let answer = c.try_request(
        local,
        "/subscribe",
        vec![OscType::Int(port as i32)],
        Duration::from_secs(5),
    );
    // From this machine's LAN address, if it has one.
    let lan = lan_address().map(|ip| {
        let remote = Client::with_socket(std::net::UdpSocket::bind((ip, 0)).unwrap());
        remote.try_request(
            std::net::SocketAddr::new(ip, port),
            "/subscribe",
            vec![OscType::Int(port as i32)],
            Duration::from_secs(5),
        )
    });
    let _ = child.stop();
    assert!(ready, "loam on {bind} never answered");
    let m = answer.expect("an answer to /subscribe");
    assert_eq!(m.addr, "/fail", "{m:?}");
    if let Some(m) = lan {
        let m = m.expect("an answer to /subscribe from the LAN address");
        assert_eq!(m.addr, "/fail", "{m:?}");
        assert!(reason(&m).contains("loam's own socket"), "{m:?}");
    }
}

fn lan_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("10.255.255.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Everything loam (or scsynth) sends as an answer or notice.
pub fn answers() -> Vec<Vec<u8>> {
    let m = |addr: &str, args: Vec<OscType>| {
        OscPacket::Message(OscMessage {
            addr: addr.into(),
            args,
        })
    };
    let status_reply = m(
        "/status",
        vec![
            OscType::Float(120.0),
            s("4/4"),
            OscType::Int(0),
            OscType::Int(3),
            OscType::Int(1),
            s("k"),
            s(""),
            OscType::Int(0),
            OscType::Int(0),
            OscType::Int(0),
            OscType::Int(0),
            OscType::Int(0),
            OscType::Int(0),
        ],
    );
    let packets = vec![
        m("/done", vec![s("/tempo")]),
        m("/fail", vec![s("/nope"), s("unknown address /nope")]),
        m("/fail", vec![]),
        OscPacket::Bundle(OscBundle {
            timetag: OscTime::try_from(std::time::SystemTime::now()).unwrap(),
            content: vec![m(
                "/beat",
                vec![OscType::Int(4), OscType::Int(1), OscType::Int(0)],
            )],
        }),
        status_reply,
        m(
            "/clock",
            vec![
                OscType::Long(48_000),
                OscType::Time(OscTime {
                    seconds: 1,
                    fractional: 0,
                }),
                OscType::Int(48_000),
            ],
        ),
        m("/reloaded", vec![s("piece.rhai")]),
        m("/error", vec![s("piece.rhai:1:1: oops")]),
        m("/info", vec![s("hello")]),
        m(
            "/model/m/step",
            vec![s("kick"), OscType::Int(3), OscType::Float(0.5)],
        ),
    ];
    packets
        .iter()
        .map(|p| encoder::encode(p).unwrap())
        .collect()
}

#[test]
fn answers_sent_to_loam_are_never_answered() {
    let dir = support::temp_dir("answers-back");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let sent = answers();
    for bytes in &sent {
        c.send_raw(server.addr, bytes);
        // The handler takes packets in order: the /status reply is the next
        // thing to arrive only if the answer before it got none.
        c.send_raw(server.addr, &support::osc::message("/status", vec![]));
        let (m, _) = c
            .next_message(Duration::from_secs(5))
            .expect("a /status reply");
        assert_eq!(m.addr, "/status", "answered {bytes:?} with {m:?}");
        assert_eq!(m.args.len(), support::osc::STATUS_ARGS, "{m:?}");
    }
    assert_eq!(status(&c, server.addr).bad, 0);
    let log = server.stop();
    assert_eq!(
        summary_value(&log, "osc_answers_ignored"),
        Some(sent.len() as u64),
        "{log}"
    );
}

#[test]
fn two_servers_subscribed_to_each_other_stay_quiet() {
    let dir = support::temp_dir("two-servers");
    let script = support::script_with_click(&dir, PIECE);
    let a = Server::start(&script, &[]);
    let b = Server::start(&script, &[]);
    let c = Client::new();
    let m = c.request(
        a.addr,
        "/subscribe",
        vec![OscType::Int(b.addr.port() as i32)],
    );
    assert_eq!(m.addr, "/done", "{m:?}");
    let m = c.request(
        b.addr,
        "/subscribe",
        vec![OscType::Int(a.addr.port() as i32)],
    );
    assert_eq!(m.addr, "/done", "{m:?}");
    // At 240 bpm a bar lasts a second and brings at least one beat each way.
    wait_bars(&c, &a, 3);
    wait_bars(&c, &b, 1);
    let (la, lb) = (a.stop(), b.stop());
    for (name, log) in [("a", &la), ("b", &lb)] {
        let ignored = summary_value(log, "osc_answers_ignored").unwrap();
        let packets = summary_value(log, "osc_packets").unwrap();
        assert!(ignored >= 2, "{name} heard {ignored} beats:\n{log}");
        assert_eq!(summary_value(log, "osc_bad"), Some(0), "{name}:\n{log}");
        // Beats and this test's own requests, nothing more: no storm.
        assert!(
            packets < ignored + 1000,
            "{name}: {packets} packets:\n{log}"
        );
    }
}

#[test]
fn error_answers_fit_one_datagram() {
    let dir = support::temp_dir("long-errors");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let long = "a".repeat(65_400);
    let cut = format!("{}…", &long[..MAX_QUOTED_CHARS]);
    // The example: a /play whose name fills a datagram.
    let m = c
        .try_request(server.addr, "/play", vec![s(&long)], Duration::from_secs(5))
        .expect("an answer to /play with a 65,400-character name");
    assert_eq!(m.addr, "/fail", "{m:?}");
    let r = reason(&m);
    assert!(r.contains(&format!("unknown sound '{cut}'")), "{r}");
    assert!(r.contains("click"), "the known sounds are listed: {r}");
    // The other members: every place an answer quotes its input.
    let cases: Vec<(String, Vec<OscType>, &str)> = vec![
        (
            "/play".into(),
            vec![s(&format!("{}:x", &long[..65_000]))],
            "variant",
        ),
        ("/tempo".into(), vec![s(&long)], "must be a number"),
        ("/metre".into(), vec![s(&long)], "/metre"),
        ("/octave".into(), vec![OscType::Int(1), s(&long)], ""),
        (
            "/play".into(),
            vec![s("click"), s(&long), OscType::Float(1.0)],
            "unknown key",
        ),
        (
            "/model/load".into(),
            vec![s(&long[..30_000]), s(&long[..30_000])],
            "",
        ),
        ("/midi/learn".into(), vec![s(&long)], ""),
        (format!("/{}", &long[..65_000]), vec![], "unknown address"),
        (format!("/loop/{}/mute", &long[..65_000]), vec![], ""),
        (
            format!("/model/{}/gain", &long[..65_000]),
            vec![OscType::Float(1.0)],
            "",
        ),
    ];
    for (addr, args, says) in cases {
        c.send_raw(server.addr, &support::osc::message(&addr, args));
        let (m, size) = c
            .next_message(Duration::from_secs(5))
            .unwrap_or_else(|| panic!("no answer to {}…", &addr[..20]));
        assert_eq!(m.addr, "/fail", "{}: {m:?}", &addr[..20]);
        assert!(size < 20_000, "{}…: a {size}-byte answer", &addr[..20]);
        assert!(reason(&m).contains(says), "{}: {}", &addr[..20], reason(&m));
    }
}

#[test]
fn fails_are_rate_limited_per_client_and_all_counted() {
    let dir = support::temp_dir("fail-rate");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let noisy = Client::new();
    let _ = noisy
        .socket
        .set_read_timeout(Some(Duration::from_millis(1)));
    let total: i32 = 2000;
    let started = Instant::now();
    let bad = support::osc::message("/nope", vec![OscType::Int(1)]);
    let mut received = 0u64;
    let mut buf = [0u8; 2048];
    for i in 0..total {
        noisy.send_raw(server.addr, &bad);
        if i % 100 == 99 {
            while noisy.socket.recv(&mut buf).is_ok() {
                received += 1;
            }
        }
    }
    // Another client is answered at once, and everything was counted.
    let quiet = Client::new();
    assert!(
        eventually(Duration::from_secs(10), || status(&quiet, server.addr).bad
            == total),
        "not every mistake was counted"
    );
    let m = quiet.request(server.addr, "/nope", vec![]);
    assert_eq!(m.addr, "/fail", "{m:?}");
    let elapsed = started.elapsed().as_secs_f64();
    let _ = noisy
        .socket
        .set_read_timeout(Some(Duration::from_millis(200)));
    while noisy.socket.recv(&mut buf).is_ok() {
        received += 1;
    }
    let most = FAIL_BURST + FAIL_RATE * elapsed + 1.0;
    assert!(
        received as f64 <= most && received >= FAIL_BURST as u64,
        "{received} /fail in {elapsed:.2} s (at most {most:.0})"
    );
    let log = server.stop();
    assert_eq!(
        summary_value(&log, "osc_fails_unsent"),
        Some(total as u64 - received),
        "{log}"
    );
}
