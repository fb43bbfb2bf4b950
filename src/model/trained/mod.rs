//! What the models loam trains share: the model file, errors, a seeded random
//! source, progress reports and latent-space pictures.

pub mod card;
pub mod consent;
pub mod cost;
pub mod file;
pub mod melody_bar;
pub mod picture;
pub mod python;
pub mod rng;
pub mod step;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::data::DataError;

pub use rng::Rng;
pub use step::{Distribution, StepModel};

/// Why a model could not be trained, loaded, saved or used.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainedModelError {
    /// The dataset is unreadable, empty or too small.
    Data(DataError),
    /// A model file could not be read or written, or is not a loam model.
    File {
        /// The model file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A call with arguments the model cannot take (wrong metre, latent size…).
    Usage(String),
    /// Consent for a dataset the model was trained on was withdrawn.
    Refused {
        /// The model file.
        path: PathBuf,
        /// One per dataset: who withdrew which use, when, and the contact.
        refusals: Vec<crate::data::datasheet::Refusal>,
    },
}

impl TrainedModelError {
    /// A [`TrainedModelError::File`] naming `path`.
    pub fn file(path: &Path, reason: impl Into<String>) -> TrainedModelError {
        TrainedModelError::File {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    /// A [`TrainedModelError::Usage`] saying why.
    pub fn usage(reason: impl Into<String>) -> TrainedModelError {
        TrainedModelError::Usage(reason.into())
    }
}

impl fmt::Display for TrainedModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainedModelError::Data(e) => write!(f, "{e}"),
            TrainedModelError::File { path, reason } => write!(f, "{}: {reason}", path.display()),
            TrainedModelError::Usage(reason) => f.write_str(reason),
            TrainedModelError::Refused { path, refusals } => {
                write!(f, "{}: refused to load: ", path.display())?;
                for (i, r) in refusals.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for TrainedModelError {}

impl From<DataError> for TrainedModelError {
    fn from(e: DataError) -> Self {
        TrainedModelError::Data(e)
    }
}

/// How far training has come; handed to a progress callback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Optimiser steps taken so far.
    pub step: usize,
    /// Optimiser steps planned (training may stop earlier, at its time limit).
    pub steps: usize,
    /// Loss of the latest step.
    pub loss: f32,
}

static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks every training in this process to finish at its next step (loam is
/// quitting): libtorch must not be mid-step when the process ends.
pub fn request_stop() {
    STOP.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether training should end now.
pub fn stop_requested() -> bool {
    STOP.load(std::sync::atomic::Ordering::Relaxed)
}

/// Reads the `kind` a model file says it holds (`rhythm-vae`, `markov`, `rnn`).
pub fn kind_of_file(path: &Path) -> Result<String, TrainedModelError> {
    let (meta, _) = file::read(path)?;
    meta.get("kind")
        .and_then(|k| k.as_str())
        .map(str::to_string)
        .ok_or_else(|| TrainedModelError::file(path, "model file without a kind"))
}
