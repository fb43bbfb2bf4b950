//! Pitched voices and tunings: one 64-frame block at 48 kHz with 64
//! pitched voices sounding, per built-in voice (budget: 10 % of the block
//! period, 133 µs); and parsing a Scala file of 200 degrees (budget 1 ms).

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use loam_core::audio::{Engine, EngineConfig, SoundEvent};
use loam_core::sound::tone::{Timbre, Tone};
use loam_core::sound::Sample;

fn voice_name(t: Timbre) -> Arc<Sample> {
    Arc::new(Sample {
        name: t.name().into(),
        channels: 1,
        data: Vec::new(),
        source: "bench".into(),
        credit: loam_core::data::credit::Credit::NONE,
    })
}

/// A long held note of `timbre`, a little higher for each voice.
fn note(frame: u64, i: u64, timbre: Timbre, name: &Arc<Sample>) -> SoundEvent {
    let mut ev = SoundEvent::new(frame, name.clone());
    let mut tone = Tone::new(timbre, 110.0 * (i as f64 / 12.0).exp2());
    tone.sustain = 1.0;
    tone.decay = 30.0;
    ev.tone = Some(tone);
    ev.length = Some(48_000 * 600);
    ev.gain = 0.02;
    ev.pan = (i as f32 / 32.0) - 1.0;
    ev
}

fn pitched_block(c: &mut Criterion) {
    let mut group = c.benchmark_group("pitched voices");
    for timbre in [Timbre::Saw, Timbre::Pulse, Timbre::Pluck, Timbre::Fm] {
        let config = EngineConfig::new(48_000);
        let (mut engine, mut handle) = Engine::new(&config);
        let name = voice_name(timbre);
        for i in 0..64 {
            handle.send(note(i, i, timbre, &name)).unwrap();
        }
        let mut buf = vec![0.0f32; 128];
        engine.process(&mut buf);
        engine.process(&mut buf);
        let active = || {
            handle
                .status
                .active_voices
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        assert_eq!(active(), 64);
        group.bench_function(format!("64 {} voices, 64 frames", timbre.name()), |b| {
            b.iter(|| engine.process(std::hint::black_box(&mut buf)))
        });
        assert_eq!(active(), 64, "every voice still sounding");
        handle.collect_garbage();
    }
    group.finish();
}

fn scala_parse(c: &mut Criterion) {
    let mut text = String::from("! bench.scl\n!\n200 degrees: half cents and ratios\n 200\n!\n");
    for k in 1..200 {
        if k % 2 == 0 {
            text.push_str(&format!(" {}.{:03}\n", k * 6, k % 1000));
        } else {
            text.push_str(&format!(" {}/{}\n", 1000 + k * 5, 1000));
        }
    }
    text.push_str(" 2/1\n");
    c.bench_function("parse a 200-degree .scl", |b| {
        b.iter(|| {
            let t = loam_core::pitch::parse_scl(std::hint::black_box(&text), "bench.scl").unwrap();
            assert_eq!(t.size(), 200);
            t
        })
    });
}

criterion_group!(benches, pitched_block, scala_parse);
criterion_main!(benches);
