//! A small recurrent network (GRU, tch) that generates rhythms or melodies
//! one event at a time, learned in seconds from patterns or MIDI files.
//! Events are the same as the Markov model's ([`crate::data::events`]); each
//! step's distribution (softmax of the output, with temperature) is open to
//! the caller before the draw, exactly as with the Markov model.
//!
//! Layers: an embedding of each event (plus a start token), one GRU layer, a
//! linear read-out over the alphabet. Trained with teacher forcing on windows
//! of the dataset's sequences (drum bars loop), one intra-op thread.

pub mod export;

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tch::nn::{self, Module, OptimizerConfig, RNN};
use tch::{Device, Kind, Tensor};

use crate::data::{
    dataset_metre, dataset_sequences, DataError, Dataset, DatasetPart, Event, Provenance,
};
use crate::model::trained::picture::heat_map;
use crate::model::trained::{file, Distribution, Progress, Rng, StepModel, TrainedModelError};

/// Kind string in the model file.
pub const KIND: &str = "rnn";

/// The fewest events a GRU trains on.
pub const MIN_EVENTS: usize = 16;

/// Training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RnnConfig {
    /// Width of each event's embedding.
    pub embedding: usize,
    /// Units in the GRU's hidden state.
    pub hidden: usize,
    /// Window length (events) of one training example.
    pub window: usize,
    /// Training windows per optimiser step.
    pub batch: usize,
    /// Optimiser steps (at most; training also stops at `max_seconds`).
    pub steps: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Drums or melodies; `None`: whichever the dataset has more of ([`DatasetPart::pick`]).
    pub source: Option<DatasetPart>,
    /// Seed of the weights' initialisation and of the windows drawn (the same seed trains the same model).
    pub seed: u64,
    /// Stop after this many seconds even if steps remain.
    pub max_seconds: f32,
}

impl Default for RnnConfig {
    fn default() -> Self {
        RnnConfig {
            embedding: 24,
            hidden: 64,
            window: 24,
            batch: 16,
            steps: 300,
            learning_rate: 1e-2,
            source: None,
            seed: 1,
            max_seconds: 20.0,
        }
    }
}

/// Everything in the model file besides the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RnnInfo {
    /// Always [`KIND`] (`rnn`).
    pub kind: String,
    /// Format version of the model file.
    pub version: u32,
    /// The settings it was trained with.
    pub config: RnnConfig,
    /// Drums or melodies: what it learned from.
    pub source: DatasetPart,
    /// The events it can play, in token order.
    pub alphabet: Vec<Event>,
    /// Who made the data it learned from.
    pub provenance: Vec<Provenance>,
    /// Cross-entropy of the last training step.
    pub final_loss: f32,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Seconds training took.
    pub seconds: f32,
    /// The metre of the data it learned (`9/8` for slip jigs; from the MIDI
    /// files' time signatures), when the data declared one.
    #[serde(default)]
    pub metre: Option<String>,
}

struct Net {
    embed: nn::Embedding,
    gru: nn::GRU,
    out: nn::Linear,
}

impl Net {
    /// Names (`embed.weight`, `gru.weight_ih_l0`, `out.weight`, …) are the
    /// contract with the TorchScript exporter.
    fn new(root: &nn::Path, vocab: i64, embedding: i64, hidden: i64) -> Net {
        Net {
            // The last row is the start token.
            embed: nn::embedding(root / "embed", vocab + 1, embedding, Default::default()),
            gru: nn::gru(root / "gru", embedding, hidden, Default::default()),
            out: nn::linear(root / "out", hidden, vocab, Default::default()),
        }
    }
}

/// A trained GRU with a generation state.
pub struct RnnModel {
    vs: nn::VarStore,
    net: Net,
    /// Everything in the model file besides the weights.
    pub info: RnnInfo,
    state: Option<nn::GRUState>,
    temperature: f32,
}

impl RnnModel {
    /// Trains on the dataset's drum patterns or melodies.
    pub fn train(
        data: &Dataset,
        config: &RnnConfig,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<RnnModel, TrainedModelError> {
        let source = config.source.unwrap_or_else(|| DatasetPart::pick(data));
        let sequences = dataset_sequences(data, source);
        let total: usize = sequences.iter().map(|s| s.0.len()).sum();
        if total < MIN_EVENTS {
            return Err(TrainedModelError::Data(DataError::file(
                &data.path,
                format!("too small to train a GRU: {total} event(s); the minimum is {MIN_EVENTS}"),
            )));
        }
        let mut alphabet: Vec<Event> = sequences.iter().flat_map(|s| s.0.clone()).collect();
        alphabet.sort();
        alphabet.dedup();
        let token = |e: &Event| alphabet.binary_search(e).unwrap_or(0) as i64;
        // Each sequence unrolled long enough for a window (drum bars repeat).
        let window = config.window.max(2);
        let streams: Vec<Vec<i64>> = sequences
            .iter()
            .map(|(events, loops)| {
                let tokens: Vec<i64> = events.iter().map(token).collect();
                if *loops {
                    tokens
                        .iter()
                        .cycle()
                        .take(window + 1 + tokens.len())
                        .copied()
                        .collect()
                } else {
                    tokens
                }
            })
            .filter(|t| t.len() >= 2)
            .collect();
        let vocab = alphabet.len() as i64;
        let bos = vocab;

        let threads = tch::get_num_threads();
        tch::set_num_threads(1);
        tch::manual_seed(config.seed as i64);
        let started = Instant::now();
        let mut vs = nn::VarStore::new(Device::Cpu);
        let net = Net::new(
            &vs.root(),
            vocab,
            config.embedding as i64,
            config.hidden as i64,
        );
        let mut opt = nn::Adam::default()
            .build(&vs, config.learning_rate)
            .map_err(|e| TrainedModelError::usage(format!("optimiser: {e}")))?;
        let mut rng = Rng::new(config.seed);
        let mut final_loss = 0.0;
        let mut steps = 0;
        for step in 0..config.steps {
            let mut inputs = Vec::with_capacity(config.batch * window);
            let mut targets = Vec::with_capacity(config.batch * window);
            for _ in 0..config.batch {
                let s = &streams[rng.below(streams.len())];
                let len = window.min(s.len() - 1);
                let start = rng.below(s.len() - len);
                // From a stream's start, the model sees the start token first.
                let from_start = start == 0 && rng.uniform() < 0.5;
                for i in 0..window {
                    let i = i.min(len - 1);
                    let (x, y) = if from_start {
                        (if i == 0 { bos } else { s[i - 1] }, s[i])
                    } else {
                        (s[start + i], s[start + i + 1])
                    };
                    inputs.push(x);
                    targets.push(y);
                }
            }
            let b = config.batch as i64;
            let x = Tensor::from_slice(&inputs).reshape([b, window as i64]);
            let y = Tensor::from_slice(&targets).reshape([b * window as i64]);
            let (h, _) = net.gru.seq(&net.embed.forward(&x));
            let logits = net.out.forward(&h).reshape([b * window as i64, vocab]);
            let loss = logits.cross_entropy_for_logits(&y);
            opt.backward_step(&loss);
            final_loss = loss.double_value(&[]) as f32;
            steps = step + 1;
            if step % 10 == 0 || steps == config.steps {
                progress(Progress {
                    step: steps,
                    steps: config.steps,
                    loss: final_loss,
                });
            }
            if started.elapsed().as_secs_f32() > config.max_seconds
                || crate::model::trained::stop_requested()
            {
                break;
            }
        }
        tch::set_num_threads(threads);
        vs.freeze();
        let mut model = RnnModel {
            vs,
            net,
            info: RnnInfo {
                kind: KIND.to_string(),
                version: 1,
                config: config.clone(),
                source,
                alphabet,
                provenance: data.provenance(),
                final_loss,
                steps,
                seconds: started.elapsed().as_secs_f32(),
                metre: dataset_metre(data, source)
                    .map(|m| crate::model::trained::melody_bar::metre_name(&m)),
            },
            state: None,
            temperature: 1.0,
        };
        model.reset();
        Ok(model)
    }

    /// The metre of the data it learned, when the data declared one.
    pub fn metre(&self) -> Option<&str> {
        self.info.metre.as_deref()
    }

    /// The sampling temperature (0 = always the most likely event, 1 = as learned).
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// Sets the temperature (0 = always the most likely event).
    pub fn set_temperature(&mut self, t: f32) {
        self.temperature = if t.is_finite() { t.max(0.0) } else { 1.0 };
    }

    /// Feeds an event as if it had been generated.
    pub fn feed(&mut self, event: &Event) -> bool {
        match self.token_of(event) {
            Some(t) => {
                self.commit(t);
                true
            }
            None => false,
        }
    }

    fn advance(&mut self, token: i64) {
        let x = Tensor::from_slice(&[token]);
        let e = self.net.embed.forward(&x).reshape([1, -1]);
        let state = match self.state.take() {
            Some(s) => s,
            None => self.net.gru.zero_state(1),
        };
        self.state = Some(tch::no_grad(|| self.net.gru.step(&e, &state)));
    }

    /// Next-event probabilities from each event (row: previous event, from a
    /// fresh state), for the picture.
    pub fn transition_table(&self) -> Vec<Vec<f32>> {
        let v = self.info.alphabet.len();
        (0..v)
            .map(|t| {
                let mut m = RnnModel::clone_weights(self);
                m.commit(t);
                m.set_temperature(1.0);
                m.distribution().entries.iter().map(|e| e.1).collect()
            })
            .collect()
    }

    fn clone_weights(&self) -> RnnModel {
        let mut vs = nn::VarStore::new(Device::Cpu);
        let c = &self.info.config;
        let net = Net::new(
            &vs.root(),
            self.info.alphabet.len() as i64,
            c.embedding as i64,
            c.hidden as i64,
        );
        let _ = vs.copy(&self.vs);
        vs.freeze();
        let mut m = RnnModel {
            vs,
            net,
            info: self.info.clone(),
            state: None,
            temperature: self.temperature,
        };
        m.reset();
        m
    }

    /// Writes the transition table (event × next event) as a heat-map PNG.
    pub fn write_picture(&self, path: &Path) -> Result<(), TrainedModelError> {
        let v = self.info.alphabet.len().max(1);
        heat_map(&self.transition_table(), (600 / v).clamp(4, 24)).save_png(path)
    }

    /// The model's weights by name (for the TorchScript export).
    pub fn weights(&self) -> Vec<file::NamedTensor> {
        file::from_var_store(&self.vs)
    }

    /// Writes the model file (weights and [`RnnInfo`]) to `path`.
    pub fn save(&self, path: &Path) -> Result<(), TrainedModelError> {
        let meta = serde_json::to_value(&self.info)
            .map_err(|e| TrainedModelError::file(path, format!("cannot describe model: {e}")))?;
        file::write(path, &meta, &file::from_var_store(&self.vs))
    }

    /// Reads a model file [`RnnModel::save`] wrote; an error names the file and says what is wrong.
    pub fn load(path: &Path) -> Result<RnnModel, TrainedModelError> {
        let (meta, tensors) = file::read(path)?;
        // Consent first: a withdrawn dataset's model never reaches the music.
        crate::model::trained::consent::check_model_meta(path, &meta)?;
        if meta.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err(TrainedModelError::file(path, format!("not a {KIND} model")));
        }
        let info: RnnInfo = serde_json::from_value(meta).map_err(|e| {
            TrainedModelError::file(path, format!("damaged model description: {e}"))
        })?;
        let mut vs = nn::VarStore::new(Device::Cpu);
        let c = &info.config;
        let net = Net::new(
            &vs.root(),
            info.alphabet.len() as i64,
            c.embedding as i64,
            c.hidden as i64,
        );
        file::into_var_store(&mut vs, &tensors).map_err(|e| TrainedModelError::file(path, e))?;
        vs.freeze();
        let mut m = RnnModel {
            vs,
            net,
            info,
            state: None,
            temperature: 1.0,
        };
        m.reset();
        Ok(m)
    }

    /// A JSON description (kind, events, hidden size, temperature, final loss)
    /// for replies and logs.
    pub fn describe(&self) -> serde_json::Value {
        json!({
            "kind": KIND,
            "events": self.info.alphabet.len(),
            "hidden": self.info.config.hidden,
            "temperature": self.temperature,
            "final_loss": self.info.final_loss,
            "metre": self.info.metre,
        })
    }
}

impl StepModel for RnnModel {
    fn alphabet(&self) -> &[Event] {
        &self.info.alphabet
    }

    fn fill_distribution(&mut self, out: &mut Distribution) {
        let Some(state) = &self.state else {
            out.entries.clear();
            return;
        };
        let logits = tch::no_grad(|| self.net.out.forward(&state.value().reshape([1, -1])));
        let probs = logits.softmax(-1, Kind::Float);
        let probs: Vec<f32> = Vec::try_from(probs.flatten(0, -1)).unwrap_or_default();
        out.entries.clear();
        out.entries.extend(probs.into_iter().enumerate());
        out.temperature(self.temperature);
    }

    fn commit(&mut self, token: usize) {
        if token < self.info.alphabet.len() {
            self.advance(token as i64);
        }
    }

    fn reset(&mut self) {
        self.state = None;
        let bos = self.info.alphabet.len() as i64;
        self.advance(bos);
    }
}
