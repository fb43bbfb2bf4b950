//! MIDI learn round trip under `jackd -d dummy`: a script asks to learn,
//! the next CC moved binds, the binding is saved to the mappings file
//! (atomically: no temporary file left), drives its target, and is loaded
//! again by a new `loam serve`. A latent target with no such model loaded
//! says so (`tests/midi_controls.rs` moves a loaded model's latent).
#![cfg(all(feature = "jack", target_os = "linux"))]

use crate::support;

use std::io::Write;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use rosc::OscType;
use support::jack::{JackServer, RATE};
use support::midi::*;
use support::{eventually, temp_dir, LOAM};

/// Stops a child by its process id if the test fails before it ends.
struct StopOnPanic(u32);

impl Drop for StopOnPanic {
    fn drop(&mut self) {
        support::process::sigterm(self.0);
    }
}

/// Runs `script` against `peer`, sends `sends` once loam listens (and,
/// for a script that asks to learn, once loam says learning is armed: a
/// control moved before that binds nothing), and stops loam once what it
/// printed satisfies `done`.
fn run_once(
    server: &JackServer,
    peer: &Peer,
    script: &str,
    map: &str,
    sends: &[&[u8]],
    done: impl Fn(&str) -> bool,
) -> String {
    let dir = temp_dir("learn-script");
    let path = dir.join("piece.rhai");
    std::fs::write(&path, script).unwrap();
    let mut run = serve(
        server,
        &path,
        &["--midi-in", "knobs:out", "--midi-map", map],
    );
    peer.wait_connected("out");
    if script.contains("midi_learn(") {
        run.wait_line("MIDI learn: move a control to bind it to");
    }
    let mut f = peer.frame_now() + RATE as u64 / 10;
    for s in sends {
        peer.send_at(f, s);
        f += RATE as u64 / 5;
    }
    let finished = run.wait_stderr(Duration::from_secs(60), done);
    let stopped = run.stop();
    assert!(finished, "loam never got there:\n{}", stopped.stderr);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    stopped.stderr
}

#[test]
fn learn_binds_saves_and_loads() {
    let Some(server) = JackServer::start(64) else {
        return;
    };
    let peer = Peer::start(&server, "knobs");
    let dir = temp_dir("learn");
    let map = dir.join("conf").join("midi.json");
    let map_s = map.to_str().unwrap();
    let learn = r#"tempo(240);
midi_learn("drive", 0, 10);
fn bar(n) { print(`drive=${ctrl("drive", -1.0)}`); }
"#;
    // CC 7 on channel 3 binds; then it moves to 64.
    let err = run_once(
        &server,
        &peer,
        learn,
        map_s,
        &[&[0xB2, 7, 127], &[0xB2, 7, 64]],
        |t| t.contains("drive=5.039"),
    );
    assert!(
        err.contains("MIDI learn: CC 7 on channel 3 → ctrl:drive"),
        "{err}"
    );
    let last = err.lines().rfind(|l| l.contains("drive=")).unwrap();
    assert!(last.contains("drive=5.039"), "{last}\n{err}");
    let text = std::fs::read_to_string(&map).expect("mappings saved");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["mappings"][0]["target"]["name"], "drive");
    assert_eq!(json["mappings"][0]["source"]["controller"], 7);
    assert_eq!(json["mappings"][0]["max"], 10.0);
    let names: Vec<_> = std::fs::read_dir(map.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "a temporary file was left: {names:?}");

    // A new server loads the binding: no learning this time.
    let plain = r#"tempo(240);
fn bar(n) { print(`drive=${ctrl("drive", -1.0)}`); }
"#;
    let err = run_once(&server, &peer, plain, map_s, &[&[0xB2, 7, 127]], |t| {
        t.contains("drive=10")
    });
    let last = err.lines().rfind(|l| l.contains("drive=")).unwrap();
    assert!(last.contains("drive=10"), "{last}\n{err}");

    // A latent dimension: bound and saved; the controller says there is no model yet.
    let latent = r#"tempo(240);
midi_learn("latent:drums:2");
"#;
    let err = run_once(
        &server,
        &peer,
        latent,
        map_s,
        &[&[0xB0, 20, 1], &[0xB0, 20, 90]],
        |t| t.contains("latent:drums:2") && t.contains("no model 'drums'"),
    );
    assert!(err.contains("latent:drums:2"), "{err}");
    assert!(err.contains("no model 'drums'"), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&map).unwrap()).unwrap();
    assert_eq!(json["mappings"].as_array().unwrap().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// MIDI learn from the two other places a performer asks: the terminal
/// running `loam serve` (a line on standard input) and OSC (`/midi/learn`,
/// answered `/done`); each binding drives its target.
#[test]
fn learn_from_the_terminal_and_over_osc() {
    let Some(server) = JackServer::start(256) else {
        return;
    };
    let peer = Peer::start(&server, "faders");
    let dir = temp_dir("learn-osc");
    let map = dir.join("midi.json");
    let script = dir.join("piece.rhai");
    std::fs::write(
        &script,
        "tempo(120);\nfn bar(n) { print(`drive=${ctrl(\"drive\", -1.0)}`); }\n",
    )
    .unwrap();
    let port = support::osc::free_port();
    let mut cmd = server.command(LOAM);
    cmd.arg("serve")
        .arg(&script)
        .args(["--host", "null", "--osc", &format!("127.0.0.1:{port}")])
        .args(["--midi-in", "faders:out", "--midi-map"])
        .arg(&map)
        .env("XDG_CONFIG_HOME", dir.join("conf"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("loam serve starts");
    let pid = child.id();
    // The terminal: one line, then end of input.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"learn tempo 90 150 exp\n")
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let so_far = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let into = so_far.clone();
    let log = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let mut s = into.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    let guard = StopOnPanic(pid);
    peer.wait_connected("out");
    let to: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let c = support::osc::Client::new();
    assert!(
        eventually(Duration::from_secs(10), || c
            .try_request(to, "/status", vec![], Duration::from_millis(200))
            .is_some()),
        "loam never answered /status"
    );
    // `/eval` is answered by the control thread once it has run, so the
    // terminal's learn request, queued before it, is armed by then.
    let r = c.request(to, "/eval", vec![support::osc::s("let armed = true;")]);
    assert_eq!(r.addr, "/done", "{r:?}");
    // Fader 9 binds to the tempo, then goes to the top: 150.
    let f = peer.frame_now() + RATE as u64 / 10;
    peer.send_at(f, &[0xB0, 9, 0]);
    peer.send_at(f + RATE as u64 / 5, &[0xB0, 9, 127]);
    assert!(
        eventually(Duration::from_secs(3), || (support::osc::status(&c, to)
            .tempo
            - 150.0)
            .abs()
            < 0.01),
        "the tempo did not follow the fader: {}",
        support::osc::status(&c, to).tempo
    );
    // Over OSC: the next control binds to `drive` (0 … 10).
    let r = c.request(
        to,
        "/midi/learn",
        vec![
            support::osc::s("drive"),
            OscType::Float(0.0),
            OscType::Float(10.0),
        ],
    );
    assert_eq!(r.addr, "/done", "{r:?}");
    let f = peer.frame_now() + RATE as u64 / 10;
    peer.send_at(f, &[0xB1, 11, 127]);
    peer.send_at(f + RATE as u64 / 5, &[0xB1, 11, 64]);
    // The script reads the fader's last value at its next bar: then stop.
    eventually(Duration::from_secs(60), || {
        so_far.lock().unwrap().contains("drive=5.039")
    });
    support::process::sigterm(pid);
    let status = child.wait().expect("loam ends");
    // Reaped: its id may be reused, so no signal from here on.
    std::mem::forget(guard);
    let _ = log.join();
    let err = so_far.lock().unwrap().clone();
    assert!(status.success(), "{err}");
    assert!(err.contains("CC 9 on channel 1 → tempo"), "{err}");
    assert!(err.contains("CC 11 on channel 2 → ctrl:drive"), "{err}");
    let last = err
        .lines()
        .rfind(|l| l.contains("drive="))
        .unwrap_or_default();
    assert!(last.contains("drive=5.039"), "{last}\n{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&map).expect("saved")).unwrap();
    assert_eq!(
        json["mappings"].as_array().map(|a| a.len()),
        Some(2),
        "{json}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
