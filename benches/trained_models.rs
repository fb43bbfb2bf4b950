//! Trained models: rhythm VAE training on 12 patterns and decoding, Markov
//! learning (10,000 events) and one step, GRU step.
//!
//! Targets (issue 5): VAE trains to a usable model in ≤ 10 s on one core;
//! decode ≤ 1 ms median; Markov learns 10,000 events ≤ 50 ms; one Markov
//! step ≤ 10 µs.

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use loam::data::{dataset_sequences, Dataset, DatasetPart, Event};
use loam::model::markov::MarkovModel;
use loam::model::rhythm_vae::{DecodeOptions, RhythmVae, VaeConfig};
use loam::model::rnn::{RnnConfig, RnnModel};
use loam::model::trained::{Rng, StepModel};

fn dataset(path: &str) -> Dataset {
    Dataset::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn vae(c: &mut Criterion) {
    let data = dataset("datasets/aksak/seven-2-2-3.pat");
    let mut group = c.benchmark_group("rhythm_vae");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("train_12_patterns", |b| {
        b.iter(|| {
            let m = RhythmVae::train(&data, &VaeConfig::default(), &mut |_| {}).unwrap();
            assert!(m.info.report.usable(), "{:?}", m.info.report);
            m
        })
    });
    group.finish();
    let model = RhythmVae::train(&data, &VaeConfig::default(), &mut |_| {}).unwrap();
    let opts = DecodeOptions::default();
    c.bench_function("rhythm_vae/decode_default_threads", |b| {
        let mut t = 0.0f32;
        b.iter(|| {
            t += 0.01;
            black_box(model.decode(&[t.sin() * 2.0, t.cos() * 2.0], &opts))
        })
    });
    // NOTE: a model worker runs inference on one intra-op thread; a decode
    // this small only loses time to thread hand-offs with more.
    tch::set_num_threads(1);
    c.bench_function("rhythm_vae/decode_planes", |b| {
        let mut t = 0.0f32;
        b.iter(|| {
            t += 0.01;
            black_box(model.decode_planes(&[t.sin() * 2.0, t.cos() * 2.0], &opts))
        })
    });
    c.bench_function("rhythm_vae/decode", |b| {
        let mut t = 0.0f32;
        b.iter(|| {
            t += 0.01;
            black_box(model.decode(&[t.sin() * 2.0, t.cos() * 2.0], &opts))
        })
    });
}

/// 10,000 drum events: the example datasets' bars, over and over.
fn ten_thousand_events() -> Vec<Event> {
    let data = dataset("datasets");
    let all: Vec<Event> = dataset_sequences(&data, DatasetPart::Drums)
        .into_iter()
        .flat_map(|(e, _)| e)
        .collect();
    all.iter().cycle().take(10_000).cloned().collect()
}

fn markov(c: &mut Criterion) {
    let events = ten_thousand_events();
    c.bench_function("markov/learn_10k_events_order_4", |b| {
        b.iter(|| {
            let mut m = MarkovModel::new(4);
            m.learn(black_box(&events), false);
            m
        })
    });
    let mut m = MarkovModel::new(4);
    m.learn(&events, false);
    let mut rng = Rng::new(1);
    c.bench_function("markov/step", |b| b.iter(|| black_box(m.step(&mut rng))));
}

fn rnn(c: &mut Criterion) {
    let data = dataset("datasets/aksak/seven-2-2-3.pat");
    let config = RnnConfig {
        steps: 50,
        ..RnnConfig::default()
    };
    let mut m = RnnModel::train(&data, &config, &mut |_| {}).unwrap();
    let mut rng = Rng::new(1);
    c.bench_function("rnn/step", |b| b.iter(|| black_box(m.step(&mut rng))));
}

criterion_group!(benches, vae, markov, rnn);
criterion_main!(benches);
