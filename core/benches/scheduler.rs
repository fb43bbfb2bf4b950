//! Scheduling throughput: planning bars of dense loops into frame-stamped
//! events and queueing them for the engine, as the live scheduler does.
//! Target: at least 100,000 events a second, with no late event.

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loam_core::audio::{Engine, EngineConfig};
use loam_core::pattern::Pattern;
use loam_core::schedule::{Change, LoopDef, Planner, Scheduler};
use loam_core::sound::SoundBank;
use loam_core::time::{Metre, Tempo};

fn dense_scheduler() -> Scheduler {
    let mut planner = Planner::new(48_000, SoundBank::with_drum_kit(48_000));
    planner.apply(Change::Metre {
        metre: Metre::parse("2+2+3/8").unwrap(),
        now: false,
    });
    planner.apply(Change::Tempo {
        tempo: Tempo::bpm(137.37).unwrap(),
        now: false,
    });
    // 16 loops: 16 × 64 = 1024 events a bar, with metre groups, euclid and chance.
    for i in 0..16 {
        let src = match i % 4 {
            0 => "hat*16 | hat*16 | hat*32",
            1 => "[kick snare]*32",
            2 => "rim(5,8)*8 shaker*24 | bell*16",
            _ => "<clap tom>*64",
        };
        let def = LoopDef::new(&format!("l{i}"), src, Pattern::parse(src).unwrap());
        planner.apply(Change::Loop(def));
    }
    Scheduler::new(planner)
}

fn schedule(c: &mut Criterion) {
    let mut group = c.benchmark_group("scheduler");
    // Count the events one bar gives.
    let mut probe = dense_scheduler();
    let per_bar = probe.planner_mut().plan_next_bar().len() as u64;
    group.throughput(Throughput::Elements(per_bar * 8));
    group.bench_function("plan and queue 8 bars of 16 dense loops", |b| {
        b.iter_batched(
            || {
                let mut config = EngineConfig::new(48_000);
                config.event_capacity = 1 << 15;
                let (engine, handle) = Engine::new(&config);
                (dense_scheduler(), engine, handle)
            },
            |(mut s, engine, mut handle)| {
                let until = s.planner().timeline().frame_at(loam_core::time::q(8, 1));
                s.fill(&mut handle, until, None);
                (s, engine, handle)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// The loops of `benches/script.rs`'s "parameter patterns" (issue 15),
/// built without rhai so the planning they time can be measured in a
/// release build of the core alone: 16 loops in 2+2+3/8, each with
/// `.gain("1 0.5 <0.8 0.6> 0.5").pan("<-0.5 0.5> [0 0.25]")
/// .rate(sine.slow(8).range(0.9, 1.1)).sometimes(|p| p.ply(2))`.
fn parameter_planner() -> Planner {
    use loam_core::pattern::signal::{Shape, Signal};
    use loam_core::pattern::transform::{Control, Values};
    use loam_core::pattern::{values, Transform};
    use loam_core::time::q;
    const PATTERNS: [&str; 4] = [
        "kick ~ | snare ~ | kick ~ kick",
        "hat*2 | hat*2 | hat*3",
        "rim(3,8) | ~ | bell ~ ~",
        "<clap ~> ~ | ~ | tom hightom lowtom",
    ];
    let mut planner = Planner::new(48_000, SoundBank::with_drum_kit(48_000));
    planner.apply(Change::Metre {
        metre: Metre::parse("2+2+3/8").unwrap(),
        now: false,
    });
    planner.apply(Change::Tempo {
        tempo: Tempo::bpm(137.0).unwrap(),
        now: false,
    });
    planner.apply(Change::Seed(3));
    for i in 0..16 {
        let src = PATTERNS[i % 4];
        let mut def = LoopDef::new(&format!("p{i}"), src, Pattern::parse(src).unwrap());
        def.transforms = vec![
            Transform::Set {
                control: Control::Gain,
                values: Values::Pattern(
                    Pattern::parse_values("1 0.5 <0.8 0.6> 0.5", values::GAIN).unwrap(),
                ),
            },
            Transform::Set {
                control: Control::Pan,
                values: Values::Pattern(
                    Pattern::parse_values("<-0.5 0.5> [0 0.25]", values::PAN).unwrap(),
                ),
            },
            Transform::Set {
                control: Control::Rate,
                values: Values::Signal(Signal::new(Shape::Sine).slow(q(8, 1)).range(0.9, 1.1)),
            },
            Transform::SomeBy {
                probability: 0.5,
                transforms: vec![Transform::Ply(q(2, 1))],
            },
        ];
        planner.apply(Change::Loop(def));
    }
    planner
}

fn parameter_patterns(c: &mut Criterion) {
    let mut group = c.benchmark_group("parameter patterns");
    let mut planner = parameter_planner();
    group.bench_function(
        "plan one bar of 16 loops with two parameter patterns each",
        |b| {
            b.iter(|| {
                let events = planner.plan_next_bar();
                assert!(!events.is_empty());
            })
        },
    );
    group.finish();
}

/// Issue 15: "a signal evaluated for a latent at 100 Hz costs < 1 % of a
/// core". One second of a latent's control at 100 Hz: 100 readings of
/// `perlin.slow(16).range(-2, 2)` (the dearest shape) at the times the
/// control thread reads them (every 10 ms at 120 BPM in 4/4, as exact
/// rationals). Under 10 ms per iteration is under 1 % of a core.
fn signal_for_a_latent(c: &mut Criterion) {
    use loam_core::pattern::signal::{Shape, Signal};
    use loam_core::time::q;
    let signal = Signal::new(Shape::Perlin).slow(q(16, 1)).range(-2.0, 2.0);
    let mut group = c.benchmark_group("signals");
    group.bench_function("one second of a latent read at 100 Hz (perlin)", |b| {
        let mut second = 0i128;
        b.iter(|| {
            let mut sum = 0.0;
            for k in 0..100i128 {
                // 10 ms is 1/200 of a 2-second bar.
                let t = q(second * 100 + k, 200);
                sum += signal.finite_at(t, 7).unwrap_or(0.0);
            }
            second += 1;
            std::hint::black_box(sum)
        })
    });
    group.finish();
}

criterion_group!(benches, schedule, parameter_patterns, signal_for_a_latent);
criterion_main!(benches);
