//! The audio callback's work: one 64-frame block at 48 kHz with 64 voices
//! sounding. Budget: 5% of the block period (1.333 ms) = 67 µs.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use loam::audio::{Engine, EngineConfig, SoundEvent};
use loam::sound::Sample;

fn long_sample(channels: usize) -> Arc<Sample> {
    let frames = 48_000 * 10;
    let data = (0..frames * channels)
        .map(|i| ((i as f32) * 0.001).sin() * 0.1)
        .collect();
    Arc::new(Sample {
        name: "drone".into(),
        channels,
        data,
        source: "bench".into(),
    })
}

fn engine_block(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    for (label, channels, rate) in [
        ("64 voices, mono, rate 1", 1, 1.0f32),
        ("64 voices, stereo, rate 1.37", 2, 1.37),
    ] {
        let config = EngineConfig::new(48_000);
        let (mut engine, mut handle) = Engine::new(&config);
        let sample = long_sample(channels);
        for i in 0..64 {
            let mut ev = SoundEvent::new(i, sample.clone());
            ev.rate = rate;
            ev.pan = (i as f32 / 32.0) - 1.0;
            handle.send(ev).unwrap();
        }
        let mut buf = vec![0.0f32; 128];
        engine.process(&mut buf);
        engine.process(&mut buf);
        assert_eq!(
            handle
                .status
                .active_voices
                .load(std::sync::atomic::Ordering::Relaxed),
            64
        );
        let mut next = 128u64;
        group.bench_function(label, |b| {
            b.iter(|| {
                engine.process(std::hint::black_box(&mut buf));
                next += 64;
                // Keep all 64 voices sounding: replace any that ended.
                let active = handle
                    .status
                    .active_voices
                    .load(std::sync::atomic::Ordering::Relaxed);
                for _ in active..64 {
                    let mut ev = SoundEvent::new(next, sample.clone());
                    ev.rate = rate;
                    let _ = handle.send(ev);
                }
            })
        });
        assert_eq!(
            handle
                .status
                .stolen_voices
                .load(std::sync::atomic::Ordering::Relaxed),
            0
        );
        handle.collect_garbage();
    }
    group.finish();
}

criterion_group!(benches, engine_block);
criterion_main!(benches);
