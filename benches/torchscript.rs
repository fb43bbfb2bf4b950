//! Streaming TorchScript: loam's host call against Python torch calling the
//! same model on the same buffers, one thread each; and the real-time factor
//! of a decoder of RAVE's size (16 latents, ratio 2048, channels
//! 768→384→192→96→48) made with `nn-tilde`.
//!
//! The models are exported by tests/models/export_nn_tilde.py with the
//! torch venv (`tools/setup --test`); Python's medians come from
//! tests/models/time_calls.py, run by this bench, and are printed beside
//! loam's (same warm-up, same number of calls, median).
//!
//! Then whole streams as an offline render drives them: time per second of
//! audio for the stream (host call, copies, rings; a driven stream runs
//! its model on the caller's thread), for the host call alone, and for
//! Python on the same buffer; then the same streams in CPU time of the
//! whole process (every thread, `CLOCK_PROCESS_CPUTIME_ID`) beside
//! Python's `time.process_time`, the measure issue 14 names ("CPU time per
//! second of audio"), in paired rounds: loam and Python are measured one
//! right after the other, seven times, in alternating order, and each
//! round's ratio is kept, so the machine's drift (tens of percent from
//! minute to minute on a 2-core VM) falls on both sides alike.
//!
//!     cargo bench --bench torchscript

// criterion_group! defines a public `benches` function without docs.
#![allow(missing_docs)]

#[path = "support/torch_python.rs"]
mod torch_python;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use loam::model::torchscript::{DrivenStep, ModelStream, Module, Pace, Route, StreamConfig};
use torch_python::{export, export_rave_v2, median, process_cpu, python, PythonTimer};

const CALLS: usize = 200;

fn python_medians(py: &Path, dir: &Path) -> Vec<(String, f64)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(out) = Command::new(py)
        .arg(root.join("tests/models/time_calls.py"))
        .arg(dir)
        .arg(CALLS.to_string())
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (name, us) = l.split_once(' ')?;
            Some((name.to_owned(), us.trim().parse().ok()?))
        })
        .collect()
}

/// CPU time of the whole process per call of `f`, in µs: its CPU time
/// over `calls` calls (after 5 warm-up calls), divided by `calls`. What
/// the issue measures ("CPU time per second of audio"): CPU time does not
/// grow while the process waits or is preempted, so other load on the
/// machine does not inflate it, and reading it once per batch keeps the
/// clock's own cost (a system call) out of the figure.
fn cpu_us_per_call(calls: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..5 {
        f();
    }
    let t = process_cpu();
    for _ in 0..calls {
        f();
    }
    process_cpu().saturating_sub(t).as_secs_f64() * 1e6 / calls as f64
}

/// Paired rounds per case: each round measures loam's stream and Python
/// (`no_grad`, then `inference_mode`) one right after the other, in
/// alternating order, so both see the same machine.
const ROUNDS: usize = 7;
/// Buffers per side per round.
const ROUND_CALLS: usize = 100;

fn median_us(mut f: impl FnMut()) -> f64 {
    for _ in 0..5 {
        f();
    }
    let mut times: Vec<Duration> = (0..CALLS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[CALLS / 2].as_secs_f64() * 1e6
}

fn torchscript(c: &mut Criterion) {
    let Some(py) = python() else {
        eprintln!("SKIP torchscript bench: no torch venv (run tools/setup --test)");
        return;
    };
    let py_path = py.clone();
    let Some(dir) = export(&py) else {
        eprintln!("SKIP torchscript bench: exporting the models failed (is nn-tilde installed?)");
        return;
    };
    let rave_v2 = export_rave_v2(&py, &dir);
    tch::set_num_threads(1);
    let _guard = tch::no_grad_guard();
    let full = Module::load(dir.join("full.ts")).unwrap();
    let rave = Module::load(dir.join("rave_decoder.ts")).unwrap();
    let x: Vec<f32> = (0..4096).map(|i| (i as f32 * 0.01).sin()).collect();
    let z: Vec<f32> = (0..32).map(|i| (i as f32 * 0.37).sin()).collect();
    let zt = tch::Tensor::from_slice(&z).view([1, 16, 2]);
    let mut out = Vec::new();

    // Side by side, same protocol in both languages.
    let py_medians = python_medians(&py, &dir);
    let py_of = |name: &str| py_medians.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let loam_forward = median_us(|| {
        full.call_into("forward", &x, &mut out).unwrap();
    });
    let loam_decode = median_us(|| {
        rave.call_into("decode", &z, &mut out).unwrap();
    });
    let loam_decode_tensor = median_us(|| {
        let _ = rave.call_tensor("decode", &zt).unwrap();
    });
    let xt = tch::Tensor::from_slice(&x).view([1, 1, 4096]);
    let loam_forward_tensor = median_us(|| {
        let _ = full.call_tensor("forward", &xt).unwrap();
    });
    let buffer_us = 4096.0 / 48_000.0 * 1e6;
    let py = |name: &str| py_of(name).unwrap_or(f64::NAN);
    eprintln!("\ntorchscript, one thread, median of {CALLS} calls after 5 warm-up calls (us):");
    eprintln!(
        "  case                           loam slices  loam tensor  py no_grad  py inference_mode"
    );
    eprintln!(
        "  full.forward, 4096 frames      {loam_forward:>11.1}  {loam_forward_tensor:>11.1}  {:>10.1}  {:>17.1}",
        py("full_forward_4096_no_grad"),
        py("full_forward_4096_inference_mode")
    );
    eprintln!(
        "  rave-size decode, 4096 frames  {loam_decode:>11.1}  {loam_decode_tensor:>11.1}  {:>10.1}  {:>17.1}",
        py("rave_decode_4096_no_grad"),
        py("rave_decode_4096_inference_mode")
    );
    eprintln!(
        "  rave-size decoder real-time factor at 48 kHz: {:.1}x (a 4096-frame buffer lasts {buffer_us:.0} us)\n",
        buffer_us / loam_decode
    );

    // Whole streams, as `loam render` drives them (one buffer per
    // `compute_now`): the host call plus everything around it (input and
    // output copies, planar/interleaved conversion, the ring, the worker's
    // round trip). Time per second of audio, beside Python calling the
    // same method on the same buffer (a median call × buffers per second).
    eprintln!("streams, one thread: time per second of audio (ms), median of {CALLS} buffers:");
    eprintln!("  case                           loam stream  loam host call  py no_grad  py inference_mode");
    let mut cpu_rows = Vec::new();
    let mut timer = PythonTimer::start(&py_path, &dir);
    // (file, route, buffer in model frames, the host call's time if
    // measured above, name, the model's rate, the stream's engine rate). A
    // 44.1 kHz model in a 48 kHz stream resamples both ways, inside loam's
    // figure; at 44.1 kHz it does not (the like-for-like row). Per second
    // of audio counts buffers at the model's rate on both sides.
    let mut cases = vec![
        (
            "full.ts",
            Route::Audio("forward".into()),
            256,
            None,
            "full_forward_256",
            48_000,
            48_000,
        ),
        (
            "rave_decoder.ts",
            Route::Decode("decode".into()),
            2048,
            None,
            "rave_decode_2048",
            48_000,
            48_000,
        ),
        (
            "rave_decoder.ts",
            Route::Decode("decode".into()),
            4096,
            Some(loam_decode),
            "rave_decode_4096",
            48_000,
            48_000,
        ),
    ];
    if rave_v2 {
        for (route, key, engine_rate) in [
            (
                Route::Decode("decode".into()),
                "rave_v2_decode_2048",
                48_000,
            ),
            (
                Route::Audio("forward".into()),
                "rave_v2_forward_2048",
                48_000,
            ),
            (
                Route::Audio("forward".into()),
                "rave_v2_forward_2048",
                44_100,
            ),
        ] {
            let file = "rave_v2_streaming.ts";
            cases.push((file, route, 2048, None, key, 44_100, engine_rate));
        }
    }
    for (file, route, buffer, host_us, key, rate, engine_rate) in cases {
        let per_second = |us: f64, buffer: usize| us * f64::from(rate) / buffer as f64 / 1000.0;
        let label = if engine_rate == 48_000 {
            key.to_string()
        } else {
            format!("{key} at {} kHz", f64::from(engine_rate) / 1000.0)
        };
        let mut config = StreamConfig::new(route.clone(), engine_rate);
        config.buffer = buffer;
        config.pace = Pace::Driven;
        let (mut handle, _output) =
            ModelStream::start(Module::load(dir.join(file)).unwrap(), config).unwrap();
        handle.play();
        let input = vec![0.25f32; buffer];
        let mut step = || {
            // The ring is drained by nobody here: what the worker cannot
            // push is dropped, which costs it nothing.
            loop {
                match handle.compute_now().unwrap() {
                    DrivenStep::Computed { .. } => break,
                    DrivenStep::NeedInput(_) => {
                        handle.write_input(&input);
                    }
                }
            }
        };
        let stream_us = median_us(&mut step);
        // CPU time, paired with Python round by round.
        let (mut loam_cpu, mut py_ng, mut py_im, mut ratio_ng, mut ratio_im) =
            (vec![], vec![], vec![], vec![], vec![]);
        for round in 0..ROUNDS {
            let mut python = |mode: &str| {
                timer
                    .as_mut()
                    .and_then(|t| t.time(key, mode, ROUND_CALLS))
                    .map_or(f64::NAN, |(_, cpu)| cpu)
            };
            let (l, n, i) = if round % 2 == 0 {
                let l = cpu_us_per_call(ROUND_CALLS, &mut step);
                (l, python("no_grad"), python("inference_mode"))
            } else {
                let (n, i) = (python("no_grad"), python("inference_mode"));
                (cpu_us_per_call(ROUND_CALLS, &mut step), n, i)
            };
            loam_cpu.push(l);
            py_ng.push(n);
            py_im.push(i);
            ratio_ng.push(l / n);
            ratio_im.push(l / i);
        }
        let range = |v: &[f64]| {
            let (lo, hi) = v
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            format!("{lo:.2}–{hi:.2}")
        };
        let host_us = host_us.unwrap_or_else(|| {
            let m = Module::load(dir.join(file)).unwrap();
            let method = route.methods()[0].to_string();
            let info = m.method(&method).unwrap().clone();
            let x = vec![0.25f32; buffer / info.in_ratio * info.in_channels];
            let mut out = Vec::new();
            median_us(|| {
                m.call_into(&method, &x, &mut out).unwrap();
            })
        });
        eprintln!(
            "  {:<30} {:>11.1}  {:>14.1}  {:>10.1}  {:>17.1}",
            label,
            per_second(stream_us, buffer),
            per_second(host_us, buffer),
            per_second(py(&format!("{key}_no_grad")), buffer),
            per_second(py(&format!("{key}_inference_mode")), buffer),
        );
        cpu_rows.push(format!(
            "  {:<30} {:>11.1}  {:>10.1}  {:>17.1}  {:>5.2} ({})  {:>5.2} ({})",
            label,
            per_second(median(&mut loam_cpu), buffer),
            per_second(median(&mut py_ng), buffer),
            per_second(median(&mut py_im), buffer),
            median(&mut ratio_ng.clone()),
            range(&ratio_ng),
            median(&mut ratio_im.clone()),
            range(&ratio_im),
        ));
        handle.stop();
    }
    eprintln!(
        "streams, one thread: CPU time of the process per second of audio (ms), {ROUNDS} paired rounds of {ROUND_CALLS} buffers each, median round; loam/py per round, median (range):"
    );
    eprintln!("  case                           loam stream  py no_grad  py inference_mode  loam/no_grad        loam/inference_mode");
    for row in cpu_rows {
        eprintln!("{row}");
    }
    eprintln!();

    let mut group = c.benchmark_group("torchscript");
    group.bench_function("full forward 4096 (host call)", |b| {
        b.iter(|| full.call_into("forward", &x, &mut out).unwrap())
    });
    group.bench_function("rave-size decode 4096 (host call)", |b| {
        b.iter(|| rave.call_into("decode", &z, &mut out).unwrap())
    });
    group.finish();

    // The audio side of a stream: popping one 64-frame block.
    let mut config = StreamConfig::new(Route::Decode("decode".into()), 48_000);
    config.buffer = 4096;
    let (handle, mut output) =
        ModelStream::start(Module::load(dir.join("rave_decoder.ts")).unwrap(), config).unwrap();
    let frames = 64;
    let mut block = vec![0.0f32; frames * output.channels().max(1)];
    // Only the pop is timed. The worker computes ahead at its own pace, so
    // before each timed call the bench waits (untimed) until the ring holds
    // the block, as it does when the stream keeps up: an underrun is not
    // what this figure names.
    c.bench_function("torchscript stream: process 64 frames (audio side)", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                while output.available() < frames {
                    std::thread::sleep(Duration::from_micros(100));
                }
                let t = Instant::now();
                output.process(std::hint::black_box(&mut block));
                timed += t.elapsed();
            }
            timed
        })
    });
    let stats = handle.stats();
    eprintln!(
        "stream worker: {} buffers, last {} us, max {} us, {} underruns",
        stats.buffers, stats.last_compute_us, stats.max_compute_us, stats.underruns
    );
    handle.stop();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, torchscript);
criterion_main!(benches);
