//! The per-step Link query (`link` feature): what the control thread does
//! every step (at most every 2 ms) while in a Link session: copy Link's
//! session state, measure the clock offset, and read the beat at a bar
//! line, the time of its target beat, and the phase now. It must cost a
//! small fraction of 2 ms.
//!
//! Link is not enabled here, so the bench sends nothing on the network;
//! the query's work (a copy under Link's lock and the timeline arithmetic)
//! is the same in or out of a session.

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use loam::control::link::clock::LinkClock;
use loam::control::link::grid::target_beat;
use loam::time::wallclock;

fn link(c: &mut Criterion) {
    let mut group = c.benchmark_group("link");
    let mut clock = LinkClock::new(138.0);
    group.bench_function(
        "one step's Link query (look, beat, target time, phase)",
        |b| {
            b.iter(|| {
                clock.look();
                let now = wallclock::now_nanos().get() as f64;
                let beat = clock.beat_at(now + 1e8, 3.5);
                let target = target_beat(beat, 7, 3.5, 1);
                let at = clock.nanos_of_beat(target, 3.5);
                black_box((at, clock.phase_at(now, 3.5), clock.tempo()))
            })
        },
    );
    group.finish();
}

criterion_group!(benches, link);
criterion_main!(benches);
