//! OSC as real clients write it, against a running loam: every type tag
//! liblo's oscsend and python-osc produce (the symbol `S` included), messages
//! with no type tag string at all, and bundles with a bad element, whose
//! good elements still act and whose bad one is answered and counted.
//!
//! oscsend and python-osc write the bytes (oscsend to its standard output,
//! python-osc as hex); this test sends them from its own socket, so it
//! hears each answer.

use crate::support;

use std::process::Command;
use std::time::Duration;

use rosc::{OscMessage, OscType};
use support::eventually;
use support::osc::{have, raw_bundle, raw_message, sized, status, Client, Server};

const PIECE: &str = "tempo(120);\nlive_loop(\"k\", \"click ~\");\n";

/// The bytes `oscsend - ARGS…` writes.
fn oscsend(args: &[&str]) -> Vec<u8> {
    let out = Command::new("oscsend")
        .arg("-")
        .args(args)
        .output()
        .expect("oscsend runs");
    assert!(out.status.success(), "oscsend {args:?}: {out:?}");
    out.stdout
}

/// The bytes python-osc builds with `code`, which leaves them in `dgram`.
fn python_osc(code: &str) -> Vec<u8> {
    let program = format!(
        "from pythonosc.osc_message_builder import OscMessageBuilder as M\n\
         from pythonosc.osc_bundle_builder import OscBundleBuilder as B, IMMEDIATELY\n\
         {code}\nprint(dgram.hex())\n"
    );
    let out = Command::new("python3")
        .args(["-c", &program])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python-osc: {out:?}");
    let hex = String::from_utf8(out.stdout).unwrap();
    let hex = hex.trim();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Sends `bytes` and returns the answer about `addr`.
fn ask(c: &Client, server: &Server, bytes: &[u8], addr: &str) -> OscMessage {
    c.send_raw(server.addr, bytes);
    c.answer(addr, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no answer about {addr} to {bytes:?}"))
}

fn done(m: &OscMessage) {
    assert_eq!(m.addr, "/done", "{m:?}");
}

fn fails(m: &OscMessage, says: &str) {
    assert_eq!(m.addr, "/fail", "{m:?}");
    match m.args.get(1) {
        Some(OscType::String(r)) => assert!(r.contains(says), "{r:?} lacks {says:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_type_liblo_sends_is_read() {
    if !have(
        "liblo-tools (oscsend)",
        Command::new("sh").args(["-c", "command -v oscsend"]),
    ) {
        return;
    }
    let dir = support::temp_dir("types-liblo");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let c = Client::new();
    // The example: a symbol.
    done(&ask(
        &c,
        &server,
        &oscsend(&["/metre", "S", "7/8"]),
        "/metre",
    ));
    assert!(eventually(Duration::from_secs(10), || {
        status(&c, server.addr).metre == "2+2+3/8"
    }));
    done(&ask(
        &c,
        &server,
        &oscsend(&["/set", "Sf", "vol", "0.5"]),
        "/set",
    ));
    done(&ask(
        &c,
        &server,
        &oscsend(&["/play", "SSf", "click", "gain", "0.5"]),
        "/play",
    ));
    done(&ask(
        &c,
        &server,
        &oscsend(&["/set", "sh", "vol", "3"]),
        "/set",
    ));
    done(&ask(
        &c,
        &server,
        &oscsend(&["/set", "sd", "vol", "0.25"]),
        "/set",
    ));
    done(&ask(
        &c,
        &server,
        &oscsend(&["/octave", "h", "1"]),
        "/octave",
    ));
    done(&ask(
        &c,
        &server,
        &oscsend(&["/tempo", "dS", "130", "q"]),
        "/tempo",
    ));
    // Read, then refused by the address for their meaning, with the type named.
    let mut refused = 0;
    for (types, values, says) in [
        ("sT", vec!["vol"], "got true"),
        ("sF", vec!["vol"], "got false"),
        ("sN", vec!["vol"], "got nil"),
        ("sI", vec!["vol"], "got infinitum"),
        ("sc", vec!["vol", "a"], "got the char 'a'"),
        ("sm", vec!["vol", "00903c64"], "got a MIDI message"),
    ] {
        let mut args = vec!["/set", types];
        args.extend(values);
        fails(&ask(&c, &server, &oscsend(&args), "/set"), says);
        refused += 1;
    }
    assert_eq!(status(&c, server.addr).bad, refused);
}

#[test]
fn every_type_python_osc_sends_is_read() {
    if !have(
        "python-osc",
        Command::new("python3").args(["-c", "import pythonosc"]),
    ) {
        return;
    }
    let dir = support::temp_dir("types-python");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let m = |addr: &str, args: &str| {
        python_osc(&format!(
            "m = M('{addr}')\nfor v, t in [{args}]: m.add_arg(v, t)\ndgram = m.build().dgram"
        ))
    };
    done(&ask(
        &c,
        &server,
        &m("/set", "('vol','s'), (0.5,'d')"),
        "/set",
    ));
    done(&ask(
        &c,
        &server,
        &m("/set", "('vol','s'), (2**40,'h')"),
        "/set",
    ));
    done(&ask(&c, &server, &m("/tempo", "(125,'i')"), "/tempo"));
    let mut refused = 0;
    for (args, says) in [
        ("('vol','s'), (b'\\x01\\x02\\x03','b')", "a blob of 3 bytes"),
        ("('vol','s'), (0x11223344,'r')", "a colour"),
        ("('vol','s'), ((0,0x90,60,100),'m')", "a MIDI message"),
        ("('vol','s'), ([1.0, 2.0],['f','f'])", "an array"),
        ("('vol','s'), (True,'T')", "got true"),
        ("('vol','s'), (None,'N')", "got nil"),
    ] {
        fails(&ask(&c, &server, &m("/set", args), "/set"), says);
        refused += 1;
    }
    // A python-osc bundle: both messages act.
    let bundle = python_osc(
        "b = B(IMMEDIATELY)\n\
         for a, v in [('/tempo', 126.0), ('/octave', 0)]:\n    m = M(a); m.add_arg(v); b.add_content(m.build())\n\
         dgram = b.build().dgram",
    );
    c.send_raw(server.addr, &bundle);
    done(&c.answer("/tempo", Duration::from_secs(5)).unwrap());
    done(&c.answer("/octave", Duration::from_secs(5)).unwrap());
    assert_eq!(status(&c, server.addr).bad, refused);
}

#[test]
fn messages_without_type_tags_are_read() {
    let dir = support::temp_dir("types-none");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let c = Client::new();
    for bytes in [&b"/status\0"[..], b"/status"] {
        c.send_raw(server.addr, bytes);
        let m = c.answer("/status", Duration::from_secs(5)).unwrap();
        assert_eq!(m.args.len(), support::osc::STATUS_ARGS, "{m:?}");
    }
    done(&ask(&c, &server, b"/unsolo\0", "/unsolo"));
    done(&ask(&c, &server, b"/hush\0\0\0", "/hush"));
    // Arguments without type tags cannot be read: answered, and counted.
    fails(
        &ask(&c, &server, b"/tempo\0\0\x42\xf0\0\0", "/tempo"),
        "no type tag string",
    );
    // A type tag loam does not know.
    fails(
        &ask(&c, &server, &raw_message("/tempo", ",u", &[]), "/tempo"),
        "unknown type tag 'u'",
    );
    assert_eq!(status(&c, server.addr).bad, 2);
}

#[test]
fn a_bad_bundle_element_is_refused_alone() {
    let dir = support::temp_dir("types-bundles");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let c = Client::new();
    let status_msg = raw_message("/status", ",", &[]);
    let tempo = |bpm: f32| raw_message("/tempo", ",f", &bpm.to_be_bytes());
    // The example: `#bundle [/set ,u][/status]`.
    let b = raw_bundle(&[&sized(&raw_message("/set", ",u", &[])), &sized(&status_msg)]);
    c.send_raw(server.addr, &b);
    let (first, _) = c.next_message(Duration::from_secs(5)).unwrap();
    fails(&first, "bundle element 1");
    fails(&first, "unknown type tag 'u'");
    assert_eq!(first.args[0], OscType::String("/set".into()));
    let (second, _) = c.next_message(Duration::from_secs(5)).unwrap();
    assert_eq!(second.addr, "/status", "{second:?}");
    // A zero size: refused, and the element after it still acts.
    let b = raw_bundle(&[
        &sized(&tempo(101.0)),
        &0u32.to_be_bytes(),
        &sized(&tempo(102.0)),
    ]);
    c.send_raw(server.addr, &b);
    done(&c.answer("/tempo", Duration::from_secs(5)).unwrap());
    fails(
        &c.answer("#bundle", Duration::from_secs(5)).unwrap(),
        "size is 0",
    );
    done(&c.answer("/tempo", Duration::from_secs(5)).unwrap());
    // Sizes that hide where the rest starts, stray bytes, garbage: the
    // good element before acts, the bad one is answered.
    for (tail, says) in [
        (vec![0xff, 0xff, 0xff, 0xfc, 1, 2, 3, 4], "size is -4"),
        (
            vec![0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4],
            "runs past the end",
        ),
        (vec![0, 0], "stray bytes"),
        (sized(b"garbage!"), "neither a message nor a bundle"),
    ] {
        c.send_raw(server.addr, &raw_bundle(&[&sized(&tempo(104.0)), &tail]));
        done(&c.answer("/tempo", Duration::from_secs(5)).unwrap());
        let m = c.answer("#bundle", Duration::from_secs(5)).unwrap();
        fails(&m, "bundle element 2");
        fails(&m, says);
    }
    // After a garbage element whose size is right, the next one acts.
    let mut b = raw_bundle(&[&sized(b"garbage!")]);
    b.extend(sized(&tempo(105.0)));
    c.send_raw(server.addr, &b);
    fails(
        &c.answer("#bundle", Duration::from_secs(5)).unwrap(),
        "bundle element 1",
    );
    done(&c.answer("/tempo", Duration::from_secs(5)).unwrap());
    assert!(eventually(Duration::from_secs(10), || {
        status(&c, server.addr).tempo == 105.0
    }));
    assert_eq!(status(&c, server.addr).bad, 7);
}

/// sclang as it sends: symbols as strings, `true` and `nil` as ints, an
/// array as a blob (a nested message), and a Char as a bare type tag of that
/// letter (`$a` becomes the tag `a`, `$N` the tag `N`).
#[test]
fn sclang_symbols_chars_and_arrays_are_read_or_answered() {
    if !have(
        "SuperCollider (sclang)",
        Command::new("sh").args(["-c", "command -v sclang"]),
    ) {
        return;
    }
    let dir = support::temp_dir("types-sclang");
    let script = support::script_with_click(&dir, PIECE);
    let server = Server::start(&script, &[]);
    let code = format!(
        "n = NetAddr(\"127.0.0.1\", {});\n\
         n.sendMsg('/metre', '7/8');\n\
         n.sendMsg(\"/set\", \\vol, true);\n\
         n.sendMsg(\"/set\", \"vol\", nil);\n\
         n.sendMsg(\"/set\", \"vol\", [1, 2.5]);\n\
         n.sendMsg(\"/set\", \"vol\", $a);\n\
         n.sendMsg(\"/set\", \"vol\", $N);\n\
         \"LOAM-SC-SENT\".postln;\n0.exit;\n",
        server.addr.port()
    );
    let file = dir.join("types.scd");
    std::fs::write(&file, code).unwrap();
    let out = Command::new("timeout")
        .args(["60", "sclang"])
        .arg(&file)
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("QTWEBENGINE_DISABLE_SANDBOX", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(printed.contains("LOAM-SC-SENT"), "{printed}");
    let c = Client::new();
    // The blob, the bare 'a' and the nil are answered /fail and counted.
    assert!(
        eventually(Duration::from_secs(10), || {
            let st = status(&c, server.addr);
            st.metre == "2+2+3/8" && st.bad == 3
        }),
        "metre {} bad {}",
        status(&c, server.addr).metre,
        status(&c, server.addr).bad
    );
}
