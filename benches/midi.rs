//! MIDI hot paths, off the audio thread but on every message or pulse:
//!
//! - one controller message read and routed (parse, learned bindings,
//!   named controls, script event) into the control thread's queue;
//! - a followed clock's pulse taken into the tempo fit;
//! - one bar of 7/8 clock pulses computed from the timeline (84 pulses);
//! - placing a message at its frame inside a JACK cycle (what loam's JACK
//!   output callback does per message; `jack` feature).
//!
//! The timing figures the issue asks for (clock jitter, phase when
//! following, controller to sound) need a running JACK server and are
//! measured by `tests/midi_clock.rs` and `tests/midi_controls.rs`.

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use loam::control::midi::clock_in::ClockFollower;
use loam::control::midi::clock_out::ClockOut;
use loam::midi::router::{Bindings, Router, SharedBindings};
use loam::midi::{MidiCounters, MidiMessage};
use loam::time::{Metre, Rational, Tempo, Timeline};

fn midi(c: &mut Criterion) {
    let mut group = c.benchmark_group("midi");
    let (tx, rx) = crossbeam_channel::bounded(1 << 16);
    let mut router = Router::new(
        SharedBindings::new(Bindings::default()),
        tx,
        std::time::Duration::from_millis(50),
        Arc::new(MidiCounters::default()),
    );
    let mut t = 0u64;
    group.bench_function("a CC read and routed to the control thread", |b| {
        b.iter(|| {
            t += 1_000_000;
            router.on_port_message(
                loam::time::Nanos(t),
                black_box(&[0xB0, 74, (t % 128) as u8]),
            );
            for c in rx.try_iter() {
                drop(c);
            }
        })
    });

    let mut follower = ClockFollower::new();
    follower.on_message(MidiMessage::Start, loam::time::Nanos(0));
    let per_pulse = 60e9 / 137.0 / 24.0;
    let mut k = 0u64;
    group.bench_function("an external clock pulse taken into the tempo fit", |b| {
        b.iter(|| {
            k += 1;
            follower.on_message(
                MidiMessage::Clock,
                loam::time::Nanos((k as f64 * per_pulse) as u64),
            );
            black_box(follower.line())
        })
    });

    let tl = Timeline::new(
        48_000,
        Metre::parse("7/8").unwrap(),
        Tempo::bpm(700.0).unwrap(),
    );
    group.bench_function("one bar of 7/8 clock (84 pulses) from the timeline", |b| {
        b.iter_batched(
            || ClockOut::new(true),
            |mut clock| {
                let mut n = 0;
                let end = tl.frame_at(Rational::from_integer(1));
                clock.generate(&tl, 0, end, &mut |f, _| n += f);
                black_box(n)
            },
            criterion::BatchSize::SmallInput,
        )
    });

    #[cfg(feature = "jack")]
    {
        use loam::midi::jack_port::Cycle;
        let cycle = Cycle {
            start: 1_000_000_000,
            next: 1_005_333_333,
            frames: 256,
        };
        let mut t = 0i64;
        group.bench_function("a message placed on its frame in a JACK cycle", |b| {
            b.iter(|| {
                t = (t + 7_919) % 5_333_333;
                black_box(cycle.offset_of(black_box(cycle.start + t)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, midi);
criterion_main!(benches);
