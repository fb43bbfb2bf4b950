//! Loops as MIDI notes under `jackd -d dummy` (SKIP without jackd unless
//! LOAM_REQUIRE_JACK=1): `.midi(ch)` sends a loop's events beside its
//! voices, `.midi_only(ch)` instead of them, with the channel, the note of
//! each kit sound, velocity from accents and length from the step and
//! legato; the notes keep the spacing the voices have in the recording.
#![cfg(all(feature = "jack", target_os = "linux"))]

use crate::support;

use std::time::Duration;

use support::jack::{JackServer, RATE};
use support::midi::*;
use support::{read_wav_peaks, temp_dir, Onsets};

const PERIOD: u32 = 256;

#[test]
fn loops_send_their_events_as_midi_notes_on_the_audio_clock() {
    let Some(server) = JackServer::start(PERIOD) else {
        return;
    };
    let peer = Peer::start(&server, "synth");
    let dir = temp_dir("notes-out");
    let script = dir.join("piece.rhai");
    // Rims on beats 1, 3 and 4 (the second one softer), beside the voices;
    // kicks on every beat as MIDI only, half a step long.
    std::fs::write(
        &script,
        "metre(\"4/4\");\ntempo(120);\n\
         live_loop(\"rims\", \"rim ~ rim^0.5 rim\").midi(2);\n\
         live_loop(\"kicks\", \"kick*4\").legato(0.5).midi_only(10);\n",
    )
    .unwrap();
    let wav = dir.join("out.wav");
    let run = serve(
        &server,
        &script,
        &[
            "--midi-out",
            "synth:in",
            "--record",
            wav.to_str().unwrap(),
            "--duration",
            "7",
        ],
    );
    let done = run.wait_timeout(Duration::from_secs(30));
    assert!(done.status.success(), "loam failed:\n{}", done.stderr);
    let got = peer.received();
    let of = |status: u8| -> Vec<(u64, u8, u8)> {
        got.iter()
            .filter(|g| g.bytes.len() == 3 && g.bytes[0] == status)
            // Frames at 48 kHz from the time on JACK's clock: jackd's dummy
            // driver on a busy machine runs its frame count off real time.
            .map(|g| {
                let f = (g.usecs * RATE as f64 / 1e6).round() as u64;
                (f, g.bytes[1], g.bytes[2])
            })
            .collect()
    };
    let (rim_on, rim_off) = (of(0x91), of(0x81));
    let (kick_on, kick_off) = (of(0x99), of(0x89));
    assert!(rim_on.len() >= 6, "rims {rim_on:?}\n{}", done.stderr);
    assert!(kick_on.len() >= 8, "kicks {kick_on:?}");
    // Kit sounds are their General MIDI notes; accents are velocities.
    assert!(rim_on.iter().all(|n| n.1 == 37), "{rim_on:?}");
    assert!(
        kick_on.iter().all(|n| n.1 == 36 && n.2 == 127),
        "{kick_on:?}"
    );
    let vels: Vec<u8> = rim_on.iter().map(|n| n.2).collect();
    assert!(vels.contains(&64) && vels.contains(&127), "{vels:?}");
    // A note lasts its step (a quarter, 24,000 frames) times legato.
    let xruns = server.xrun_lines().len();
    let tol = if xruns == 0 { 48 } else { 48 + PERIOD as i64 };
    let length = |on: &[(u64, u8, u8)], off: &[(u64, u8, u8)], want: i64| {
        // The last note may be cut when loam stops (its note-off goes out then).
        for (a, b) in on.iter().zip(off).take(on.len().saturating_sub(1)) {
            let d = b.0 as i64 - a.0 as i64;
            assert!((d - want).abs() <= tol, "note length {d}, want {want}");
        }
    };
    length(&rim_on, &rim_off, 24_000);
    length(&kick_on, &kick_off, 12_000);
    // Kicks every quarter.
    for w in kick_on.windows(2) {
        let d = w[1].0 as i64 - w[0].0 as i64;
        assert!((d - 24_000).abs() <= tol, "kick spacing {d}");
    }
    // The recording has the rims and no kicks: onsets 2, 1, 1 beats apart
    // (kicks would sound on every beat); the MIDI rims are spaced alike.
    let (x, _) = read_wav_peaks(&wav);
    let on = Onsets::after(0.02, 2000).find(x.iter().copied());
    let heard: Vec<i64> = on.windows(2).map(|w| w[1] as i64 - w[0] as i64).collect();
    let sent: Vec<i64> = rim_on
        .windows(2)
        .map(|w| w[1].0 as i64 - w[0].0 as i64)
        .collect();
    eprintln!(
        "jackd xrun lines {xruns}; rim spacing heard {heard:?}, sent as MIDI {sent:?} frames"
    );
    assert!(
        heard.iter().any(|d| (d - 48_000).abs() <= tol),
        "no two-beat gap: the kicks sounded? {heard:?}"
    );
    for d in &heard {
        assert!(
            [24_000, 48_000].iter().any(|w| (d - w).abs() <= tol),
            "onset spacing {d}: {heard:?}"
        );
    }
    // The MIDI rims follow the same pattern as the heard ones.
    let first_gap = heard
        .iter()
        .position(|d| (d - 48_000).abs() <= tol)
        .unwrap();
    let sent_gap = sent
        .iter()
        .position(|d| (d - 48_000).abs() <= tol)
        .expect("a two-beat gap between MIDI rims");
    for (h, s) in heard[first_gap..].iter().zip(&sent[sent_gap..]) {
        assert!((h - s).abs() <= tol, "heard {h} vs sent {s}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
