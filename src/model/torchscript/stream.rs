//! Streaming a model: a worker thread per model instance keeps a ring of
//! output audio filled ahead of playback, the nn~ way. This file sets a
//! stream up (on the control thread) and holds what its three sides share.
//!
//! Which thread runs what:
//! - `ModelStream::start` (here, control thread) checks the route, spawns
//!   the worker and waits for its warm-up, then returns a `StreamHandle` and
//!   a [`StreamOutput`].
//! - `worker.rs` (the model's worker thread) owns the `Module` and computes.
//! - `stream_handle.rs` (control side): input, latent controls,
//!   attributes, reload, stats.
//! - [`crate::audio::stream_output`] (audio thread): `process` only pops
//!   from an SPSC ring; it never waits, locks or allocates.
//!
//! Timing. The buffer `B` (model frames) is a power of two ≥ the largest
//! ratio of the route's methods: the smallest that keeps up on this machine
//! as the worker measures it before playing, or the one asked for
//! (`probe.rs` states the rule). When playback starts the worker first
//! pushes one buffer of silence, then computed audio: output frame `n` is
//! the model's output for input frame `n − latency_frames()`. The ring holds
//! about two buffers, so each computation has one buffer's duration to
//! finish. If it does not, `process` plays silence for what is missing,
//! counts an underrun, and the worker drops the same number of frames from
//! its next output so the stream stays on time.
//!
//! Pace. Live, the worker computes whenever the ring has room
//! ([`Pace::RealTime`]). In an offline render the renderer drives it
//! ([`Pace::Driven`]): it asks for each buffer (`compute_now`) at the frame
//! where the ring would run dry, having queued exactly the input that
//! buffer needs, so what a model plays depends only on the score, never on
//! the machine's speed or the engine's block size. A driven stream's
//! worker warms up on its own thread, then runs on the renderer's thread
//! (`driven.rs`): the renderer waits for each buffer anyway, and handing
//! each one to another thread cost more than a small model's computation.
//!
//! Inputs come from the control side: audio for `forward`/`encode`-like
//! methods (`write_input`; missing input is silence, as a live input would
//! be), latent frames for `decode` (`write_latent`; when none are queued the
//! last frame is held). Latent frames pass through the `LatentControls`
//! (set/offset/scale) before `decode`, and the frame in use is published
//! for `current_latent` / `read_latents`.
//!
//! Threads: the worker sets libtorch's intra-op threads to 1 for itself
//! (`tch::set_num_threads(1)`), so a model uses one core and never competes
//! with the audio thread for the rest. NOTE: with the MKL in the PyPI torch
//! build this also sets MKL's process-wide thread count; code that trains
//! on several cores sets its own count on its own thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{bounded, Sender};

use super::attribute::AttrValue;
use super::driven::DrivenWorker;
use super::error::TorchScriptError;
use super::info::MethodInfo;
use super::latent::LatentControls;
use super::module::Module;
use super::probe::{choose_buffer, ProbeReport, MIN_MODEL_BUFFER};
use super::stream_handle::StreamHandle;
use super::worker::Worker;
use crate::audio::stream_output::{InputChannels, StreamOutput, StreamPlayback};

/// Which method(s) a stream runs, and so what goes in and comes out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Audio in → method → audio out (`forward`, or any audio-rate method).
    Audio(String),
    /// Latent frames in → latent controls → method → audio out (`decode`).
    Decode(String),
    /// Audio in → method → latent frames out, read by the control side
    /// (`encode`). Runs only when a whole buffer of input is queued.
    Encode(String),
    /// Audio in → encode → latent controls → decode → audio out.
    EncodeDecode {
        /// The method that turns audio into latent frames.
        encode: String,
        /// The method that turns latent frames into audio.
        decode: String,
    },
}

impl Route {
    /// The methods the route calls, in order.
    pub fn methods(&self) -> Vec<&str> {
        match self {
            Route::Audio(m) | Route::Decode(m) | Route::Encode(m) => vec![m.as_str()],
            Route::EncodeDecode { encode, decode } => vec![encode.as_str(), decode.as_str()],
        }
    }
}

/// How to start a stream.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// What the stream calls and how its input and output flow.
    pub route: Route,
    /// The engine's rate; the stream resamples when the model's differs.
    pub engine_rate: u32,
    /// Requested buffer in model frames; rounded up to a power of two ≥ the
    /// largest ratio of the route's methods. nn~'s default is 4096.
    pub buffer: usize,
    /// Frames of input (audio frames, or latent frames) that can be queued.
    pub input_capacity: usize,
    /// Latent frames kept for `read_latents` before new ones are dropped.
    pub latent_capacity: usize,
    /// Calls of each method on silence before playing (the first two are slow).
    pub warm_up_calls: usize,
    /// Start paused: the worker waits for `play()` (input can be queued first).
    pub paused: bool,
    /// Feed the input from the live input on the audio side instead of
    /// from the control side (`model_input("name", "in")`).
    pub live_input: Option<LiveInputConfig>,
    /// Who paces the computation: the worker keeping its ring full (live),
    /// or the caller, one buffer per [`StreamHandle::compute_now`] (offline renders).
    pub pace: Pace,
    /// Choose the buffer by the probe's rule ([`super::probe`]): the
    /// smallest that keeps up, from the largest ratio up to
    /// [`super::probe::MAX_AUTO_BUFFER`]. When false, `buffer` is used.
    pub choose_buffer: bool,
    /// The smallest buffer the rule starts from, in model frames (at least
    /// the audio device's block, whose frames the ring must hold at once;
    /// [`super::probe::MIN_MODEL_BUFFER`] by default).
    pub min_buffer: usize,
    /// The longest a live stream's worker sleeps unwoken (`None`: two
    /// buffers' time, 10 to 200 ms). The audio side wakes it when it can
    /// compute, so this only bounds the cost of a wake-up that never came;
    /// a test sets it to hours to show that none is lost.
    pub longest_sleep: Option<Duration>,
}

/// Who decides when a stream computes its next buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pace {
    /// The worker computes whenever its output ring has room for a buffer
    /// (and, for a live input, the input for one has come), sleeping
    /// between buffers until the audio side wakes it: a live performance,
    /// paced by the audio clock.
    #[default]
    RealTime,
    /// The worker computes only when asked ([`StreamHandle::compute_now`])
    /// and otherwise sleeps until the next command: an offline render, where
    /// the renderer asks for each buffer at a frame that does not depend on
    /// the machine's speed or the engine's block size, so the result is
    /// bit-identical from run to run.
    Driven,
}

/// What one [`StreamHandle::compute_now`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrivenStep {
    /// A buffer was computed; this many engine frames were queued for the
    /// audio side (0 for an `Encode` route, which makes only latents).
    Computed {
        /// Engine frames queued.
        frames: usize,
    },
    /// The route's audio input lacks this many engine frames for a whole
    /// buffer: queue them (`write_input`) and ask again. Nothing was computed.
    NeedInput(usize),
}

/// A stream whose input is the live input, pushed by the audio side in
/// the same block as it pops the output.
///
/// Timing: the worker first queues one buffer plus one engine block of
/// silence, then waits for each whole buffer of input before computing
/// it, never padding. Input frame `n` (engine frames) comes out at engine
/// frame `n + latency_frames + block`: the buffer, and one block in which
/// the worker computes it (a model that cannot compute a buffer within
/// one block underruns, counted; the stream keeps its clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveInputConfig {
    /// Which input channels the model hears.
    pub channels: InputChannels,
    /// The engine block (the device period), in engine frames.
    pub block: usize,
}

impl StreamConfig {
    /// A stream with nn~'s defaults: a 4096-frame buffer, 2 warm-up calls, playing at once.
    pub fn new(route: Route, engine_rate: u32) -> StreamConfig {
        StreamConfig {
            route,
            engine_rate,
            buffer: 4096,
            input_capacity: 1 << 18,
            latent_capacity: 1 << 12,
            warm_up_calls: 2,
            paused: false,
            live_input: None,
            pace: Pace::RealTime,
            choose_buffer: false,
            min_buffer: MIN_MODEL_BUFFER,
            longest_sleep: None,
        }
    }
}

/// What a stream has done, for status replies and tests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamStats {
    /// `process` calls that found the ring short while playing.
    pub underruns: u64,
    /// Frames played as silence because of underruns.
    pub missed_frames: u64,
    /// Buffers computed.
    pub buffers: u64,
    /// Buffers whose computation failed (played as silence).
    pub errors: u64,
    /// Latent frames dropped because `read_latents` was not keeping up.
    pub latent_overflows: u64,
    /// Last and longest computation of one buffer, in microseconds.
    pub last_compute_us: u64,
    /// The longest computation of one buffer so far, in microseconds.
    pub max_compute_us: u64,
    /// Times a live stream's worker went to sleep (about once a buffer: it
    /// is woken when the audio side makes room or brings input, never
    /// polls).
    pub sleeps: u64,
    /// The last error the model raised while streaming.
    pub last_error: Option<String>,
}

/// State the control side and the worker share. What the audio side
/// shares too (playing, underruns, frames to skip) is `playback`.
pub(crate) struct StreamState {
    pub playback: Arc<StreamPlayback>,
    pub buffers: AtomicU64,
    pub errors: AtomicU64,
    pub latent_overflows: AtomicU64,
    pub last_compute_us: AtomicU64,
    pub max_compute_us: AtomicU64,
    pub sleeps: AtomicU64,
    pub last_error: Mutex<Option<String>>,
    pub latent: LatentControls,
}

impl StreamState {
    fn new(latent_dims: usize) -> StreamState {
        StreamState {
            playback: Arc::default(),
            buffers: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            latent_overflows: AtomicU64::new(0),
            last_compute_us: AtomicU64::new(0),
            max_compute_us: AtomicU64::new(0),
            sleeps: AtomicU64::new(0),
            last_error: Mutex::new(None),
            latent: LatentControls::new(latent_dims),
        }
    }
}

/// What the control side asks of the worker (between two buffers).
pub(crate) enum WorkerCommand {
    Play,
    Pause,
    Stop,
    GetAttribute(String, Sender<Result<Vec<AttrValue>, TorchScriptError>>),
    SetAttribute(String, Vec<AttrValue>, Sender<Result<(), TorchScriptError>>),
    Replace(Box<Module>, Sender<Result<(), TorchScriptError>>),
    /// `Pace::Driven`: compute one buffer now.
    Compute(Sender<Result<DrivenStep, TorchScriptError>>),
    /// Answers once every command sent before it is done.
    Settle(Sender<()>),
}

/// The numbers a stream was built with.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamLayout {
    /// Buffer in model frames.
    pub buffer: usize,
    /// Buffer in engine frames (the added latency).
    pub latency_frames: usize,
    /// The model's rate, or the engine's when the model has none.
    pub model_rate: u32,
    /// The engine's rate, in Hz.
    pub engine_rate: u32,
    /// Audio channels in (0 for `Decode`) and out (0 for `Encode`).
    pub in_channels: usize,
    /// Audio channels out (0 for `Encode`).
    pub out_channels: usize,
    /// Latent dimensions (decode input or encode output).
    pub latent_dims: usize,
    /// Model frames per latent frame.
    pub latent_ratio: usize,
}

/// Starts streams.
pub struct ModelStream;

impl ModelStream {
    /// Checks the route against the model, spawns the worker, warms the
    /// route's methods up there, and returns once it is ready (or with the
    /// error a method raised on silence).
    pub fn start(
        module: Module,
        config: StreamConfig,
    ) -> Result<(StreamHandle, StreamOutput), TorchScriptError> {
        let path = module.path().to_owned();
        let info = module.info().clone();
        // The worker first measures the model at the sizes the buffer rule
        // tries (probe.rs) and says which buffer it will play at; the rings
        // are then made for that buffer and handed to it.
        let (probed_tx, probed_rx) =
            bounded::<Result<(StreamLayout, ProbeReport), TorchScriptError>>(1);
        let (parts_tx, parts_rx) = bounded::<WorkerParts>(1);
        let (ready_tx, ready_rx) =
            bounded::<Result<Option<Box<DrivenWorker>>, TorchScriptError>>(1);
        let probe_config = config.clone();
        let thread = std::thread::Builder::new()
            .name(format!("model {}", file_name(&path)))
            .spawn(move || {
                // One intra-op thread per model, as it will play.
                tch::set_num_threads(1);
                let _no_grad = tch::no_grad_guard();
                let probed = probe_layout(&module, &probe_config);
                let failed = probed.is_err();
                if probed_tx.send(probed).is_err() || failed {
                    return;
                }
                let Ok(parts) = parts_rx.recv() else { return };
                let guard = probe_config
                    .longest_sleep
                    .unwrap_or_else(|| longest_sleep(&parts.layout));
                let worker = Worker {
                    module,
                    route: probe_config.route.clone(),
                    layout: parts.layout,
                    warm_up_calls: probe_config.warm_up_calls,
                    pace: probe_config.pace,
                    shared: parts.shared,
                    commands: parts.commands,
                    output: parts.output,
                    input: parts.input,
                    latent_in: parts.latent_in,
                    latent_out: parts.latent_out,
                    live_block: parts.live_block,
                    longest_sleep: guard,
                };
                worker.run(ready_tx);
            })
            .map_err(|e| TorchScriptError::Stream {
                path: path.clone(),
                message: format!("cannot start worker thread: {e}"),
            })?;
        let ended = |path: PathBuf| TorchScriptError::Stream {
            path,
            message: "worker thread ended during warm-up".into(),
        };
        let (layout, probe) = match probed_rx.recv() {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(ended(path));
            }
        };
        let live_block = config.live_input.map_or(0, |l| l.block);
        // Two buffers and a margin; a live input's silence adds one block,
        // and its worker, woken by the block that completes its input
        // before that block's output is popped, needs one block more to
        // find room for a whole buffer at once (the latency is set by the
        // silence queued first, not by this).
        let out_capacity =
            (layout.latency_frames * 2 + 64 + 2 * live_block) * layout.out_channels.max(1);
        let (out_tx, out_rx) = rtrb::RingBuffer::<f32>::new(out_capacity);
        let in_frames = config.input_capacity.max(layout.buffer);
        let (input_tx, input_rx) =
            rtrb::RingBuffer::<f32>::new(in_frames * layout.in_channels.max(1));
        let (latent_in_tx, latent_in_rx) =
            rtrb::RingBuffer::<f32>::new(config.input_capacity.max(64) * layout.latent_dims.max(1));
        let (latent_out_tx, latent_out_rx) = rtrb::RingBuffer::<f32>::new(
            config.latent_capacity.max(64) * layout.latent_dims.max(1),
        );
        let shared = Arc::new(StreamState::new(layout.latent_dims));
        // Control <-> worker commands: a handful in flight at most.
        let (commands, command_rx) = bounded::<WorkerCommand>(64);
        let parts = WorkerParts {
            layout: layout.clone(),
            shared: Arc::clone(&shared),
            commands: command_rx,
            output: out_tx,
            input: input_rx,
            latent_in: latent_in_rx,
            latent_out: latent_out_tx,
            live_block: config.live_input.map(|l| l.block),
        };
        if parts_tx.send(parts).is_err() {
            let _ = thread.join();
            return Err(ended(path));
        }
        let driven = match ready_rx.recv() {
            Ok(Ok(driven)) => driven,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(ended(path));
            }
        };
        // A driven stream's worker has handed itself over and ended.
        let thread = match driven {
            Some(_) => {
                let _ = thread.join();
                None
            }
            None => Some(thread),
        };
        let mut output =
            StreamOutput::new(out_rx, layout.out_channels, Arc::clone(&shared.playback));
        // A live input's ring is written by the audio side; the handle
        // gets a ring nobody reads, so `write_input` takes nothing.
        let input_tx = match config.live_input {
            Some(live) => {
                output = output.with_live_input(input_tx, live.channels, layout.in_channels);
                rtrb::RingBuffer::<f32>::new(1).0
            }
            None => input_tx,
        };
        let handle = StreamHandle {
            path,
            info,
            route: config.route.clone(),
            layout,
            probe,
            shared,
            commands,
            thread,
            driven: driven.map(|d| Mutex::new(*d)),
            input: input_tx,
            latent_in: latent_in_tx,
            latent_out: latent_out_rx,
        };
        if !config.paused {
            handle.play();
        }
        if config.live_input.is_some() && !config.paused {
            // The audio side feeds and reads a live stream from the block
            // it gets it: the silence that sets its latency must be queued
            // first (waited for here, on the loading thread).
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !handle.is_playing() && std::time::Instant::now() < deadline {
                if let Some(t) = &handle.thread {
                    t.thread().unpark();
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        Ok((handle, output))
    }
}

/// What the worker gets once its buffer is chosen: the rings and channels
/// made for that buffer.
struct WorkerParts {
    layout: StreamLayout,
    shared: Arc<StreamState>,
    commands: crossbeam_channel::Receiver<WorkerCommand>,
    output: rtrb::Producer<f32>,
    input: rtrb::Consumer<f32>,
    latent_in: rtrb::Consumer<f32>,
    latent_out: rtrb::Producer<f32>,
    live_block: Option<usize>,
}

/// On the worker thread, before the stream plays: applies the buffer rule
/// ([`super::probe`]) and works out the layout for the buffer chosen.
fn probe_layout(
    module: &Module,
    config: &StreamConfig,
) -> Result<(StreamLayout, ProbeReport), TorchScriptError> {
    let smallest = layout(
        module,
        &StreamConfig {
            buffer: config.min_buffer.max(1),
            ..config.clone()
        },
    )?;
    let asked = (!config.choose_buffer).then(|| layout(module, config).map(|l| l.buffer));
    let asked = asked.transpose()?;
    let methods = config.route.methods();
    let max_ratio = methods
        .iter()
        .map(|m| module.method(m).map(|m| m.max_ratio()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(1)
        .max(module.info().higher_ratio());
    let report = choose_buffer(
        module,
        &methods,
        smallest.buffer,
        max_ratio,
        asked,
        smallest.model_rate,
        config.warm_up_calls.max(1),
    )?;
    let chosen = layout(
        module,
        &StreamConfig {
            buffer: report.buffer,
            ..config.clone()
        },
    )?;
    Ok((chosen, report))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Works out buffer size, channels and rates for a route on a model.
pub(crate) fn layout(
    module: &Module,
    config: &StreamConfig,
) -> Result<StreamLayout, TorchScriptError> {
    let path = module.path().to_owned();
    let err = |message: String| TorchScriptError::Stream {
        path: path.clone(),
        message,
    };
    let methods: Vec<&MethodInfo> = config
        .route
        .methods()
        .into_iter()
        .map(|m| module.method(m))
        .collect::<Result<_, _>>()?;
    let first = methods[0];
    let last = methods[methods.len() - 1];
    let audio_in = |m: &MethodInfo| {
        if m.in_ratio != 1 {
            return Err(err(format!(
                "method '{}' does not take audio (in_ratio {})",
                m.name, m.in_ratio
            )));
        }
        Ok(m.in_channels)
    };
    let audio_out = |m: &MethodInfo| {
        if m.out_ratio != 1 {
            return Err(err(format!(
                "method '{}' does not make audio (out_ratio {})",
                m.name, m.out_ratio
            )));
        }
        Ok(m.out_channels)
    };
    let (in_channels, out_channels, latent_dims, latent_ratio) = match &config.route {
        Route::Audio(_) => (audio_in(first)?, audio_out(first)?, 0, 1),
        Route::Decode(_) => (0, audio_out(first)?, first.in_channels, first.in_ratio),
        Route::Encode(_) => (audio_in(first)?, 0, first.out_channels, first.out_ratio),
        Route::EncodeDecode { .. } => {
            if first.out_channels != last.in_channels || first.out_ratio != last.in_ratio {
                return Err(err(format!(
                    "'{}' makes {} latents every {} frames but '{}' takes {} every {}",
                    first.name,
                    first.out_channels,
                    first.out_ratio,
                    last.name,
                    last.in_channels,
                    last.in_ratio
                )));
            }
            (
                audio_in(first)?,
                audio_out(last)?,
                first.out_channels,
                first.out_ratio,
            )
        }
    };
    // The route's methods' ratios, and the model's largest (nn~'s rule).
    let max_ratio = methods
        .iter()
        .map(|m| m.max_ratio())
        .max()
        .unwrap_or(1)
        .max(module.info().higher_ratio());
    let buffer = config.buffer.max(max_ratio).max(1).next_power_of_two();
    if !buffer.is_multiple_of(max_ratio) {
        return Err(err(format!(
            "ratio {max_ratio} does not divide a power-of-two buffer"
        )));
    }
    if config.engine_rate == 0 {
        return Err(err("engine rate is 0".into()));
    }
    let model_rate = module.sample_rate().unwrap_or(config.engine_rate);
    let rates = &super::info::MODEL_SAMPLE_RATES;
    if !rates.contains(&model_rate) {
        return Err(err(format!(
            "the model says its sample rate is {model_rate} Hz; loam streams models at {} to {} Hz",
            rates.start(),
            rates.end()
        )));
    }
    let latency_frames =
        (buffer as u64 * u64::from(config.engine_rate)).div_ceil(u64::from(model_rate)) as usize;
    Ok(StreamLayout {
        buffer,
        latency_frames,
        model_rate,
        engine_rate: config.engine_rate,
        in_channels,
        out_channels,
        latent_dims,
        latent_ratio,
    })
}

/// The longest a live stream's worker sleeps unwoken by default
/// ([`StreamConfig::longest_sleep`]): two buffers' time, 10 to 200 ms. It
/// is woken when the audio side makes room for its next buffer or brings
/// its input (`audio::worker_wake`), or a command comes; this only bounds
/// the cost of a wake-up that never came.
pub(crate) fn longest_sleep(layout: &StreamLayout) -> Duration {
    let buffer_us = layout.buffer as u64 * 1_000_000 / u64::from(layout.model_rate.max(1));
    Duration::from_micros((2 * buffer_us).clamp(10_000, 200_000))
}
