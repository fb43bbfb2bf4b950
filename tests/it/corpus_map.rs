//! `loam dataset features` and `loam dataset map` (issue 13): features land
//! in a CSV with units and are recomputed only for changed files; a map
//! trained on sines and noise bursts separates the two families, its
//! neighbours are more alike than random pairs, its regions are described by
//! how they sound, two corpora share one map without being merged, and the
//! same seed gives the same map.

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};
use std::process::Command;

use loam::corpus::features::{features, FeatureSettings, FeatureTable};
use loam::corpus::map::{map, standardise, CorpusMap, MapSettings};
use loam::corpus::prepare::{prepare, PrepareSettings};

use crate::support::{temp_dir, LOAM};

fn write(path: &Path, samples: &[f32]) {
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

/// Twelve steady sines from 200 Hz up, 0.4 s each, in their own files.
fn sines(dir: &Path) {
    for k in 0..12 {
        let hz = 200.0 * 1.2f64.powi(k);
        let x: Vec<f32> = (0..19_200)
            .map(|i| (0.5 * (TAU * hz * i as f64 / 48_000.0).sin()) as f32)
            .collect();
        write(&dir.join(format!("sine-{k:02}.wav")), &x);
    }
}

/// Twelve decaying white-noise bursts of 0.1 s.
fn bursts(dir: &Path) {
    let mut seed = 5u32;
    for k in 0..12 {
        let x: Vec<f32> = (0..4_800)
            .map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let u = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                u * (-(i as f32) / 1200.0).exp()
            })
            .collect();
        write(&dir.join(format!("burst-{k:02}.wav")), &x);
    }
}

/// Prepares `make`'s files and measures their features; the corpus folder.
fn corpus(tag: &str, make: &[fn(&Path)]) -> PathBuf {
    let input = temp_dir(&format!("{tag}-in"));
    for m in make {
        m(&input);
    }
    let out = temp_dir(&format!("{tag}-corpus"));
    prepare(&input, &out, &PrepareSettings::default()).unwrap();
    features(&out, FeatureSettings::default()).unwrap();
    out
}

fn is_sine(source: &str) -> bool {
    source.starts_with("sine")
}

#[test]
fn features_are_a_csv_with_units_and_only_changed_files_are_measured_again() {
    let input = temp_dir("feat-in");
    sines(&input);
    let dir = temp_dir("feat-corpus");
    prepare(&input, &dir, &PrepareSettings::default()).unwrap();
    let first = features(&dir, FeatureSettings::default()).unwrap();
    assert_eq!((first.measured, first.reused), (12, 0));
    let csv = std::fs::read_to_string(dir.join("features.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for column in [
        "file",
        "source",
        "duration (s)",
        "centroid (Hz)",
        "flatness (dB)",
        "crest (dB)",
        "rolloff95 (Hz)",
        "centroid mean (Hz)",
        "kurtosis std (1)",
        "loudness (LUFS)",
        "pitch (Hz)",
        "onset rate (1/s)",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "{column} missing from {header}"
        );
    }
    assert_eq!(csv.lines().count(), 13);
    // End to end, the centroid and the pitch of each sine are its frequency.
    for row in &first.table.rows {
        let k: i32 = row.source[5..7].parse().unwrap();
        let hz = 200.0 * 1.2f64.powi(k);
        let f = &row.features;
        assert!(
            (f.shape.centroid_hz - hz).abs() / hz < 0.01,
            "{}: {}",
            row.source,
            f.shape.centroid_hz
        );
        assert!(
            (f.pitch_hz - hz).abs() / hz < 0.01,
            "{}: {}",
            row.source,
            f.pitch_hz
        );
    }

    let again = features(&dir, FeatureSettings::default()).unwrap();
    assert_eq!((again.measured, again.reused), (0, 12));
    assert_eq!(
        std::fs::read_to_string(dir.join("features.csv")).unwrap(),
        csv
    );

    // Change one segment: only it is measured again.
    let changed = dir.join(&first.table.rows[3].file);
    write(&changed, &vec![0.25; 9_600]);
    let third = features(&dir, FeatureSettings::default()).unwrap();
    assert_eq!((third.measured, third.reused), (1, 11));
    // New settings measure everything.
    let wider = FeatureSettings {
        window: 4096,
        fft: 4096,
        hop: 1024,
        ..FeatureSettings::default()
    };
    assert_eq!(features(&dir, wider).unwrap().measured, 12);
}

#[test]
fn sines_and_noise_bursts_fall_in_separate_regions_and_neighbours_are_alike() {
    let dir = corpus("map-mixed", &[sines, bursts]);
    let m = map(
        std::slice::from_ref(&dir),
        &dir,
        &MapSettings {
            size: Some((6, 6)),
            ..MapSettings::default()
        },
    )
    .unwrap();
    assert_eq!(m.points.len(), 24);
    // No cell holds both a sine and a burst.
    for p in &m.points {
        for q in &m.points {
            if p.cell == q.cell {
                assert_eq!(
                    is_sine(&p.source),
                    is_sine(&q.source),
                    "{p:?} and {q:?} share a cell"
                );
            }
        }
    }
    // Every segment's nearest neighbour on the map is of its own family.
    for (i, p) in m.points.iter().enumerate() {
        let nearest = (0..m.points.len())
            .filter(|&j| j != i)
            .min_by(|&a, &b| {
                let d = |j: usize| (m.points[j].x - p.x).powi(2) + (m.points[j].y - p.y).powi(2);
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        assert_eq!(
            is_sine(&p.source),
            is_sine(&m.points[nearest].source),
            "{p:?}"
        );
    }
    // Neighbours on the map are measurably more alike in their (standardised)
    // features than random pairs: under half the mean distance.
    let table = FeatureTable::read(&dir).unwrap();
    let dims = loam::corpus::features::column_names().len();
    let mut rows: Vec<f64> = table
        .rows
        .iter()
        .flat_map(|r| r.features.vector())
        .collect();
    standardise(&mut rows, dims);
    let dist = |a: usize, b: usize| -> f64 {
        (0..dims)
            .map(|d| (rows[a * dims + d] - rows[b * dims + d]).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let index = |file: &str| table.rows.iter().position(|r| r.file == file).unwrap();
    let mut neighbour = 0.0;
    for (i, p) in m.points.iter().enumerate() {
        let j = (0..m.points.len())
            .filter(|&j| j != i)
            .min_by(|&a, &b| {
                let d = |j: usize| (m.points[j].x - p.x).powi(2) + (m.points[j].y - p.y).powi(2);
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        neighbour += dist(index(&p.file), index(&m.points[j].file));
    }
    neighbour /= m.points.len() as f64;
    let mut random = 0.0;
    let mut count = 0.0;
    for a in 0..24 {
        for b in (a + 1)..24 {
            random += dist(a, b);
            count += 1.0;
        }
    }
    random /= count;
    assert!(
        neighbour < 0.5 * random,
        "neighbours {neighbour:.2} vs random pairs {random:.2}"
    );

    // The regions say how they sound: a region of bursts alone is noisy
    // and short, one of sines alone tonal and long; none is both.
    let families = |r: &loam::corpus::map::Region| -> (usize, usize) {
        let inside: Vec<_> = m
            .points
            .iter()
            .filter(|p| {
                p.x >= r.bounds[0] && p.x < r.bounds[1] && p.y >= r.bounds[2] && p.y < r.bounds[3]
            })
            .collect();
        (
            inside.iter().filter(|p| is_sine(&p.source)).count(),
            inside.iter().filter(|p| !is_sine(&p.source)).count(),
        )
    };
    let noise = m
        .regions
        .iter()
        .find(|r| families(r).0 == 0)
        .expect("a region of bursts alone");
    let tones = m
        .regions
        .iter()
        .find(|r| families(r).1 == 0)
        .expect("a region of sines alone");
    assert!(
        noise.description.contains("noisy") && noise.description.contains("short"),
        "{noise:?}"
    );
    assert!(
        tones.description.contains("tonal") && tones.description.contains("long"),
        "{tones:?}"
    );
    assert!(m
        .regions
        .iter()
        .all(|r| !(r.description.contains("noisy") && r.description.contains("tonal"))));
    let found = m.region("noisy short").unwrap();
    assert!(found.description.contains("noisy") && found.description.contains("short"));
    assert!(m.region("genre").is_none());
    // The picture is a PNG with the map's cells and a legend strip.
    let png = std::fs::read(dir.join("map.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (240, 270));
    assert_eq!(m.legend.feature, "centroid (Hz)");
}

#[test]
fn the_nearest_segment_is_the_one_at_a_point() {
    let dir = corpus("map-nearest", &[sines, bursts]);
    let m = map(std::slice::from_ref(&dir), &dir, &MapSettings::default()).unwrap();
    for (i, p) in m.points.iter().enumerate() {
        let found = m.nearest(p.x, p.y).unwrap();
        let q = &m.points[found];
        assert!(found == i || (q.x == p.x && q.y == p.y), "{i} -> {found}");
    }
    // map.json holds what was returned (positions to JSON's precision).
    let read = CorpusMap::read(&dir).unwrap();
    assert_eq!(read.points.len(), m.points.len());
    for (a, b) in read.points.iter().zip(&m.points) {
        assert_eq!((&a.file, a.cell), (&b.file, b.cell));
        assert!((a.x - b.x).abs() < 1e-12 && (a.y - b.y).abs() < 1e-12);
    }
    assert_eq!(read.regions.len(), m.regions.len());
}

#[test]
fn two_corpora_share_one_map_without_merging() {
    let a = corpus("map-a", &[sines]);
    let b = corpus("map-b", &[bursts]);
    let files_of = |d: &Path| std::fs::read_dir(d.join("segments")).unwrap().count();
    let out = temp_dir("map-ab");
    let m = map(
        &[a.clone(), b.clone()],
        &out,
        &MapSettings {
            size: Some((5, 5)),
            ..MapSettings::default()
        },
    )
    .unwrap();
    assert_eq!(m.datasets.len(), 2);
    assert_eq!(m.points.iter().filter(|p| p.dataset == 0).count(), 12);
    assert_eq!(m.points.iter().filter(|p| p.dataset == 1).count(), 12);
    assert!(m
        .points
        .iter()
        .all(|p| (p.dataset == 0) == is_sine(&p.source)));
    // Each corpus keeps only its own segments.
    assert_eq!((files_of(&a), files_of(&b)), (12, 12));
    assert!(m.regions.iter().all(|r| r.segments.len() == 2));

    // The same seed gives the same bytes; another seed another map.
    let again = temp_dir("map-ab2");
    map(
        &[a.clone(), b.clone()],
        &again,
        &MapSettings {
            size: Some((5, 5)),
            ..MapSettings::default()
        },
    )
    .unwrap();
    for f in ["map.json", "map.png"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap().len(),
            std::fs::read(again.join(f)).unwrap().len()
        );
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn the_command_line_measures_and_maps() {
    let input = temp_dir("cli-map-in");
    sines(&input);
    bursts(&input);
    let dir = temp_dir("cli-map").join("corpus");
    let ok = |args: &[&str], dir: &Path| {
        let out = Command::new(LOAM)
            .arg("dataset")
            .args(args)
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = Command::new(LOAM)
        .args(["dataset", "prepare"])
        .arg(&input)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let said = ok(&["features", "--hop", "256"], &dir);
    assert!(
        said.contains("features of 24 segments (24 measured, 0 unchanged)"),
        "{said}"
    );
    let said = ok(
        &[
            "map", "--size", "4x4", "--colour", "flatness", "--seed", "3",
        ],
        &dir,
    );
    assert!(said.contains("24 segments on a 4×4 map"), "{said}");
    assert!(said.contains("noisy"), "{said}");
    let m = CorpusMap::read(&dir).unwrap();
    assert_eq!((m.width, m.height, m.seed), (4, 4, 3));
    assert_eq!(m.legend.feature, "flatness (dB)");

    let bad = Command::new(LOAM)
        .args(["dataset", "map"])
        .arg(&dir)
        .args(["--colour", "genre"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no feature `genre`"));
    let bad = Command::new(LOAM)
        .args(["dataset", "features"])
        .arg(&dir)
        .args(["--fft", "512"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
