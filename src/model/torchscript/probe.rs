//! The real-time-factor probe: how long a model takes to compute one buffer
//! on this machine, and so which buffer (which added latency) it can play
//! at. Runs on the model's worker thread after warm-up, before the stream
//! plays (`ModelStream::start`), and in `loam models bench`; never on the
//! audio or timekeeping threads.
//!
//! The buffer rule. A stream adds one buffer of latency (nn~'s contract:
//! output frame `n` answers input frame `n − buffer`). The buffer is a
//! power of two of model frames, at least the largest ratio of the route's
//! methods (a method cannot run on less than one of its frames), at least
//! the largest ratio of any of the model's methods (nn~'s rule, which
//! streaming exports rely on: RAVE's `forward` declares ratio 1 but runs
//! encode and decode, 2048 samples a call) and at least
//! [`MIN_MODEL_BUFFER`]. Unless a buffer is asked for (`loam serve
//! --model-buffer`), loam starts from that smallest buffer and measures it: when the route computes a buffer in at
//! most [`REAL_TIME_SHARE`] of the buffer's duration (a real-time factor of
//! 0.5 or less) that buffer is kept; otherwise it doubles the buffer and
//! measures again (a larger buffer spreads each call's fixed cost over more
//! frames), up to [`MAX_AUTO_BUFFER`]. A model that is not fast enough at
//! any buffer loam tries is reported as not real time before it plays, and
//! plays at the buffer that measured fastest. An asked-for buffer is used as
//! asked (rounded up to a power of two ≥ the largest ratio) and measured
//! all the same, so the report says whether it will keep up.
//!
//! An offline render cannot let a measurement choose (two renders must be
//! identical, whatever else the machine is doing): it plays each model at
//! that smallest buffer, the latency a machine fast enough for the model
//! gives live, or at `loam render --model-buffer` (give the buffer `serve`
//! reported to reproduce a live set's timing). It measures all the same and
//! says whether the model would keep up live.

use std::time::{Duration, Instant};

use super::error::TorchScriptError;
use super::module::Module;

/// The share of a buffer's duration its computation may take for the
/// model to count as real time: a real-time factor (computation time ÷
/// audio time) of at most 0.5. The other half is the margin for the
/// machine's other work (other models, the audio thread, the OS) and for a
/// buffer that takes longer than the measured median.
pub const REAL_TIME_SHARE: f64 = 0.5;

/// The largest buffer, in model frames, the automatic rule picks (8192:
/// 171 ms at 48 kHz). Past it the delay is too long to play with; a model
/// that needs more is reported as not real time (`--model-buffer` still
/// sets any buffer).
pub const MAX_AUTO_BUFFER: usize = 8192;

/// The smallest buffer loam streams a model at, in model frames (256: 5.3 ms
/// at 48 kHz). Below it each buffer's fixed costs (a libtorch call, two
/// thread wake-ups: tens of microseconds) outweigh the audio it makes, and
/// a usual device block (256 frames) would not fit the stream's ring.
pub const MIN_MODEL_BUFFER: usize = 256;

/// Calls timed at each buffer size after its warm-up; the median counts.
pub const PROBE_CALLS: usize = 3;

/// A buffer whose calls take longer than this in all is not measured
/// again: the probe stops doubling (it runs before the model plays, so a
/// very slow model must not hold its loading up for long).
pub const PROBE_BUDGET: Duration = Duration::from_secs(2);

/// One buffer size, measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// Buffer in model frames.
    pub buffer: usize,
    /// The median time to compute one buffer through the route, in microseconds.
    pub compute_us: u64,
    /// Computation time ÷ the buffer's duration at the model's rate.
    pub rtf: f64,
}

/// What the probe found and the buffer it chose.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeReport {
    /// The buffer the stream plays at, in model frames.
    pub buffer: usize,
    /// The real-time factor at that buffer.
    pub rtf: f64,
    /// True when `rtf` ≤ [`REAL_TIME_SHARE`]: the model keeps up on this machine.
    pub real_time: bool,
    /// True when the buffer was asked for (`--model-buffer`), not chosen.
    pub asked: bool,
    /// The largest ratio of the route's methods (the smallest buffer possible).
    pub max_ratio: usize,
    /// libtorch intra-op threads the measurement used.
    pub threads: usize,
    /// Every size measured, smallest first.
    pub tried: Vec<Timing>,
}

impl ProbeReport {
    /// One line for the performer: RTF, buffer and ratio, and whether it
    /// keeps up (`latency_ms` is the buffer in milliseconds at the engine's rate).
    pub fn describe(&self, latency_ms: f64) -> String {
        let verdict = if self.real_time {
            "real time on this machine".to_string()
        } else {
            format!(
                "NOT real time on this machine (it needs a real-time factor of at most {REAL_TIME_SHARE}): it will underrun when played live"
            )
        };
        format!(
            "real-time factor {:.3} at a {}-frame buffer ({}; model ratio {}, {} thread{}), latency {:.1} ms: {verdict}",
            self.rtf,
            self.buffer,
            match (self.asked, self.real_time) {
                (true, _) => "given",
                (false, true) => "the smallest that keeps up",
                (false, false) => "the fastest loam tried",
            },
            self.max_ratio,
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            latency_ms
        )
    }
}

/// Times the route's `methods` (called in order, each on silence of its
/// own input size) at `buffer` model frames: `warm_up` calls first, then
/// `calls` timed ones; the median total counts.
pub fn time_route(
    module: &Module,
    methods: &[&str],
    buffer: usize,
    model_rate: u32,
    warm_up: usize,
    calls: usize,
) -> Result<Timing, TorchScriptError> {
    module.warm_up_methods(methods, buffer, warm_up)?;
    let mut inputs = Vec::with_capacity(methods.len());
    for name in methods {
        let m = module.method(name)?;
        let n = (buffer / m.in_ratio.max(1)).max(1);
        inputs.push(vec![0.0f32; n * m.in_channels]);
    }
    let mut out = Vec::new();
    let mut times = Vec::with_capacity(calls.max(1));
    for _ in 0..calls.max(1) {
        let start = Instant::now();
        for (name, input) in methods.iter().zip(&inputs) {
            module.call_into(name, input, &mut out)?;
        }
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let seconds = buffer as f64 / f64::from(model_rate.max(1));
    Ok(Timing {
        buffer,
        compute_us: median.as_micros() as u64,
        rtf: median.as_secs_f64() / seconds,
    })
}

/// Picks the buffer by the rule above (or measures the asked one, `asked`),
/// for a route whose smallest buffer is `smallest` (a power of two ≥ its
/// largest ratio). Runs on the calling thread with its libtorch threads.
pub fn choose_buffer(
    module: &Module,
    methods: &[&str],
    smallest: usize,
    max_ratio: usize,
    asked: Option<usize>,
    model_rate: u32,
    warm_up: usize,
) -> Result<ProbeReport, TorchScriptError> {
    let threads = usize::try_from(tch::get_num_threads()).unwrap_or(1).max(1);
    let report = |t: &Timing, asked: bool, tried: Vec<Timing>| ProbeReport {
        buffer: t.buffer,
        rtf: t.rtf,
        real_time: t.rtf <= REAL_TIME_SHARE,
        asked,
        max_ratio,
        threads,
        tried,
    };
    if let Some(b) = asked {
        let t = time_route(module, methods, b, model_rate, warm_up, PROBE_CALLS)?;
        return Ok(report(&t, true, vec![t.clone()]));
    }
    let started = Instant::now();
    let mut tried: Vec<Timing> = Vec::new();
    let mut b = smallest;
    loop {
        let t = time_route(module, methods, b, model_rate, warm_up, PROBE_CALLS)?;
        let fast = t.rtf <= REAL_TIME_SHARE;
        // A model whose cost grows with the buffer (per frame, not per
        // call) gains nothing from a larger one: stop when doubling did not
        // lower the real-time factor by a tenth.
        let no_gain = tried.last().is_some_and(|p| t.rtf > p.rtf * 0.9);
        tried.push(t);
        if fast
            || no_gain
            || b * 2 > MAX_AUTO_BUFFER.max(smallest)
            || started.elapsed() > PROBE_BUDGET
        {
            break;
        }
        b *= 2;
    }
    let last = tried[tried.len() - 1].clone();
    let chosen = if last.rtf <= REAL_TIME_SHARE {
        last
    } else {
        // Not real time anywhere: the size that measured fastest.
        tried
            .iter()
            .min_by(|a, b| a.rtf.total_cmp(&b.rtf))
            .cloned()
            .unwrap_or(last)
    };
    Ok(report(&chosen, false, tried))
}

/// The largest buffer `loam models bench` measures, in model frames (four
/// times [`MAX_AUTO_BUFFER`]: enough to show where a heavy model would keep up).
pub const MAX_BENCH_BUFFER: usize = 4 * MAX_AUTO_BUFFER;

/// One method at one buffer size, with one thread and with `threads`.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchRow {
    /// The method.
    pub method: String,
    /// Buffer in model frames.
    pub buffer: usize,
    /// The latency that buffer adds, in milliseconds at the model's rate.
    pub latency_ms: f64,
    /// Measured with one libtorch thread (as a stream plays).
    pub one_thread: Timing,
    /// Measured with `threads` libtorch threads.
    pub many_threads: Timing,
    /// The thread count of `many_threads`.
    pub threads: usize,
}

/// What `loam models bench` measured: a row per method and buffer size,
/// and the methods that failed (with why).
#[derive(Debug)]
pub struct BenchReport {
    /// Per method, per buffer, smallest first.
    pub rows: Vec<BenchRow>,
    /// Methods that raised an error on silence.
    pub failed: Vec<(String, TorchScriptError)>,
}

/// Measures every method of `module` at each buffer size the rule could
/// pick (powers of two from its largest ratio or [`MIN_MODEL_BUFFER`] up
/// to [`MAX_BENCH_BUFFER`]), with one thread and with `threads` (`loam
/// models bench`). Sets the calling thread's libtorch thread count as it
/// goes and leaves it at one.
pub fn bench(module: &Module, threads: usize) -> BenchReport {
    let _no_grad = tch::no_grad_guard();
    let rate = module
        .sample_rate()
        .unwrap_or(crate::sound::DEFAULT_SAMPLE_RATE);
    let threads = threads.max(1);
    let mut report = BenchReport {
        rows: Vec::new(),
        failed: Vec::new(),
    };
    let names: Vec<String> = module
        .info()
        .methods
        .iter()
        .map(|m| m.name.clone())
        .collect();
    for name in &names {
        let rows = bench_method(module, name, rate, threads);
        match rows {
            Ok(rows) => report.rows.extend(rows),
            Err(e) => report.failed.push((name.clone(), e)),
        }
    }
    tch::set_num_threads(1);
    report
}

fn bench_method(
    module: &Module,
    name: &str,
    rate: u32,
    threads: usize,
) -> Result<Vec<BenchRow>, TorchScriptError> {
    let m = module.method(name)?;
    let ratio = m.max_ratio().max(module.info().higher_ratio());
    let mut rows = Vec::new();
    let mut b = ratio.max(MIN_MODEL_BUFFER).next_power_of_two();
    while b <= MAX_BENCH_BUFFER.max(ratio) {
        tch::set_num_threads(1);
        let one = time_route(module, &[name], b, rate, 2, PROBE_CALLS)?;
        tch::set_num_threads(threads as i32);
        let many = time_route(module, &[name], b, rate, 2, PROBE_CALLS)?;
        rows.push(BenchRow {
            method: name.to_string(),
            buffer: b,
            latency_ms: b as f64 * 1000.0 / f64::from(rate.max(1)),
            one_thread: one,
            many_threads: many,
            threads,
        });
        b *= 2;
    }
    Ok(rows)
}
