//! A MIDI device that disappears during playback and comes back: the audio
//! goes on, loam says so, and reconnects both ways when it returns; the
//! controller then reaches the script again and the clock reaches it.
#![cfg(all(feature = "jack", target_os = "linux"))]

use crate::support;

use std::time::Duration;

use support::jack::JackServer;
use support::midi::*;
use support::{eventually, summary_value, temp_dir};

#[test]
fn a_port_removed_and_readded_reconnects() {
    let Some(server) = JackServer::start(64) else {
        return;
    };
    let peer = Peer::start(&server, "dev");
    let dir = temp_dir("ports");
    let script = dir.join("piece.rhai");
    std::fs::write(
        &script,
        "tempo(240);\nlive_loop(\"k\", \"kick ~\");\nfn bar(n) { print(`bar ${n} cc1=${ctrl(\"cc1\")}`); }\n",
    )
    .unwrap();
    let mut run = serve(
        &server,
        &script,
        &[
            "--midi-in",
            "dev:out",
            "--midi-out",
            "dev:in",
            "--midi-clock-out",
        ],
    );
    peer.wait_connected("out");
    peer.wait_connected("in");
    assert!(
        eventually(Duration::from_secs(15), || peer
            .received()
            .iter()
            .any(|g| g.bytes == [0xF8])),
        "no clock before the device left"
    );
    peer.close();
    let gone = |t: &str| {
        t.contains("MIDI input 'dev:out' went away") && t.contains("MIDI output 'dev:in' went away")
    };
    assert!(
        run.wait_stderr(Duration::from_secs(30), gone),
        "{}",
        run.stderr_so_far()
    );
    let peer = Peer::start(&server, "dev");
    peer.wait_connected("out");
    peer.wait_connected("in");
    peer.send(&[0xB0, 1, 127]);
    // The controller reaches the script (printed at the next bar) and the
    // clock reaches the device again.
    let got: Vec<_> = {
        let mut got = Vec::new();
        eventually(Duration::from_secs(30), || {
            got.extend(peer.received());
            got.iter().any(|g: &Got| g.bytes == [0xF8])
        });
        got
    };
    run.wait_stderr(Duration::from_secs(30), |t| {
        t.lines().any(|l| l.contains("cc1=1"))
    });
    // The audio never stopped: at 240 in 4/4 a bar a second, through six bars.
    run.wait_stderr(Duration::from_secs(60), |t| t.contains("bar 6 "));
    let done = run.stop();
    assert!(done.status.success(), "{}", done.stderr);
    let err = &done.stderr;
    assert!(err.contains("MIDI input 'dev:out' went away"), "{err}");
    assert!(err.contains("MIDI output 'dev:in' went away"), "{err}");
    assert!(err.contains("MIDI input reconnected: dev:out"), "{err}");
    assert!(err.contains("MIDI output reconnected: dev:in"), "{err}");
    assert_eq!(summary_value(err, "midi_reconnects"), Some(2), "{err}");
    assert!(err.lines().any(|l| l.contains("cc1=1")), "{err}");
    assert!(
        got.iter().any(|g| g.bytes == [0xF8]),
        "no clock after reconnecting"
    );
    // The audio went on throughout: bar 6 was planned.
    assert!(summary_value(err, "bars").unwrap_or(0) >= 6, "{err}");
    assert_eq!(summary_value(err, "late_events"), Some(0), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
