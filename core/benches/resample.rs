//! Sample-rate conversion, off the audio thread: one second of stereo
//! converted whole at load time (a WAV at 44.1 kHz for a 48 kHz engine) and
//! streamed in 512-frame buffers, as a model worker converts a stream
//! between the engine's rate and a model's (both directions).

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use loam_core::sound::{resample, StreamResampler};

/// `frames` of interleaved stereo: two sines, not a multiple of the buffer.
fn stereo(frames: usize, rate: f64) -> Vec<f32> {
    (0..frames)
        .flat_map(|i| {
            let t = i as f64 / rate;
            [
                (std::f64::consts::TAU * 440.0 * t).sin() as f32 * 0.5,
                (std::f64::consts::TAU * 3_000.0 * t).sin() as f32 * 0.25,
            ]
        })
        .collect()
}

fn convert(c: &mut Criterion) {
    let mut group = c.benchmark_group("resample");
    group.sample_size(20);
    let wav = stereo(44_100, 44_100.0);
    group.bench_function("1 s stereo, 44.1 -> 48 kHz, whole (load time)", |b| {
        b.iter(|| resample(black_box(&wav), 2, 44_100, 48_000))
    });
    for (from, to) in [(48_000u32, 44_100u32), (44_100, 48_000)] {
        let input = stereo(from as usize, f64::from(from));
        let name = format!("1 s stereo, {from} -> {to} Hz, streamed in 512-frame buffers");
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut r = StreamResampler::new(2, from, to);
                let mut out = Vec::with_capacity(2 * to as usize + 64);
                for chunk in input.chunks(512 * 2) {
                    r.process(black_box(chunk), &mut out);
                }
                out.len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, convert);
criterion_main!(benches);
