//! Offline rendering of the demo: how much faster than real time.
//! Target: ≥ 100× (16 bars of the demo ≈ 24.3 s of audio).

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use loam::output::offline::render_samples;

fn render_demo(c: &mut Criterion) {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo.rhai");
    let mut frames = 0u64;
    let mut group = c.benchmark_group("render");
    group.sample_size(20);
    group.bench_function("demo, 16 bars, 48 kHz, 256-frame blocks", |b| {
        b.iter(|| {
            let r = render_samples(&demo, 16, 48_000, 256, |s| {
                std::hint::black_box(s);
                Ok(())
            })
            .unwrap();
            assert_eq!(r.late_events, 0);
            frames = r.frames;
        })
    });
    group.finish();
    eprintln!(
        "render: 16 bars of the demo = {:.2} s of audio (divide by the median for the real-time factor)",
        frames as f64 / 48_000.0
    );
}

criterion_group!(benches, render_demo);
criterion_main!(benches);
