//! Audio corpora (issue 13), off the audio thread: features of ten minutes
//! of 48 kHz audio (≤ 5 s on one core), preparing ten minutes of 44.1 kHz
//! recordings (≤ 10 s), training a 10 × 10 map over 2,000 segments (≤ 2 s),
//! and the nearest segment to a point of a 2,000-segment map (≤ 20 µs).

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use loam_core::corpus::features::{column_names, Analyser, FeatureSettings};
use loam_core::corpus::map::{CorpusMap, Legend, MapPoint};
use loam_core::corpus::prepare::{prepare, PrepareSettings};
use loam_core::corpus::som::Som;

/// `seconds` of a tone with noise and a pause every two seconds.
fn recording(seconds: usize, rate: u32) -> Vec<f32> {
    let mut seed = 1u32;
    (0..seconds * rate as usize)
        .map(|i| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let t = i as f32 / rate as f32;
            if t % 2.0 > 1.6 {
                return 0.0;
            }
            0.4 * (std::f32::consts::TAU * 330.0 * t).sin()
                + 0.05 * ((seed >> 8) as f32 / 16_777_216.0 - 0.5)
        })
        .collect()
}

/// Seeded numbers in 0..1.
fn numbers(n: usize) -> Vec<f64> {
    let mut s = 9u64;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

fn corpus(c: &mut Criterion) {
    let mut group = c.benchmark_group("corpus");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));

    let ten_minutes = recording(600, 48_000);
    let mut analyser = Analyser::new(FeatureSettings::default());
    group.bench_function("features of 10 min at 48 kHz", |b| {
        b.iter(|| analyser.measure(black_box(&ten_minutes), 48_000))
    });

    let input = std::env::temp_dir().join(format!("loam-bench-corpus-{}", std::process::id()));
    let output = input.with_extension("out");
    std::fs::create_dir_all(&input).unwrap();
    let minute = recording(60, 44_100);
    for k in 0..10 {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 44_100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(input.join(format!("take-{k}.wav")), spec).unwrap();
        for &x in &minute {
            w.write_sample((x * 32_767.0) as i16).unwrap();
        }
        w.finalize().unwrap();
    }
    group.bench_function("prepare 10 min of 44.1 kHz 16-bit", |b| {
        b.iter(|| prepare(&input, &output, &PrepareSettings::default()).unwrap())
    });
    let _ = std::fs::remove_dir_all(&input);
    let _ = std::fs::remove_dir_all(&output);

    let dims = column_names().len();
    let samples = numbers(2_000 * dims);
    group.bench_function("10x10 map over 2,000 segments", |b| {
        b.iter(|| Som::train(black_box(&samples), dims, 10, 10, 1))
    });
    group.finish();

    let xy = numbers(4_000);
    let map = CorpusMap {
        datasets: vec!["bench".into()],
        width: 10,
        height: 10,
        seed: 1,
        features: column_names(),
        legend: Legend {
            feature: "centroid (Hz)".into(),
            min: 0.0,
            max: 1.0,
        },
        points: (0..2_000)
            .map(|i| MapPoint {
                dataset: 0,
                file: format!("s{i}.wav"),
                source: String::new(),
                cell: (0, 0),
                x: xy[2 * i],
                y: xy[2 * i + 1],
            })
            .collect(),
        regions: Vec::new(),
        u_matrix: Vec::new(),
    };
    let mut k = 0usize;
    c.bench_function("corpus/nearest of 2,000 segments to a point", |b| {
        b.iter(|| {
            k = (k + 1) % 1000;
            map.nearest(black_box(xy[2 * k]), black_box(xy[2 * k + 1]))
        })
    });
}

criterion_group!(benches, corpus);
criterion_main!(benches);
