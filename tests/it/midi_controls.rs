//! Notes, CCs, pitch bend and garbage from a JACK MIDI controller reach
//! loam: pads sound (in a `--record`ed WAV) with the spacing their
//! timestamps say, named controls and events reach the script, and garbled
//! input is counted, never a crash. Under `jackd -d dummy` (SKIP without
//! jackd unless LOAM_REQUIRE_JACK=1).
#![cfg(all(feature = "jack", target_os = "linux"))]

use crate::support;

use std::time::Duration;

use support::jack::{JackServer, RATE};
use support::midi::*;
use support::process::spawn;
use support::{eventually, read_wav_peaks, summary_value, temp_dir, Onsets, LOAM};

const SCRIPT: &str = r#"tempo(120);
fn bar(n) {
    let ev = midi_events();
    print(`ctrl cc1=${ctrl("cc1")} note=${ctrl("note")} bend=${ctrl("bend")} program=${ctrl("program")} events=${ev.len()}`);
}
"#;

#[test]
fn pads_and_controls_reach_sound_and_script() {
    const PERIOD: u32 = 256;
    let Some(server) = JackServer::start(PERIOD) else {
        return;
    };
    let peer = Peer::start(&server, "pads");
    let dir = temp_dir("controls");
    let script = dir.join("piece.rhai");
    std::fs::write(&script, SCRIPT).unwrap();
    let wav = dir.join("out.wav");
    let mut run = serve(
        &server,
        &script,
        &["--midi-in", "pads:out", "--record", wav.to_str().unwrap()],
    );
    peer.wait_connected("out");
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
    // The script has seen the last pad, and a bar (2 s) later it has been
    // heard and recorded: then stop.
    let seen = |text: &str| text.lines().filter(|l| l.contains("note=56")).count();
    run.wait_stderr(Duration::from_secs(60), |text| seen(text) >= 2);
    let done = run.stop();
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

    let (x, sr) = read_wav_peaks(&wav);
    assert_eq!(sr, RATE);
    let on = Onsets::after(0.02, 2000).find(x.iter().copied());
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
    // detection slack (the sample's attack) and the clocks' reading. A
    // cycle a client missed (an xrun jackd reports) hands its events over a
    // period late, whatever loam does.
    let xruns = server.xrun_lines().len();
    let tol = if xruns == 0 { 48 } else { 48 + PERIOD as i64 };
    eprintln!(
        "jackd reported {xruns} xrun lines; pad spacing: {d1} (sent {w1}), {d2} (sent {w2}) frames; tolerance {tol}"
    );
    assert!((d1 - w1).abs() <= tol, "{d1} vs {w1}");
    assert!((d2 - w2).abs() <= tol, "{d2} vs {w2}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A knob learned to a latent dimension of a playing decoder (left = z0 +
/// z1): loam plays into JACK, a capture client records it, and the first
/// frame where the sound follows the knob is compared with the frame the
/// knob moved on. It must be within one block plus the lookahead.
#[test]
fn a_knob_moves_a_latent_dimension_within_a_block_and_the_lookahead() {
    const PERIOD: u32 = 256;
    const LOOKAHEAD_MS: u64 = 50;
    const MODEL_BUFFER: &str = "256";
    let Some(server) = JackServer::start(PERIOD) else {
        return;
    };
    let dir = temp_dir("knob-latency");
    if support::models::export(&dir).is_none() {
        return;
    }
    std::fs::write(
        dir.join("piece.rhai"),
        "tempo(120);\nmodel_load(\"dc\", \"full.ts\", \"decode\");\nmodel_latent(\"dc\", [0.0, 0.2, 0.0, 0.0]);\n\
         midi_learn(\"latent:dc:0\", 0, 1);\nlive_loop(\"k\", \"~\");\n",
    )
    .unwrap();
    let peer = Peer::start(&server, "knob");
    // Room for a slow start; the capture ends when the moves are done.
    let capture = AudioCapture::start(&server, "ears", 90.0);
    let mut cmd = server.command(LOAM);
    cmd.arg("serve")
        .arg(dir.join("piece.rhai"))
        .args(["--host", "jack", "--osc", "off", "--midi-in", "knob:out"])
        .arg("--midi-map")
        .arg(dir.join("map.json"))
        .args(["--model-buffer", MODEL_BUFFER])
        .args(["--lookahead-ms", &LOOKAHEAD_MS.to_string()]);
    let mut run = spawn(&mut cmd);
    let outs = capture.outputs_of(run.pid());
    capture.connect_from(&outs);
    peer.wait_connected("out");
    // The first move of CC 1 binds it once the model plays; then it goes
    // up, down and up, a second apart. Moves made before the model plays
    // are not measured.
    let plays = run.wait_stderr(Duration::from_secs(60), |t| t.contains("model 'dc' plays"));
    assert!(plays, "the model never played:\n{}", run.stderr_so_far());
    let now = peer.frame_now();
    peer.send_at(now + RATE as u64 / 10, &[0xB0, 1, 0]);
    let moves: Vec<(u64, f32)> = (1..=4u64)
        .map(|k| (now + k * RATE as u64, if k % 2 == 1 { 1.0 } else { 0.0 }))
        .collect();
    for (f, z) in &moves {
        peer.send_at(*f, &[0xB0, 1, (*z * 127.0) as u8]);
    }
    // Half a second of JACK time after the last move has been played.
    let last = moves.last().unwrap().0 + RATE as u64 / 2 + RATE as u64 / 10;
    assert!(
        eventually(Duration::from_secs(60), || peer.frame_now() > last),
        "JACK's clock stopped"
    );
    let done = run.stop();
    let (first, left) = capture.finish();
    assert!(done.status.success(), "loam failed:\n{}", done.stderr);
    assert!(
        done.stderr
            .contains("MIDI learn: CC 1 on channel 1 → latent:dc:0"),
        "{}",
        done.stderr
    );
    // left = (z0 + z1) × master gain 0.5, with z1 = 0.2 from the script:
    // 0.1 with the knob down, 0.6 with it up, 0 before the model plays.
    let level = |z0: f32| (z0 + 0.2) * 0.5;
    let bound = PERIOD as u64 + LOOKAHEAD_MS * RATE as u64 / 1000;
    let mut heard_ms = Vec::new();
    for (moved, z) in &moves {
        assert!(first <= *moved, "the capture started after the knob moved");
        let at = (moved - first) as usize;
        assert!(left.len() > at + RATE as usize / 2, "capture too short");
        let was = level(1.0 - z);
        let playing = left[at - RATE as usize / 10..at]
            .iter()
            .all(|x| (*x - was).abs() < 0.02);
        if !playing {
            eprintln!("the model was not playing yet when the knob moved at frame {moved}");
            continue;
        }
        let mid = (level(*z) + was) / 2.0;
        let heard = left[at..]
            .iter()
            .position(|x| (*x - mid) * (level(*z) - mid) > 0.0)
            .unwrap_or_else(|| panic!("the knob never reached the sound\n{}", done.stderr));
        let settled = left[at + heard..at + heard + RATE as usize / 4]
            .iter()
            .all(|x| (*x - level(*z)).abs() < 0.02);
        assert!(settled, "the sound did not settle at z0 = {z}");
        assert!(heard as u64 <= bound, "{heard} frames > {bound}");
        heard_ms.push(heard as f64 * 1000.0 / RATE as f64);
    }
    eprintln!(
        "knob to sound: {heard_ms:.2?} ms; bound one block + lookahead = {bound} frames ({:.2} ms); \
         model buffer {MODEL_BUFFER} frames, JACK period {PERIOD}, jackd xrun lines {}",
        bound as f64 * 1000.0 / RATE as f64,
        server.xrun_lines().len()
    );
    assert!(heard_ms.len() >= 2, "the model played for too few moves");
    let _ = std::fs::remove_dir_all(&dir);
}
