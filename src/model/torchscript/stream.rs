//! Streaming a model: a worker thread per model instance keeps a ring of
//! output audio filled ahead of playback, the nn~ way.
//!
//! `ModelStream::start` returns a `StreamHandle` (control side: input,
//! latent controls, attributes, reload, stats) and a `StreamOutput` (audio
//! side: `process` only pops from an SPSC ring; it never waits, locks or
//! allocates). The worker owns the `Module`.
//!
//! Timing. The buffer `B` (model frames) is a power of two ≥ the largest
//! ratio of the route's methods. When playback starts the worker first
//! pushes one buffer of silence, then computed audio: output frame `n` is
//! the model's output for input frame `n − latency_frames()`. The ring holds
//! about two buffers, so each computation has one buffer's duration to
//! finish. If it does not, `process` plays silence for what is missing,
//! counts an underrun, and the worker drops the same number of frames from
//! its next output so the stream stays on time.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, Sender};

use super::attribute::AttrValue;
use super::error::ModelError;
use super::info::{MethodInfo, ModelInfo};
use super::latent::LatentControls;
use super::module::Module;
use super::worker::Worker;

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
    EncodeDecode { encode: String, decode: String },
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
}

impl StreamConfig {
    pub fn new(route: Route, engine_rate: u32) -> StreamConfig {
        StreamConfig {
            route,
            engine_rate,
            buffer: 4096,
            input_capacity: 1 << 18,
            latent_capacity: 1 << 12,
            warm_up_calls: 2,
            paused: false,
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
    pub max_compute_us: u64,
    /// The last error the model raised while streaming.
    pub last_error: Option<String>,
}

/// State shared by the three sides (audio, control, worker).
pub(crate) struct Shared {
    pub playing: AtomicBool,
    pub underruns: AtomicU64,
    pub missed_frames: AtomicU64,
    /// Missed frames the worker has not yet skipped.
    pub skip: AtomicU64,
    pub buffers: AtomicU64,
    pub errors: AtomicU64,
    pub latent_overflows: AtomicU64,
    pub last_compute_us: AtomicU64,
    pub max_compute_us: AtomicU64,
    pub last_error: Mutex<Option<String>>,
    pub latent: LatentControls,
}

impl Shared {
    fn new(latent_dims: usize) -> Shared {
        Shared {
            playing: AtomicBool::new(false),
            underruns: AtomicU64::new(0),
            missed_frames: AtomicU64::new(0),
            skip: AtomicU64::new(0),
            buffers: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            latent_overflows: AtomicU64::new(0),
            last_compute_us: AtomicU64::new(0),
            max_compute_us: AtomicU64::new(0),
            last_error: Mutex::new(None),
            latent: LatentControls::new(latent_dims),
        }
    }
}

pub(crate) enum Command {
    Play,
    Pause,
    Stop,
    GetAttribute(String, Sender<Result<Vec<AttrValue>, ModelError>>),
    SetAttribute(String, Vec<AttrValue>, Sender<Result<(), ModelError>>),
    Replace(Box<Module>, Sender<Result<(), ModelError>>),
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
    pub engine_rate: u32,
    /// Audio channels in (0 for `Decode`) and out (0 for `Encode`).
    pub in_channels: usize,
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
    ) -> Result<(StreamHandle, StreamOutput), ModelError> {
        let path = module.path().to_owned();
        let info = module.info().clone();
        let layout = layout(&module, &config)?;
        let out_capacity = (layout.latency_frames * 2 + 64) * layout.out_channels.max(1);
        let (out_tx, out_rx) = rtrb::RingBuffer::<f32>::new(out_capacity);
        let in_frames = config.input_capacity.max(layout.buffer);
        let (input_tx, input_rx) =
            rtrb::RingBuffer::<f32>::new(in_frames * layout.in_channels.max(1));
        let (latent_in_tx, latent_in_rx) =
            rtrb::RingBuffer::<f32>::new(config.input_capacity.max(64) * layout.latent_dims.max(1));
        let (latent_out_tx, latent_out_rx) = rtrb::RingBuffer::<f32>::new(
            config.latent_capacity.max(64) * layout.latent_dims.max(1),
        );
        let shared = Arc::new(Shared::new(layout.latent_dims));
        // Control <-> worker commands: a handful in flight at most.
        let (commands, command_rx) = bounded::<Command>(64);
        let (ready_tx, ready_rx) = bounded::<Result<(), ModelError>>(1);
        let worker = Worker {
            module,
            route: config.route.clone(),
            layout: layout.clone(),
            warm_up_calls: config.warm_up_calls,
            shared: Arc::clone(&shared),
            commands: command_rx,
            output: out_tx,
            input: input_rx,
            latent_in: latent_in_rx,
            latent_out: latent_out_tx,
        };
        let thread = std::thread::Builder::new()
            .name(format!("model {}", file_name(&path)))
            .spawn(move || worker.run(ready_tx))
            .map_err(|e| ModelError::Stream {
                path: path.clone(),
                message: format!("cannot start worker thread: {e}"),
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(ModelError::Stream {
                    path,
                    message: "worker thread ended during warm-up".into(),
                });
            }
        }
        let handle = StreamHandle {
            path,
            info,
            route: config.route.clone(),
            layout: layout.clone(),
            shared: Arc::clone(&shared),
            commands,
            thread: Some(thread),
            input: input_tx,
            latent_in: latent_in_tx,
            latent_out: latent_out_rx,
        };
        if !config.paused {
            handle.play();
        }
        let output = StreamOutput {
            ring: out_rx,
            channels: layout.out_channels,
            shared,
        };
        Ok((handle, output))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Works out buffer size, channels and rates for a route on a model.
pub(crate) fn layout(module: &Module, config: &StreamConfig) -> Result<StreamLayout, ModelError> {
    let path = module.path().to_owned();
    let err = |message: String| ModelError::Stream {
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
    let max_ratio = methods.iter().map(|m| m.max_ratio()).max().unwrap_or(1);
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

/// The audio side of a stream: pops computed audio.
pub struct StreamOutput {
    ring: rtrb::Consumer<f32>,
    channels: usize,
    shared: Arc<Shared>,
}

impl StreamOutput {
    /// An output that plays whatever another thread pushes into `ring`
    /// (interleaved, `channels` per frame), with no model behind it: for
    /// driving the mixer offline in tests, or any generator that fills a
    /// ring. It is never "playing", so a short ring is silence, not an
    /// underrun.
    pub fn from_ring(ring: rtrb::Consumer<f32>, channels: usize) -> StreamOutput {
        StreamOutput {
            ring,
            channels: channels.max(1),
            shared: Arc::new(Shared::new(0)),
        }
    }

    /// Interleaved output channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames ready to play now.
    pub fn available(&self) -> usize {
        self.ring.slots() / self.channels.max(1)
    }

    /// Fills `out` (interleaved, `channels()` per frame) from the ring.
    /// Called on the audio thread: never waits, locks, allocates or prints.
    /// What the ring lacks is silence; while playing that is an underrun,
    /// counted, and the worker skips the missed frames to stay on time.
    pub fn process(&mut self, out: &mut [f32]) {
        let ch = self.channels.max(1);
        let want = out.len() / ch * ch;
        let n = want.min(self.ring.slots() / ch * ch);
        if n > 0 {
            if let Ok(chunk) = self.ring.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                out[..a.len()].copy_from_slice(a);
                out[a.len()..a.len() + b.len()].copy_from_slice(b);
                chunk.commit_all();
            }
        }
        out[n..].fill(0.0);
        if n < want && self.shared.playing.load(Ordering::Relaxed) {
            let missed = ((want - n) / ch) as u64;
            self.shared.underruns.fetch_add(1, Ordering::Relaxed);
            self.shared
                .missed_frames
                .fetch_add(missed, Ordering::Relaxed);
            self.shared.skip.fetch_add(missed, Ordering::Relaxed);
        }
    }
}

/// The control side of a stream.
pub struct StreamHandle {
    path: PathBuf,
    info: ModelInfo,
    route: Route,
    layout: StreamLayout,
    shared: Arc<Shared>,
    commands: Sender<Command>,
    thread: Option<JoinHandle<()>>,
    input: rtrb::Producer<f32>,
    latent_in: rtrb::Producer<f32>,
    latent_out: rtrb::Consumer<f32>,
}

impl StreamHandle {
    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the model declares.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    pub fn route(&self) -> &Route {
        &self.route
    }

    /// Buffer, latency, rates and channel counts.
    pub fn layout(&self) -> &StreamLayout {
        &self.layout
    }

    /// Added latency in engine frames (one buffer).
    pub fn latency_frames(&self) -> usize {
        self.layout.latency_frames
    }

    fn send(&self, c: Command) -> Result<(), ModelError> {
        self.commands.send(c).map_err(|_| self.stopped())
    }

    fn stopped(&self) -> ModelError {
        ModelError::Stream {
            path: self.path.clone(),
            message: "the stream has stopped".into(),
        }
    }

    /// Starts (or resumes) computing; the first buffer played is silence.
    /// (The worker marks the stream as playing once that silence is queued,
    /// so the start is never counted as an underrun.)
    pub fn play(&self) {
        let _ = self.send(Command::Play);
    }

    /// Stops computing; what is in the ring still plays, then silence
    /// (not counted as underruns).
    pub fn pause(&self) {
        self.shared.playing.store(false, Ordering::Relaxed);
        let _ = self.send(Command::Pause);
    }

    pub fn is_playing(&self) -> bool {
        self.shared.playing.load(Ordering::Relaxed)
    }

    /// Queues audio input (interleaved engine-rate frames of the route's
    /// input channels). Returns the frames accepted (fewer when the queue is
    /// full).
    pub fn write_input(&mut self, frames: &[f32]) -> usize {
        push_frames(&mut self.input, frames, self.layout.in_channels)
    }

    /// Queues latent frames (`latent_dims` values each) for `decode`, one
    /// per `latent_ratio` model frames. Returns the frames accepted.
    pub fn write_latent(&mut self, frames: &[f32]) -> usize {
        push_frames(&mut self.latent_in, frames, self.layout.latent_dims)
    }

    /// The latent controls: set / offset / scale per dimension.
    pub fn latent(&self) -> &LatentControls {
        &self.shared.latent
    }

    /// Holds latent dimension `d` at `value` (`None` releases it).
    pub fn set_latent(&self, d: usize, value: Option<f32>) -> Result<(), ModelError> {
        self.shared
            .latent
            .set(d, value)
            .map_err(|m| self.stream_err(m))
    }

    /// Adds `offset` to latent dimension `d`.
    pub fn offset_latent(&self, d: usize, offset: f32) -> Result<(), ModelError> {
        self.shared
            .latent
            .offset(d, offset)
            .map_err(|m| self.stream_err(m))
    }

    /// Multiplies latent dimension `d` by `scale`.
    pub fn scale_latent(&self, d: usize, scale: f32) -> Result<(), ModelError> {
        self.shared
            .latent
            .scale(d, scale)
            .map_err(|m| self.stream_err(m))
    }

    /// The latent frame in use now (after set/offset/scale).
    pub fn current_latent(&self) -> Vec<f32> {
        self.shared.latent.current()
    }

    /// Drains the latent trajectory the stream produced or used since the
    /// last call into `out` (interleaved frames); returns the frame count.
    pub fn read_latents(&mut self, out: &mut Vec<f32>) -> usize {
        let n = self.latent_out.slots();
        if let Ok(chunk) = self.latent_out.read_chunk(n) {
            let (a, b) = chunk.as_slices();
            out.extend_from_slice(a);
            out.extend_from_slice(b);
            chunk.commit_all();
        }
        n / self.layout.latent_dims.max(1)
    }

    fn stream_err(&self, message: String) -> ModelError {
        ModelError::Stream {
            path: self.path.clone(),
            message,
        }
    }

    /// The live value of an attribute (asked between two buffers).
    pub fn attribute(&self, name: &str) -> Result<Vec<AttrValue>, ModelError> {
        let (tx, rx) = bounded(1);
        self.send(Command::GetAttribute(name.to_owned(), tx))?;
        rx.recv().map_err(|_| self.stopped())?
    }

    /// Sets an attribute (between two buffers), typed from its type codes.
    pub fn set_attribute(&self, name: &str, values: &[AttrValue]) -> Result<(), ModelError> {
        let (tx, rx) = bounded(1);
        self.send(Command::SetAttribute(name.to_owned(), values.to_vec(), tx))?;
        rx.recv().map_err(|_| self.stopped())?
    }

    /// Loads `path` again (or another file with the same route), warms it up
    /// on a helper thread, and swaps it in between two buffers without
    /// stopping the audio. On any error the old model keeps playing.
    pub fn reload(&mut self, path: impl AsRef<Path>) -> Result<(), ModelError> {
        let path = path.as_ref().to_owned();
        let route = self.route.clone();
        let frames = self.layout.buffer;
        let module = std::thread::spawn(move || -> Result<Module, ModelError> {
            tch::set_num_threads(1);
            let module = Module::load(&path)?;
            module.warm_up_methods(&route.methods(), frames, 2)?;
            Ok(module)
        })
        .join()
        .map_err(|_| self.stream_err("model loading panicked".into()))??;
        let config = StreamConfig {
            buffer: self.layout.buffer,
            ..StreamConfig::new(self.route.clone(), self.layout.engine_rate)
        };
        let new = layout(&module, &config)?;
        if new != self.layout {
            return Err(ModelError::Stream {
                path: module.path().to_owned(),
                message: format!(
                    "cannot replace the playing model: its layout {new:?} differs from {:?}",
                    self.layout
                ),
            });
        }
        let info = module.info().clone();
        let (tx, rx) = bounded(1);
        self.send(Command::Replace(Box::new(module), tx))?;
        rx.recv().map_err(|_| self.stopped())??;
        self.path = info.path.clone();
        self.info = info;
        Ok(())
    }

    /// Counters and the last error.
    pub fn stats(&self) -> StreamStats {
        let s = &self.shared;
        StreamStats {
            underruns: s.underruns.load(Ordering::Relaxed),
            missed_frames: s.missed_frames.load(Ordering::Relaxed),
            buffers: s.buffers.load(Ordering::Relaxed),
            errors: s.errors.load(Ordering::Relaxed),
            latent_overflows: s.latent_overflows.load(Ordering::Relaxed),
            last_compute_us: s.last_compute_us.load(Ordering::Relaxed),
            max_compute_us: s.max_compute_us.load(Ordering::Relaxed),
            last_error: s.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }

    /// Stops the worker and waits for it (at most one buffer's computation).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.playing.store(false, Ordering::Relaxed);
        let _ = self.commands.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

impl Drop for StreamHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Pushes whole frames of `channels` values; returns the frames pushed.
fn push_frames(ring: &mut rtrb::Producer<f32>, data: &[f32], channels: usize) -> usize {
    if channels == 0 {
        return 0;
    }
    let frames = (ring.slots() / channels).min(data.len() / channels);
    if frames == 0 {
        return 0;
    }
    match ring.write_chunk_uninit(frames * channels) {
        Ok(chunk) => chunk.fill_from_iter(data[..frames * channels].iter().copied()) / channels,
        Err(_) => 0,
    }
}

/// How long the worker sleeps when it has nothing to do.
pub(crate) fn poll_interval(layout: &StreamLayout) -> Duration {
    let buffer_us = layout.buffer as u64 * 1_000_000 / u64::from(layout.model_rate.max(1));
    Duration::from_micros((buffer_us / 16).clamp(200, 2_000))
}
