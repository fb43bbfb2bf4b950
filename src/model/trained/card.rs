//! The model card: what a model was trained on, under whose consent, how,
//! and at what cost. loam writes it beside every model it trains
//! (`OUTPUT.toml`: the model file's name with `.toml` appended) and the same
//! content inside the model file (its metadata's `card` entry), so the card
//! travels with the model even when the TOML is lost. A TorchScript model
//! may carry a card too (`NAME.ts.toml`), written by hand or by
//! `loam train --torchscript`; only its `[[datasets]]` are read.
//!
//! Every dataset entry holds the datasheet contract's keys (id, title, path,
//! attribution, licence, contact), the consent of each use as it was at
//! training time, and a SHA-256 content hash of every file used, so a later
//! reader can tell whether the data changed since.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::cost::TrainingCost;
use super::{file, TrainedModelError};

/// One file a model was trained on, and its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    /// Relative to the dataset's folder, `/`-separated.
    pub name: String,
    /// SHA-256 of the file's bytes, in lowercase hex.
    pub sha256: String,
}

/// How each use stood at training time across the files used:
/// `given` (for every file), `withdrawn` (for some), `unrecorded`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAtTraining {
    /// Training.
    pub train: String,
    /// Performance.
    pub perform: String,
    /// Sharing.
    pub share: String,
    /// Derived works.
    pub derive: String,
    /// The date of the latest consent record read.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub as_of: String,
}

/// One dataset in a card.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardDataset {
    /// The datasheet's stable id.
    pub id: String,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// Its folder when the model was made (absolute).
    #[serde(default)]
    pub path: PathBuf,
    /// The credits text.
    #[serde(default)]
    pub attribution: String,
    /// Its licence.
    #[serde(default)]
    pub licence: String,
    /// Who to ask.
    #[serde(default)]
    pub contact: String,
    /// Consent at training time.
    #[serde(default)]
    pub consent: ConsentAtTraining,
    /// Files of the dataset left out for want of consent (`--exclude-unconsented`).
    #[serde(default)]
    pub files_left_out: usize,
    /// Every file used, with its hash. Absent in a hand-written card: the
    /// whole dataset is then checked.
    #[serde(default)]
    pub files: Vec<FileHash>,
}

/// Energy and time spent training (see [`super::cost`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardCost {
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// CPU seconds of the whole process (user and system, all threads).
    pub cpu_seconds: f64,
    /// Joules, measured or estimated.
    pub energy_joules: f64,
    /// `rapl` (measured by the CPU's energy counters) or `estimate`.
    pub energy_method: String,
    /// The method in words, with its uncertainty.
    pub energy_note: String,
    /// Grams of CO2e at the grid intensity given, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_gco2_per_kwh: Option<f64>,
    /// Grams of CO2e, when a grid intensity was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co2e_grams: Option<f64>,
}

impl From<&TrainingCost> for CardCost {
    fn from(c: &TrainingCost) -> CardCost {
        CardCost {
            wall_seconds: c.wall_seconds,
            cpu_seconds: c.cpu_seconds,
            energy_joules: c.energy_joules,
            energy_method: c.method.name().to_string(),
            energy_note: c.method.to_string(),
            grid_gco2_per_kwh: c.grid_gco2_per_kwh,
            co2e_grams: c.co2e_grams(),
        }
    }
}

/// A model card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// `rhythm-vae`, `markov` or `rnn`.
    #[serde(default)]
    pub kind: String,
    /// The model file's name.
    #[serde(default)]
    pub model: String,
    /// The loam version that trained it.
    #[serde(default)]
    pub loam_version: String,
    /// The day it was trained (UTC, `YYYY-MM-DD`).
    #[serde(default)]
    pub trained: String,
    /// The random seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Optimiser steps taken (none for a Markov model, which counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    /// The settings it was trained with, by their command-line names.
    #[serde(default)]
    pub hyperparameters: BTreeMap<String, String>,
    /// Time and energy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CardCost>,
    /// Data files with no datasheet above them (no provenance), relative to
    /// the training folder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_provenance: Vec<String>,
    /// The datasets, with consent and hashes.
    #[serde(default)]
    pub datasets: Vec<CardDataset>,
}

/// The card's path beside `model`: the model's file name with `.toml` appended.
pub use crate::data::credit_provenance::card_path;

/// SHA-256 of the file at `path`, in lowercase hex.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

impl ModelCard {
    /// The card as TOML text.
    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string(self).map_err(|e| e.to_string())
    }

    /// Reads a card from TOML text.
    pub fn from_toml(text: &str) -> Result<ModelCard, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The card a loam model file carries (its metadata's `card`), if any.
    pub fn from_meta(meta: &serde_json::Value) -> Option<Result<ModelCard, String>> {
        meta.get("card")
            .map(|c| serde_json::from_value(c.clone()).map_err(|e| e.to_string()))
    }

    /// Writes the card beside `model` (atomically) and into the model file's
    /// metadata (the file is rewritten atomically, its weights bit for bit).
    pub fn write_for(&self, model: &Path) -> Result<PathBuf, TrainedModelError> {
        let (mut meta, tensors) = file::read(model)?;
        let json = serde_json::to_value(self).map_err(|e| {
            TrainedModelError::file(model, format!("cannot describe the card: {e}"))
        })?;
        if let Some(m) = meta.as_object_mut() {
            m.insert("card".into(), json);
        }
        let tensors: Vec<file::NamedTensor> = tensors.into_values().collect();
        file::write(model, &meta, &tensors)?;
        self.write_beside(model)
    }

    /// Writes the card as `MODEL.toml` beside `model` (atomically).
    pub fn write_beside(&self, model: &Path) -> Result<PathBuf, TrainedModelError> {
        let path = card_path(model);
        let text = self
            .to_toml()
            .map_err(|e| TrainedModelError::file(&path, e))?;
        let text = format!(
            "# Model card written by loam: what this model was trained on, under whose\n# consent, how, and at what cost. See datasets/README.md.\n\n{text}"
        );
        crate::data::datasheet::record::write_atomically(&path, text.as_bytes())
            .map_err(|e| TrainedModelError::file(&path, format!("cannot write: {e}")))?;
        Ok(path)
    }
}
