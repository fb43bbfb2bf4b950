//! `loam dataset prepare` (issue 13): every common format works, every bad
//! file is skipped with its name and reason, the input is never changed,
//! segments are cut at the known silences with their provenance, flags name
//! what a person should look at, and preparing twice gives identical bytes.

use std::collections::BTreeMap;
use std::f32::consts::TAU;
use std::path::{Path, PathBuf};
use std::process::Command;

use loam::corpus::prepare::{prepare, PrepareReport, PrepareSettings, SourceReport, SourceStatus};
use loam::corpus::quality::Flag;
use loam::corpus::segment::{SegmentMethod, SegmentSettings};
use loam::corpus::SegmentsFile;

use crate::support::{temp_dir, LOAM};

/// The fixtures made with sox (two tones of 0.3 s, each between 0.3 s
/// silences): FLAC 44.1 kHz 16-bit stereo and AIFF 22.05 kHz 24-bit mono.
const FIXTURES: &[&str] = &[
    "two-tones-44100-16bit-2ch.flac",
    "two-tones-22050-24bit-1ch.aiff",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/corpus")
        .join(name)
}

/// Silence, a 0.3 s tone at 440 Hz, silence, a 0.3 s tone at 880 Hz,
/// silence (0.3 s each) at `rate`, on every one of `channels`.
fn two_tones(rate: u32, channels: usize) -> Vec<f32> {
    let n = (rate as f32 * 0.3) as usize;
    let mut mono = vec![0.0f32; n];
    mono.extend((0..n).map(|i| 0.5 * (TAU * 440.0 * i as f32 / rate as f32).sin()));
    mono.extend(vec![0.0; n]);
    mono.extend((0..n).map(|i| 0.5 * (TAU * 880.0 * i as f32 / rate as f32).sin()));
    mono.extend(vec![0.0; n]);
    mono.iter()
        .flat_map(|&x| std::iter::repeat_n(x, channels))
        .collect()
}

/// Writes interleaved `samples` as a WAV with the given encoding.
fn write_wav(path: &Path, samples: &[f32], rate: u32, channels: u16, bits: u16, float: bool) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        if float {
            w.write_sample(s).unwrap();
        } else {
            let max = (1i64 << (bits - 1)) as f32 - 1.0;
            let v = (s * max).round() as i32;
            match bits {
                8 => w.write_sample(v as i8).unwrap(),
                16 => w.write_sample(v as i16).unwrap(),
                _ => w.write_sample(v).unwrap(),
            }
        }
    }
    w.finalize().unwrap();
}

/// Every file under `dir` and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn entry<'a>(report: &'a PrepareReport, source: &str) -> &'a SourceReport {
    report
        .sources
        .iter()
        .find(|r| r.source == source)
        .unwrap_or_else(|| panic!("{source} missing from the report: {:#?}", report.sources))
}

fn segments_file(out: &Path) -> SegmentsFile {
    serde_json::from_slice(&std::fs::read(out.join("segments.json")).unwrap()).unwrap()
}

/// An input folder holding every kind of good and bad file the issue names.
fn awkward_input() -> PathBuf {
    let input = temp_dir("corpus-in");
    for f in FIXTURES {
        std::fs::copy(fixture(f), input.join(f)).unwrap();
    }
    std::fs::create_dir_all(input.join("rates")).unwrap();
    write_wav(
        &input.join("rates/8k-16bit.wav"),
        &two_tones(8_000, 1),
        8_000,
        1,
        16,
        false,
    );
    write_wav(
        &input.join("rates/192k-24bit-stereo.wav"),
        &two_tones(192_000, 2),
        192_000,
        2,
        24,
        false,
    );
    write_wav(
        &input.join("float-32bit-6ch.wav"),
        &two_tones(48_000, 6),
        48_000,
        6,
        32,
        true,
    );
    write_wav(
        &input.join("8bit.wav"),
        &two_tones(44_100, 1),
        44_100,
        1,
        8,
        false,
    );
    write_wav(
        &input.join("32bit-int.wav"),
        &two_tones(96_000, 1),
        96_000,
        1,
        32,
        false,
    );
    // A truncated file: the header declares every frame, the data stops early.
    write_wav(
        &input.join("truncated.wav"),
        &two_tones(48_000, 1),
        48_000,
        1,
        16,
        false,
    );
    let bytes = std::fs::read(input.join("truncated.wav")).unwrap();
    std::fs::write(input.join("truncated.wav"), &bytes[..bytes.len() * 2 / 3]).unwrap();
    // Only the header is left.
    std::fs::write(input.join("header-only.wav"), &bytes[..44]).unwrap();
    std::fs::write(input.join("empty.wav"), b"").unwrap();
    std::fs::write(
        input.join("not-audio.wav"),
        b"these are my notes, not a recording\n".repeat(20),
    )
    .unwrap();
    std::fs::write(input.join("notes.txt"), b"field trip, 3 May").unwrap();
    std::fs::write(
        input.join("datasheet.toml"),
        "[dataset]\nid = \"test-corpus\"\ntitle = \"Two tones\"\nlicence = \"CC-BY-4.0\"\nattribution = \"Tones by a test\"\ncontact = \"test@example.org\"\n",
    )
    .unwrap();
    input
}

#[test]
fn every_format_works_and_every_bad_file_is_skipped_by_name() {
    let input = awkward_input();
    let before = snapshot(&input);
    let out = temp_dir("corpus-out");
    let report = prepare(&input, &out, &PrepareSettings::default()).unwrap();
    assert_eq!(snapshot(&input), before, "the input folder changed");

    // Every good file, whatever its format, is cut into its two tones.
    let good = [
        ("two-tones-44100-16bit-2ch.flac", 44_100, 2),
        ("two-tones-22050-24bit-1ch.aiff", 22_050, 1),
        ("rates/8k-16bit.wav", 8_000, 1),
        ("rates/192k-24bit-stereo.wav", 192_000, 2),
        ("float-32bit-6ch.wav", 48_000, 6),
        ("8bit.wav", 44_100, 1),
        ("32bit-int.wav", 96_000, 1),
    ];
    let segs = segments_file(&out);
    assert_eq!(segs.sample_rate, 48_000);
    for (name, rate, channels) in good {
        let r = entry(&report, name);
        assert_eq!(r.status, SourceStatus::Prepared, "{name}: {r:?}");
        assert_eq!((r.sample_rate, r.channels), (rate, channels), "{name}");
        assert_eq!(r.segments.len(), 2, "{name}: {r:?}");
        assert!(r.flags.is_empty(), "{name}: {:?}", r.flags);
        // Provenance: each segment starts at its tone (0.3 s, 0.9 s) and
        // lasts 0.3 s, in source frames, within the kept edges and a hop.
        let mine: Vec<_> = segs.segments.iter().filter(|s| s.source == name).collect();
        assert_eq!(mine.len(), 2);
        for (seg, start_s) in mine.iter().zip([0.3, 0.9]) {
            let tol = f64::from(rate) * 0.012;
            let start = start_s * f64::from(rate);
            assert!(
                (seg.source_offset_frames as f64 - start).abs() <= tol,
                "{name}: {seg:?}"
            );
            let len = 0.3 * f64::from(rate);
            assert!(
                (seg.source_length_frames as f64 - len).abs() <= tol,
                "{name}: {seg:?}"
            );
            assert_eq!(seg.source_sample_rate, rate);
            // The written file is mono at 48 kHz with the recorded length.
            let w = hound::WavReader::open(out.join(&seg.file)).unwrap();
            assert_eq!((w.spec().channels, w.spec().sample_rate), (1, 48_000));
            assert_eq!(u64::from(w.duration()), seg.frames);
            let peak = w
                .into_samples::<f32>()
                .map(|s| s.unwrap().abs())
                .fold(0f32, f32::max);
            assert!(
                (20.0 * peak.log10() + 1.0).abs() < 0.05,
                "{name}: peak {peak}"
            );
        }
    }

    // The truncated file works with what it has, and says so.
    let t = entry(&report, "truncated.wav");
    assert_eq!(t.status, SourceStatus::Prepared);
    assert!(
        t.flags.iter().any(|f| matches!(f, Flag::Truncated { .. })),
        "{t:?}"
    );

    // Each bad file is skipped with its reason; nothing else stopped.
    for (name, why) in [
        ("empty.wav", "empty"),
        ("not-audio.wav", "not a WAV, FLAC or AIFF"),
        ("header-only.wav", "no audio"),
    ] {
        let r = entry(&report, name);
        assert_eq!(r.status, SourceStatus::Skipped, "{name}: {r:?}");
        assert!(r.reason.as_deref().unwrap().contains(why), "{name}: {r:?}");
    }
    assert_eq!(entry(&report, "notes.txt").status, SourceStatus::Ignored);

    // The report for a person names every skipped file and why.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for name in ["empty.wav", "not-audio.wav", "header-only.wav"] {
        assert!(md.contains(&format!("`{name}`: SKIPPED: ")), "{md}");
    }
    assert!(md.contains("truncated"), "{md}");
    // The datasheet travels with the segments, byte for byte.
    assert!(report.datasheet_copied);
    assert_eq!(
        std::fs::read(out.join("datasheet.toml")).unwrap(),
        std::fs::read(input.join("datasheet.toml")).unwrap()
    );
    assert_eq!(segs.source_datasheet.as_deref().map(str::len), Some(64));
}

#[test]
fn preparing_twice_gives_identical_output() {
    let input = awkward_input();
    let settings = PrepareSettings {
        segment: SegmentSettings {
            method: SegmentMethod::Onsets,
            ..SegmentSettings::default()
        },
        ..PrepareSettings::default()
    };
    let a = temp_dir("corpus-a");
    let b = temp_dir("corpus-b");
    prepare(&input, &a, &settings).unwrap();
    prepare(&input, &b, &settings).unwrap();
    let first = snapshot(&a);
    assert!(first.len() > 15, "{:?}", first.keys());
    assert_eq!(first, snapshot(&b));
    // Again into the same folder: an earlier output is replaced, not added to.
    prepare(&input, &a, &settings).unwrap();
    assert_eq!(first, snapshot(&a));
}

#[test]
fn what_a_person_should_look_at_is_flagged() {
    let input = temp_dir("corpus-flags");
    let rate = 48_000;
    let tone = |seconds: f32, amp: f32| -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        let mut x = vec![0.0; 4800];
        x.extend((0..n).map(|i| amp * (TAU * 220.0 * i as f32 / rate as f32).sin()));
        x.extend(vec![0.0; 4800]);
        x
    };
    write_wav(
        &input.join("quiet.wav"),
        &tone(0.5, 0.0003),
        rate,
        1,
        32,
        true,
    );
    let clipped: Vec<f32> = tone(0.5, 3.0).iter().map(|x| x.clamp(-1.0, 1.0)).collect();
    write_wav(&input.join("clipped.wav"), &clipped, rate, 1, 16, false);
    let dc: Vec<f32> = tone(0.5, 0.5).iter().map(|x| x + 0.2).collect();
    write_wav(&input.join("dc.wav"), &dc, rate, 1, 32, true);
    // Hiss 30 dB below the tone everywhere (a pseudo-random sequence).
    let mut seed = 1u32;
    let hiss: Vec<f32> = tone(0.5, 0.5)
        .iter()
        .map(|x| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            x + 0.02 * ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5)
        })
        .collect();
    write_wav(&input.join("hiss.wav"), &hiss, rate, 1, 32, true);
    write_wav(
        &input.join("short.wav"),
        &tone(0.03, 0.5),
        rate,
        1,
        16,
        false,
    );
    write_wav(
        &input.join("long.wav"),
        &tone(31.0, 0.5),
        rate,
        1,
        16,
        false,
    );
    let out = temp_dir("corpus-flags-out");
    let report = prepare(&input, &out, &PrepareSettings::default()).unwrap();

    let flags = |name: &str| entry(&report, name).flags.clone();
    let quiet = entry(&report, "quiet.wav");
    assert!(
        matches!(quiet.flags[..], [Flag::NearSilent { .. }]),
        "{quiet:?}"
    );
    assert!(quiet.segments.is_empty());
    assert!(
        flags("clipped.wav")
            .iter()
            .any(|f| matches!(f, Flag::Clipping { runs } if *runs > 10)),
        "{:?}",
        flags("clipped.wav")
    );
    assert!(
        flags("dc.wav")
            .iter()
            .any(|f| matches!(f, Flag::DcOffset { offset } if (offset - 0.2).abs() < 0.01)),
        "{:?}",
        flags("dc.wav")
    );
    assert!(
        flags("hiss.wav")
            .iter()
            .any(|f| matches!(f, Flag::NoiseFloor { .. })),
        "{:?}",
        flags("hiss.wav")
    );
    assert!(
        flags("short.wav")
            .iter()
            .any(|f| matches!(f, Flag::ShortSegments { count: 1 })),
        "{:?}",
        flags("short.wav")
    );
    // 31 s of tone: one segment longer than 30 s.
    assert!(
        flags("long.wav")
            .iter()
            .any(|f| matches!(f, Flag::LongSegments { count: 1 })),
        "{:?}",
        entry(&report, "long.wav")
    );
    // Clean files are not flagged.
    for name in ["clipped.wav", "dc.wav", "short.wav"] {
        assert!(
            !flags(name)
                .iter()
                .any(|f| matches!(f, Flag::NoiseFloor { .. })),
            "{name}: {:?}",
            flags(name)
        );
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("`quiet.wav`") && md.contains("near-silent"),
        "{md}"
    );
    assert!(
        md.contains("clipping:") && md.contains("DC offset") && md.contains("high noise floor"),
        "{md}"
    );
}

#[test]
fn an_output_inside_the_input_or_holding_other_files_is_refused() {
    let input = temp_dir("corpus-refuse");
    write_wav(
        &input.join("a.wav"),
        &two_tones(48_000, 1),
        48_000,
        1,
        16,
        false,
    );
    let before = snapshot(&input);
    let inside = input.join("out");
    let e = prepare(&input, &inside, &PrepareSettings::default()).unwrap_err();
    assert!(e.to_string().contains("overlaps the input folder"), "{e}");
    assert!(!inside.exists(), "prepare created a folder inside IN");
    assert_eq!(snapshot(&input), before);

    let busy = temp_dir("corpus-busy");
    std::fs::write(busy.join("mine.txt"), "keep me").unwrap();
    let e = prepare(&input, &busy, &PrepareSettings::default()).unwrap_err();
    assert!(e.to_string().contains("mine.txt"), "{e}");
    assert_eq!(
        std::fs::read_to_string(busy.join("mine.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn the_command_line_prepares_and_reports() {
    let input = temp_dir("corpus-cli");
    write_wav(
        &input.join("a.wav"),
        &two_tones(44_100, 2),
        44_100,
        2,
        16,
        false,
    );
    std::fs::write(input.join("broken.flac"), b"fLaC but not really").unwrap();
    let out = temp_dir("corpus-cli-out").join("prepared");
    let run = Command::new(LOAM)
        .args(["dataset", "prepare"])
        .arg(&input)
        .arg(&out)
        .args([
            "--cut",
            "onsets",
            "--normalise",
            "loudness",
            "--lufs",
            "-20",
            "--rate",
            "44100",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("prepared 1 files into 2 segments"),
        "{stdout}"
    );
    assert!(
        stderr.contains("broken.flac") && stderr.contains("skipped"),
        "{stderr}"
    );
    let report: PrepareReport =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.settings.sample_rate, 44_100);
    assert_eq!(report.settings.segment.method, SegmentMethod::Onsets);

    let bad = Command::new(LOAM)
        .args(["dataset", "prepare"])
        .arg(&input)
        .arg(temp_dir("corpus-cli-bad"))
        .args(["--rate", "10"])
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("sample rate 10 Hz"));
}
