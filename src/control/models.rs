//! The models a live session holds: loaded on a helper thread (loading and
//! warming up take 100+ ms, which the control loop must never wait for),
//! then attached to a mixer slot; latents and attributes set from scripts,
//! OSC and MIDI.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError};

use super::answer::{Answer, ControlError, Reply};
use super::model_op_error::ModelOpError;
use super::Notice;
use crate::audio::model_slots::{ModelMsg, MODEL_SLOTS};
use crate::audio::stream_output::InputChannels;
use crate::audio::EngineHandle;
use crate::data::credit::{credit_for, Credit, CreditedSource};
use crate::model::torchscript::stream::LiveInputConfig;
use crate::model::torchscript::{
    ModelStream, Module, Pace, Route, StreamConfig, StreamHandle, StreamOutput,
};
use crate::schedule::ModelOp;
use crate::sound::Sample;

/// A sound looped into a model's input.
struct Feed {
    sample: Arc<Sample>,
    /// The next frame of the sample to send.
    at: usize,
    scratch: Vec<f32>,
}

/// Frames written into a model's input per try.
const FEED_CHUNK: usize = 2048;

struct Loaded {
    handle: StreamHandle,
    slot: usize,
    /// The stream hears the live input (the audio side feeds it).
    live: bool,
    /// Gain and pan in the mix, kept when the stream starts again.
    gain: (f32, f32),
}

/// A model loading: its stream and the credit of its file (what the
/// mixer marks when it sounds, for the credits of a recording).
type Loading = Receiver<Result<(StreamHandle, StreamOutput, Credit), ModelOpError>>;

/// A playing model's measured timing (`/status`, `loam render`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelTiming {
    /// The model's name.
    pub name: String,
    /// Computation time ÷ audio time at its buffer, measured before it played.
    pub rtf: f64,
    /// True when `rtf` is within `probe::REAL_TIME_SHARE`.
    pub real_time: bool,
    /// The latency it adds, in engine frames (its buffer).
    pub latency_frames: usize,
    /// Its buffer in model frames.
    pub buffer: usize,
}

/// How often the latent frames of playing models are published.
pub const LATENT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

/// The session's models: those playing, those loading, and the sounds fed
/// into their inputs.
pub struct Models {
    /// Each model's buffer in model frames (`loam serve --model-buffer`);
    /// `None`: the smallest that keeps up on this machine, as each model's
    /// worker measures it (`model::torchscript::probe`).
    pub buffer: Option<usize>,
    /// The smallest buffer the automatic rule starts from, in model frames:
    /// at least the audio device's block (`loam serve` sets it).
    pub min_buffer: usize,
    /// Who paces the models' workers: the audio clock (live) or an offline
    /// renderer ([`Pace::Driven`]).
    pub pace: Pace,
    loaded: BTreeMap<String, Loaded>,
    loading: Vec<(String, Loading, Option<Reply>)>,
    /// Operations for models still loading, applied once they play.
    waiting: Vec<ModelOp>,
    /// Sounds fed into models' inputs, by model name.
    inputs: BTreeMap<String, Feed>,
    /// Models that listen to the live input (`model_input("name", "in")`),
    /// and which channels.
    live: BTreeMap<String, InputChannels>,
    /// The engine's block (the device period), in frames: a live input's
    /// stream answers one buffer plus one block after it hears.
    pub live_block: usize,
}

impl Default for Models {
    fn default() -> Models {
        Models {
            buffer: None,
            min_buffer: crate::model::torchscript::probe::MIN_MODEL_BUFFER,
            pace: Pace::RealTime,
            loaded: BTreeMap::new(),
            loading: Vec::new(),
            waiting: Vec::new(),
            inputs: BTreeMap::new(),
            live: BTreeMap::new(),
            live_block: 256,
        }
    }
}

fn route_for(module: &Module, route: Option<&str>) -> Result<Route, ModelOpError> {
    let has = |m: &str| module.info().methods.iter().any(|x| x.name == m);
    match route {
        Some("forward") | Some("audio") => Ok(Route::Audio("forward".into())),
        Some("decode") => Ok(Route::Decode("decode".into())),
        Some("encode-decode") => Ok(Route::EncodeDecode {
            encode: "encode".into(),
            decode: "decode".into(),
        }),
        Some(other) if has(other) => Ok(Route::Audio(other.into())),
        Some(other) => Err(ModelOpError::UnknownRoute(other.to_string())),
        None if has("decode") => Ok(Route::Decode("decode".into())),
        None => Ok(Route::Audio("forward".into())),
    }
}

/// Resolves `path` by loam's one path rule against `script_dir` and the
/// `--library` folders ([`crate::data::paths`]), loads the model, and starts
/// its stream (the worker measures it and picks the buffer first).
fn open_stream(
    script_dir: &std::path::Path,
    path: &std::path::Path,
    route: Option<&str>,
    engine_rate: u32,
    (buffer, min_buffer): (Option<usize>, usize),
    pace: Pace,
) -> Result<(StreamHandle, StreamOutput, Credit), ModelOpError> {
    let path = crate::data::paths::ReadRoots::for_script(script_dir)
        .resolve("/model/load", &path.to_string_lossy())
        .map_err(ModelOpError::Path)?;
    let credit = credit_for(CreditedSource::TorchScript(path.clone()));
    let m = Module::load(&path)?;
    let route = route_for(&m, route)?;
    let mut config = StreamConfig::new(route, engine_rate);
    match buffer {
        Some(b) => config.buffer = b,
        None => config.choose_buffer = true,
    }
    config.pace = pace;
    config.min_buffer = min_buffer;
    let (handle, output) = ModelStream::start(m, config)?;
    Ok((handle, output, credit))
}

impl Models {
    /// Loads a model and attaches it now, waiting for it (offline renders:
    /// the caller's clock stands still meanwhile). Returns what to tell the
    /// performer, or why it cannot play.
    pub fn load_now(
        &mut self,
        name: &str,
        script_dir: &std::path::Path,
        path: &std::path::Path,
        route: Option<&str>,
        engine_rate: u32,
        engine: &mut EngineHandle,
    ) -> Result<String, ModelOpError> {
        let (handle, output, credit) = open_stream(
            script_dir,
            path,
            route,
            engine_rate,
            (self.buffer, self.min_buffer),
            self.pace,
        )?;
        self.attach(name, handle, output, credit, engine)
    }

    /// The stream of a playing model (offline renders drive it).
    pub fn stream_mut(&mut self, name: &str) -> Option<&mut StreamHandle> {
        self.loaded.get_mut(name).map(|l| &mut l.handle)
    }

    /// Each playing model's timing, in name order: its real-time factor at
    /// its buffer, whether that keeps up, and the latency it adds (engine frames).
    pub fn timings(&self) -> Vec<ModelTiming> {
        self.loaded
            .iter()
            .map(|(name, l)| ModelTiming {
                name: name.clone(),
                rtf: l.handle.probe().rtf,
                real_time: l.handle.probe().real_time,
                latency_frames: l.handle.latency_frames(),
                buffer: l.handle.layout().buffer,
            })
            .collect()
    }

    /// The names of the models playing (loaded), in order.
    pub fn names(&self) -> Vec<String> {
        self.loaded.keys().cloned().collect()
    }

    /// Starts loading on a helper thread, which also resolves `path` by
    /// loam's one path rule against `script_dir` and the `--library`
    /// folders ([`crate::data::paths`]); the reply comes when it plays, or
    /// names the path and why it was refused.
    pub fn load(
        &mut self,
        name: String,
        script_dir: PathBuf,
        path: PathBuf,
        route: Option<String>,
        engine_rate: u32,
        reply: Option<Reply>,
    ) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let thread_name = format!("loam-load-{name}");
        let (buffer, pace, min_buffer) = (self.buffer, self.pace, self.min_buffer);
        let spawned = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let opened = open_stream(
                    &script_dir,
                    &path,
                    route.as_deref(),
                    engine_rate,
                    (buffer, min_buffer),
                    pace,
                );
                let _ = tx.send(opened);
            });
        if let Err(e) = spawned {
            if let Some(r) = reply {
                let _ = r.try_send(Answer::Failed(ControlError::Model(
                    ModelOpError::LoaderStart(e.to_string()),
                )));
            }
            return;
        }
        self.loading.push((name, rx, reply));
    }

    /// Attaches models that finished loading; returns what to tell subscribers.
    pub fn poll(&mut self, engine: &mut EngineHandle) -> Vec<Notice> {
        let mut notices = Vec::new();
        let mut still = Vec::new();
        for (name, rx, reply) in std::mem::take(&mut self.loading) {
            let result = match rx.try_recv() {
                Err(TryRecvError::Empty) => {
                    still.push((name, rx, reply));
                    continue;
                }
                Err(TryRecvError::Disconnected) => Err(ModelOpError::LoaderEnded),
                Ok(r) => r,
            };
            // A stream that should hear the live input and does not (or
            // the other way round) starts again, the right way.
            let result = match result {
                Ok((handle, output, _))
                    if self.live.contains_key(&name) != output.hears_live_input() =>
                {
                    self.relaunch(&name, &handle, reply);
                    handle.stop();
                    drop(output);
                    continue;
                }
                other => other,
            };
            let outcome = result.and_then(|(handle, output, credit)| {
                self.attach(&name, handle, output, credit, engine)
            });
            let (mine, rest): (Vec<ModelOp>, Vec<ModelOp>) = std::mem::take(&mut self.waiting)
                .into_iter()
                .partition(|op| op_name(op) == name);
            self.waiting = rest;
            if outcome.is_ok() {
                for op in mine {
                    if let Err(e) = self.apply(op, engine) {
                        notices.push(Notice::Error(e.to_string()));
                    }
                }
            }
            let keeps_up = self
                .loaded
                .get(&name)
                .is_none_or(|l| l.handle.probe().real_time);
            match &outcome {
                // Said before it plays (its first buffer is silence), so
                // before it can underrun.
                Ok(m) if !keeps_up => notices.push(Notice::Error(m.clone())),
                Ok(m) => notices.push(Notice::Info(m.clone())),
                Err(e) => notices.push(Notice::Error(format!(
                    "model '{name}': {e} (the music goes on)"
                ))),
            }
            if let Some(r) = reply {
                let _ = r.try_send(outcome.map_err(ControlError::Model).into());
            }
        }
        // Streams started again above joined `self.loading` meanwhile.
        still.append(&mut self.loading);
        self.loading = still;
        notices
    }

    fn attach(
        &mut self,
        name: &str,
        handle: StreamHandle,
        output: StreamOutput,
        credit: Credit,
        engine: &mut EngineHandle,
    ) -> Result<String, ModelOpError> {
        // Replacing a model of the same name reuses its slot.
        let slot = match self.loaded.get(name) {
            Some(l) => l.slot,
            None => (0..MODEL_SLOTS)
                .find(|s| !self.loaded.values().any(|l| l.slot == *s))
                .ok_or(ModelOpError::SlotsFull)?,
        };
        let latency = handle.latency_frames();
        let live = output.hears_live_input();
        let (gain, pan) = self.loaded.get(name).map_or((1.0, 0.0), |l| l.gain);
        let timing = handle.probe().describe(handle.latency_ms());
        handle.play();
        if self.pace == Pace::Driven {
            // The buffer of silence is queued before the mixer reads the
            // stream, so a render's model starts exactly where it is attached.
            handle.settle()?;
        }
        engine
            .model(ModelMsg::Attach {
                slot,
                output: Box::new(output),
                gain,
                pan,
                credit,
            })
            .map_err(|_| ModelOpError::QueueFull)?;
        if let Some(old) = self.loaded.insert(
            name.to_string(),
            Loaded {
                handle,
                slot,
                live,
                gain: (gain, pan),
            },
        ) {
            old.handle.stop();
        }
        if live {
            let block = self.live_block;
            return Ok(format!(
                "model '{name}' plays the live input (latency {} frames: its buffer {latency} and one block {block}); {timing}",
                latency + block
            ));
        }
        Ok(format!(
            "model '{name}' plays (latency {latency} frames); {timing}"
        ))
    }

    fn get(&self, name: &str) -> Result<&Loaded, ModelOpError> {
        self.loaded
            .get(name)
            .ok_or_else(|| ModelOpError::NotLoaded(name.to_string()))
    }

    /// The model playing in mixer slot `slot`.
    pub fn slot_name(&self, slot: usize) -> Option<String> {
        self.loaded
            .iter()
            .find(|(_, l)| l.slot == slot)
            .map(|(name, _)| name.clone())
    }

    /// The latent frame each playing model decodes now.
    pub fn latents(&self) -> BTreeMap<String, Vec<f32>> {
        self.loaded
            .iter()
            .filter(|(_, l)| l.handle.layout().latent_dims > 0)
            .map(|(n, l)| (n.clone(), l.handle.current_latent()))
            .collect()
    }

    /// Sets one latent dimension (MIDI, OSC).
    pub fn set_latent(&self, name: &str, dim: usize, value: f64) -> Result<String, ModelOpError> {
        let l = self.get(name)?;
        l.handle.set_latent(dim, Some(value as f32))?;
        Ok(format!("{name} {dim} {value}"))
    }

    /// Applies an operation (not `Load`). Operations on a model still
    /// loading wait until it plays.
    pub fn apply(
        &mut self,
        op: ModelOp,
        engine: &mut EngineHandle,
    ) -> Result<String, ModelOpError> {
        let name = op_name(&op).to_string();
        if !self.loaded.contains_key(&name) && self.loading.iter().any(|(n, _, _)| *n == name) {
            self.waiting.push(op);
            return Ok(format!("{name} (still loading; applied when it plays)"));
        }
        match op {
            ModelOp::Load { .. } => Err(ModelOpError::OtherDoor("load through Models::load")),
            ModelOp::Step { .. } => Err(ModelOpError::OtherDoor("step models live in the script")),
            ModelOp::Input { .. } => Err(ModelOpError::OtherDoor(
                "inputs go through Models::set_input",
            )),
            ModelOp::LatentSignals { .. } => Err(ModelOpError::OtherDoor(
                "the control thread drives latents from signals",
            )),
            ModelOp::Latent { name, values } => {
                // The same rule as OSC and MIDI learn, whoever sent it.
                for v in &values {
                    crate::pattern::values::LATENT.check(*v).map_err(|error| {
                        ModelOpError::Value {
                            model: name.clone(),
                            error,
                        }
                    })?;
                }
                let l = self.get(&name)?;
                for (d, v) in values.iter().enumerate() {
                    l.handle.set_latent(d, Some(*v as f32))?;
                }
                Ok(name)
            }
            ModelOp::Shape {
                name,
                dim,
                offset,
                scale,
            } => {
                let l = self.get(&name)?;
                l.handle.offset_latent(dim, offset as f32)?;
                l.handle.scale_latent(dim, scale as f32)?;
                Ok(name)
            }
            ModelOp::Set { name, attr, values } => {
                let l = self.get(&name)?;
                l.handle.set_attribute(&attr, &values)?;
                Ok(format!("{name} {attr}"))
            }
            ModelOp::Gain { name, gain, pan } => {
                // The same rules as a loop's gain and pan, whoever sent it.
                use crate::pattern::values::{GAIN, PAN};
                GAIN.check(gain as f64)
                    .and_then(|_| PAN.check(pan as f64))
                    .map_err(|error| ModelOpError::Value {
                        model: name.clone(),
                        error,
                    })?;
                let slot = self.get(&name)?.slot;
                engine
                    .model(ModelMsg::Gain { slot, gain, pan })
                    .map_err(|_| ModelOpError::QueueFull)?;
                if let Some(l) = self.loaded.get_mut(&name) {
                    l.gain = (gain, pan);
                }
                Ok(name)
            }
            ModelOp::Unload { name } => {
                let l = self
                    .loaded
                    .remove(&name)
                    .ok_or_else(|| ModelOpError::NotLoaded(name.clone()))?;
                let _ = engine.model(ModelMsg::Detach(l.slot));
                l.handle.stop();
                self.inputs.remove(&name);
                self.live.remove(&name);
                Ok(name)
            }
        }
    }

    /// Loops `sample` into the input of the model `name` (loaded or still
    /// loading); `None` stops feeding it.
    pub fn set_input(
        &mut self,
        name: &str,
        sample: Option<Arc<Sample>>,
    ) -> Result<String, ModelOpError> {
        let known =
            self.loaded.contains_key(name) || self.loading.iter().any(|(n, _, _)| n == name);
        if !known {
            return Err(ModelOpError::NotLoaded(name.to_string()));
        }
        if let Some(l) = self.loaded.get(name) {
            if l.handle.layout().in_channels == 0 {
                return Err(ModelOpError::NoInput(name.to_string()));
            }
        }
        match sample {
            Some(sample) => {
                let what = format!("{name} listens to {}", sample.name);
                let feed = Feed {
                    sample,
                    at: 0,
                    scratch: Vec::with_capacity(FEED_CHUNK * 2),
                };
                self.inputs.insert(name.to_string(), feed);
                Ok(what)
            }
            None => {
                self.inputs.remove(name);
                Ok(format!("{name} input stopped"))
            }
        }
    }

    /// Keeps every fed model's input queue full, looping its sound (called
    /// every control step; the queue holds about a second).
    pub fn feed(&mut self) {
        for (name, feed) in &mut self.inputs {
            let Some(l) = self.loaded.get_mut(name) else {
                continue;
            };
            let channels = l.handle.layout().in_channels;
            let frames = feed.sample.frames();
            let sc = feed.sample.channels.max(1);
            if channels == 0 || frames == 0 {
                continue;
            }
            for _ in 0..64 {
                let n = FEED_CHUNK.min(frames - feed.at);
                feed.scratch.clear();
                for f in feed.at..feed.at + n {
                    for c in 0..channels {
                        feed.scratch.push(feed.sample.data[f * sc + c.min(sc - 1)]);
                    }
                }
                let took = l.handle.write_input(&feed.scratch);
                feed.at = (feed.at + took) % frames;
                if took < n {
                    break;
                }
            }
        }
    }

    /// The latent in use by a model now.
    pub fn current_latent(&self, name: &str) -> Result<Vec<f32>, ModelOpError> {
        Ok(self.get(name)?.handle.current_latent())
    }
}

/// Live input into models (`model_input("name", "in")`): the stream is
/// started again with the audio side feeding its input (see
/// `model::torchscript::stream::LiveInputConfig`), in the same slot.
impl Models {
    /// Makes model `name` (loaded or loading) hear the live input's
    /// `channels`, or (`None`) stop hearing it. A stream that changes
    /// starts again on a helper thread and replaces the old one in its
    /// slot when it is ready (told then, as a load is).
    pub fn listen(
        &mut self,
        name: &str,
        channels: Option<InputChannels>,
    ) -> Result<String, ModelOpError> {
        let loading = self.loading.iter().any(|(n, _, _)| n == name);
        let Some(l) = self.loaded.get(name) else {
            if !loading {
                return Err(ModelOpError::NotLoaded(name.to_string()));
            }
            self.set_live(name, channels);
            return Ok(format!(
                "{name} (still loading; it hears the input when it plays)"
            ));
        };
        if l.handle.layout().in_channels == 0 {
            return Err(ModelOpError::NoInput(name.to_string()));
        }
        let changed = self.live.get(name) != channels.as_ref() || l.live != channels.is_some();
        self.set_live(name, channels);
        if changed && !loading {
            let l = &self.loaded[name];
            let (path, route) = (l.handle.path().to_owned(), l.handle.route().clone());
            let rate = l.handle.layout().engine_rate;
            self.start_stream(name, path, route, rate, None);
        }
        Ok(match channels {
            Some(_) => format!("{name} listens to the live input"),
            None => format!("{name} stops listening to the live input"),
        })
    }

    /// Underruns the streams playing now counted (buffers a model did not
    /// compute in time, played as silence), all models together.
    pub fn underruns(&self) -> u64 {
        self.loaded
            .values()
            .map(|l| l.handle.stats().underruns)
            .sum()
    }

    /// Whether model `name` listens (or will listen) to the live input.
    pub fn hears_live_input(&self, name: &str) -> bool {
        self.live.contains_key(name)
    }

    fn set_live(&mut self, name: &str, channels: Option<InputChannels>) {
        match channels {
            Some(c) => {
                self.inputs.remove(name);
                self.live.insert(name.to_string(), c);
            }
            None => {
                self.live.remove(name);
            }
        }
    }

    /// Starts `handle`'s model again as `name`, live or not as wanted now.
    fn relaunch(&mut self, name: &str, handle: &StreamHandle, reply: Option<Reply>) {
        let (path, route) = (handle.path().to_owned(), handle.route().clone());
        let rate = handle.layout().engine_rate;
        self.start_stream(name, path, route, rate, reply);
    }

    /// Loads `path` (already resolved) on a helper thread as a stream of
    /// `route`, fed from the live input when `name` listens to it.
    fn start_stream(
        &mut self,
        name: &str,
        path: PathBuf,
        route: Route,
        engine_rate: u32,
        reply: Option<Reply>,
    ) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (buffer, pace, min_buffer) = (self.buffer, self.pace, self.min_buffer);
        let live = self.live.get(name).map(|&channels| LiveInputConfig {
            channels,
            block: self.live_block.max(1),
        });
        let spawned = std::thread::Builder::new()
            .name(format!("loam-load-{name}"))
            .spawn(move || {
                let credit = credit_for(CreditedSource::TorchScript(path.clone()));
                let result = Module::load(&path)
                    .map_err(ModelOpError::from)
                    .and_then(|m| {
                        let mut config = StreamConfig::new(route, engine_rate);
                        match buffer {
                            Some(b) => config.buffer = b,
                            None => config.choose_buffer = true,
                        }
                        config.pace = pace;
                        config.min_buffer = min_buffer;
                        config.live_input = live;
                        Ok(ModelStream::start(m, config)?)
                    })
                    .map(|(handle, output)| (handle, output, credit));
                let _ = tx.send(result);
            });
        match spawned {
            Ok(_) => self.loading.push((name.to_string(), rx, reply)),
            Err(e) => {
                if let Some(r) = reply {
                    let _ = r.try_send(Answer::Failed(ControlError::Model(
                        ModelOpError::LoaderStart(e.to_string()),
                    )));
                }
            }
        }
    }
}

fn op_name(op: &ModelOp) -> &str {
    match op {
        ModelOp::Load { name, .. }
        | ModelOp::Latent { name, .. }
        | ModelOp::LatentSignals { name, .. }
        | ModelOp::Shape { name, .. }
        | ModelOp::Set { name, .. }
        | ModelOp::Gain { name, .. }
        | ModelOp::Unload { name }
        | ModelOp::Step { name, .. }
        | ModelOp::Input { name, .. } => name,
    }
}
