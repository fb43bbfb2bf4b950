//! Script speed: compiling (and running the top level of) a 200-line script,
//! evaluating one bar of 16 function loops, and how long a runaway loop
//! takes to be cut off. Targets: < 5 ms and < 1 ms medians.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use loam::schedule::{BarHook, Planner, Scheduler};
use loam::script::Script;
use loam::sound::SoundBank;

/// A 200-line script: 16 loops, half of them functions of the bar, helpers, a bar() plan.
fn long_script() -> String {
    let mut s = String::from("metre(\"2+2+3/8\");\ntempo(137);\nseed(3);\n");
    let pats = [
        "kick ~ | snare ~ | kick ~ kick",
        "hat*2 | hat*2 | hat*3",
        "rim(3,8) | ~ | bell ~ ~",
        "<clap ~> ~ | ~ | tom hightom lowtom",
    ];
    for i in 0..16 {
        if i % 2 == 0 {
            s.push_str(&format!(
                "live_loop(\"l{i}\", \"{}\").gain(0.{}).pan(-0.{});\n",
                pats[i % 4],
                i % 9 + 1,
                i % 7
            ));
        } else {
            s.push_str(&format!(
                "live_loop(\"l{i}\", |n| {{\n    if n % 4 == 3 {{ \"{}\" }} else {{ pick(n, {i}) }}\n}}).gain(0.5);\n",
                pats[(i + 1) % 4]
            ));
        }
    }
    s.push_str("fn pick(n, i) {\n    let choices = [\"kick ~ | hat | ~ ~ snare\", \"hat*2 | ~ | shaker*3\", \"~ | rim | bell ~ ~\"];\n    choices[(n + i) % 3]\n}\n");
    while s.lines().count() < 196 {
        let k = s.lines().count();
        s.push_str(&format!(
            "fn helper{k}(x) {{\n    let y = x * 2 + {k};\n    if y > 10 {{ y - 10 }} else {{ y }}\n}}\n"
        ));
    }
    s.push_str("fn bar(n) {\n    if n % 8 == 4 { octave(1); }\n    if n % 8 == 0 { octave(0); }\n    set(\"last\", n);\n}\n");
    s
}

fn script(c: &mut Criterion) {
    let src = long_script();
    assert!(src.lines().count() >= 200, "{}", src.lines().count());
    let path = Path::new("bench.rhai");
    let mut group = c.benchmark_group("script");
    group.bench_function("compile and run a 200-line script", |b| {
        b.iter(|| Script::from_source(path, &src).unwrap())
    });

    let (mut script, changes) = Script::from_source(path, &src).unwrap();
    let mut planner = Planner::new(48_000, SoundBank::with_drum_kit(48_000));
    for ch in changes {
        planner.apply(ch);
    }
    let mut sched = Scheduler::new(planner);
    let mut bar = 0i64;
    group.bench_function("evaluate and plan one bar of 16 loops", |b| {
        b.iter(|| {
            let changes = script.on_bar(bar);
            for ch in changes {
                sched.apply(ch);
            }
            let events = sched.planner_mut().plan_next_bar();
            assert!(!events.is_empty());
            bar += 1;
        })
    });
    assert!(script.take_messages().is_empty());
    group.bench_function("evaluate one bar of 16 loops (script only)", |b| {
        b.iter(|| {
            let changes = script.on_bar(bar);
            assert!(changes.len() >= 8);
            bar += 1;
        })
    });

    let (mut runaway, _) = Script::from_source(path, "live_loop(\"a\", \"kick\");").unwrap();
    group.bench_function("cut off an infinite loop", |b| {
        b.iter(|| assert!(runaway.reload("loop { }").is_err()))
    });
    group.finish();
}

criterion_group!(benches, script);
criterion_main!(benches);
