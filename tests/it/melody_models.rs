//! Melody models you can hear: `loam train` on a folder of melody MIDI
//! files (jigs in 6/8, slip jigs in 9/8, written here by a small Standard
//! MIDI File writer of the test's own, with only a time-signature meta
//! event to say the metre) keeps the metre of the data; in a script,
//! `m.pattern()` fills a bar of the current metre with pitches, lengths
//! (`@` weights in pulses) and rests, `m.step()` gives a pitch, and
//! `m.degree_pattern(root)` the same bar as degrees above a root.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use loam::schedule::{BarHook, Change};
use loam::script::Script;
use loam::time::Metre;

/// Ticks a quarter note in the files written here.
const TPQ: u32 = 96;

/// A MIDI variable-length quantity.
fn vlq(mut v: u32, out: &mut Vec<u8>) {
    let mut bytes = vec![(v & 0x7F) as u8];
    v >>= 7;
    while v > 0 {
        bytes.push((v & 0x7F) as u8 | 0x80);
        v >>= 7;
    }
    bytes.reverse();
    out.extend(bytes);
}

/// A format-0 MIDI file: a time signature `num/den` at tick 0, then each
/// note `(pitch or None for a rest, length in eighths)` one after another
/// on channel 1, legato.
fn smf(num: u8, den: u8, notes: &[(Option<u8>, u32)]) -> Vec<u8> {
    let mut track = Vec::new();
    // Time signature: FF 58 04 nn dd cc bb (dd: a power of two).
    track.extend([
        0x00,
        0xFF,
        0x58,
        0x04,
        num,
        den.trailing_zeros() as u8,
        24,
        8,
    ]);
    let eighth = TPQ / 2;
    let mut wait = 0;
    for &(pitch, eighths) in notes {
        let len = eighths * eighth;
        match pitch {
            Some(p) => {
                vlq(wait, &mut track);
                track.extend([0x90, p, 90]);
                vlq(len, &mut track);
                track.extend([0x80, p, 0]);
                wait = 0;
            }
            None => wait += len,
        }
    }
    track.extend([0x00, 0xFF, 0x2F, 0x00]);
    let mut out = b"MThd".to_vec();
    out.extend(6u32.to_be_bytes());
    out.extend(0u16.to_be_bytes());
    out.extend(1u16.to_be_bytes());
    out.extend((TPQ as u16).to_be_bytes());
    out.extend(b"MTrk");
    out.extend((track.len() as u32).to_be_bytes());
    out.extend(track);
    out
}

/// Pitches of D major from D4 to B5.
const D_MAJOR: [u8; 12] = [62, 64, 66, 67, 69, 71, 73, 74, 76, 78, 79, 81];

/// A tune of `bars` bars of `groups` dotted-quarter beats (6/8: 2, 9/8: 3):
/// each beat is three eighths, a quarter and an eighth, or an eighth, an
/// eighth rest and an eighth, drawn from a seeded sequence.
fn tune(seed: u64, groups: usize, bars: usize) -> Vec<(Option<u8>, u32)> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) % n) as usize
    };
    let mut step = 4usize;
    let mut notes = Vec::new();
    for _ in 0..bars * groups {
        let mut pitch = |next: &mut dyn FnMut(u64) -> usize| {
            step = (step + next(5)).saturating_sub(2).min(D_MAJOR.len() - 1);
            Some(D_MAJOR[step])
        };
        match next(4) {
            0 => {
                notes.push((pitch(&mut next), 2));
                notes.push((pitch(&mut next), 1));
            }
            1 => {
                notes.push((pitch(&mut next), 1));
                notes.push((None, 1));
                notes.push((pitch(&mut next), 1));
            }
            _ => {
                for _ in 0..3 {
                    notes.push((pitch(&mut next), 1));
                }
            }
        }
    }
    notes
}

/// Writes `count` tunes in `num`/8 to `dir`.
fn write_tunes(dir: &Path, stem: &str, num: u8, count: u64) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..count {
        let notes = tune(i + num as u64 * 10, num as usize / 3, 8);
        std::fs::write(dir.join(format!("{stem}{i}.mid")), smf(num, 8, &notes)).unwrap();
    }
}

/// `loam train DATA --model KIND --source melody -o OUT`; its stderr.
fn train(data: &Path, kind: &str, out: &Path) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("train")
        .arg(data)
        .args([
            "--model", kind, "--source", "melody", "--steps", "120", "-o",
        ])
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{err}");
    err
}

/// The loop sources a bar's changes set, by loop name.
fn loop_sources(changes: &[Change]) -> Vec<(String, String)> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Loop(d) => Some((d.name.clone(), d.source.clone())),
            _ => None,
        })
        .collect()
}

/// The `@` weights of a generated bar, summed (a step without one weighs 1).
fn weight(src: &str) -> u32 {
    src.split_whitespace()
        .map(|step| step.split_once('@').map_or(1, |(_, w)| w.parse().unwrap()))
        .sum()
}

/// The events of one cycle of `src` in `metre`: (sound, length in pulses).
fn played(src: &str, metre: &Metre) -> Vec<(String, loam::time::Rational)> {
    let p = loam::pattern::Pattern::parse(src).unwrap_or_else(|e| panic!("{e} in {src}"));
    let ctx = loam::pattern::QueryContext {
        groups: metre.groups(),
        seed: 0,
    };
    p.query(loam::time::q(0, 1), loam::time::q(1, 1), &ctx)
        .into_iter()
        .map(|e| {
            (
                e.sound,
                e.duration * loam::time::q(metre.pulses() as i128, 1),
            )
        })
        .collect()
}

fn models(dir: &Path) -> (PathBuf, PathBuf) {
    write_tunes(&dir.join("jigs"), "jig", 6, 3);
    write_tunes(&dir.join("slips"), "slip", 9, 3);
    let slips = train(&dir.join("slips"), "markov", &dir.join("slips.model"));
    assert!(slips.contains("9/8"), "the metre learned is said: {slips}");
    let jigs = train(&dir.join("jigs"), "rnn", &dir.join("jigs.model"));
    assert!(jigs.contains("6/8"), "{jigs}");
    (dir.join("slips.model"), dir.join("jigs.model"))
}

#[test]
fn trained_melody_models_keep_the_metre_of_their_data() {
    let dir = support::temp_dir("melody-metre");
    let (slips, jigs) = models(&dir);
    let m = loam::model::markov::MarkovModel::load(&slips).unwrap();
    assert_eq!(m.metre(), Some("9/8"));
    let g = loam::model::rnn::RnnModel::load(&jigs).unwrap();
    assert_eq!(g.metre(), Some("6/8"));
    // The data's rests are events the model can play.
    use loam::model::trained::StepModel;
    assert!(
        m.alphabet().iter().any(|e| e.label == "."),
        "{:?}",
        m.alphabet()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generated_bars_fill_the_metre_with_pitches_lengths_and_rests() {
    let dir = support::temp_dir("melody-bars");
    models(&dir);
    let pitches: BTreeSet<String> = D_MAJOR.iter().map(|p| p.to_string()).collect();
    let path = dir.join("piece.rhai");
    let source = r#"
let m = markov_load("slips.model", "slips");
let g = rnn_load("jigs.model");
m.seed(3);
print(`metres ${m.metre()} ${g.metre()}`);
let s = m.step();
print(`step ${s.label} ${s.pitch}`);
live_loop("slip", |n| m.pattern());
live_loop("jig", |n| g.pattern("6/8"));
live_loop("degrees", |n| m.degree_pattern(62));
"#;
    let (mut script, _) = Script::from_source(&path, source).unwrap();
    let out = script.take_messages();
    assert_eq!(out[0], "metres 9/8 6/8", "{out:?}");
    // A step's pitch is a MIDI number a script can play (a rest has none).
    let step = &out[1];
    let parts: Vec<&str> = step.split(' ').collect();
    if parts[1] != "." {
        assert_eq!(
            parts[2].parse::<f64>().unwrap(),
            parts[1].parse::<f64>().unwrap(),
            "{step}"
        );
    }
    let nine = Metre::parse("9/8").unwrap();
    let six = Metre::parse("6/8").unwrap();
    let mut rests = 0;
    let mut notes = 0;
    for bar in 0..12 {
        script.metre_for_bar(&nine);
        let loops = loop_sources(&script.on_bar(bar));
        assert_eq!(loops.len(), 3, "{loops:?}\n{:?}", script.take_messages());
        for (name, src) in &loops {
            let metre = if name == "jig" { &six } else { &nine };
            // The weights are pulses: they sum to the bar's.
            assert_eq!(weight(src), metre.pulses(), "{name}: {src}");
            let heard = played(src, metre);
            let sounding: loam::time::Rational = heard.iter().map(|(_, d)| *d).sum();
            assert!(
                sounding <= loam::time::q(metre.pulses() as i128, 1),
                "{name}: {src}"
            );
            rests += src
                .split_whitespace()
                .filter(|s| s.starts_with('~'))
                .count();
            for (sound, _) in &heard {
                if name == "degrees" {
                    // Degrees above D: the data's pitches less 62.
                    let d: i64 = sound.parse().unwrap_or_else(|_| panic!("{src}"));
                    assert!(pitches.contains(&(d + 62).to_string()), "{src}");
                } else {
                    assert!(pitches.contains(sound), "{name}: {sound} in {src}");
                    notes += 1;
                }
            }
        }
    }
    assert!(notes > 50, "{notes} notes");
    assert!(rests > 0, "the data's rests are heard");
    // The bar's notes also reach MIDI out: each is a pitch MIDI out reads.
    for p in &pitches {
        assert!(loam::schedule::midi_notes::pitch_of(p).is_some());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_drum_model_is_no_melody_and_says_so() {
    let dir = support::temp_dir("melody-drums");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/aksak/nine.pat");
    std::fs::copy(&data, dir.join("nine.pat")).unwrap();
    let path = dir.join("piece.rhai");
    let e = Script::from_source(
        &path,
        "let m = markov_train(\"nine.pat\", 2);\nlive_loop(\"d\", m.degree_pattern(60));\n",
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("degree_pattern") && e.contains("drum"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_nine_eight_melody_model_plays_audible_pitched_notes_in_a_render() {
    let dir = support::temp_dir("melody-render");
    write_tunes(&dir.join("slips"), "slip", 9, 3);
    train(&dir.join("slips"), "markov", &dir.join("slips.model"));
    // No kit sound and no sample folder: only the pitched synth voice can
    // sound, so audio means the model's MIDI numbers played as pitches.
    let script = dir.join("tune.rhai");
    std::fs::write(
        &script,
        "let m = markov_load(\"slips.model\");\nmetre(m.metre());\n\
         live_loop(\"tune\", |n| m.pattern());\n",
    )
    .unwrap();
    let wav = dir.join("tune.wav");
    let run = Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("render")
        .arg(&script)
        .args(["--bars", "2", "-o"])
        .arg(&wav)
        .env("XDG_DATA_HOME", dir.join("xdg"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(!err.contains("unknown sound"), "{err}");
    let samples = support::sound::read_wav(&wav);
    // Two bars of 9/8 at the default tempo, stereo.
    let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(peak > 0.05, "the melody is audible (peak {peak})");
    // Sound in both bars, not one stray note.
    let half = samples.len() / 2;
    let loud = |s: &[f32]| s.iter().any(|x| x.abs() > 0.02);
    assert!(loud(&samples[..half]) && loud(&samples[half..]));
    // The model's patterns are credited in the render.
    let credits = std::fs::read_to_string(dir.join("tune.wav.credits.toml")).unwrap();
    assert!(credits.contains("slips.model"), "{credits}");
    let _ = std::fs::remove_dir_all(&dir);
}
