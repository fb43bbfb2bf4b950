//! The control side of a model stream: a [`StreamHandle`], owned by the
//! control thread (or a test). It queues input audio and latent frames,
//! steers the latent controls, asks the worker for attributes, reloads the
//! model, reads counters, and stops the worker. Nothing here runs on the
//! audio thread; calls that ask the worker wait for it (at most one
//! buffer's computation).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Sender};

use super::attribute::AttrValue;
use super::driven::DrivenWorker;
use super::error::TorchScriptError;
use super::info::ModelInfo;
use super::latent::LatentControls;
use super::module::Module;
use super::probe::ProbeReport;
use super::stream::{
    layout, DrivenStep, Route, StreamConfig, StreamLayout, StreamState, StreamStats, WorkerCommand,
};

/// The control side of a stream.
pub struct StreamHandle {
    pub(super) path: PathBuf,
    pub(super) info: ModelInfo,
    pub(super) route: Route,
    pub(super) layout: StreamLayout,
    pub(super) probe: ProbeReport,
    pub(super) shared: Arc<StreamState>,
    pub(super) commands: Sender<WorkerCommand>,
    pub(super) thread: Option<JoinHandle<()>>,
    /// A driven stream's worker, run on the caller's thread (`driven.rs`);
    /// `None` for a live stream, whose worker has its own thread.
    pub(super) driven: Option<Mutex<DrivenWorker>>,
    pub(super) input: rtrb::Producer<f32>,
    pub(super) latent_in: rtrb::Producer<f32>,
    pub(super) latent_out: rtrb::Consumer<f32>,
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

    /// What the stream calls.
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

    /// Added latency in milliseconds at the engine's rate.
    pub fn latency_ms(&self) -> f64 {
        self.layout.latency_frames as f64 * 1000.0 / f64::from(self.layout.engine_rate.max(1))
    }

    /// What the worker measured before playing: the real-time factor at the
    /// buffer it plays at, whether that keeps up, and the sizes it tried.
    pub fn probe(&self) -> &ProbeReport {
        &self.probe
    }

    /// A driven stream ([`super::stream::Pace::Driven`]): computes one
    /// buffer now, on this thread, with one libtorch intra-op thread.
    /// Asks for more input instead when the route's input for a whole
    /// buffer is not queued yet.
    pub fn compute_now(&self) -> Result<DrivenStep, TorchScriptError> {
        if let Some(mut d) = self.driven() {
            return d.compute().unwrap_or_else(|| Err(self.stopped()));
        }
        let (tx, rx) = bounded(1);
        self.send(WorkerCommand::Compute(tx))?;
        rx.recv().map_err(|_| self.stopped())?
    }

    /// Waits until the worker has carried out every command sent before
    /// (after `play()`, its buffer of silence is queued).
    pub fn settle(&self) -> Result<(), TorchScriptError> {
        let (tx, rx) = bounded(1);
        self.send(WorkerCommand::Settle(tx))?;
        rx.recv().map_err(|_| self.stopped())
    }

    /// Hands a command to the worker: queued for a live stream's thread,
    /// carried out at once for a driven stream.
    fn send(&self, c: WorkerCommand) -> Result<(), TorchScriptError> {
        if let Some(mut d) = self.driven() {
            d.command(c);
            return Ok(());
        }
        self.commands.send(c).map_err(|_| self.stopped())?;
        self.wake_worker();
        Ok(())
    }

    /// Wakes a live stream's worker (it sleeps until woken: by the audio
    /// side when a buffer can be computed, by this side when there is a
    /// command or queued input).
    fn wake_worker(&self) {
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }

    /// A driven stream's worker (a panic while computing left nothing
    /// half-changed that a later buffer cannot recompute).
    fn driven(&self) -> Option<MutexGuard<'_, DrivenWorker>> {
        self.driven
            .as_ref()
            .map(|d| d.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn stopped(&self) -> TorchScriptError {
        TorchScriptError::Stream {
            path: self.path.clone(),
            message: "the stream has stopped".into(),
        }
    }

    /// Starts (or resumes) computing; the first buffer played is silence.
    /// (The worker marks the stream as playing once that silence is queued,
    /// so the start is never counted as an underrun.)
    pub fn play(&self) {
        let _ = self.send(WorkerCommand::Play);
    }

    /// Stops computing; what is in the ring still plays, then silence
    /// (not counted as underruns).
    pub fn pause(&self) {
        self.shared.playback.playing.store(false, Ordering::Relaxed);
        let _ = self.send(WorkerCommand::Pause);
    }

    /// True once the worker has queued its first (silent) buffer after
    /// `play()` or an unpaused start, until `pause()` or stop.
    pub fn is_playing(&self) -> bool {
        self.shared.playback.playing.load(Ordering::Relaxed)
    }

    /// Queues audio input (interleaved engine-rate frames of the route's
    /// input channels). Returns the frames accepted (fewer when the queue is
    /// full).
    pub fn write_input(&mut self, frames: &[f32]) -> usize {
        let n = push_frames(&mut self.input, frames, self.layout.in_channels);
        self.wake_worker();
        n
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
    pub fn set_latent(&self, d: usize, value: Option<f32>) -> Result<(), TorchScriptError> {
        self.shared
            .latent
            .set(d, value)
            .map_err(|m| self.stream_err(m.to_string()))
    }

    /// Adds `offset` to latent dimension `d`.
    pub fn offset_latent(&self, d: usize, offset: f32) -> Result<(), TorchScriptError> {
        self.shared
            .latent
            .offset(d, offset)
            .map_err(|m| self.stream_err(m.to_string()))
    }

    /// Multiplies latent dimension `d` by `scale`.
    pub fn scale_latent(&self, d: usize, scale: f32) -> Result<(), TorchScriptError> {
        self.shared
            .latent
            .scale(d, scale)
            .map_err(|m| self.stream_err(m.to_string()))
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

    fn stream_err(&self, message: String) -> TorchScriptError {
        TorchScriptError::Stream {
            path: self.path.clone(),
            message,
        }
    }

    /// The live value of an attribute (asked between two buffers).
    pub fn attribute(&self, name: &str) -> Result<Vec<AttrValue>, TorchScriptError> {
        let (tx, rx) = bounded(1);
        self.send(WorkerCommand::GetAttribute(name.to_owned(), tx))?;
        rx.recv().map_err(|_| self.stopped())?
    }

    /// Sets an attribute (between two buffers), typed from its type codes.
    pub fn set_attribute(&self, name: &str, values: &[AttrValue]) -> Result<(), TorchScriptError> {
        let (tx, rx) = bounded(1);
        self.send(WorkerCommand::SetAttribute(
            name.to_owned(),
            values.to_vec(),
            tx,
        ))?;
        rx.recv().map_err(|_| self.stopped())?
    }

    /// Loads `path` again (or another file with the same route), warms it up
    /// on a helper thread, and swaps it in between two buffers without
    /// stopping the audio. On any error the old model keeps playing.
    pub fn reload(&mut self, path: impl AsRef<Path>) -> Result<(), TorchScriptError> {
        let path = path.as_ref().to_owned();
        let route = self.route.clone();
        let frames = self.layout.buffer;
        let module = std::thread::spawn(move || -> Result<Module, TorchScriptError> {
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
            return Err(TorchScriptError::Stream {
                path: module.path().to_owned(),
                message: format!(
                    "cannot replace the playing model: its layout {new:?} differs from {:?}",
                    self.layout
                ),
            });
        }
        let info = module.info().clone();
        let (tx, rx) = bounded(1);
        self.send(WorkerCommand::Replace(Box::new(module), tx))?;
        rx.recv().map_err(|_| self.stopped())??;
        self.path = info.path.clone();
        self.info = info;
        Ok(())
    }

    /// Counters and the last error.
    pub fn stats(&self) -> StreamStats {
        let s = &self.shared;
        StreamStats {
            underruns: s.playback.underruns.load(Ordering::Relaxed),
            missed_frames: s.playback.missed_frames.load(Ordering::Relaxed),
            buffers: s.buffers.load(Ordering::Relaxed),
            errors: s.errors.load(Ordering::Relaxed),
            latent_overflows: s.latent_overflows.load(Ordering::Relaxed),
            last_compute_us: s.last_compute_us.load(Ordering::Relaxed),
            max_compute_us: s.max_compute_us.load(Ordering::Relaxed),
            sleeps: s.sleeps.load(Ordering::Relaxed),
            last_error: s.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }

    /// Stops the worker and waits for it (at most one buffer's computation).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.playback.playing.store(false, Ordering::Relaxed);
        let _ = self.send(WorkerCommand::Stop);
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
