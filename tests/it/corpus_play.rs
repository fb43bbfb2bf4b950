//! Playing a corpus map from a script (issue 13): `corpus("folder")` makes
//! its segments a sound, `c.at(x, y)` names the one nearest a map point and
//! a render plays exactly that segment; `near`, `walk` and `region` give
//! sound names of the map; a missing map is a script error naming it.

use std::f64::consts::TAU;
use std::path::Path;

use loam::corpus::features::{features, FeatureSettings};
use loam::corpus::map::{map, CorpusMap, MapSettings};
use loam::corpus::prepare::{prepare, PrepareSettings};
use loam::output::offline::render_samples;

use crate::support::{render, temp_dir};

pub fn write(path: &Path, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

/// A mapped corpus of eight sines and eight noise bursts in `dir/name`.
pub fn mapped_corpus(dir: &Path, name: &str) -> std::path::PathBuf {
    let input = temp_dir("play-in");
    let mut seed = 11u32;
    for k in 0..8 {
        let hz = 220.0 * 1.25f64.powi(k);
        let x: Vec<f32> = (0..14_400)
            .map(|i| (0.5 * (TAU * hz * i as f64 / 48_000.0).sin()) as f32)
            .collect();
        write(&input.join(format!("sine-{k}.wav")), &x);
        let y: Vec<f32> = (0..4_800)
            .map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((seed >> 8) as f32 / 16_777_216.0 - 0.5) * (-(i as f32) / 1200.0).exp()
            })
            .collect();
        write(&input.join(format!("burst-{k}.wav")), &y);
    }
    let out = dir.join(name);
    prepare(&input, &out, &PrepareSettings::default()).unwrap();
    features(&out, FeatureSettings::default()).unwrap();
    map(
        std::slice::from_ref(&out),
        &out,
        &MapSettings {
            size: Some((4, 4)),
            ..MapSettings::default()
        },
    )
    .unwrap();
    out
}

#[test]
fn at_plays_the_segment_nearest_the_point() {
    let dir = temp_dir("play");
    let corpus = mapped_corpus(&dir, "field-recordings");
    let m = CorpusMap::read(&corpus).unwrap();
    let script = dir.join("play.rhai");
    std::fs::write(
        &script,
        r#"
tempo(120);
let c = corpus("field-recordings");
if c.name() != "field_recordings" { throw "name " + c.name(); }
if c.len() != 16 { throw "len " + c.len(); }
let near = c.near(0.5, 0.5, 3);
if near.len() != 3 { throw "near"; }
let w = c.walk(0.2);
if !w.starts_with("field_recordings:") { throw "walk " + w; }
let noisy = c.region("noisy");
if noisy.len() == 0 { throw "region"; }
live_loop("a", c.at(0.0, 0.0) + " ~ ~ ~");
"#,
    )
    .unwrap();
    let audio = render(&script, 1, 256);
    // The segment nearest (0, 0), as written by prepare.
    let expected = m.nearest(0.0, 0.0).unwrap();
    let seg: Vec<f32> = hound::WavReader::open(corpus.join(&m.points[expected].file))
        .unwrap()
        .into_samples::<f32>()
        .map(|s| s.unwrap())
        .collect();
    let left: Vec<f32> = audio.iter().step_by(2).copied().collect();
    let n = seg.len().min(4_000);
    let dot: f64 = (0..n).map(|i| f64::from(left[i]) * f64::from(seg[i])).sum();
    let norm = |v: &[f32]| {
        v[..n]
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt()
    };
    let correlation = dot / (norm(&left) * norm(&seg)).max(1e-12);
    assert!(
        correlation > 0.99,
        "the render's first beat is not segment {expected}: correlation {correlation}"
    );
}

#[test]
fn a_folder_without_a_map_is_a_script_error_naming_it() {
    let dir = temp_dir("play-missing");
    std::fs::create_dir_all(dir.join("unmapped")).unwrap();
    let script = dir.join("play.rhai");
    std::fs::write(
        &script,
        "let c = corpus(\"unmapped\");\nlive_loop(\"a\", c.at(0.5, 0.5));\n",
    )
    .unwrap();
    let err = render_samples(&script, 1, 48_000, 256, |_| Ok(())).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("corpus") && text.contains("map.json"),
        "{text}"
    );
}
