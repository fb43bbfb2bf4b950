//! TorchScript models in an offline render: the same loading, routes,
//! latents, attributes and latency as `loam serve` (through the same
//! [`Models`]), but paced by the score instead of the clock on the wall, so
//! that a render is bit-identical from run to run and for any engine block.
//!
//! What happens when, in engine frames (the render splits its blocks at
//! each of these points, so none depends on the block size):
//! - A model operation a bar asked for (`model_load`, `model_latent`,
//!   `model_set`, …) takes effect at that bar's first frame; one the
//!   script's first run asked for, at frame 0. A model attached at frame
//!   `A` plays one buffer of silence (its latency `L`), then its computed
//!   audio: output frame `A + L + n` is the model's answer to input frame
//!   `A + n`, as live.
//! - A model computes its next buffer at the frame where what it queued for
//!   the mixer runs out (`A + L`, `A + 2L`, … when its rate is the
//!   engine's), before that frame's operations: a latent set on that very
//!   frame is heard from the next buffer, as a live model hears it.
//! - Its input is queued just before, exactly as much as that buffer needs:
//!   a looped sound (`model_input(name, "sound")`, from its first frame at
//!   the moment it is set), the render's input file (`model_input(name,
//!   "in")`, `"in:2"` for its second channel; `loam render --input FILE`,
//!   read at the engine frame it stands for) or silence.
//!
//! What cannot be rendered is an error that stops the render, never a
//! silent model: a file that does not load, an operation the model refuses,
//! a method that fails while computing, `"in"` with no `--input`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::control::models::Models;
use crate::model::torchscript::probe::MIN_MODEL_BUFFER;
use crate::model::torchscript::{DrivenStep, Pace};
use crate::schedule::ModelOp;
use crate::session::Session;
use crate::sound::{InputSource, Sample};

/// What feeds a model's audio input in a render.
enum Feed {
    /// Nothing (no `model_input` yet, or `model_input(name, "")`).
    Silence,
    /// A sound of the bank, looped from its first frame.
    Loop {
        /// The sound.
        sample: Arc<Sample>,
        /// Its next frame to queue.
        at: usize,
    },
    /// The render's input (`--input`): every channel in turn, or one.
    Input {
        /// The input channel (from 0) every model channel takes; `None`:
        /// model channel `c` takes input channel `c` (the last one past it).
        channel: Option<usize>,
    },
}

/// One playing model, as the render drives it.
struct Driven {
    /// The engine frame it was attached at.
    origin: u64,
    /// Engine frames queued for the mixer since then (its silence included).
    queued: u64,
    /// Buffers computed.
    buffers: u64,
    /// Its latency in engine frames (one buffer).
    latency: u64,
    /// False for a route that makes only latents (`encode`).
    makes_audio: bool,
    /// Audio input channels of its route (0 for `decode`).
    in_channels: usize,
    /// Input frames queued since `origin`.
    fed: u64,
    feed: Feed,
}

impl Driven {
    /// The frame of its next computation.
    fn due(&self) -> u64 {
        if self.makes_audio {
            self.origin + self.queued
        } else {
            // Latents only: a buffer each time its input is complete.
            self.origin + (self.buffers + 1) * self.latency.max(1)
        }
    }
}

/// The render's models: the operations waiting for their frame and the
/// streams it drives.
pub struct OfflineModels {
    models: Models,
    driven: BTreeMap<String, Driven>,
    /// Operations in the order they were asked for, with their frame.
    waiting: Vec<(u64, ModelOp)>,
    input: Option<Box<dyn InputSource>>,
    /// The input gain from each engine frame on (`input_gain`), in the
    /// order set: a model hears the input with the gain of the frame it
    /// stands for, as live.
    gains: Vec<(u64, f32)>,
    /// A model heard a frame of the input that was not silence.
    heard_input: bool,
    engine_rate: u32,
    scratch: Vec<f32>,
    input_scratch: Vec<f32>,
    messages: Vec<String>,
}

/// Why a render's model could not play: at which frame, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineModelError {
    /// The engine frame the render had reached.
    pub frame: u64,
    /// What went wrong, naming the model.
    pub message: String,
}

impl std::fmt::Display for OfflineModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (at frame {}; an offline render stops rather than leave a model out)",
            self.message, self.frame
        )
    }
}

impl std::error::Error for OfflineModelError {}

impl OfflineModels {
    /// Models for a render at `engine_rate`: each with the buffer asked for
    /// (`None`: the smallest the model allows), reading `input` where a live input would be.
    pub fn new(
        engine_rate: u32,
        buffer: Option<usize>,
        input: Option<Box<dyn InputSource>>,
    ) -> OfflineModels {
        let mut models = Models::default();
        // Never a measured choice offline: the smallest buffer the model
        // allows, or the one asked for (see `model::torchscript::probe`).
        models.buffer = Some(buffer.unwrap_or(MIN_MODEL_BUFFER));
        models.pace = Pace::Driven;
        OfflineModels {
            models,
            driven: BTreeMap::new(),
            waiting: Vec::new(),
            input,
            gains: Vec::new(),
            heard_input: false,
            engine_rate,
            scratch: Vec::new(),
            input_scratch: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// Channels of the render's input (0: none).
    pub fn input_channels(&self) -> usize {
        self.input.as_ref().map_or(0, |i| i.channels())
    }

    /// The render's input from engine frame `at` on, `frames` frames of
    /// [`OfflineModels::input_channels`] interleaved, as the engine takes
    /// it (`Engine::process_with_input`, for captures and the monitor):
    /// `out` is emptied when there is no input.
    pub fn input_block(&mut self, at: u64, frames: usize, out: &mut Vec<f32>) {
        out.clear();
        if let Some(input) = self.input.as_mut() {
            out.resize(frames * input.channels().max(1), 0.0);
            input.read(at, out);
        }
    }

    /// The input gain from engine frame `frame` on (`input_gain(g)`; the
    /// engine applies it to captures and the monitor from the same frame).
    pub fn set_input_gain(&mut self, frame: u64, gain: f32) {
        let gain = if gain.is_finite() { gain.max(0.0) } else { 0.0 };
        self.gains.push((frame, gain));
    }

    /// Whether a model heard the input (a frame of it that was not silence).
    pub fn heard_input(&self) -> bool {
        self.heard_input
    }

    /// Operations to carry out at `frame` (after the ones already waiting).
    pub fn schedule(&mut self, frame: u64, ops: impl IntoIterator<Item = ModelOp>) {
        self.waiting.extend(ops.into_iter().map(|op| (frame, op)));
    }

    /// The next frame after `now` at which something is due: a model's
    /// computation or a waiting operation.
    pub fn next_point(&self, now: u64) -> Option<u64> {
        let computes = self.driven.values().map(Driven::due);
        let ops = self.waiting.iter().map(|(f, _)| *f);
        computes.chain(ops).filter(|f| *f > now).min()
    }

    /// What the models said (loaded, their timing), since the last call.
    pub fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }

    /// Underruns the playing models counted (a driven model never has one).
    pub fn underruns(&mut self) -> u64 {
        let names: Vec<String> = self.driven.keys().cloned().collect();
        names
            .iter()
            .filter_map(|n| self.models.stream_mut(n).map(|s| s.stats().underruns))
            .sum()
    }

    /// Does what is due at `now`: first every computation due (their input
    /// queued just before), then the operations whose frame has come.
    pub fn advance(&mut self, now: u64, session: &mut Session) -> Result<(), OfflineModelError> {
        let err = |message: String| OfflineModelError {
            frame: now,
            message,
        };
        let names: Vec<String> = self.driven.keys().cloned().collect();
        let mut computed = false;
        for name in names {
            while self.driven.get(&name).is_some_and(|d| d.due() <= now) {
                self.compute(&name, now).map_err(err)?;
                computed = true;
            }
        }
        if computed {
            // `model_latent_now` reads what the models decode, as of this frame.
            session.script.shared().set_latents(self.models.latents());
        }
        let due: Vec<ModelOp> = {
            let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
                .into_iter()
                .partition(|(f, _)| *f <= now);
            self.waiting = later;
            due.into_iter().map(|(_, op)| op).collect()
        };
        for op in due {
            self.apply(op, now, session).map_err(err)?;
        }
        Ok(())
    }

    /// Computes model `name`'s next buffer, queuing its input first.
    fn compute(&mut self, name: &str, now: u64) -> Result<(), String> {
        loop {
            let stream = self
                .models
                .stream_mut(name)
                .ok_or_else(|| format!("model '{name}' has no stream"))?;
            let step = stream
                .compute_now()
                .map_err(|e| format!("model '{name}': {e}"))?;
            match step {
                DrivenStep::Computed { frames } => {
                    let Some(d) = self.driven.get_mut(name) else {
                        return Ok(());
                    };
                    d.buffers += 1;
                    if d.makes_audio {
                        if frames == 0 {
                            return Err(format!(
                                "model '{name}' computed a buffer of no audio at frame {now}"
                            ));
                        }
                        d.queued += frames as u64;
                    }
                    return Ok(());
                }
                DrivenStep::NeedInput(frames) => self.feed(name, frames)?,
            }
        }
    }

    /// Queues the next `frames` frames of model `name`'s input.
    fn feed(&mut self, name: &str, frames: usize) -> Result<(), String> {
        let Some(d) = self.driven.get_mut(name) else {
            return Ok(());
        };
        let ch = d.in_channels.max(1);
        self.scratch.clear();
        self.scratch.resize(frames * ch, 0.0);
        match &mut d.feed {
            Feed::Silence => {}
            Feed::Loop { sample, at } => {
                let len = sample.frames();
                let sc = sample.channels.max(1);
                if len > 0 {
                    for f in 0..frames {
                        for c in 0..ch {
                            self.scratch[f * ch + c] = sample.data[*at * sc + c.min(sc - 1)];
                        }
                        *at = (*at + 1) % len;
                    }
                }
            }
            Feed::Input { channel } => {
                let input = self
                    .input
                    .as_mut()
                    .ok_or_else(|| format!("model '{name}' listens to the input, but this render has none: give one with `loam render --input FILE`"))?;
                let ic = input.channels().max(1);
                self.input_scratch.clear();
                self.input_scratch.resize(frames * ic, 0.0);
                let at = d.origin + d.fed;
                input.read(at, &mut self.input_scratch);
                for f in 0..frames {
                    let g = gain_at(&self.gains, at + f as u64);
                    for c in 0..ch {
                        let from = channel.unwrap_or(c).min(ic - 1);
                        self.scratch[f * ch + c] = self.input_scratch[f * ic + from] * g;
                    }
                }
                if self.scratch.iter().any(|v| *v != 0.0) {
                    self.heard_input = true;
                }
            }
        }
        d.fed += frames as u64;
        let stream = self
            .models
            .stream_mut(name)
            .ok_or_else(|| format!("model '{name}' has no stream"))?;
        let took = stream.write_input(&self.scratch);
        if took < frames {
            return Err(format!(
                "model '{name}': its input queue took {took} of {frames} frames"
            ));
        }
        Ok(())
    }

    /// Carries out one operation at frame `now`.
    fn apply(&mut self, op: ModelOp, now: u64, session: &mut Session) -> Result<(), String> {
        match op {
            ModelOp::Load { name, path, route } => {
                let script = session.script.path();
                let dir = script
                    .parent()
                    .unwrap_or(std::path::Path::new(""))
                    .to_path_buf();
                let said = self
                    .models
                    .load_now(
                        &name,
                        &dir,
                        &path,
                        route.as_deref(),
                        self.engine_rate,
                        &mut session.handle,
                    )
                    .map_err(|e| format!("model '{name}' ({}): {e}", path.display()))?;
                self.messages.push(said);
                let stream = self
                    .models
                    .stream_mut(&name)
                    .ok_or_else(|| format!("model '{name}' did not attach"))?;
                let layout = stream.layout().clone();
                let probe = stream.probe().clone();
                if !probe.real_time {
                    self.messages.push(format!(
                        "model '{name}' renders fine offline, but at this buffer it would underrun live on this machine (real-time factor {:.2}; `loam models bench` shows which buffer keeps up)",
                        probe.rtf
                    ));
                }
                // A model replaced under the same name keeps what feeds it.
                let feed = self
                    .driven
                    .remove(&name)
                    .map(|d| d.feed)
                    .unwrap_or(Feed::Silence);
                let makes_audio = layout.out_channels > 0;
                self.driven.insert(
                    name,
                    Driven {
                        origin: now,
                        queued: if makes_audio {
                            layout.latency_frames as u64
                        } else {
                            0
                        },
                        buffers: 0,
                        latency: layout.latency_frames as u64,
                        makes_audio,
                        in_channels: layout.in_channels,
                        fed: 0,
                        feed,
                    },
                );
                Ok(())
            }
            ModelOp::Input { name, sound } => {
                let feed = self.feed_for(&name, &sound, session)?;
                let d = self
                    .driven
                    .get_mut(&name)
                    .ok_or_else(|| format!("model_input: no model '{name}' is loaded"))?;
                if d.in_channels == 0 {
                    return Err(format!(
                        "model_input: model '{name}' takes no audio (its route decodes latents)"
                    ));
                }
                d.feed = feed;
                Ok(())
            }
            ModelOp::Step { name, count } => session
                .script
                .shared()
                .step_model(&name, count)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            other => {
                let unload = match &other {
                    ModelOp::Unload { name } => Some(name.clone()),
                    _ => None,
                };
                self.models
                    .apply(other, &mut session.handle)
                    .map_err(|e| e.to_string())?;
                if let Some(name) = unload {
                    self.driven.remove(&name);
                }
                Ok(())
            }
        }
    }

    /// What `model_input(name, sound)` feeds: `""` silence, `"in"` /
    /// `"in:N"` the render's input (channel N counted from 1), else a sound
    /// of the bank (`"name"` or `"name:variant"`).
    fn feed_for(&self, name: &str, sound: &str, session: &Session) -> Result<Feed, String> {
        if sound.is_empty() {
            return Ok(Feed::Silence);
        }
        if let Some(channel) = input_channel(sound) {
            let Some(input) = &self.input else {
                return Err(format!(
                    "model_input(\"{name}\", \"{sound}\"): this render has no input: give one with `loam render --input FILE`"
                ));
            };
            let channels = input.channels();
            if let Some(c) = channel {
                if c >= channels {
                    return Err(format!(
                        "model_input(\"{name}\", \"{sound}\"): the input ({}) has {channels} channel{}",
                        input.describe(),
                        if channels == 1 { "" } else { "s" }
                    ));
                }
            }
            return Ok(Feed::Input { channel });
        }
        let (base, variant) = match sound.split_once(':') {
            Some((b, v)) => (b, v.parse().unwrap_or(0)),
            None => (sound, 0),
        };
        let bank = session.scheduler.planner().bank();
        match bank.get(base, variant) {
            Some(sample) => Ok(Feed::Loop {
                sample: sample.clone(),
                at: 0,
            }),
            None => Err(format!(
                "model_input(\"{name}\", \"{sound}\"): no sound '{sound}' (known: {})",
                bank.names().join(", ")
            )),
        }
    }

    /// Stops every model (the render is over).
    pub fn finish(self) {
        drop(self.models);
    }
}

/// The input gain at engine frame `frame` from `gains` (changes in the
/// order set, each from its frame on; 1 until one is set).
fn gain_at(gains: &[(u64, f32)], frame: u64) -> f32 {
    gains
        .iter()
        .rev()
        .find(|(f, _)| *f <= frame)
        .map_or(1.0, |&(_, g)| g)
}

/// `"in"` → `Some(None)` (every channel), `"in:N"` → `Some(Some(N − 1))`,
/// anything else → `None` (a sound's name).
pub fn input_channel(sound: &str) -> Option<Option<usize>> {
    if sound == "in" {
        return Some(None);
    }
    let n = sound.strip_prefix("in:")?;
    match n.parse::<usize>() {
        Ok(n) if n >= 1 => Some(Some(n - 1)),
        _ => None,
    }
}

/// The input file of a render, where live input would be.
pub fn input_file(
    path: &std::path::Path,
    sample_rate: u32,
) -> Result<Box<dyn InputSource>, String> {
    crate::sound::FileInput::load(path, sample_rate)
        .map(|f| Box::new(f) as Box<dyn InputSource>)
        .map_err(|e| format!("--input {}: {e}", path.display()))
}
