//! Pitched notes rendered offline are in tune: the frequency measured in
//! the rendered audio matches the tuning to within one cent, for 12-EDO
//! note names, 24-EDO and 53-EDO degrees, a just scale, the tunings that
//! ship in `tunings/`, and a Scala file with a `.kbm` reference frequency;
//! on every built-in voice. A malformed `.scl` fails the version, naming
//! file and line, and the loop keeps its tuning.

use crate::support;

use std::path::Path;

use loam::schedule::Planner;
use loam::script::Script;
use loam::sound::SoundBank;
use support::pitch::{left, measure, RATE};
use support::{render, temp_dir};

/// Renders `body` (120 BPM, 4/4: a bar is 96 000 frames) and checks that
/// the `i`-th of `expected.len()` equal steps of the first bar sounds at
/// `expected[i]` Hz, to within one cent.
fn check_steps(dir: &Path, body: &str, expected: &[f64]) {
    let script = dir.join("piece.rhai");
    std::fs::write(&script, format!("tempo(120);\nmetre(\"4/4\");\n{body}")).unwrap();
    let audio = left(&render(&script, 1, 64));
    let step = 96_000 / expected.len();
    for (i, &want) in expected.iter().enumerate() {
        // The middle of the step: past the attack, before the release.
        let from = i * step + step / 5;
        let window = &audio[from..from + step * 3 / 5];
        let peak = window.iter().fold(0.0f32, |p, v| p.max(v.abs()));
        assert!(peak > 0.01, "{body}: step {i} is silent");
        let got = measure(window, want);
        let off = 1200.0 * (got / want).log2();
        assert!(
            off.abs() < 1.0,
            "{body}: step {i} sounds at {got:.4} Hz, {off:.3} cents from {want:.4} Hz"
        );
    }
}

fn twelve(key: f64) -> f64 {
    440.0 * ((key - 69.0) / 12.0).exp2()
}

/// The synth held at full level, so the envelope does not move the peak.
const STEADY: &str = ".attack(0.001).decay(0.01).sustain(1.0)";

#[test]
fn note_names_and_fractional_numbers_play_12_edo_at_a440() {
    let dir = temp_dir("pitch-12");
    check_steps(
        &dir,
        &format!("live_loop(\"m\", \"c4 eb4 f#3 a4 60.5 69.25\"){STEADY};\n"),
        &[60.0, 63.0, 54.0, 69.0, 60.5, 69.25].map(twelve),
    );
}

#[test]
fn degrees_in_24_and_53_edo_from_the_root() {
    let dir = temp_dir("pitch-edo");
    // The example: 261.6256 × 2^(k/53) for k = 0, 9, 17, 22.
    check_steps(
        &dir,
        &format!("live_loop(\"m\", \"0 9 17 22\").tuning(\"53-edo\"){STEADY};\n"),
        &[0.0, 9.0, 17.0, 22.0].map(|k| 261.6256 * (k / 53.0f64).exp2()),
    );
    check_steps(
        &dir,
        &format!("live_loop(\"m\", \"0 1 7 -3\").tuning(\"24-edo\"){STEADY};\n"),
        &[0.0, 1.0, 7.0, -3.0].map(|k| 261.6256 * (k / 24.0f64).exp2()),
    );
    // A global tuning, a root, a scale, a transposition and an octave shift.
    check_steps(
        &dir,
        &format!(
            "tuning(\"53-edo\");\nlive_loop(\"m\", \"0 3 -1 7\").scale(\"rast\").root(\"d4\").transpose(9).octave_shift(-1){STEADY};\n"
        ),
        &[0.0, 22.0, -5.0, 53.0].map(|k| twelve(62.0) * ((k + 9.0 - 53.0) / 53.0f64).exp2()),
    );
}

#[test]
fn a_just_scale_from_ratios() {
    let dir = temp_dir("pitch-just");
    check_steps(
        &dir,
        &format!(
            "live_loop(\"m\", \"0 2 4 6\").tuning([\"1/1\", \"9/8\", \"5/4\", \"4/3\", \"3/2\", \"5/3\", \"15/8\"]){STEADY};\n"
        ),
        &[1.0, 1.25, 1.5, 1.875].map(|r| 261.6256 * r),
    );
}

#[test]
fn a_scala_file_with_a_kbm_reference_frequency() {
    let dir = temp_dir("pitch-kbm");
    std::fs::write(
        dir.join("just.scl"),
        "! just.scl\nJust major in ratios\n 7\n!\n 9/8\n 5/4\n 4/3\n 3/2\n 5/3\n 15/8\n 2/1\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("white.kbm"),
        "! white keys; A4 at 432 Hz\n12\n0\n127\n60\n69\n432.0\n7\n0\nx\n1\nx\n2\n3\nx\n4\nx\n5\nx\n6\n",
    )
    .unwrap();
    // Degree 0 is the middle key (C4), a just sixth below A4 = 432 Hz.
    let c = 432.0 * 3.0 / 5.0;
    check_steps(
        &dir,
        &format!("live_loop(\"m\", \"0 2 4 a4\").tuning(\"just.scl\", \"white.kbm\"){STEADY};\n"),
        &[c, c * 1.25, c * 1.5, 432.0],
    );
}

#[test]
fn the_shipped_tunings_play_what_their_files_say() {
    let dir = temp_dir("pitch-shipped");
    let tunings = Path::new(env!("CARGO_MANIFEST_DIR")).join("tunings");
    for file in [
        "12-edo",
        "24-edo",
        "53-edo",
        "just-major",
        "slendro",
        "pelog",
    ] {
        std::fs::copy(
            tunings.join(format!("{file}.scl")),
            dir.join(format!("{file}.scl")),
        )
        .unwrap();
    }
    let c = 261.6256;
    let cases: [(&str, [f64; 4]); 6] = [
        ("12-edo", [0.0, 100.0, 700.0, 1200.0]),
        ("24-edo", [0.0, 50.0, 350.0, 1200.0]),
        ("53-edo", [0.0, 1200.0 / 53.0, 1200.0 * 22.0 / 53.0, 1200.0]),
        (
            "just-major",
            [
                0.0,
                1200.0 * (1.125f64).log2(),
                1200.0 * (1.5f64).log2(),
                1200.0,
            ],
        ),
        ("slendro", [0.0, 240.0, 960.0, 1200.0]),
        ("pelog", [0.0, 133.333333, 666.666667, 1200.0]),
    ];
    for (file, cents) in cases {
        let degrees = match file {
            "12-edo" => "0 1 7 12",
            "24-edo" => "0 1 7 24",
            "53-edo" => "0 1 22 53",
            "just-major" => "0 1 4 7",
            "slendro" => "0 1 4 5",
            _ => "0 1 4 7",
        };
        check_steps(
            &dir,
            &format!("live_loop(\"m\", \"{degrees}\").tuning(\"{file}.scl\"){STEADY};\n"),
            &cents.map(|c2| c * (c2 / 1200.0f64).exp2()),
        );
    }
}

#[test]
fn every_built_in_voice_is_in_tune() {
    let dir = temp_dir("pitch-voices");
    for voice in ["synth", "pulse", "fm"] {
        check_steps(
            &dir,
            &format!(
                "live_loop(\"m\", \"a4 c4 e5 a2\").voice(\"{voice}\").sustain(1.0).decay(5.0);\n"
            ),
            &[69.0, 60.0, 76.0, 45.0].map(twelve),
        );
    }
    // The string rings down by itself; a long decay keeps it measurable.
    check_steps(
        &dir,
        "live_loop(\"m\", \"a4 c4 e5 a2 c6 g3\").voice(\"pluck\").decay(8.0);\n",
        &[69.0, 60.0, 76.0, 45.0, 84.0, 55.0].map(twelve),
    );
}

#[test]
fn drums_and_samples_still_play_beside_pitches() {
    let dir = temp_dir("pitch-drums");
    let script = dir.join("piece.rhai");
    std::fs::write(
        &script,
        "live_loop(\"d\", \"bd sn\");\nlive_loop(\"m\", \"c4'maj ~\");\n",
    )
    .unwrap();
    let audio = left(&render(&script, 1, 64));
    assert!(audio.iter().all(|v| v.is_finite()));
    // The chord: its three notes are all there in the first half bar.
    let window = &audio[9_600..40_000];
    for key in [60.0, 64.0, 67.0] {
        let want = twelve(key);
        let got = measure(window, want);
        assert!(
            (1200.0 * (got / want).log2()).abs() < 1.0,
            "chord note {key}: {got}"
        );
    }
}

/// The frequencies of the tones the planner plans for the next bar.
fn planned_hz(planner: &mut Planner) -> Vec<f64> {
    planner
        .plan_next_bar()
        .iter()
        .filter_map(|e| e.tone.map(|t| t.hz))
        .collect()
}

#[test]
fn a_malformed_scl_names_file_and_line_and_the_loop_keeps_its_tuning() {
    let dir = temp_dir("pitch-bad-scl");
    std::fs::write(dir.join("good.scl"), "good\n2\n3/2\n2/1\n").unwrap();
    let cases = [
        (
            "count.scl",
            "! short\nshort\n3\n100.0\n200.0\n",
            "count.scl:5: the file declares 3 pitches (line 3) but lists 2",
        ),
        (
            "zero.scl",
            "zero\n2\n0/1\n2/1\n",
            "zero.scl:3: ratio \"0/1\" is not above zero",
        ),
        (
            "stray.scl",
            "stray\n1\n2/1\n3/1\n",
            "stray.scl:4: stray line \"3/1\"",
        ),
        (
            "word.scl",
            "word\n1\nfifth\n",
            "word.scl:3: \"fifth\" is not a pitch",
        ),
    ];
    let path = dir.join("piece.rhai");
    let (mut script, changes) =
        Script::from_source(&path, "live_loop(\"m\", \"1\").tuning(\"good.scl\");\n").unwrap();
    let mut planner = Planner::new(48_000, SoundBank::with_drum_kit(48_000));
    for c in changes {
        planner.apply(c);
    }
    let before = planned_hz(&mut planner);
    assert_eq!(before.len(), 1);
    assert!((before[0] - 261.6256 * 1.5).abs() < 1e-3, "{before:?}");
    for (file, text, said) in cases {
        std::fs::write(dir.join(file), text).unwrap();
        let e = script
            .reload(&format!("live_loop(\"m\", \"1\").tuning(\"{file}\");\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(said), "{file}: {e}");
        // Nothing of the failed version reaches the planner.
        assert_eq!(planned_hz(&mut planner), before, "{file}");
    }
    let e = script
        .reload("tuning(\"count.scl\");\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("count.scl:5:"), "{e}");
}

/// Writes a 16-bit mono 48 kHz WAV of a sine at `hz` lasting `seconds`,
/// with a `smpl` chunk giving `root` as its unity note when asked.
fn write_tone_wav(path: &Path, hz: f64, seconds: f64, root: Option<u32>) {
    let frames = (RATE * seconds) as u32;
    let mut body = Vec::new();
    body.extend_from_slice(b"fmt ");
    body.extend_from_slice(&16u32.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&48_000u32.to_le_bytes());
    body.extend_from_slice(&96_000u32.to_le_bytes());
    body.extend_from_slice(&2u16.to_le_bytes());
    body.extend_from_slice(&16u16.to_le_bytes());
    body.extend_from_slice(b"data");
    body.extend_from_slice(&(frames * 2).to_le_bytes());
    for i in 0..frames {
        let v = (std::f64::consts::TAU * hz * i as f64 / RATE).sin() * 16_000.0;
        body.extend_from_slice(&(v.round() as i16).to_le_bytes());
    }
    if let Some(unity) = root {
        body.extend_from_slice(b"smpl");
        body.extend_from_slice(&36u32.to_le_bytes());
        for v in [0u32, 0, 20_833, unity, 0, 0, 0, 0, 0] {
            body.extend_from_slice(&v.to_le_bytes());
        }
    }
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    file.extend_from_slice(b"WAVE");
    file.extend_from_slice(&body);
    std::fs::write(path, file).unwrap();
}

#[test]
fn a_sample_plays_at_the_rate_its_smpl_root_or_the_script_gives() {
    let dir = temp_dir("pitch-sample");
    std::fs::create_dir_all(dir.join("s")).unwrap();
    // A sine at A4 whose smpl chunk says so (unity note 69)...
    write_tone_wav(&dir.join("s/tone.wav"), 440.0, 2.0, Some(69));
    // ... and one without a smpl chunk, recorded at A3.
    write_tone_wav(&dir.join("s/low.wav"), 220.0, 2.0, None);
    check_steps(
        &dir,
        "samples(\"s\");\nlive_loop(\"m\", \"c5 a4 e4 a3\").voice(\"tone\");\n",
        &[72.0, 69.0, 64.0, 57.0].map(twelve),
    );
    check_steps(
        &dir,
        "samples(\"s\");\nlive_loop(\"m\", \"a4 0 3\").voice(\"low\").sample_root(\"a3\").scale(\"major\");\n",
        &[69.0, 60.0, 65.0].map(twelve),
    );
}
