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
use crate::audio::EngineHandle;
use crate::data::credit::{credit_for, Credit, CreditedSource};
use crate::model::torchscript::{
    ModelStream, Module, Route, StreamConfig, StreamHandle, StreamOutput,
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
}

/// A model loading: its stream and the credit of its file (what the
/// mixer marks when it sounds, for the credits of a recording).
type Loading = Receiver<Result<(StreamHandle, StreamOutput, Credit), ModelOpError>>;

/// How often the latent frames of playing models are published.
pub const LATENT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

/// The session's models: those playing, those loading, and the sounds fed
/// into their inputs.
pub struct Models {
    /// Each model's buffer in model frames (`loam serve --model-buffer`).
    pub buffer: usize,
    loaded: BTreeMap<String, Loaded>,
    loading: Vec<(String, Loading, Option<Reply>)>,
    /// Operations for models still loading, applied once they play.
    waiting: Vec<ModelOp>,
    /// Sounds fed into models' inputs, by model name.
    inputs: BTreeMap<String, Feed>,
}

impl Default for Models {
    fn default() -> Models {
        Models {
            buffer: 4096,
            loaded: BTreeMap::new(),
            loading: Vec::new(),
            waiting: Vec::new(),
            inputs: BTreeMap::new(),
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

impl Models {
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
        let buffer = self.buffer;
        let spawned = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                // loam's one path rule (crate::data::paths), off the timekeeper.
                let result = crate::data::paths::ReadRoots::for_script(&script_dir)
                    .resolve("/model/load", &path.to_string_lossy())
                    .map_err(ModelOpError::Path)
                    .and_then(|path| {
                        let credit = credit_for(CreditedSource::TorchScript(path.clone()));
                        Ok((Module::load(&path)?, credit))
                    })
                    .and_then(|(m, credit)| {
                        let route = route_for(&m, route.as_deref())?;
                        let mut config = StreamConfig::new(route, engine_rate);
                        config.buffer = buffer;
                        let (handle, output) = ModelStream::start(m, config)?;
                        Ok((handle, output, credit))
                    });
                let _ = tx.send(result);
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
            match &outcome {
                Ok(m) => notices.push(Notice::Info(m.clone())),
                Err(e) => notices.push(Notice::Error(format!(
                    "model '{name}': {e} (the music goes on)"
                ))),
            }
            if let Some(r) = reply {
                let _ = r.try_send(outcome.map_err(ControlError::Model).into());
            }
        }
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
        handle.play();
        engine
            .model(ModelMsg::Attach {
                slot,
                output: Box::new(output),
                gain: 1.0,
                pan: 0.0,
                credit,
            })
            .map_err(|_| ModelOpError::QueueFull)?;
        if let Some(old) = self
            .loaded
            .insert(name.to_string(), Loaded { handle, slot })
        {
            old.handle.stop();
        }
        Ok(format!("model '{name}' plays (latency {latency} frames)"))
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
