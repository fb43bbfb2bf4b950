//! A variable-order Markov model over events, after Mégra's learned
//! sequences: pure Rust, learns 10,000 events in milliseconds, and generates
//! one event at a time with its distribution open to the caller.
//!
//! Counts are kept for every context of length 0 to `max_order`. A step
//! blends the orders by Witten–Bell interpolation (PPM-like back-off): from
//! the empty context up to the longest context of the recent history that the
//! model has seen, each order takes weight n/(n+u) (n continuations seen after
//! that context, u distinct ones) and leaves the rest to the shorter contexts
//! below it; below order 0 every event of the alphabet is equally likely.
//! So long contexts are followed where the data has them, and the model backs
//! off smoothly where it has not. `order` (≤ `max_order`) and `temperature`
//! can change between any two steps.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::data::{
    dataset_metre, dataset_sequences, DataError, Dataset, DatasetPart, Event, Provenance,
};
use crate::model::trained::picture::heat_map;
use crate::model::trained::{file, Distribution, StepModel, TrainedModelError};

/// Kind string in the model file.
pub const KIND: &str = "markov";

/// The longest context a model can learn.
pub const MAX_ORDER: usize = 8;

/// The fewest events a model trains on.
pub const MIN_EVENTS: usize = 8;

/// Settings for [`MarkovModel::train`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkovConfig {
    /// Longest context learned (1..=8).
    pub max_order: usize,
    /// Drums or melodies; by default drums when the dataset has patterns.
    pub source: Option<DatasetPart>,
}

impl Default for MarkovConfig {
    fn default() -> Self {
        MarkovConfig {
            max_order: 4,
            source: None,
        }
    }
}

/// Continuations seen after one context.
#[derive(Clone, Debug, Default)]
struct Continuations {
    total: u32,
    next: Vec<(u32, u32)>,
}

/// Multiply-rotate hasher for context keys (they are already well mixed).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ *b as u64).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
        }
    }
    fn write_u128(&mut self, v: u128) {
        let x = (v as u64) ^ ((v >> 64) as u64).rotate_left(29);
        self.0 = (x ^ (x >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type ContextMap = HashMap<u128, Continuations, BuildHasherDefault<KeyHasher>>;

/// Everything saved besides the counts (which are rebuilt from `sequences`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MarkovInfo {
    /// Always [`KIND`] (`markov`).
    pub kind: String,
    /// Format version of the model file.
    pub version: u32,
    /// The longest context it counts, in events.
    pub max_order: usize,
    /// Drums or melodies; `None`: chosen from the dataset ([`DatasetPart::pick`]).
    pub source: Option<DatasetPart>,
    /// The events it can play, in token order.
    pub alphabet: Vec<Event>,
    /// Learned sequences as tokens, and whether each loops.
    pub sequences: Vec<(Vec<u32>, bool)>,
    /// Who made the data it learned from.
    pub provenance: Vec<Provenance>,
    /// The metre of the data it learned (`9/8` for slip jigs; from the MIDI
    /// files' time signatures), when the data declared one.
    #[serde(default)]
    pub metre: Option<String>,
}

/// A variable-order Markov model with a generation state.
pub struct MarkovModel {
    info: MarkovInfo,
    index: HashMap<Event, u32>,
    contexts: ContextMap,
    /// Live order (≤ max_order).
    order: usize,
    temperature: f32,
    /// The last events generated or fed, newest last (at most max_order).
    history: Vec<u32>,
    scratch: Vec<f32>,
}

/// Key of a context (oldest first). Tokens are stored + 1 so lengths differ.
fn key(context: &[u32]) -> u128 {
    context
        .iter()
        .fold(0u128, |k, &t| (k << 16) | (t as u128 + 1))
}

impl MarkovModel {
    /// An empty model learning contexts up to `max_order` (clamped to 1..=8).
    pub fn new(max_order: usize) -> MarkovModel {
        let max_order = max_order.clamp(1, MAX_ORDER);
        MarkovModel {
            info: MarkovInfo {
                kind: KIND.to_string(),
                version: 1,
                max_order,
                ..MarkovInfo::default()
            },
            index: HashMap::new(),
            contexts: ContextMap::default(),
            order: max_order,
            temperature: 1.0,
            history: Vec::with_capacity(MAX_ORDER + 1),
            scratch: Vec::new(),
        }
    }

    /// Learns from the dataset's drum patterns or melodies.
    pub fn train(data: &Dataset, config: &MarkovConfig) -> Result<MarkovModel, TrainedModelError> {
        let source = config.source.unwrap_or_else(|| DatasetPart::pick(data));
        let sequences = dataset_sequences(data, source);
        let events: usize = sequences.iter().map(|s| s.0.len()).sum();
        if events < MIN_EVENTS {
            return Err(TrainedModelError::Data(DataError::file(
                &data.path,
                format!(
                    "too small to train a Markov model: {events} event(s) in its {}; the minimum is {MIN_EVENTS}",
                    match source {
                        DatasetPart::Drums => "drum patterns",
                        DatasetPart::Melody => "melodies",
                    }
                ),
            )));
        }
        let mut model = MarkovModel::new(config.max_order);
        model.info.source = Some(source);
        for (seq, loops) in &sequences {
            model.learn(seq, *loops);
        }
        model.info.provenance = data.provenance();
        model.info.metre =
            dataset_metre(data, source).map(|m| crate::model::trained::melody_bar::metre_name(&m));
        Ok(model)
    }

    /// Adds a sequence. A looping sequence (a drum bar) also learns the
    /// contexts that run across its end into its start.
    pub fn learn(&mut self, events: &[Event], loops: bool) {
        let tokens: Vec<u32> = events.iter().map(|e| self.intern(e)).collect();
        self.learn_tokens(&tokens, loops);
        self.info.sequences.push((tokens, loops));
    }

    fn intern(&mut self, e: &Event) -> u32 {
        if let Some(&t) = self.index.get(e) {
            return t;
        }
        let t = self.info.alphabet.len() as u32;
        assert!(
            t < u16::MAX as u32 - 1,
            "Markov alphabet is limited to 65,534 events"
        );
        self.info.alphabet.push(e.clone());
        self.index.insert(e.clone(), t);
        t
    }

    fn learn_tokens(&mut self, tokens: &[u32], loops: bool) {
        let n = tokens.len();
        let mut context: Vec<u32> = Vec::with_capacity(MAX_ORDER);
        for i in 0..n {
            for k in 0..=self.info.max_order {
                if k > i && !(loops && k < n) {
                    break;
                }
                context.clear();
                context.extend((0..k).map(|j| tokens[(i + n * MAX_ORDER - k + j) % n]));
                let c = self.contexts.entry(key(&context)).or_default();
                c.total += 1;
                match c.next.iter_mut().find(|(t, _)| *t == tokens[i]) {
                    Some((_, count)) => *count += 1,
                    None => c.next.push((tokens[i], 1)),
                }
            }
        }
    }

    /// The longest context learned.
    pub fn max_order(&self) -> usize {
        self.info.max_order
    }

    /// The context length used when generating.
    pub fn order(&self) -> usize {
        self.order
    }

    /// Sets the live order (clamped to 0..=max_order; 0 = event frequencies only).
    pub fn set_order(&mut self, order: usize) {
        self.order = order.min(self.info.max_order);
    }

    /// The sampling temperature (0 = always the most likely event, 1 = as learned).
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// Sets the temperature (0 = always the most likely event; 1 = as learned).
    pub fn set_temperature(&mut self, t: f32) {
        self.temperature = if t.is_finite() { t.max(0.0) } else { 1.0 };
    }

    /// Feeds an event as if it had been generated (a performer's input).
    pub fn feed(&mut self, event: &Event) -> bool {
        match self.index.get(event) {
            Some(&t) => {
                self.commit(t as usize);
                true
            }
            None => false,
        }
    }

    /// Who made the material it learned from.
    pub fn provenance(&self) -> &[Provenance] {
        &self.info.provenance
    }

    /// The metre of the data it learned, when the data declared one.
    pub fn metre(&self) -> Option<&str> {
        self.info.metre.as_deref()
    }

    /// First-order transition probabilities (row: previous event).
    pub fn transition_table(&self) -> Vec<Vec<f32>> {
        let v = self.info.alphabet.len();
        (0..v as u32)
            .map(|prev| {
                let mut row = vec![0.0; v];
                if let Some(c) = self.contexts.get(&key(&[prev])) {
                    for &(t, n) in &c.next {
                        row[t as usize] = n as f32 / c.total as f32;
                    }
                }
                row
            })
            .collect()
    }

    /// Writes the transition table as a PNG heat map.
    pub fn write_picture(&self, path: &Path) -> Result<(), TrainedModelError> {
        let v = self.info.alphabet.len().max(1);
        heat_map(&self.transition_table(), (600 / v).clamp(4, 24)).save_png(path)
    }

    /// Writes the model file to `path`: [`MarkovInfo`] as its description and no
    /// weights (the counts are rebuilt from the sequences on load).
    pub fn save(&self, path: &Path) -> Result<(), TrainedModelError> {
        let meta = serde_json::to_value(&self.info)
            .map_err(|e| TrainedModelError::file(path, format!("cannot describe model: {e}")))?;
        file::write(path, &meta, &[])
    }

    /// Reads a model file [`MarkovModel::save`] wrote; an error names the file and says what is wrong.
    pub fn load(path: &Path) -> Result<MarkovModel, TrainedModelError> {
        let (meta, _) = file::read(path)?;
        // Consent first: a withdrawn dataset's model never reaches the music.
        crate::model::trained::consent::check_model_meta(path, &meta)?;
        if meta.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err(TrainedModelError::file(path, format!("not a {KIND} model")));
        }
        let info: MarkovInfo = serde_json::from_value(meta).map_err(|e| {
            TrainedModelError::file(path, format!("damaged model description: {e}"))
        })?;
        let mut model = MarkovModel::new(info.max_order);
        for e in &info.alphabet {
            model.intern(e);
        }
        let v = info.alphabet.len() as u32;
        for (tokens, loops) in &info.sequences {
            if tokens.iter().any(|t| *t >= v) {
                return Err(TrainedModelError::file(
                    path,
                    "a sequence names an unknown event",
                ));
            }
            model.learn_tokens(tokens, *loops);
        }
        model.info = info;
        Ok(model)
    }

    /// A JSON description for replies and logs.
    pub fn describe(&self) -> serde_json::Value {
        json!({
            "kind": KIND,
            "max_order": self.info.max_order,
            "order": self.order,
            "temperature": self.temperature,
            "events": self.info.alphabet.len(),
            "metre": self.info.metre,
        })
    }
}

impl StepModel for MarkovModel {
    fn alphabet(&self) -> &[Event] {
        &self.info.alphabet
    }

    fn fill_distribution(&mut self, out: &mut Distribution) {
        let v = self.info.alphabet.len();
        let p = &mut self.scratch;
        p.clear();
        p.resize(v, if v > 0 { 1.0 / v as f32 } else { 0.0 });
        let h = &self.history;
        let longest = self.order.min(h.len());
        for k in 0..=longest {
            let Some(c) = self.contexts.get(&key(&h[h.len() - k..])) else {
                break;
            };
            let n = c.total as f32;
            let u = c.next.len() as f32;
            let lambda = n / (n + u);
            for x in p.iter_mut() {
                *x *= 1.0 - lambda;
            }
            for &(t, count) in &c.next {
                p[t as usize] += lambda * count as f32 / n;
            }
        }
        out.entries.clear();
        out.entries.extend(p.iter().copied().enumerate());
        out.temperature(self.temperature);
    }

    fn commit(&mut self, token: usize) {
        if token >= self.info.alphabet.len() {
            return;
        }
        if self.history.len() == self.info.max_order {
            self.history.remove(0);
        }
        self.history.push(token as u32);
    }

    fn reset(&mut self) {
        self.history.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trained::Rng;

    fn ev(label: &str) -> Event {
        Event {
            label: label.to_string(),
            ticks: 4,
        }
    }

    #[test]
    fn a_long_context_decides_where_a_short_one_cannot() {
        // After "a b" comes "c"; after "x b" comes "y": order 1 sees only "b".
        let mut m = MarkovModel::new(2);
        for _ in 0..5 {
            m.learn(
                &[ev("a"), ev("b"), ev("c"), ev("x"), ev("b"), ev("y")],
                true,
            );
        }
        let c = m.token_of(&ev("c")).unwrap();
        let y = m.token_of(&ev("y")).unwrap();
        m.feed(&ev("a"));
        m.feed(&ev("b"));
        let d = m.distribution();
        assert!((d.total() - 1.0).abs() < 1e-5);
        assert!(d.probability(c) > 0.9, "{d:?}");
        m.set_order(1);
        let d = m.distribution();
        assert!((d.probability(c) - d.probability(y)).abs() < 1e-5);
        m.set_temperature(0.0);
        m.set_order(2);
        let mut rng = Rng::new(3);
        assert_eq!(m.step(&mut rng), Some(c));
    }
}
