//! The makam dataset (`datasets/makam`): loam's own uşşak études in aksak
//! (9/8 as 2+2+2+3), written as text in `etudes.txt` with the perde names
//! of `tunings/53-edo.scl`, and kept as Standard MIDI Files on a 53-EDO
//! keyboard: key 60 + k is comma k above rast (dugah 69, segah 77, cargah
//! 82, neva 91), as a linear Scala keyboard mapping of 53-EDO lays them
//! out. A MIDI file carries no microtones without bends, and loam's MIDI
//! reader reads keys, so a key per comma keeps every note exact.
//!
//! Shown here: the committed files are exactly the études as written (this
//! file writes them: `LOAM_WRITE_DATASETS=1` rewrites them); `loam train`
//! keeps their metre, 2+2+2+3/8, and the bars it generates fill it; the
//! model played through `m.degree_pattern(60)` in a loop with
//! `.tuning("53-edo.scl")` sounds on 53-EDO pitches within a cent; makam
//! names play in a loop (a sample of the same name wins); `transpose` and
//! `octave_shift` move notes inside `every`, `within` and `always`.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use loam::schedule::{BarHook, Change, Planner};
use loam::script::Script;
use loam::sound::SoundBank;
use loam::time::Metre;
use support::pitch::{left, magnitude, measure};
use support::{render, temp_dir};

/// Ticks a quarter note in the files.
const TPQ: u32 = 96;

/// The metre of every étude, and its groups in eighths.
const METRE: &str = "2+2+2+3/8";
const GROUPS: [u32; 4] = [2, 2, 2, 3];

/// One étude: its name and bars; a note is (comma above rast or `None`
/// for a rest, length in eighths).
struct Etude {
    name: String,
    bars: Vec<Vec<(Option<i64>, u32)>>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped makam tuning, whose names the études are written in.
fn tuning() -> loam::pitch::Tuning {
    loam::pitch::read_scl(&repo().join("tunings/53-edo.scl")).unwrap()
}

/// `datasets/makam/etudes.txt`, each bar checked to be 2+2+2+3 eighths.
fn etudes() -> Vec<Etude> {
    let t = tuning();
    let text = std::fs::read_to_string(repo().join("datasets/makam/etudes.txt")).unwrap();
    let mut out: Vec<Etude> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("etude ") {
            out.push(Etude {
                name: name.trim().to_string(),
                bars: Vec::new(),
            });
            continue;
        }
        let mut bar = Vec::new();
        let mut groups = Vec::new();
        for group in line.split('|') {
            let mut eighths = 0;
            for note in group.split_whitespace() {
                let (perde, len) = note
                    .split_once(':')
                    .unwrap_or_else(|| panic!("etudes.txt:{}: {note}", i + 1));
                let len: u32 = len.parse().unwrap();
                let degree = match perde {
                    "~" => None,
                    p => Some(
                        t.named(p)
                            .unwrap_or_else(|| panic!("etudes.txt:{}: no perde {p}", i + 1)),
                    ),
                };
                bar.push((degree, len));
                eighths += len;
            }
            groups.push(eighths);
        }
        assert_eq!(groups, GROUPS, "etudes.txt:{}: {line}", i + 1);
        out.last_mut()
            .expect("a bar before any 'etude' line")
            .bars
            .push(bar);
    }
    out
}

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

/// A meta event at delta 0.
fn meta(kind: u8, data: &[u8], out: &mut Vec<u8>) {
    out.extend([0x00, 0xFF, kind]);
    vlq(data.len() as u32, out);
    out.extend(data);
}

/// The étude as a format-0 MIDI file: its name, the licence, a 9/8 time
/// signature refined by the text `metre 2+2+2+3/8` (how loam's reader
/// learns the grouping), then each note on channel 1, key 60 + comma, legato.
fn smf(e: &Etude) -> Vec<u8> {
    let mut track = Vec::new();
    let title = format!("{} (loam's own uşşak étude in aksak)", e.name);
    meta(0x03, title.as_bytes(), &mut track);
    meta(0x02, b"CC0-1.0", &mut track);
    meta(0x58, &[9, 3, 36, 8], &mut track);
    meta(0x01, format!("metre {METRE}").as_bytes(), &mut track);
    let eighth = TPQ / 2;
    let mut wait = 0;
    for &(degree, eighths) in e.bars.iter().flatten() {
        let len = eighths * eighth;
        match degree {
            Some(k) => {
                let key = u8::try_from(60 + k).expect("a key 0..=127");
                vlq(wait, &mut track);
                track.extend([0x90, key, 80]);
                vlq(len, &mut track);
                track.extend([0x80, key, 0]);
                wait = 0;
            }
            None => wait += len,
        }
    }
    // A closing rest is kept by ending the track after it.
    vlq(wait, &mut track);
    track.extend([0xFF, 0x2F, 0x00]);
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

/// Every comma the études play.
fn degrees_played() -> BTreeSet<i64> {
    etudes()
        .iter()
        .flat_map(|e| e.bars.iter().flatten().filter_map(|(d, _)| *d))
        .collect()
}

#[test]
fn the_midi_files_are_the_etudes_as_written() {
    let dir = repo().join("datasets/makam");
    let all = etudes();
    assert_eq!(all.len(), 6);
    let mut names = BTreeSet::new();
    for e in &all {
        assert_eq!(e.bars.len(), 8, "{}", e.name);
        let bytes = smf(e);
        let path = dir.join(format!("{}.mid", e.name));
        if std::env::var_os("LOAM_WRITE_DATASETS").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == bytes,
            "{} differs from etudes.txt (LOAM_WRITE_DATASETS=1 rewrites it)",
            path.display()
        );
        // loam reads it as one melody in 2+2+2+3/8, keys 60 + comma.
        let read = loam::data::midi::parse_midi(&committed, &path).unwrap();
        assert!(read.patterns.is_empty());
        assert_eq!(read.melodies.len(), 1);
        let m = &read.melodies[0];
        assert_eq!(m.metre, Some(Metre::parse(METRE).unwrap()), "{}", e.name);
        let keys: Vec<i64> = m.notes.iter().map(|n| i64::from(n.pitch) - 60).collect();
        let want: Vec<i64> = e.bars.iter().flatten().filter_map(|(d, _)| *d).collect();
        assert_eq!(keys, want, "{}", e.name);
        names.insert(format!("{}.mid", e.name));
    }
    // No MIDI file in the folder that the text does not write.
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|f| f.ok())
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".mid"))
        .collect();
    assert_eq!(on_disk, names);
    // The études keep to uşşak's perdes from yegah to muhayyer.
    let used: Vec<i64> = degrees_played().into_iter().collect();
    assert_eq!(used, [-22, -13, 0, 9, 17, 22, 31, 40, 44, 53, 62]);
}

/// `loam train` on a copy of the dataset in `dir`: the model's path.
fn trained(dir: &Path) -> PathBuf {
    let data = dir.join("makam");
    std::fs::create_dir_all(&data).unwrap();
    for f in std::fs::read_dir(repo().join("datasets/makam")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, data.join(f.file_name().unwrap())).unwrap();
    }
    let out = dir.join("makam.model");
    let run = Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("train")
        .arg(&data)
        .args(["--model", "markov", "--source", "melody", "-o"])
        .arg(&out)
        .env("XDG_DATA_HOME", dir.join("xdg"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{err}");
    assert!(err.contains(METRE), "the metre learned is said: {err}");
    std::fs::copy(repo().join("tunings/53-edo.scl"), dir.join("53-edo.scl")).unwrap();
    out
}

/// The `@` weights of a generated bar, summed (a step without one weighs 1).
fn weight(src: &str) -> u32 {
    src.split_whitespace()
        .map(|step| step.split_once('@').map_or(1, |(_, w)| w.parse().unwrap()))
        .sum()
}

#[test]
fn loam_train_keeps_the_aksak_metre_and_generated_bars_fill_it() {
    let dir = temp_dir("makam-train");
    trained(&dir);
    let source = r#"
let m = markov_load("makam.model");
m.seed(5);
print(`metre ${m.metre()}`);
metre(m.metre());
live_loop("ussak", |n| m.degree_pattern(60)).tuning("53-edo.scl");
"#;
    let (mut script, _) = Script::from_source(&dir.join("piece.rhai"), source).unwrap();
    assert_eq!(script.take_messages()[0], format!("metre {METRE}"));
    let metre = Metre::parse(METRE).unwrap();
    let data = degrees_played();
    let mut heard = BTreeSet::new();
    for bar in 0..12 {
        script.metre_for_bar(&metre);
        let changes = script.on_bar(bar);
        let src = changes
            .iter()
            .find_map(|c| match c {
                Change::Loop(d) if d.name == "ussak" => Some(d.source.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("bar {bar}: {:?}", script.take_messages()));
        // Every step is a whole number of eighths: the weights are the
        // bar's nine pulses.
        assert_eq!(weight(&src), 9, "bar {bar}: {src}");
        for step in src.split_whitespace() {
            let word = step.split('@').next().unwrap();
            if word == "~" {
                continue;
            }
            let k: i64 = word.parse().unwrap_or_else(|_| panic!("{src}"));
            assert!(data.contains(&k), "comma {k} is not in the data: {src}");
            heard.insert(k);
        }
    }
    assert!(heard.len() >= 5, "the model walks the makam: {heard:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The frequency of comma `k` above rast on MIDI 60 (12-EDO middle C at
/// A4 = 440 Hz).
fn comma(k: i64) -> f64 {
    440.0 * ((k as f64 / 53.0) - 0.75).exp2()
}

#[test]
fn the_model_plays_53_edo_pitches_within_a_cent() {
    let dir = temp_dir("makam-render");
    trained(&dir);
    let script = dir.join("ussak.rhai");
    // tempo counts the quarter (the short group): an eighth is half a
    // second, 24 000 frames, a bar 216 000.
    std::fs::write(
        &script,
        "let m = markov_load(\"makam.model\");\nm.seed(11);\nmetre(m.metre());\ntempo(60);\n\
         live_loop(\"ussak\", |n| m.degree_pattern(60)).tuning(\"53-edo.scl\")\
         .attack(0.001).decay(0.01).sustain(1.0).release(0.005);\n",
    )
    .unwrap();
    let audio = left(&render(&script, 2, 64));
    let pulse = 24_000;
    assert!(audio.len() >= 18 * pulse, "{} frames", audio.len());
    let data = degrees_played();
    let mut measured = 0;
    for p in 0..18 {
        let window = &audio[p * pulse + pulse / 5..p * pulse + pulse * 4 / 5];
        let peak = window.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if peak < 0.05 {
            continue; // a rest
        }
        // The strongest of the 53-EDO pitches the data could play...
        let k = (-30..=75)
            .max_by(|a, b| magnitude(window, comma(*a)).total_cmp(&magnitude(window, comma(*b))))
            .unwrap();
        assert!(data.contains(&k), "pulse {p}: comma {k} is not in the data");
        // ... and the peak itself lies within a cent of it.
        let got = measure(window, comma(k));
        let off = 1200.0 * (got / comma(k)).log2();
        assert!(
            off.abs() < 1.0,
            "pulse {p}: {got:.4} Hz is {off:.3} cents from comma {k} ({:.4} Hz)",
            comma(k)
        );
        measured += 1;
    }
    assert!(measured >= 12, "{measured} of 18 pulses sounded");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The frequencies of the tones planned for the next bar, in onset order.
fn planned_hz(planner: &mut Planner) -> Vec<f64> {
    planner
        .plan_next_bar()
        .iter()
        .filter_map(|e| e.tone.map(|t| t.hz))
        .collect()
}

/// A planner fed `source` (in `dir`, beside a copy of the makam tuning).
fn planner_for(dir: &Path, source: &str) -> Planner {
    std::fs::copy(repo().join("tunings/53-edo.scl"), dir.join("53-edo.scl")).unwrap();
    let (_, changes) =
        Script::from_source(&dir.join("piece.rhai"), source).unwrap_or_else(|e| panic!("{e}"));
    let mut planner = Planner::new(48_000, SoundBank::with_drum_kit(48_000));
    for c in changes {
        planner.apply(c);
    }
    planner
}

fn assert_hz(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (1200.0 * (g / w).log2()).abs() < 1e-6,
            "{what}: {got:?} against {want:?}"
        );
    }
}

#[test]
fn makam_names_play_their_degrees_in_a_loop() {
    let dir = temp_dir("makam-names");
    let mut p = planner_for(
        &dir,
        "live_loop(\"n\", \"rast dugah segah cargah yegah muhayyer nim_zirgule Neva\").tuning(\"53-edo.scl\");\n",
    );
    let want = [0, 9, 17, 22, -22, 62, 4, 31].map(comma);
    assert_hz(&planned_hz(&mut p), &want, "names");
    // The root moves rast (Turkish notation writes rast as G).
    let mut p = planner_for(
        &dir,
        "live_loop(\"n\", \"rast dugah\").tuning(\"53-edo.scl\").root(\"g3\");\n",
    );
    let g3 = 440.0 * ((55.0 - 69.0) / 12.0f64).exp2();
    assert_hz(
        &planned_hz(&mut p),
        &[g3, g3 * (9.0 / 53.0f64).exp2()],
        "root g3",
    );
    // A global tuning names them for every loop; a drum stays a drum.
    let mut p = planner_for(
        &dir,
        "tuning(\"53-edo.scl\");\nlive_loop(\"n\", \"hicaz kick\");\n",
    );
    let events = p.plan_next_bar();
    let tones: Vec<f64> = events.iter().filter_map(|e| e.tone.map(|t| t.hz)).collect();
    assert_hz(&tones, &[comma(27)], "global");
    assert_eq!(events.len(), 2, "the kick plays beside the note");
    // Without a named tuning a name is no pitch (53-edo has no names).
    let mut p = planner_for(&dir, "live_loop(\"n\", \"dugah\").tuning(\"53-edo\");\n");
    assert!(planned_hz(&mut p).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sample_named_like_a_perde_wins_unless_the_loop_says_note() {
    let dir = temp_dir("makam-sample");
    std::fs::create_dir_all(dir.join("s")).unwrap();
    // A one-second sine at 1 kHz named neva.
    let sine: Vec<f32> = (0..48_000)
        .map(|i| 0.5 * (std::f64::consts::TAU * 1000.0 * i as f64 / 48_000.0).sin() as f32)
        .collect();
    support::files::write_mono_wav(&dir.join("s/neva.wav"), sine);
    std::fs::copy(repo().join("tunings/53-edo.scl"), dir.join("53-edo.scl")).unwrap();
    let strongest = |body: &str| {
        let script = dir.join("piece.rhai");
        std::fs::write(
            &script,
            format!("tempo(120);\nmetre(\"4/4\");\nsamples(\"s\");\n{body}"),
        )
        .unwrap();
        let audio = left(&render(&script, 1, 64));
        let window = &audio[4_800..28_800];
        (magnitude(window, 1000.0), magnitude(window, comma(31)))
    };
    let (sample, note) = strongest("live_loop(\"n\", \"neva\").tuning(\"53-edo.scl\");\n");
    assert!(sample > 10.0 * note, "the sample plays: {sample} {note}");
    let (sample, note) = strongest(
        "live_loop(\"n\", \"neva\").tuning(\"53-edo.scl\").note().attack(0.001).sustain(1.0);\n",
    );
    assert!(note > 10.0 * sample, "the perde plays: {sample} {note}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn transpose_and_octave_shift_work_inside_functions() {
    let dir = temp_dir("makam-transpose");
    // every: the even bars (cycles) a comma-9 step up, on top of the loop's 5.
    let mut p = planner_for(
        &dir,
        "live_loop(\"t\", \"dugah neva\").tuning(\"53-edo.scl\").transpose(5).every(2, transpose(9));\n",
    );
    assert_hz(&planned_hz(&mut p), &[comma(23), comma(45)], "every, bar 0");
    assert_hz(&planned_hz(&mut p), &[comma(14), comma(36)], "every, bar 1");
    assert_hz(&planned_hz(&mut p), &[comma(23), comma(45)], "every, bar 2");
    // within: the first half of each cycle, in 12-EDO semitones.
    let twelve = |k: f64| 440.0 * ((k - 69.0) / 12.0f64).exp2();
    let mut p = planner_for(
        &dir,
        "live_loop(\"w\", \"c4 e4 g4 c5\").within(0, 0.5, |p| p.transpose(-5));\n",
    );
    assert_hz(
        &planned_hz(&mut p),
        &[55.0, 59.0, 67.0, 72.0].map(twelve),
        "within",
    );
    // always with a chain: an octave down and two commas up; degrees
    // through the loop's scale first.
    let mut p = planner_for(
        &dir,
        "live_loop(\"a\", \"0 1 2\").tuning(\"53-edo.scl\").scale(\"ussak\").always(|p| p.octave_shift(-1).transpose(2));\n",
    );
    assert_hz(
        &planned_hz(&mut p),
        &[0, 8, 13].map(|k| comma(k + 2 - 53)),
        "always",
    );
    // superimpose: the note and its fifth (31 commas) together.
    let mut p = planner_for(
        &dir,
        "live_loop(\"s\", \"rast\").tuning(\"53-edo.scl\").superimpose(transpose(31));\n",
    );
    let mut both = planned_hz(&mut p);
    both.sort_by(f64::total_cmp);
    assert_hz(&both, &[comma(0), comma(31)], "superimpose");
    // Out of range: refused with the limit, naming the loop.
    let e = Script::from_source(
        &dir.join("bad.rhai"),
        "live_loop(\"b\", \"0\").every(2, transpose(1001));\n",
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("transpose 1001: give -1000 to 1000 steps"),
        "{e}"
    );
    let e = Script::from_source(
        &dir.join("bad.rhai"),
        "live_loop(\"b\", \"0\").sometimes(|p| p.octave_shift(11));\n",
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("octave_shift 11: give -10 to 10 periods"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_example_script_plays_the_model_in_53_edo() {
    let dir = temp_dir("makam-example");
    // The repository's layout: scripts/ beside tunings/.
    for sub in ["scripts", "tunings"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::copy(
        repo().join("scripts/makam.rhai"),
        dir.join("scripts/makam.rhai"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("tunings/53-edo.scl"),
        dir.join("tunings/53-edo.scl"),
    )
    .unwrap();
    let model = trained(&dir);
    std::fs::copy(&model, dir.join("scripts/ussak.model")).unwrap();
    let wav = dir.join("makam.wav");
    let run = Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("render")
        .arg(dir.join("scripts/makam.rhai"))
        .arg("--library")
        .arg(dir.join("tunings"))
        .args(["--bars", "4", "-o"])
        .arg(&wav)
        .env("XDG_DATA_HOME", dir.join("xdg"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(!err.contains("unknown sound"), "{err}");
    assert!(!err.contains("error"), "{err}");
    let samples = support::read_wav(&wav);
    // Four bars of 2+2+2+3/8 at 100 quarters a minute, stereo, 48 kHz.
    assert!(samples.len() >= 2 * 4 * 129_600, "{}", samples.len());
    let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(peak > 0.05, "audible (peak {peak})");
    let _ = std::fs::remove_dir_all(&dir);
}
