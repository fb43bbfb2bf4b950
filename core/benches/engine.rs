//! The audio callback's work: one 64-frame block at 48 kHz with 64 voices
//! sounding. Budget: 5% of the block period (1.333 ms) = 67 µs. And one
//! 256-frame block into which 1,000 direct (OSC/MIDI) events land at once.

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use loam_core::audio::{Engine, EngineConfig, SoundEvent};
use loam_core::data::credit::{Credit, PatternCredits, MAX_PATTERN_CREDITS};
use loam_core::sound::Sample;

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
        credit: Credit::NONE,
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

/// A short click, so the 64 voices are stolen and freed as events land;
/// credited to `credit` (a source the credits of a recording would name).
fn click(credit: Credit) -> Arc<Sample> {
    let mut data = vec![0.0f32; 64];
    data[0] = 0.5;
    Arc::new(Sample {
        name: "click".into(),
        channels: 1,
        data,
        source: "bench".into(),
        credit,
    })
}

/// Direct events that land in one block.
const DIRECT_BURST: u64 = 1_000;
/// Frames in that block.
const BURST_BLOCK: u64 = 256;

/// One `process` call for a 256-frame block that 1,000 direct events are
/// waiting for: a burst of `/play` with no time (every event stamped for the
/// block's first frame, as the control side stamps them), and 1,000 timed
/// events spread over the block arriving out of order (bundles from several
/// clients). Only the `process` call is timed; queueing the events and
/// freeing what the engine returns happen between timings.
///
/// The same burst with credits to mark, for issue 12's "credits tracking
/// adds nothing measurable": each sample credited to a source and each
/// event carrying the most pattern credits a loop can ([`MAX_PATTERN_CREDITS`]
/// trained models), against the uncredited burst (which marks nothing).
/// "credited" is one loop's events (every event the same credits, as a
/// loop's are). "two alternating sounds, credited" is the worst case: two
/// sounds of two sources, each with its own eight pattern credits, taking
/// turns, so every start's credits differ from the one before and all nine
/// marks are made each time; its baseline is the same two sounds uncredited.
fn direct_burst(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    let mut credits = [PatternCredits::default(); 2];
    for bit in 1..=MAX_PATTERN_CREDITS {
        credits[0].add(Credit::from_bit(bit));
        credits[1].add(Credit::from_bit(MAX_PATTERN_CREDITS + 1 + bit));
    }
    // (label, timed, alternating, credited)
    for (label, timed, alternating, credited) in [
        ("block with 1000 direct events", false, false, false),
        (
            "block with 1000 direct events, timed, out of order",
            true,
            false,
            false,
        ),
        (
            "block with 1000 direct events, credited",
            false,
            false,
            true,
        ),
        (
            "block with 1000 direct events, two alternating sounds",
            false,
            true,
            false,
        ),
        (
            "block with 1000 direct events, two alternating sounds, credited",
            false,
            true,
            true,
        ),
    ] {
        // Sample credits 0 and MAX_PATTERN_CREDITS + 1, one per source.
        let sounds: Vec<Arc<Sample>> = (0..2)
            .map(|k| {
                click(if credited {
                    Credit::from_bit(k * (MAX_PATTERN_CREDITS + 1))
                } else {
                    Credit::NONE
                })
            })
            .collect();
        let (mut engine, mut handle) = Engine::new(&EngineConfig::new(48_000));
        let mut buf = vec![0.0f32; 2 * BURST_BLOCK as usize];
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let start = engine.frame();
                    for i in 0..DIRECT_BURST {
                        // Sound 1 only when alternating, every other event.
                        let which = if alternating { (i % 2) as usize } else { 0 };
                        let sound = sounds[which].clone();
                        let mut ev = if timed {
                            // A fixed shuffle of the block's frames (7919 is prime).
                            let k = (i * 7919) % DIRECT_BURST;
                            SoundEvent::new(start + k * BURST_BLOCK / DIRECT_BURST, sound)
                        } else {
                            SoundEvent::new(start, sound)
                        };
                        ev.immediate = !timed;
                        if credited {
                            ev.pattern_credits = credits[which];
                        }
                        handle.send_direct(ev).unwrap();
                    }
                    let t = Instant::now();
                    engine.process(std::hint::black_box(&mut buf));
                    spent += t.elapsed();
                    handle.collect_garbage();
                }
                spent
            })
        });
        // Every event was taken in its block: none waits, none overflowed.
        let st = &handle.status;
        assert_eq!(st.queue_full.load(std::sync::atomic::Ordering::Relaxed), 0);
        assert_eq!(st.late_events.load(std::sync::atomic::Ordering::Relaxed), 0);
        // The credited bursts marked their sources (9 per source); the
        // uncredited ones marked none. (A case the filter left out ran no
        // block and marked nothing.)
        let ran = engine.frame() > 0;
        let sources = if alternating { 2 } else { 1 };
        let marked = if credited && ran { 9 * sources } else { 0 };
        assert_eq!(st.sounded.sounded().len(), marked);
    }
    group.finish();
}

criterion_group!(benches, engine_block, direct_burst);
criterion_main!(benches);
