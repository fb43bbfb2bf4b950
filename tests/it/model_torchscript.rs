//! TorchScript models the nn~ way, end to end: the test exports its own
//! models with `nn-tilde` and torch 2.13 in Python (tests/models/
//! export_nn_tilde.py), exactly as a musician would, then loads each file in
//! loam and checks it against what Python reported; streams audio through
//! forward, encode and decode on the worker and compares with direct calls;
//! and feeds it bad files, a method that throws, wrong shapes and a model
//! far slower than real time.
//!
//! Needs the venv `tools/setup --test` makes (torch 2.13 + nn-tilde;
//! `LOAM_TORCH_PYTHON` names another python). Where there is no venv the
//! tests print SKIP, unless `LOAM_REQUIRE_MODELS` is set (tools/test sets
//! it), in which case they fail; a venv without nn-tilde is a failure.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use assert_no_alloc::assert_no_alloc;
use loam::audio::stream_output::InputChannels;
use loam::model::torchscript::stream::LiveInputConfig;
use loam::model::torchscript::{
    read_info, AttrType, AttrValue, DrivenStep, ModelStream, Module, Pace, Route, StreamConfig,
    StreamHandle, StreamOutput, StreamStats, TorchScriptError,
};
use serde_json::Value as Json;

/// Exports the test models once per test binary; `None` means SKIP.
fn models() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        // Re-exported on every run, into a folder of this run's own.
        let dir = support::temp_dir("torchscript-models");
        support::models::export(&dir)
    })
    .as_deref()
}

fn reference() -> &'static Json {
    static REF: OnceLock<Json> = OnceLock::new();
    REF.get_or_init(|| {
        let text = std::fs::read_to_string(models().unwrap().join("reference.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

fn path(name: &str) -> PathBuf {
    models().unwrap().join(format!("{name}.ts"))
}

macro_rules! need_models {
    () => {
        if models().is_none() {
            return;
        }
    };
}

fn json_to_attr(v: &Json) -> AttrValue {
    match v {
        Json::Bool(b) => AttrValue::Bool(*b),
        Json::Number(n) if n.is_i64() => AttrValue::Int(n.as_i64().unwrap()),
        Json::Number(n) => AttrValue::Float(n.as_f64().unwrap()),
        Json::String(s) => AttrValue::Str(s.clone()),
        other => panic!("unexpected reference value {other}"),
    }
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn every_model_reads_exactly_as_python_sees_it() {
    need_models!();
    for (name, want) in reference().as_object().unwrap() {
        let module = Module::load(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let info = module.info();
        let mut names = info.method_names();
        let mut want_names: Vec<String> = want["methods"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        if name == "old_rave" {
            names.sort();
            want_names.sort();
        } else {
            // nn-tilde exports keep get_methods()'s order.
            want_names = want["methods"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
        }
        assert_eq!(
            names.iter().collect::<std::collections::BTreeSet<_>>(),
            want_names.iter().collect(),
            "{name}"
        );
        for (method, m) in want["methods"].as_object().unwrap() {
            let got = info.method(method).unwrap();
            let params: Vec<usize> = m["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(got.params().to_vec(), params, "{name}.{method}");
            assert_eq!(
                got.input_labels,
                strings(&m["input_labels"]),
                "{name}.{method} input labels"
            );
            assert_eq!(
                got.output_labels,
                strings(&m["output_labels"]),
                "{name}.{method} output labels"
            );
        }
        let attrs = want["attributes"].as_object().unwrap();
        assert_eq!(info.attributes.len(), attrs.len(), "{name}");
        for (attr, a) in attrs {
            let got = info.attribute(attr).unwrap();
            let codes: Vec<i64> = got.types.iter().map(|t| t.code()).collect();
            let want_codes: Vec<i64> = a["types"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            assert_eq!(codes, want_codes, "{name}.{attr} types");
            let live = module.attribute(attr).unwrap();
            let want_values: Vec<AttrValue> = a["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(json_to_attr)
                .collect();
            assert_eq!(live, want_values, "{name}.{attr} value");
            assert_eq!(got.saved, want_values, "{name}.{attr} saved value");
        }
        let sr = want["sample_rate"].as_i64().unwrap();
        assert_eq!(
            module.sample_rate(),
            u32::try_from(sr).ok().filter(|&s| s > 0),
            "{name} sample rate"
        );
        assert_eq!(
            info.latent_size,
            want.get("latent_size")
                .and_then(Json::as_u64)
                .map(|v| v as usize),
            "{name}"
        );
        // Reading the archive alone gives the same declarations.
        let static_info = read_info(&path(name)).unwrap();
        assert_eq!(static_info.methods.len(), info.methods.len(), "{name}");
    }
    let full = Module::load(path("full")).unwrap();
    assert_eq!(
        full.info().attribute("pair").unwrap().types,
        vec![AttrType::Int, AttrType::Float]
    );
    assert_eq!(
        full.info().method_names(),
        ["forward", "encode", "decode", "explode"]
    );
}

#[test]
fn direct_calls_match_python_bit_for_bit() {
    need_models!();
    let full = Module::load(path("full")).unwrap();
    let want = |key: &str| -> Vec<f32> {
        reference()["full"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect()
    };
    // The same input values Python used.
    let x = want("sine");
    assert_eq!(full.call("forward", &x).unwrap(), want("forward_of_sine"));
    assert_eq!(full.call("encode", &x).unwrap(), want("encode_of_sine"));
    let old = Module::load(path("old_rave")).unwrap();
    let z = old.call("encode", &vec![0.1; 1024]).unwrap();
    assert_eq!(z.len(), 8 * 4);
    assert_eq!(old.call("decode", &z).unwrap().len(), 1024);
    assert_eq!(old.sample_rate(), Some(44100));
}

#[test]
fn attributes_are_typed_from_their_codes() {
    need_models!();
    let mut m = Module::load(path("full")).unwrap();
    // An int where a float is declared becomes a float (nn~ setters refuse ints).
    m.set_attribute("gain", &[AttrValue::Int(2)]).unwrap();
    assert_eq!(m.attribute("gain").unwrap(), vec![AttrValue::Float(2.0)]);
    assert_eq!(m.call("forward", &[0.25, -1.0]).unwrap(), vec![0.5, -2.0]);
    m.set_attribute("active", &[AttrValue::Bool(false)])
        .unwrap();
    assert_eq!(m.call("forward", &[0.25]).unwrap(), vec![0.0]);
    m.set_attribute("pair", &[AttrValue::Float(7.0), AttrValue::Int(1)])
        .unwrap();
    assert_eq!(
        m.attribute("pair").unwrap(),
        vec![AttrValue::Int(7), AttrValue::Float(1.0)]
    );
    m.set_attribute("mode", &[AttrValue::Str("hard".into())])
        .unwrap();
    assert_eq!(
        m.attribute("mode").unwrap(),
        vec![AttrValue::Str("hard".into())]
    );

    let e = m
        .set_attribute("gain", &[AttrValue::Str("loud".into())])
        .unwrap_err();
    assert!(matches!(e, TorchScriptError::AttributeType { .. }), "{e}");
    let text = e.to_string();
    assert!(text.contains("full.ts") && text.contains("gain"), "{text}");
    let e = m.set_attribute("pair", &[AttrValue::Int(1)]).unwrap_err();
    assert!(e.to_string().contains("takes 2"), "{e}");
    let e = m.attribute("volume").unwrap_err();
    assert!(
        matches!(e, TorchScriptError::NoSuchAttribute { .. }) && e.to_string().contains("gain"),
        "{e}"
    );

    let mut r = Module::load(path("rate44k")).unwrap();
    assert_eq!(r.sample_rate(), Some(44100));
    r.set_sample_rate(48000).unwrap();
    assert_eq!(r.sample_rate(), Some(48000));
}

#[test]
fn bad_files_and_failing_methods_give_clear_errors() {
    need_models!();
    let e = Module::load(path("not_a_model")).err().unwrap();
    assert!(matches!(e, TorchScriptError::NotTorchScript { .. }), "{e}");
    assert!(
        e.to_string().contains("not_a_model.ts")
            && e.to_string().contains("not a TorchScript archive"),
        "{e}"
    );
    let e = Module::load(path("truncated")).err().unwrap();
    assert!(e.to_string().contains("truncated.ts"), "{e}");
    let e = Module::load(models().unwrap().join("missing.ts"))
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("missing.ts") && e.to_string().contains("cannot open"),
        "{e}"
    );
    // A zip with a data.pkl that is not a scripted module (a state dict).
    let zipped = models().unwrap().join("state_dict.pt");
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
        z.start_file("archive/data.pkl", zip::write::FileOptions::default())
            .unwrap();
        z.write_all(b"\x80\x02}q\x00.").unwrap();
        z.finish().unwrap();
    }
    let e = Module::load(&zipped).err().unwrap();
    assert!(matches!(e, TorchScriptError::NotTorchScript { .. }), "{e}");
    assert!(
        e.to_string().contains("state_dict.pt") && e.to_string().contains("no code/"),
        "{e}"
    );

    let m = Module::load(path("full")).unwrap();
    let e = m.call("explode", &[1.0; 16]).unwrap_err();
    assert!(matches!(e, TorchScriptError::Call { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("full.ts") && text.contains("'explode'") && text.contains("always fails"),
        "{text}"
    );
    assert!(text.len() < 600, "the C++ backtrace is cut: {text}");

    let e = m.call("decode", &[0.0; 6]).unwrap_err();
    assert!(
        matches!(e, TorchScriptError::Shape { .. }) && e.to_string().contains("'decode'"),
        "{e}"
    );
    let wrong = tch::Tensor::zeros([1, 3, 64], (tch::Kind::Float, tch::Device::Cpu));
    let e = m.call_tensor("forward", &wrong).unwrap_err();
    assert!(
        matches!(e, TorchScriptError::Shape { .. }) && e.to_string().contains("(batch, 1, frames)"),
        "{e}"
    );
    let e = m.call("transmogrify", &[0.0]).unwrap_err();
    assert!(
        e.to_string().contains("no method 'transmogrify'") && e.to_string().contains("forward"),
        "{e}"
    );

    // A stream on a method that throws fails at warm-up, before it plays.
    let e = ModelStream::start(m, StreamConfig::new(Route::Audio("explode".into()), 48000))
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("explode") && e.to_string().contains("full.ts"),
        "{e}"
    );
    // A route that does not fit the method.
    let m = Module::load(path("full")).unwrap();
    let e = ModelStream::start(m, StreamConfig::new(Route::Audio("decode".into()), 48000))
        .err()
        .unwrap();
    assert!(e.to_string().contains("does not take audio"), "{e}");
}

/// Pulls `frames` frames from the output in blocks of `block`, waiting (as
/// a test, not as the audio thread would) until each block is ready.
fn pull(out: &mut StreamOutput, frames: usize, block: usize) -> Vec<f32> {
    let ch = out.channels();
    let mut all = Vec::with_capacity(frames * ch);
    let mut buf = vec![0.0f32; block * ch];
    let deadline = Instant::now() + Duration::from_secs(30);
    while all.len() < frames * ch {
        while out.available() < block {
            assert!(
                Instant::now() < deadline,
                "stream produced nothing for 30 s"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        assert_no_alloc(|| out.process(&mut buf));
        all.extend_from_slice(&buf);
    }
    all.truncate(frames * ch);
    all
}

fn paused(route: Route, rate: u32, buffer: usize) -> StreamConfig {
    let mut c = StreamConfig::new(route, rate);
    c.buffer = buffer;
    c.paused = true;
    c
}

fn sine(n: usize, step: f32) -> Vec<f32> {
    (0..n).map(|i| (i as f32 * step).sin() * 0.5).collect()
}

#[test]
fn forward_streams_exactly_one_buffer_late() {
    need_models!();
    let direct = Module::load(path("full")).unwrap();
    let x = sine(256 * 20, 0.013);
    let want = direct.call("forward", &x).unwrap();
    let (mut h, mut out) = ModelStream::start(
        Module::load(path("full")).unwrap(),
        paused(Route::Audio("forward".into()), 48000, 200),
    )
    .unwrap();
    assert_eq!(h.layout().buffer, 256, "rounded up to a power of two");
    let latency = h.latency_frames();
    assert_eq!(latency, 256);
    assert_eq!(h.write_input(&x), x.len());
    h.play();
    let got = pull(&mut out, x.len() + latency, 100);
    assert!(got[..latency].iter().all(|&v| v == 0.0));
    assert_eq!(&got[latency..], &want[..]);
    assert_eq!(h.stats().underruns, 0);
    assert_eq!(h.stats().errors, 0);
}

#[test]
fn decode_streams_a_latent_trajectory_and_obeys_latent_controls() {
    need_models!();
    let direct = Module::load(path("full")).unwrap();
    let frames = 40; // latent frames, 64 audio frames each
    let trajectory: Vec<f32> = (0..frames * 4)
        .map(|i| ((i * 7) % 11) as f32 * 0.1 - 0.5)
        .collect();
    // Interleaved frames → planar for the direct call.
    let mut planar = vec![0.0; frames * 4];
    for j in 0..frames {
        for d in 0..4 {
            planar[d * frames + j] = trajectory[j * 4 + d];
        }
    }
    let want = direct.call("decode", &planar).unwrap(); // 2 × 2560, planar
    let (mut h, mut out) = ModelStream::start(
        Module::load(path("full")).unwrap(),
        paused(Route::Decode("decode".into()), 48000, 256),
    )
    .unwrap();
    assert_eq!(h.write_latent(&trajectory), frames);
    h.play();
    let latency = h.latency_frames();
    let n = frames * 64;
    let got = pull(&mut out, n + latency, 128);
    for i in 0..n {
        assert_eq!(got[(latency + i) * 2], want[i], "left {i}");
        assert_eq!(got[(latency + i) * 2 + 1], want[n + i], "right {i}");
    }
    // The latents used are readable, in order.
    let mut used = Vec::new();
    h.read_latents(&mut used);
    assert_eq!(&used[..trajectory.len()], &trajectory[..]);

    // With the trajectory used up the last frame is held; now the performer
    // takes over: set, offset and scale per dimension.
    h.set_latent(0, Some(1.0)).unwrap();
    h.set_latent(1, Some(0.5)).unwrap();
    h.scale_latent(1, 2.0).unwrap();
    h.set_latent(2, Some(0.25)).unwrap();
    h.set_latent(3, Some(0.0)).unwrap();
    h.offset_latent(3, -0.25).unwrap();
    assert!(h
        .set_latent(4, Some(0.0))
        .unwrap_err()
        .to_string()
        .contains("does not exist"));
    // Skip what was computed before the change (at most two buffers).
    let _ = pull(&mut out, 3 * 256, 256);
    let got = pull(&mut out, 256, 256);
    for f in got.chunks(2) {
        assert_eq!(f, [2.0, 0.5]);
    }
    assert_eq!(h.current_latent(), vec![1.0, 1.0, 0.25, -0.25]);
}

#[test]
fn encode_stream_gives_the_latent_trajectory_and_encode_decode_chains() {
    need_models!();
    let direct = Module::load(path("full")).unwrap();
    let x = sine(64 * 32, 0.02);
    let z = direct.call("encode", &x).unwrap(); // 4 × 32 planar
    let (mut h, _out) = ModelStream::start(
        Module::load(path("full")).unwrap(),
        paused(Route::Encode("encode".into()), 48000, 256),
    )
    .unwrap();
    h.write_input(&x);
    h.play();
    let mut latents = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while latents.len() < 32 * 4 {
        assert!(Instant::now() < deadline);
        h.read_latents(&mut latents);
        std::thread::sleep(Duration::from_millis(1));
    }
    for j in 0..32 {
        for d in 0..4 {
            assert_eq!(latents[j * 4 + d], z[d * 32 + j], "frame {j} dim {d}");
        }
    }
    assert_eq!(
        h.current_latent(),
        (0..4).map(|d| z[d * 32 + 31]).collect::<Vec<_>>()
    );

    let want = direct.call("decode", &z).unwrap();
    let route = Route::EncodeDecode {
        encode: "encode".into(),
        decode: "decode".into(),
    };
    let (mut h, mut out) = ModelStream::start(
        Module::load(path("full")).unwrap(),
        paused(route, 48000, 256),
    )
    .unwrap();
    h.write_input(&x);
    h.play();
    let latency = h.latency_frames();
    let got = pull(&mut out, x.len() + latency, 256);
    for i in 0..x.len() {
        assert_eq!(got[(latency + i) * 2], want[i], "left {i}");
    }
}

#[test]
fn a_model_at_another_rate_is_resampled_both_ways() {
    need_models!();
    let (mut h, mut out) = ModelStream::start(
        Module::load(path("rate44k")).unwrap(),
        paused(Route::Audio("forward".into()), 48000, 1024),
    )
    .unwrap();
    assert_eq!(h.layout().model_rate, 44100);
    let latency = h.latency_frames();
    assert_eq!(latency, (1024 * 48000usize).div_ceil(44100));
    let step = 2.0 * std::f32::consts::PI * 1000.0 / 48000.0;
    let x: Vec<f32> = (0..24000).map(|i| (i as f32 * step).sin() * 0.5).collect();
    h.write_input(&x);
    h.play();
    let got = pull(&mut out, 24000, 480);
    // Identity at 44.1 kHz: the 1 kHz sine comes back, one buffer late.
    let mut worst = 0.0f32;
    for n in (latency + 200)..20000 {
        worst = worst.max((got[n] - x[n - latency]).abs());
    }
    assert!(worst < 0.02, "worst error {worst}");
}

fn slow_stream() -> (StreamHandle, StreamOutput) {
    let mut c = StreamConfig::new(Route::Audio("forward".into()), 48000);
    c.buffer = 256;
    c.warm_up_calls = 1;
    ModelStream::start(Module::load(path("slow")).unwrap(), c).unwrap()
}

#[test]
fn a_model_slower_than_real_time_underruns_its_own_ring_and_never_blocks() {
    need_models!();
    let (h, mut out) = slow_stream();
    let mut block = vec![1.0f32; 64];
    let mut times = Vec::new();
    let start = Instant::now();
    // 64 frames at 48 kHz every 1.33 ms, for 0.5 s.
    while start.elapsed() < Duration::from_millis(500) {
        let t = Instant::now();
        assert_no_alloc(|| out.process(&mut block));
        times.push(t.elapsed());
        std::thread::sleep(Duration::from_micros(1333));
    }
    let calls = times.len() as u64;
    // The stats of a computation land when it ends.
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.stats().buffers == 0 {
        assert!(
            Instant::now() < deadline,
            "the slow model never finished a buffer"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let stats = h.stats();
    assert!(
        stats.max_compute_us > 5_333,
        "a 256-frame buffer should take longer than 5.3 ms: {stats:?}"
    );
    assert!(stats.underruns > 0, "{stats:?}");
    assert!(
        stats.missed_frames > 0 && stats.missed_frames <= calls * 64,
        "{stats:?}"
    );
    // process never waits for the worker: a wait would last a whole
    // computation. (A busy machine may still preempt a call now and then.)
    times.sort();
    let median = times[times.len() / 2];
    assert!(
        median < Duration::from_micros(200),
        "median process call {median:?}"
    );
    assert!(
        times.last().unwrap().as_micros() < u128::from(stats.max_compute_us),
        "longest process call {:?} vs a computation of {} us",
        times.last().unwrap(),
        stats.max_compute_us
    );
    // Control calls still work while it is busy (answered between buffers).
    assert!(h
        .attribute("nothing")
        .unwrap_err()
        .to_string()
        .contains("no attribute"));
}

/// Plays `blocks` blocks of `block` frames from `out` at the audio clock's
/// pace (one block every `block / 48 000` s, as a device would ask),
/// first feeding each block of `input` when given (the live input). Where
/// the worker is late the test waits for the block rather than counting an
/// underrun: what is judged is the output and how often the worker slept,
/// never whether this machine kept up. Returns the output.
fn play_in_real_time(
    out: &mut StreamOutput,
    blocks: usize,
    block: usize,
    input: Option<&[f32]>,
) -> Vec<f32> {
    let ch = out.channels();
    let mut all = Vec::with_capacity(blocks * block * ch);
    let mut buf = vec![0.0f32; block * ch];
    let period = Duration::from_secs_f64(block as f64 / 48_000.0);
    let start = Instant::now();
    for k in 0..blocks {
        let due = start + period * k as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if let Some(x) = input {
            let fed = assert_no_alloc(|| out.feed_live(&x[k * block..(k + 1) * block], 1, block));
            assert_eq!(fed, 0, "the input ring was full at block {k}");
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while out.available() < block {
            assert!(Instant::now() < deadline, "no output for 30 s at block {k}");
            std::thread::sleep(Duration::from_micros(100));
        }
        assert_no_alloc(|| out.process(&mut buf));
        all.extend_from_slice(&buf);
    }
    all
}

/// A live stream's worker slept at most once per buffer it computed
/// (woken by the audio side when room or input for the next one came),
/// plus a few for wake-ups that race the worker's own last look (kept,
/// they end its next sleep at once) and spurious returns from `park`. A
/// worker that polled its rings every buffer/16 slept 499 times for 40
/// buffers here.
fn assert_slept_about_once_a_buffer(stats: &StreamStats) {
    eprintln!("{stats:?}");
    assert!(
        stats.sleeps <= stats.buffers + stats.buffers / 8 + 8,
        "slept {} times for {} buffers",
        stats.sleeps,
        stats.buffers
    );
}

/// A live stream's worker is woken by the audio side when a block makes
/// room for its next buffer, or (with a live input) brings the rest of
/// the input for one: it sleeps about once a buffer, never polls, and
/// the output is exactly what it was when it polled. Its guard timeout is
/// an hour here, so a wake-up that never came would stop the stream (and
/// the test, at "no output for 30 s") instead of being covered up.
#[test]
fn a_live_stream_sleeps_until_the_audio_side_wakes_it() {
    need_models!();
    let direct = Module::load(path("full")).unwrap();
    let block = 64;
    let buffers = 40;
    let x = sine(256 * buffers + 2 * 256, 0.013);
    let want = direct.call("forward", &x).unwrap();

    // Paced by the output ring: input queued ahead by the control side.
    let hour = Some(Duration::from_secs(3600));
    let mut c = paused(Route::Audio("forward".into()), 48000, 256);
    c.longest_sleep = hour;
    let (mut h, mut out) = ModelStream::start(Module::load(path("full")).unwrap(), c).unwrap();
    assert_eq!(h.write_input(&x), x.len());
    h.play();
    let got = play_in_real_time(&mut out, buffers * 256 / block, block, None);
    let latency = h.latency_frames();
    assert!(got[..latency].iter().all(|&v| v == 0.0));
    assert_eq!(&got[latency..], &want[..got.len() - latency]);
    let stats = h.stats();
    assert!(stats.buffers >= buffers as u64 - 1, "{stats:?}");
    assert_slept_about_once_a_buffer(&stats);
    h.stop();

    // Paced by the live input, fed block by block on the audio side.
    let mut c = StreamConfig::new(Route::Audio("forward".into()), 48000);
    c.buffer = 256;
    c.live_input = Some(LiveInputConfig {
        channels: InputChannels::parse("in").unwrap(),
        block,
    });
    c.longest_sleep = hour;
    let (h, mut out) = ModelStream::start(Module::load(path("full")).unwrap(), c).unwrap();
    let got = play_in_real_time(&mut out, buffers * 256 / block, block, Some(&x));
    // Input frame n comes out at n + buffer + one block (stream.rs).
    let delay = h.latency_frames() + block;
    assert!(got[..delay].iter().all(|&v| v == 0.0));
    assert_eq!(&got[delay..], &want[..got.len() - delay]);
    let stats = h.stats();
    assert!(stats.buffers >= buffers as u64 - 2, "{stats:?}");
    assert_slept_about_once_a_buffer(&stats);
    assert_eq!(stats.underruns, 0, "{stats:?}");
}

/// A model shaped like a streaming RAVE export (`streaming`: encode and
/// decode at ratio 1024, `forward` at ratio 1 that needs 1024 samples a
/// call) streams `forward` at its largest ratio, as nn~ does, both when
/// the buffer rule chooses and when a smaller buffer is asked for.
#[test]
fn forward_plays_at_the_models_largest_ratio() {
    need_models!();
    let m = Module::load(path("streaming")).unwrap();
    assert_eq!(m.info().higher_ratio(), 1024);
    assert_eq!(m.method("forward").unwrap().max_ratio(), 1);
    // Its decode draws noise (a render seeds it); full.ts draws nothing.
    assert!(m.info().draws_random_numbers);
    assert!(!read_info(&path("full")).unwrap().draws_random_numbers);
    for choose in [true, false] {
        let mut config = paused(Route::Audio("forward".into()), 48000, 256);
        config.choose_buffer = choose;
        let (mut h, mut out) =
            ModelStream::start(Module::load(path("streaming")).unwrap(), config).unwrap();
        assert_eq!(h.layout().buffer, 1024, "choose {choose}");
        assert_eq!(h.latency_frames(), 1024);
        h.write_input(&sine(1024 * 4, 0.02));
        h.play();
        let got = pull(&mut out, 1024 * 4, 256);
        assert!(got[..1024].iter().all(|&v| v == 0.0));
        assert!(got[1024..].iter().any(|&v| v != 0.0));
        assert_eq!(h.stats().errors, 0, "{:?}", h.stats().last_error);
        h.stop();
    }
}

/// Threads of this process whose name (as `/proc` shows it, 15 bytes at
/// most) is `name`.
fn threads_named(name: &str) -> usize {
    let name = &name[..name.len().min(15)];
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .filter(|c| c.trim_end() == name)
                .count()
        })
        .unwrap_or(0)
}

/// A driven stream (an offline render's) computes each buffer on the
/// thread that asks for it: its worker thread ends once warm. It plays
/// exactly what a live stream plays, and answers attributes and reloads
/// at once.
#[test]
fn a_driven_stream_computes_on_the_callers_thread() {
    need_models!();
    let dir = support::temp_dir("driven-here");
    // A file name no other test's stream has: its worker thread is named after it.
    let file = dir.join("drivenhere.ts");
    std::fs::copy(path("full"), &file).unwrap();
    let x = sine(256 * 6, 0.021);
    let want = Module::load(path("full"))
        .unwrap()
        .call("forward", &x)
        .unwrap();
    let mut config = paused(Route::Audio("forward".into()), 48000, 256);
    config.pace = Pace::Driven;
    let (mut h, mut out) = ModelStream::start(Module::load(&file).unwrap(), config).unwrap();
    assert_eq!(
        threads_named("model drivenhere.ts"),
        0,
        "the driven stream's worker thread is still running"
    );
    h.play();
    assert!(h.is_playing(), "play() is carried out at once");
    assert_eq!(h.compute_now().unwrap(), DrivenStep::NeedInput(256));
    assert_eq!(h.write_input(&x), x.len());
    // The ring holds about two buffers: the renderer plays each one out
    // before asking for the next.
    let mut got = Vec::new();
    for _ in 0..6 {
        assert_eq!(
            h.compute_now().unwrap(),
            DrivenStep::Computed { frames: 256 }
        );
        got.extend(pull(&mut out, 256, 64));
    }
    got.extend(pull(&mut out, 256, 64));
    assert!(got[..256].iter().all(|&v| v == 0.0));
    assert_eq!(&got[256..], &want[..]);
    // Attributes and reload, between two buffers, at once.
    h.set_attribute("gain", &[AttrValue::Float(2.0)]).unwrap();
    assert_eq!(h.attribute("gain").unwrap(), vec![AttrValue::Float(2.0)]);
    h.write_input(&[0.25; 256]);
    assert_eq!(
        h.compute_now().unwrap(),
        DrivenStep::Computed { frames: 256 }
    );
    assert_eq!(pull(&mut out, 256, 256), vec![0.5; 256]);
    h.reload(&file).unwrap();
    assert_eq!(h.attribute("gain").unwrap(), vec![AttrValue::Float(0.5)]);
    assert_eq!(h.stats().buffers, 7);
    assert_eq!(h.stats().errors, 0);
    assert_eq!(threads_named("model drivenhere.ts"), 0);
    h.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn attributes_and_reload_while_streaming() {
    need_models!();
    let (mut h, mut out) = ModelStream::start(
        Module::load(path("full")).unwrap(),
        paused(Route::Audio("forward".into()), 48000, 256),
    )
    .unwrap();
    h.set_attribute("gain", &[AttrValue::Float(2.0)]).unwrap();
    assert_eq!(h.attribute("gain").unwrap(), vec![AttrValue::Float(2.0)]);
    h.write_input(&vec![0.25; 256 * 8]);
    h.play();
    let got = pull(&mut out, 256 * 3, 256);
    assert_eq!(got[256 * 2], 0.5);

    // A bad file: an error, and the old model keeps playing.
    let e = h.reload(path("not_a_model")).unwrap_err();
    assert!(e.to_string().contains("not_a_model.ts"), "{e}");
    // A model that does not fit the stream.
    let e = h.reload(path("rate44k")).unwrap_err();
    assert!(e.to_string().contains("layout"), "{e}");
    assert_eq!(h.attribute("gain").unwrap(), vec![AttrValue::Float(2.0)]);
    // The same file again: a fresh instance (gain back to 0.5), no gap.
    h.reload(path("full")).unwrap();
    assert_eq!(h.attribute("gain").unwrap(), vec![AttrValue::Float(0.5)]);
    h.write_input(&vec![0.25; 256 * 8]);
    let got = pull(&mut out, 256 * 8, 256);
    assert_eq!(*got.last().unwrap(), 0.125);
    assert_eq!(h.stats().underruns, 0);
    h.stop();
}

#[test]
fn rave_size_decoder_loads_and_decodes() {
    need_models!();
    let m = Module::load(path("rave_decoder")).unwrap();
    assert_eq!(
        m.info().method("decode").unwrap().params(),
        [16, 2048, 1, 1]
    );
    let y = m.call("decode", &[0.1; 16 * 2]).unwrap();
    assert_eq!(y.len(), 4096);
    assert!(y.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
}
