//! Live model streams against Python torch: the CPU time a stream costs
//! per buffer while it plays in real time (its worker computing each
//! buffer when the audio side wakes it, the audio side feeding live input
//! and popping output block by block at the device's pace), beside Python
//! calling the same method of the same file on the same buffer, one thread
//! each. Then the audio side's own cost of one block of a live-input
//! stream (feed the input, pop the output, wake the worker), in criterion.
//!
//! loam's figure is the CPU time of the whole process over a window of
//! whole buffers, less the bench thread's own CPU time (the stand-in for
//! the sound card's callback thread, which sleeps between blocks here;
//! a real device's thread is the driver's), plus that thread's CPU time in
//! the audio side's calls (`feed_live` and `process`, which are loam's).
//! Python's is `time.process_time` over its calls, paced as a live host
//! paces them (one call a buffer, sleeping until the next is due, as
//! nn~'s compute thread waits for its next buffer) and, for reference,
//! back to back (no sleeps, so none of the cost of waking up). Rounds are
//! paired, as in `benches/torchscript.rs`: each measures loam, then Python
//! (or the other way round, alternately), and the ratio of each round is
//! kept. Python paced against itself in the same protocol gives the
//! bench's resolution.
//!
//! Needs the torch venv (`tools/setup --test`); the real RAVE v2 rows
//! need acids-rave there too (tests/models/export_rave_v2.py).
//!
//!     cargo bench --bench torchscript_live

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

#[path = "support/torch_python.rs"]
mod torch_python;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use loam::audio::stream_output::InputChannels;
use loam::model::torchscript::stream::LiveInputConfig;
use loam::model::torchscript::StreamOutput;
use loam::model::torchscript::{ModelStream, Module, Route, StreamConfig, StreamHandle};
use torch_python::{export, export_rave_v2, median, process_cpu, python, PythonTimer};

/// Paired rounds per case.
const ROUNDS: usize = 7;

/// The calling thread's CPU time so far.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// One live case: a model file and route, the stream's rate, the device
/// block, whether the route hears the live input, buffers per round, and
/// Python's case name (tests/models/time_calls.py).
struct Case {
    file: &'static str,
    route: Route,
    engine_rate: u32,
    buffer: usize,
    block: usize,
    live_input: bool,
    buffers: u64,
    python_case: &'static str,
}

/// What one timed round of a live stream measured.
struct Round {
    /// loam's CPU time per buffer, µs.
    cpu_us: f64,
    underruns: u64,
    /// Times the worker went to sleep.
    sleeps: u64,
    /// Buffers computed.
    buffers: u64,
}

/// A playing live stream and the audio side's state between rounds.
struct Live {
    handle: StreamHandle,
    output: StreamOutput,
    block: usize,
    rate: u32,
    input: Option<Vec<f32>>,
    out: Vec<f32>,
    /// Input frames fed so far (the input is a loop of `input`).
    fed: usize,
}

impl Live {
    fn start(dir: &Path, case: &Case) -> Live {
        let mut config = StreamConfig::new(case.route.clone(), case.engine_rate);
        config.buffer = case.buffer;
        if case.live_input {
            config.live_input = Some(LiveInputConfig {
                channels: InputChannels::parse("in").unwrap(),
                block: case.block,
            });
        }
        let module = Module::load(dir.join(case.file)).unwrap();
        let (handle, output) = ModelStream::start(module, config).unwrap();
        handle.play();
        let ch = output.channels().max(1);
        let input = case.live_input.then(|| {
            // Four seconds of a gliding tone, looped.
            let n = case.engine_rate as usize * 4;
            (0..n)
                .map(|i| (i as f32 * (0.01 + i as f32 * 1e-8)).sin() * 0.5)
                .collect()
        });
        Live {
            handle,
            output,
            block: case.block,
            rate: case.engine_rate,
            input,
            out: vec![0.0; case.block * ch],
            fed: 0,
        }
    }

    /// Plays blocks at the device's pace until the worker has finished
    /// `buffers` more buffers, measured from the end of a buffer to the end
    /// of a buffer. Returns loam's CPU time per buffer in µs (see the file's
    /// doc), and the underruns and the worker's sleeps counted meanwhile.
    fn round(&mut self, buffers: u64) -> Round {
        let period = Duration::from_secs_f64(self.block as f64 / f64::from(self.rate));
        let start = Instant::now();
        let mut k = 0u32;
        let mut block = |live: &mut Live, calls: &mut Duration| {
            let due = start + period * k;
            k += 1;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            // The calls' CPU time (not wall time: a worker they wake may
            // preempt this thread, and its CPU time is counted already).
            let t = thread_cpu();
            if let Some(x) = &live.input {
                let i = live.fed % x.len();
                let end = (i + live.block).min(x.len());
                live.output.feed_live(&x[i..end], 1, end - i);
                live.fed += end - i;
            }
            live.output.process(&mut live.out);
            *calls += thread_cpu().saturating_sub(t);
        };
        let mut untimed = Duration::ZERO;
        // Start just after a buffer ends (the worker then sleeps).
        let first = self.handle.stats().buffers;
        while self.handle.stats().buffers == first {
            block(self, &mut untimed);
        }
        let b0 = self.handle.stats().buffers;
        let (u0, s0) = (self.handle.stats().underruns, self.handle.stats().sleeps);
        let (p0, t0) = (process_cpu(), thread_cpu());
        let mut calls = Duration::ZERO;
        while self.handle.stats().buffers < b0 + buffers {
            block(self, &mut calls);
        }
        let (p1, t1) = (process_cpu(), thread_cpu());
        let done = self.handle.stats().buffers - b0;
        let cpu = (p1 - p0).saturating_sub(t1 - t0) + calls;
        let stats = self.handle.stats();
        Round {
            cpu_us: cpu.as_secs_f64() * 1e6 / done as f64,
            underruns: stats.underruns - u0,
            sleeps: stats.sleeps - s0,
            buffers: done,
        }
    }
}

fn torchscript_live(c: &mut Criterion) {
    let Some(py) = python() else {
        eprintln!("SKIP torchscript_live bench: no torch venv (run tools/setup --test)");
        return;
    };
    let Some(dir) = export(&py) else {
        eprintln!(
            "SKIP torchscript_live bench: exporting the models failed (is nn-tilde installed?)"
        );
        return;
    };
    let rave_v2 = export_rave_v2(&py, &dir);
    let mut cases = vec![Case {
        file: "full.ts",
        route: Route::Audio("forward".into()),
        engine_rate: 48_000,
        buffer: 256,
        block: 64,
        live_input: true,
        buffers: 400,
        python_case: "full_forward_256",
    }];
    if rave_v2 {
        // At the model's own rate (no resampling: like for like), and
        // forward at 48 kHz too, as most sound cards run (loam resamples
        // both ways; Python's call does not).
        for (route, live_input, engine_rate, python_case) in [
            (
                Route::Decode("decode".into()),
                false,
                44_100,
                "rave_v2_decode_2048",
            ),
            (
                Route::Audio("forward".into()),
                true,
                44_100,
                "rave_v2_forward_2048",
            ),
            (
                Route::Audio("forward".into()),
                true,
                48_000,
                "rave_v2_forward_2048",
            ),
        ] {
            cases.push(Case {
                file: "rave_v2_streaming.ts",
                route,
                engine_rate,
                buffer: 2048,
                block: 256,
                live_input,
                buffers: 50,
                python_case,
            });
        }
    }
    let mut timer = PythonTimer::start(&py, &dir);
    let mut rows = Vec::new();
    // Each case's buffer duration at the model's rate.
    let mut periods = Vec::new();
    for case in &cases {
        let mut live = Live::start(&dir, case);
        // Warm: a round's worth of buffers first, untimed.
        let _ = live.round(case.buffers / 4 + 1);
        let period = Duration::from_secs_f64(
            case.buffer as f64 / f64::from(live.handle.layout().model_rate),
        );
        periods.push(period);
        let (mut loam, mut paced, mut back_to_back) = (vec![], vec![], vec![]);
        let (mut ratios, mut ratios_b2b) = (vec![], vec![]);
        let (mut underruns, mut sleeps, mut buffers) = (0, 0, 0);
        for round in 0..ROUNDS {
            let calls = case.buffers as usize;
            let mut python = || {
                let t = timer.as_mut();
                let cpu = |r: Option<(f64, f64)>| r.map_or(f64::NAN, |(_, cpu)| cpu);
                match t {
                    Some(t) => (
                        cpu(t.time_paced(case.python_case, "no_grad", calls, period)),
                        cpu(t.time(case.python_case, "no_grad", calls)),
                    ),
                    None => (f64::NAN, f64::NAN),
                }
            };
            let (l, (p, b)) = if round % 2 == 0 {
                let l = live.round(case.buffers);
                (l, python())
            } else {
                let p = python();
                (live.round(case.buffers), p)
            };
            underruns += l.underruns;
            sleeps += l.sleeps;
            buffers += l.buffers;
            loam.push(l.cpu_us);
            paced.push(p);
            back_to_back.push(b);
            ratios.push(l.cpu_us / p);
            ratios_b2b.push(l.cpu_us / b);
        }
        let (lo, hi) = ratios
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        // CPU ms per second of audio: µs per buffer × buffers per second
        // (the buffer is in model frames).
        let model_rate = live.handle.layout().model_rate;
        let per_second = f64::from(model_rate) / case.buffer as f64 / 1000.0;
        rows.push(format!(
            "  {:<22} {:<8} {:>5.1} kHz {:>5}  {:>9.1}  {:>9.1}  {:>9.1}  {:>5.2} ({lo:.2}–{hi:.2})  {:>7.2}  {:>9} {:>10.2}",
            case.python_case,
            if case.live_input { "live in" } else { "latents" },
            f64::from(case.engine_rate) / 1000.0,
            case.block,
            median(&mut loam) * per_second,
            median(&mut paced) * per_second,
            median(&mut back_to_back) * per_second,
            median(&mut ratios.clone()),
            median(&mut ratios_b2b),
            underruns,
            sleeps as f64 / buffers.max(1) as f64,
        ));
        live.handle.stop();
    }
    // The bench's resolution: Python paced against itself in the same
    // paired protocol, on the costliest case with the steadiest timing.
    let calibration = cases
        .iter()
        .rev()
        .find(|c| !c.live_input)
        .unwrap_or(&cases[0]);
    let mut self_ratios = Vec::new();
    if let Some(t) = timer.as_mut() {
        let rate = if calibration.file.starts_with("rave_v2") {
            44_100.0
        } else {
            48_000.0
        };
        let period = Duration::from_secs_f64(calibration.buffer as f64 / rate);
        for _ in 0..ROUNDS {
            let calls = calibration.buffers as usize;
            let mut paced = || {
                t.time_paced(calibration.python_case, "no_grad", calls, period)
                    .map_or(f64::NAN, |(_, cpu)| cpu)
            };
            let (a, b) = (paced(), paced());
            self_ratios.push(a / b);
        }
    }
    eprintln!(
        "\nlive streams, one thread: CPU time per second of audio (ms), {ROUNDS} paired rounds, median round. Python no_grad paced (one call a buffer, sleeping in between, as a live host calls) and back to back; loam/paced per round, median (range); loam/back-to-back, median; underruns in the timed rounds; worker sleeps per buffer:"
    );
    eprintln!("  case                   input    rate        block  loam live  py paced  py back-to-back  loam/paced          loam/b2b  underruns  sleeps/buf");
    for row in rows {
        eprintln!("{row}");
    }
    if !self_ratios.is_empty() {
        let (lo, hi) = self_ratios
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        eprintln!(
            "  the bench's resolution: {} paced, Python against itself in {ROUNDS} paired rounds: ratio {:.2} ({lo:.2}–{hi:.2})",
            calibration.python_case,
            median(&mut self_ratios)
        );
    }
    eprintln!();

    // The audio side of a live-input stream, one 64-frame block: feed the
    // input, pop the output (and wake the worker in the block that
    // completes its next buffer). Only the two calls are timed; before
    // each, the bench waits (untimed) until the block's output is ready,
    // as it is when the stream keeps up.
    let mut live = Live::start(&dir, &cases[0]);
    let x: Vec<f32> = (0..64).map(|i| (i as f32 * 0.05).sin()).collect();
    c.bench_function(
        "torchscript live stream: feed and pop 64 frames (audio side)",
        |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    while live.output.available() < 64 {
                        std::thread::sleep(Duration::from_micros(50));
                    }
                    let t = Instant::now();
                    live.output.feed_live(std::hint::black_box(&x), 1, 64);
                    live.output.process(std::hint::black_box(&mut live.out));
                    timed += t.elapsed();
                }
                timed
            })
        },
    );
    live.handle.stop();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, torchscript_live);
criterion_main!(benches);
