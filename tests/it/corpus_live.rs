//! Playing a corpus map live (issue 13, "Playing the map live"): patterns
//! name map points (`map:0:0`, `NAME:1:1`) and the cursor (`map:xy`); OSC
//! `/corpus/NAME/xy x y` moves the cursor and plays the segment under it,
//! subscribers hear `/corpus/NAME/played`; a played segment is credited to
//! the recording it was cut from, with its offset.

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rosc::{OscPacket, OscType};

use loam::corpus::features::{features, FeatureSettings};
use loam::corpus::map::{map, CorpusMap, MapSettings};
use loam::corpus::prepare::{prepare, PrepareSettings};
use loam::corpus::SegmentsFile;
use loam::output::credits::{credits_path, Credits};

use crate::corpus_play::{mapped_corpus, write};
use crate::support::osc::{engine_frame, Client, Server};
use crate::support::{read_wav, render, temp_dir};

/// Segment `index` of the corpus in `dir`, as prepare wrote it.
fn segment(dir: &Path, m: &CorpusMap, index: usize) -> Vec<f32> {
    hound::WavReader::open(dir.join(&m.points[index].file))
        .unwrap()
        .into_samples::<f32>()
        .map(|s| s.unwrap())
        .collect()
}

/// The correlation of `left[at..]` with the first `n` samples of `seg`.
fn correlation(left: &[f32], at: usize, seg: &[f32], n: usize) -> f64 {
    let n = n.min(seg.len()).min(left.len().saturating_sub(at));
    let a = &left[at..at + n];
    let dot: f64 = (0..n).map(|i| f64::from(a[i]) * f64::from(seg[i])).sum();
    let norm = |v: &[f32]| v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(&seg[..n])).max(1e-12)
}

/// The best correlation of `seg` with `left` starting anywhere in `from..to`.
fn best_match(left: &[f32], from: usize, to: usize, seg: &[f32]) -> (usize, f64) {
    (from..to.min(left.len()))
        .map(|at| (at, correlation(left, at, seg, 2_000)))
        .fold((from, f64::MIN), |b, c| if c.1 > b.1 { c } else { b })
}

#[test]
fn patterns_name_map_points_and_the_cursor() {
    let dir = temp_dir("live-names");
    let corpus = mapped_corpus(&dir, "field-recordings");
    let m = CorpusMap::read(&corpus).unwrap();
    let script = dir.join("names.rhai");
    // Four steps of 24,000 frames (4/4 at 120): each segment is at most
    // 14,400 frames long, so none overlaps the next.
    std::fs::write(
        &script,
        "tempo(120);\nlet c = corpus(\"field-recordings\");\n\
         live_loop(\"a\", \"map:0:0 ~ field_recordings:1:1 map:xy\");\n",
    )
    .unwrap();
    let audio = render(&script, 1, 256);
    let left: Vec<f32> = audio.iter().step_by(2).copied().collect();
    for (at, x, y) in [(0, 0.0, 0.0), (48_000, 1.0, 1.0), (72_000, 0.5, 0.5)] {
        let expected = m.nearest(x, y).unwrap();
        let r = correlation(&left, at, &segment(&corpus, &m, expected), 4_000);
        assert!(
            r > 0.99,
            "frame {at} is not segment {expected} (nearest ({x}, {y})): correlation {r}"
        );
    }
    // The rest is silent.
    let rest = left[24_000..48_000]
        .iter()
        .fold(0.0f32, |a, v| a.max(v.abs()));
    assert!(rest < 1e-6, "the rest sounded: {rest}");
}

#[test]
fn a_bad_map_point_is_a_script_error_naming_the_column() {
    let dir = temp_dir("live-bad");
    let script = dir.join("bad.rhai");
    std::fs::write(&script, "live_loop(\"a\", \"hat map:1.5:0\");\n").unwrap();
    let err = loam::output::offline::render_samples(&script, 1, 48_000, 256, |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("map:1.5:0") && err.contains("from 0 to 1"),
        "{err}"
    );
}

/// A corpus cut from one recording of a tone, a silence and a noise burst
/// (so its second segment lies at a known offset in it), mapped 2×1.
fn two_part_corpus(dir: &Path) -> PathBuf {
    let input = temp_dir("live-credit-in");
    let mut recording: Vec<f32> = (0..14_400)
        .map(|i| (0.5 * (TAU * 440.0 * i as f64 / 48_000.0).sin()) as f32)
        .collect();
    recording.extend(std::iter::repeat_n(0.0, 24_000));
    let mut seed = 5u32;
    recording.extend((0..9_600).map(|_| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        ((seed >> 8) as f32 / 16_777_216.0 - 0.5) * 0.8
    }));
    write(&input.join("tone-then-noise.wav"), &recording);
    std::fs::write(
        input.join("datasheet.toml"),
        "[dataset]\nid = \"walk-1\"\ntitle = \"Walks\"\nlicence = \"CC-BY-4.0\"\n\
         attribution = \"Walks by Ana Example\"\ncontact = \"ana@example.org\"\n",
    )
    .unwrap();
    let out = dir.join("walks");
    prepare(&input, &out, &PrepareSettings::default()).unwrap();
    features(&out, FeatureSettings::default()).unwrap();
    map(
        std::slice::from_ref(&out),
        &out,
        &MapSettings {
            size: Some((2, 1)),
            ..MapSettings::default()
        },
    )
    .unwrap();
    out
}

#[test]
fn a_played_segment_is_credited_to_its_recording_and_offset() {
    let dir = temp_dir("live-credit");
    let corpus = two_part_corpus(&dir);
    let segments: SegmentsFile =
        serde_json::from_slice(&std::fs::read(corpus.join("segments.json")).unwrap()).unwrap();
    assert_eq!(segments.segments.len(), 2, "{segments:?}");
    let m = CorpusMap::read(&corpus).unwrap();
    let script = dir.join("credit.rhai");
    std::fs::write(
        &script,
        "tempo(120);\nlet c = corpus(\"walks\");\nlive_loop(\"a\", \"walks:0 ~ walks:1 ~\");\n",
    )
    .unwrap();
    let out = dir.join("take.wav");
    let run = Command::new(crate::support::LOAM)
        .arg("render")
        .arg(&script)
        .args(["--bars", "1", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let credits = Credits::read(&credits_path(&out)).unwrap();
    let played: Vec<_> = credits
        .sounded
        .iter()
        .filter(|p| p.kind == "corpus segment")
        .collect();
    assert_eq!(played.len(), 2, "{credits:?}");
    for point in &m.points {
        let record = segments
            .segments
            .iter()
            .find(|r| r.file == point.file)
            .unwrap();
        let credit = played
            .iter()
            .find(|p| p.segment == point.file)
            .unwrap_or_else(|| panic!("{} not credited: {credits:?}", point.file));
        assert_eq!(credit.recording, "tone-then-noise.wav");
        assert_eq!(credit.offset_frames, Some(record.source_offset_frames));
        assert_eq!(credit.length_frames, Some(record.source_length_frames));
        assert_eq!(credit.recording_rate, Some(48_000));
        assert_eq!(credit.datasets[0].attribution, "Walks by Ana Example");
    }
    // The noise burst starts after the tone and the silence (38,400
    // frames in), give or take the 5 ms prepare keeps before a sound.
    let offsets: Vec<u64> = played.iter().filter_map(|p| p.offset_frames).collect();
    assert!(
        offsets
            .iter()
            .any(|&o| (38_400 - 480..=38_400).contains(&o)),
        "{offsets:?}"
    );
    // The programme note says where in the recording.
    let note = credits.programme_note();
    assert!(
        note.contains("tone-then-noise.wav at 0.") && note.contains("Walks by Ana Example"),
        "{note}"
    );
}

/// `/corpus/NAME/played` messages among `packets`: (segment, recording).
fn played(packets: &[OscPacket]) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    for p in packets {
        let msgs: Vec<&rosc::OscMessage> = match p {
            OscPacket::Message(m) => vec![m],
            OscPacket::Bundle(b) => b
                .content
                .iter()
                .filter_map(|c| match c {
                    OscPacket::Message(m) => Some(m),
                    _ => None,
                })
                .collect(),
        };
        for m in msgs {
            if m.addr == "/corpus/field_recordings/played" {
                if let [OscType::Int(i), OscType::Float(_), OscType::Float(_), OscType::String(r), OscType::Float(_)] =
                    m.args.as_slice()
                {
                    out.push((*i, r.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn an_xy_sweep_over_osc_plays_the_expected_segments_in_a_serve_recording() {
    let dir = temp_dir("live-sweep");
    let corpus = mapped_corpus(&dir, "field-recordings");
    let m = CorpusMap::read(&corpus).unwrap();
    let script = dir.join("sweep.rhai");
    std::fs::write(
        &script,
        "tempo(120);\nlet c = corpus(\"field-recordings\");\n",
    )
    .unwrap();
    let wav = dir.join("sweep.wav");
    let server = Server::start(&script, &["--record", wav.to_str().unwrap()]);
    let c = Client::new();
    let sub = Client::new();
    let subscribed = sub.request(server.addr, "/subscribe", vec![]);
    assert_eq!(subscribed.addr, "/done", "{subscribed:?}");
    // The script has run once the corpus answers.
    assert!(crate::support::eventually(Duration::from_secs(30), || {
        c.request(
            server.addr,
            "/corpus/field_recordings/xy",
            vec![OscType::Float(0.5), OscType::Float(0.5), OscType::Int(0)],
        )
        .addr
            == "/done"
    }));
    // A sweep corner to corner and back along the other diagonal.
    let sweep = [(0.0, 0.0), (0.33, 0.33), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)];
    let mut sent = Vec::new();
    for &(x, y) in &sweep {
        let before = engine_frame(&c, server.addr);
        let done = c.request(
            server.addr,
            "/corpus/field_recordings/xy",
            vec![OscType::Float(x as f32), OscType::Float(y as f32)],
        );
        let expected = m.nearest(x, y).unwrap();
        assert_eq!(done.addr, "/done", "{done:?}");
        assert_eq!(
            done.args[1],
            OscType::Int(expected as i32),
            "({x}, {y}): {done:?}"
        );
        assert_eq!(
            done.args[4],
            OscType::String(m.points[expected].source.clone()),
            "{done:?}"
        );
        sent.push((before, expected));
        // The next point only once this segment (at most 14,400 frames)
        // has played out.
        assert!(crate::support::eventually(Duration::from_secs(30), || {
            engine_frame(&c, server.addr) > before + 24_000
        }));
    }
    // Bad points and unknown corpora are refused, naming why.
    let off = c.request(
        server.addr,
        "/corpus/field_recordings/xy",
        vec![OscType::Float(1.5), OscType::Float(0.0)],
    );
    assert_eq!(off.addr, "/fail");
    assert!(format!("{off:?}").contains("off the map"), "{off:?}");
    let unknown = c.request(
        server.addr,
        "/corpus/nothing/xy",
        vec![OscType::Float(0.5), OscType::Float(0.5)],
    );
    assert_eq!(unknown.addr, "/fail");
    assert!(
        format!("{unknown:?}").contains("no corpus 'nothing'")
            && format!("{unknown:?}").contains("field_recordings"),
        "{unknown:?}"
    );
    let news = sub.collect_until(Duration::from_secs(10), |all| {
        played(all).len() >= sweep.len()
    });
    let log = server.stop();
    let heard = played(&news);
    let expected: Vec<(i32, String)> = sent
        .iter()
        .map(|&(_, i)| (i as i32, m.points[i].source.clone()))
        .collect();
    assert_eq!(heard, expected, "{log}");
    // Each segment is in the recording just after the frame the engine
    // had reached when it was asked for (within a lookahead and a block).
    let left: Vec<f32> = read_wav(&wav).iter().step_by(2).copied().collect();
    for &(before, index) in &sent {
        let seg = segment(&corpus, &m, index);
        let from = before as usize;
        let (at, r) = best_match(&left, from, from + 8_192, &seg);
        assert!(
            r > 0.99,
            "segment {index} not found after frame {before}: best {r} at {at}\n{log}"
        );
    }
}
