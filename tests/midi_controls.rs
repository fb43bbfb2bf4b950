//! Notes, CCs, pitch bend and garbage from a JACK MIDI controller reach
//! loam: pads sound (in a `--record`ed WAV) with the spacing their
//! timestamps say, named controls and events reach the script, and garbled
//! input is counted, never a crash. Under `jackd -d dummy` (SKIP without
//! jackd unless LOAM_REQUIRE_JACK=1).
#![cfg(all(feature = "jack", target_os = "linux"))]

mod common;
mod midi_support;

use std::time::Duration;

use common::jack::{JackServer, RATE};
use midi_support::*;

const SCRIPT: &str = r#"tempo(120);
fn bar(n) {
    let ev = midi_events();
    print(`ctrl cc1=${ctrl("cc1")} note=${ctrl("note")} bend=${ctrl("bend")} program=${ctrl("program")} events=${ev.len()}`);
}
"#;

#[test]
fn pads_and_controls_reach_sound_and_script() {
    let Some(server) = JackServer::start(64) else {
        return;
    };
    let peer = Peer::start(&server, "pads");
    let dir = temp_dir("controls");
    let script = dir.join("piece.rhai");
    std::fs::write(&script, SCRIPT).unwrap();
    let wav = dir.join("out.wav");
    let run = serve(
        &server,
        &script,
        &[
            "--midi-in",
            "pads:out",
            "--record",
            wav.to_str().unwrap(),
            "--duration",
            "5",
        ],
    );
    wait_for_port(&server, "loam-in");
    std::thread::sleep(Duration::from_millis(500));
    let f0 = peer.frame_now() + RATE as u64 / 2;
    // Controls, then garbage: a truncated note, stray data bytes, an
    // undefined status, a SysEx, and a note-on with running status.
    peer.send_at(f0, &[0xB0, 1, 64]);
    peer.send_at(f0, &[0xE0, 0, 0x60]);
    peer.send_at(f0, &[0xC0, 7]);
    peer.send_at(f0 + 10, &[0x90, 60]);
    peer.send_at(f0 + 20, &[0x33, 0x44]);
    peer.send_at(f0 + 30, &[0xF4]);
    peer.send_at(f0 + 40, &[0xF0, 0x7E, 0x01, 0x02, 0xF7]);
    // Pads on channel 10 (GM): rim, then hat half a second later, then
    // cowbell a quarter second after that.
    let t = f0 + RATE as u64;
    peer.send_at(t, &[0x99, 37, 127]);
    peer.send_at(t + 24_000, &[0x99, 42, 127]);
    peer.send_at(t + 36_000, &[0x99, 56, 127]);
    let done = run.wait_timeout(Duration::from_secs(20));
    assert!(done.status.success(), "loam failed:\n{}", done.stderr);
    let err = &done.stderr;
    let ctrl_line = err
        .lines()
        .rfind(|l| l.contains("ctrl cc1="))
        .unwrap_or_else(|| panic!("no ctrl lines:\n{err}"));
    assert!(ctrl_line.contains("cc1=0.5039"), "{ctrl_line}");
    assert!(ctrl_line.contains("note=56"), "{ctrl_line}");
    assert!(ctrl_line.contains("bend=0.5"), "{ctrl_line}");
    assert!(ctrl_line.contains("program=7"), "{ctrl_line}");
    assert!(
        err.lines()
            .any(|l| l.contains("events=") && !l.contains("events=0")),
        "the script saw no MIDI events:\n{err}"
    );
    let ignored = summary_value(err, "midi_ignored").expect("summary");
    assert!(ignored >= 4, "ignored {ignored}:\n{err}");
    assert_eq!(summary_value(err, "midi_sysex"), Some(1), "{err}");
    assert_eq!(summary_value(err, "late_events"), Some(0), "{err}");

    let (x, sr) = read_wav(&wav);
    assert_eq!(sr, RATE);
    let on = onsets(&x, 0.02, 2000);
    assert_eq!(on.len(), 3, "onsets {on:?}");
    let d1 = on[1] as i64 - on[0] as i64;
    let d2 = on[2] as i64 - on[1] as i64;
    // The pads' times as they left the controller, on JACK's clock. A busy
    // machine makes jackd's dummy driver run a little off the wall clock
    // (the recording's), so its frames are not the reference: its times are.
    let pads: Vec<f64> = peer
        .sent()
        .iter()
        .filter(|g| g.bytes.first() == Some(&0x99))
        .map(|g| g.usecs)
        .collect();
    assert_eq!(pads.len(), 3, "{pads:?}");
    let want = |a: f64, b: f64| ((b - a) * RATE as f64 / 1e6).round() as i64;
    let (w1, w2) = (want(pads[0], pads[1]), want(pads[1], pads[2]));
    // loam stamps each message with its frame's time: what is left is onset
    // detection slack (the sample's attack) and the clocks' reading.
    let tol = 48;
    eprintln!(
        "jackd reported {} xrun lines; pad spacing: {d1} (sent {w1}), {d2} (sent {w2}) frames; tolerance {tol}",
        server.xrun_lines().len()
    );
    assert!((d1 - w1).abs() <= tol, "{d1} vs {w1}");
    assert!((d2 - w2).abs() <= tol, "{d2} vs {w2}");
    let _ = std::fs::remove_dir_all(&dir);
}
