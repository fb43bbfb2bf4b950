//! Every address of the OSC address space, answered the scsynth way:
//! `/done ADDRESS …` on success and `/fail ADDRESS REASON` on failure, against
//! a real `loam serve` on the null sink.

use crate::support;

use std::time::Duration;

use rosc::{OscPacket, OscType};
use support::eventually;
use support::osc::{s, status, Client, Server};

fn done(m: &rosc::OscMessage, addr: &str) {
    assert_eq!(m.addr, "/done", "{addr} failed: {m:?}");
    assert_eq!(m.args.first(), Some(&s(addr)), "{m:?}");
}

fn fails(m: &rosc::OscMessage, addr: &str, reason_has: &str) {
    assert_eq!(m.addr, "/fail", "{addr} should fail: {m:?}");
    assert_eq!(m.args.first(), Some(&s(addr)), "{m:?}");
    match m.args.get(1) {
        Some(OscType::String(r)) => {
            assert!(r.contains(reason_has), "reason {r:?} lacks {reason_has:?}")
        }
        other => panic!("no reason in {other:?}"),
    }
}

const PIECE: &str =
    "tempo(120);\nlive_loop(\"kick\", \"click ~\");\nlive_loop(\"hats\", \"click*4\").gain(0.2);\n";

#[test]
fn every_address_answers_done_or_fail() {
    let dir = support::temp_dir("replies");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let to = server.addr;
    let c = Client::new();

    // The clock and the state.
    let st = status(&c, to);
    assert_eq!(st.tempo, 120.0);
    assert!(!st.metre.is_empty());
    assert!(st.loops.contains(&"kick".to_string()) && st.loops.contains(&"hats".to_string()));
    let clock = c.request(to, "/clock", vec![]);
    assert!(
        matches!(
            clock.args.as_slice(),
            [OscType::Long(_), OscType::Time(_), OscType::Int(48_000)]
        ),
        "{clock:?}"
    );

    // Tempo, metre, octave.
    done(
        &c.request(to, "/tempo", vec![OscType::Float(132.0)]),
        "/tempo",
    );
    done(
        &c.request(to, "/tempo", vec![OscType::Int(132), s("q")]),
        "/tempo",
    );
    fails(
        &c.request(to, "/tempo", vec![s("fast")]),
        "/tempo",
        "argument 1 (bpm) must be a number",
    );
    fails(
        &c.request(to, "/tempo", vec![OscType::Float(5000.0)]),
        "/tempo",
        "out of range",
    );
    fails(
        &c.request(to, "/tempo", vec![]),
        "/tempo",
        "takes 1 to 2 arguments",
    );
    fails(
        &c.request(to, "/tempo", vec![OscType::Float(90.0), s("quaver")]),
        "/tempo",
        "/tempo:",
    );
    done(&c.request(to, "/metre", vec![s("7/8")]), "/metre");
    fails(&c.request(to, "/metre", vec![s("7/7")]), "/metre", "7/7");
    fails(
        &c.request(to, "/metre", vec![OscType::Int(7)]),
        "/metre",
        "must be a string",
    );
    done(&c.request(to, "/octave", vec![OscType::Int(1)]), "/octave");
    done(
        &c.request(to, "/octave", vec![OscType::Float(0.0)]),
        "/octave",
    );
    fails(
        &c.request(to, "/octave", vec![OscType::Int(3)]),
        "/octave",
        "/octave:",
    );
    fails(
        &c.request(to, "/octave", vec![OscType::Float(0.5)]),
        "/octave",
        "whole number",
    );
    done(
        &c.request(to, "/octave", vec![OscType::Int(-1), s("hats")]),
        "/octave",
    );
    fails(
        &c.request(to, "/octave", vec![OscType::Int(1), s("nope")]),
        "/octave",
        "nope",
    );

    // The tempo and metre land on the next bar line.
    let mut seen = (0.0, String::new());
    assert!(
        eventually(Duration::from_secs(5), || {
            let st = status(&c, to);
            seen = (st.tempo, st.metre.clone());
            st.tempo == 132.0 && st.metre == "2+2+3/8"
        }),
        "tempo/metre never changed: {seen:?}"
    );

    // Sounds.
    let m = c.request(
        to,
        "/play",
        vec![
            s("click"),
            s("gain"),
            OscType::Float(0.5),
            s("pan"),
            OscType::Float(-0.3),
        ],
    );
    done(&m, "/play");
    assert_eq!(m.args.get(1), Some(&s("click")));
    done(
        &c.request(
            to,
            "/play",
            vec![
                s("hat:1"),
                s("rate"),
                OscType::Double(1.5),
                s("length"),
                OscType::Float(0.1),
            ],
        ),
        "/play",
    );
    fails(
        &c.request(to, "/play", vec![s("nothing")]),
        "/play",
        "unknown sound 'nothing'",
    );
    fails(
        &c.request(to, "/play", vec![s("click"), s("gain")]),
        "/play",
        "key-value pairs",
    );
    fails(
        &c.request(
            to,
            "/play",
            vec![s("click"), s("loudness"), OscType::Float(1.0)],
        ),
        "/play",
        "unknown key 'loudness'",
    );
    fails(
        &c.request(to, "/play", vec![s("click"), s("gain"), s("loud")]),
        "/play",
        "must be a number",
    );
    fails(
        &c.request(to, "/play", vec![s("click"), s("pan"), OscType::Float(3.0)]),
        "/play",
        "out of range",
    );
    fails(
        &c.request(to, "/play", vec![s("hat:x")]),
        "/play",
        "variant",
    );
    fails(&c.request(to, "/play", vec![]), "/play", "takes a sound");

    // Controls and loops.
    done(
        &c.request(to, "/set", vec![s("cutoff"), OscType::Float(0.25)]),
        "/set",
    );
    fails(
        &c.request(to, "/set", vec![s("cutoff")]),
        "/set",
        "takes 2 arguments",
    );
    done(&c.request(to, "/loop/kick/mute", vec![]), "/loop/kick/mute");
    done(
        &c.request(to, "/loop/kick/unmute", vec![]),
        "/loop/kick/unmute",
    );
    done(&c.request(to, "/loop/hats/solo", vec![]), "/loop/hats/solo");
    done(&c.request(to, "/unsolo", vec![]), "/unsolo");
    fails(
        &c.request(to, "/loop/snare/mute", vec![]),
        "/loop/snare/mute",
        "no loop named 'snare'",
    );
    fails(
        &c.request(to, "/loop/kick/mute", vec![OscType::Int(1)]),
        "/loop/kick/mute",
        "takes no arguments",
    );

    // Code.
    let m = c.request(to, "/eval", vec![s("live_loop(\"extra\", \"click*2\");")]);
    done(&m, "/eval");
    assert!(eventually(Duration::from_secs(5), || status(&c, to)
        .loops
        .contains(&"extra".to_string())));
    fails(
        &c.request(to, "/eval", vec![s("live_loop(\"x\", ")]),
        "/eval",
        "<osc>:1:",
    );
    fails(
        &c.request(
            to,
            "/eval",
            vec![s("\n  tempo(\"fast\");"), s("selection.rhai")],
        ),
        "/eval",
        "selection.rhai:2:",
    );
    let other = dir.join("other.rhai");
    std::fs::write(&other, "live_loop(\"loaded\", \"click\");\n").unwrap();
    done(
        &c.request(to, "/load", vec![s(other.to_str().unwrap())]),
        "/load",
    );
    fails(
        &c.request(to, "/load", vec![s("/no/such/script.rhai")]),
        "/load",
        "/load: '/no/such/script.rhai' does not exist",
    );
    // A relative path is read from the script's folder, not loam's
    // working folder (loam's one path rule).
    done(&c.request(to, "/load", vec![s("other.rhai")]), "/load");
    // The paths of /load and /model/load are resolved off the timekeeper
    // (on the script thread and the loading thread), with the same rule
    // and the same words.
    fails(
        &c.request(to, "/load", vec![s("missing.rhai")]),
        "/load",
        "/load: 'missing.rhai' does not exist (looked for",
    );
    fails(
        &c.request(to, "/model/load", vec![s("m"), s("missing.ts")]),
        "/model/load",
        "/model/load: 'missing.ts' does not exist (looked for",
    );
    let outside = support::temp_dir("replies-outside").join("m.ts");
    std::fs::write(&outside, b"not read").unwrap();
    fails(
        &c.request(
            to,
            "/model/load",
            vec![s("m"), s(outside.to_str().unwrap())],
        ),
        "/model/load",
        "outside the folders loam reads from",
    );

    // Subscriptions: beats arrive as timetagged bundles, one per beat of 7/8 (2+2+3: 3 beats a bar).
    let listener = Client::new();
    let m = c.request(to, "/subscribe", vec![OscType::Int(listener.port() as i32)]);
    done(&m, "/subscribe");
    assert_eq!(m.args.get(1), Some(&OscType::Int(listener.port() as i32)));
    let beats_in = |got: &[OscPacket]| -> Vec<(rosc::OscTime, Vec<OscType>)> {
        got.iter()
            .filter_map(|p| match p {
                OscPacket::Bundle(b) => match b.content.as_slice() {
                    [OscPacket::Message(m)] if m.addr == "/beat" => {
                        Some((b.timetag, m.args.clone()))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect()
    };
    let got = listener.collect_until(Duration::from_secs(30), |got| beats_in(got).len() >= 4);
    let beats = beats_in(&got);
    assert!(beats.len() >= 4, "beats: {got:?}");
    for w in beats.windows(2) {
        assert!(w[1].0 > w[0].0, "beat times go forward: {w:?}");
    }
    assert!(beats
        .iter()
        .all(|(_, a)| a.len() == 3 && a.iter().all(|x| matches!(x, OscType::Int(_)))));
    // A script error reaches subscribers too.
    fails(
        &c.request(to, "/eval", vec![s("tempo(")]),
        "/eval",
        "<osc>:1:",
    );
    let news = listener.collect_until(Duration::from_secs(30), |got| {
        got.iter()
            .any(|p| matches!(p, OscPacket::Message(m) if m.addr == "/error"))
    });
    assert!(
        news.iter()
            .any(|p| matches!(p, OscPacket::Message(m) if m.addr == "/error")),
        "no /error for subscribers: {news:?}"
    );
    done(
        &c.request(
            to,
            "/unsubscribe",
            vec![OscType::Int(listener.port() as i32)],
        ),
        "/unsubscribe",
    );
    fails(
        &c.request(
            to,
            "/unsubscribe",
            vec![OscType::Int(listener.port() as i32)],
        ),
        "/unsubscribe",
        "not subscribed",
    );
    fails(
        &c.request(to, "/subscribe", vec![OscType::Int(70_000)]),
        "/subscribe",
        "not a UDP port",
    );
    // Without a port: the sender's own.
    let m = c.request(to, "/subscribe", vec![]);
    assert_eq!(m.args.get(1), Some(&OscType::Int(c.port() as i32)));
    done(&c.request(to, "/unsubscribe", vec![]), "/unsubscribe");

    // Unknown and malformed.
    fails(
        &c.request(to, "/tempi", vec![]),
        "/tempi",
        "unknown address /tempi",
    );
    // `/status` with arguments is loam's own reply shape: never answered
    // (two servers would answer each other for ever), so the plain request
    // after it is the next thing answered.
    c.socket
        .send_to(&support::osc::message("/status", vec![OscType::Int(1)]), to)
        .unwrap();
    c.socket
        .send_to(&support::osc::message("/status", vec![]), to)
        .unwrap();
    let (m, _) = c.next_message(Duration::from_secs(5)).unwrap();
    assert_eq!(
        (m.addr.as_str(), m.args.len()),
        ("/status", support::osc::STATUS_ARGS),
        "{m:?}"
    );
    c.socket.send_to(b"/tempo\0\0,f\0\0\x42", to).unwrap();
    let m = c
        .answer("/tempo", Duration::from_secs(5))
        .expect("an answer to a truncated packet");
    fails(&m, "/tempo", "malformed");

    // Hush stops every loop.
    done(&c.request(to, "/hush", vec![]), "/hush");
    assert!(eventually(Duration::from_secs(3), || status(&c, to)
        .loops
        .is_empty()));

    let st = status(&c, to);
    assert!(st.bad >= 14, "bad packets are counted: {}", st.bad);
    assert_eq!(st.xruns, 0);
    assert_eq!(st.dropped, 0);
    let log = server.stop();
    assert!(log.contains("osc_bad="), "{log}");
}

#[test]
fn timetagged_late_and_nested_bundles_are_answered() {
    use rosc::{encoder, OscBundle, OscMessage, OscTime};
    let dir = support::temp_dir("bundles");
    let script = support::script_with_click(&dir, "tempo(120);\n");
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let play = |gain: f32| {
        OscPacket::Message(OscMessage {
            addr: "/play".into(),
            args: vec![s("click"), s("gain"), OscType::Float(gain)],
        })
    };
    let now = std::time::SystemTime::now();
    let tag = |t: std::time::SystemTime| OscTime::try_from(t).unwrap();
    // Two seconds in the past: plays now, counted late.
    let late = OscPacket::Bundle(OscBundle {
        timetag: tag(now - Duration::from_secs(2)),
        content: vec![play(0.5)],
    });
    c.socket
        .send_to(&encoder::encode(&late).unwrap(), server.addr)
        .unwrap();
    done(&c.answer("/play", Duration::from_secs(5)).unwrap(), "/play");
    // Nested: an immediate bundle holding a future one holding two plays.
    let nested = OscPacket::Bundle(OscBundle {
        timetag: OscTime {
            seconds: 0,
            fractional: 1,
        },
        content: vec![OscPacket::Bundle(OscBundle {
            timetag: tag(now + Duration::from_millis(300)),
            content: vec![play(0.1), play(0.2)],
        })],
    });
    c.socket
        .send_to(&encoder::encode(&nested).unwrap(), server.addr)
        .unwrap();
    done(&c.answer("/play", Duration::from_secs(5)).unwrap(), "/play");
    done(&c.answer("/play", Duration::from_secs(5)).unwrap(), "/play");
    // Too far ahead.
    let far = OscPacket::Bundle(OscBundle {
        timetag: tag(now + Duration::from_secs(3600)),
        content: vec![play(0.5)],
    });
    c.socket
        .send_to(&encoder::encode(&far).unwrap(), server.addr)
        .unwrap();
    fails(
        &c.answer("#bundle", Duration::from_secs(5)).unwrap(),
        "#bundle",
        "at most 60 s ahead",
    );
    // Nested too deep.
    let mut deep = play(0.5);
    for _ in 0..20 {
        deep = OscPacket::Bundle(OscBundle {
            timetag: OscTime {
                seconds: 0,
                fractional: 1,
            },
            content: vec![deep],
        });
    }
    c.socket
        .send_to(&encoder::encode(&deep).unwrap(), server.addr)
        .unwrap();
    fails(
        &c.answer("#bundle", Duration::from_secs(5)).unwrap(),
        "#bundle",
        "nested more than",
    );
    let st = status(&c, server.addr);
    assert_eq!(st.late_bundles, 1);
    assert_eq!(st.bad, 2);
}

#[test]
fn binding_beyond_loopback_needs_a_flag() {
    let dir = support::temp_dir("public");
    let script = support::script_with_click(&dir, "tempo(120);\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("serve")
        .arg(&script)
        .args([
            "--host",
            "null",
            "--duration",
            "1",
            "--osc",
            "0.0.0.0:57399",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--osc-public"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("serve")
        .arg(&script)
        .args([
            "--host",
            "null",
            "--duration",
            "1",
            "--osc-allow",
            "10.0.0.0/40",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("prefix"));
}

/// This machine's first non-loopback IPv4 address, if it has one.
fn lan_address() -> Option<std::net::IpAddr> {
    // Connecting a UDP socket sends nothing; it only picks a route.
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("10.255.255.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn code_from_other_machines_is_refused_and_the_allow_list_holds() {
    let Some(lan) = lan_address() else {
        eprintln!("skipping: this machine has no non-loopback address");
        return;
    };
    let dir = support::temp_dir("remote");
    let script = support::script_with_click(&dir, "tempo(120);\n");
    let port = support::osc::free_port();
    let bind = format!("0.0.0.0:{port}");
    let child =
        support::spawn(support::serve_command(&script).args(["--osc", &bind, "--osc-public"]));
    let to: std::net::SocketAddr = format!("{lan}:{port}").parse().unwrap();
    let remote = Client::with_socket(std::net::UdpSocket::bind((lan, 0)).unwrap());
    let ready = eventually(Duration::from_secs(20), || {
        remote
            .try_request(to, "/status", vec![], Duration::from_millis(200))
            .is_some()
    });
    let tempo = remote.request(to, "/tempo", vec![OscType::Float(100.0)]);
    let eval = remote.request(to, "/eval", vec![s("tempo(90);")]);
    let load = remote.request(to, "/load", vec![s("/tmp/x.rhai")]);
    let _ = child.stop();
    assert!(ready, "no /status from {lan}");
    done(&tempo, "/tempo");
    fails(&eval, "/eval", "--osc-allow-code");
    fails(&load, "/load", "--osc-allow-code");

    // An allow-list that does not name this client: it is not heard at all,
    // while this machine's loopback still is.
    let port = support::osc::free_port();
    let bind = format!("0.0.0.0:{port}");
    let child = support::spawn(support::serve_command(&script).args([
        "--osc",
        &bind,
        "--osc-public",
        "--osc-allow",
        "192.0.2.7",
    ]));
    let local: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let lo = Client::new();
    let ready = eventually(Duration::from_secs(20), || {
        lo.try_request(local, "/status", vec![], Duration::from_millis(200))
            .is_some()
    });
    let to: std::net::SocketAddr = format!("{lan}:{port}").parse().unwrap();
    let unheard = remote.try_request(to, "/status", vec![], Duration::from_millis(500));
    let st = if ready {
        Some(status(&lo, local))
    } else {
        None
    };
    let _ = child.stop();
    assert!(ready);
    assert!(unheard.is_none(), "{unheard:?}");
    assert_eq!(st.unwrap().dropped, 1, "the refused packet is counted");
}
