//! Why the control thread could not load, attach, steer, feed, step or
//! unload a model: one error type whose text names the model and the reason.

use std::fmt;

use crate::audio::model_slots::MODEL_SLOTS;
use crate::data::paths::PathError;
use crate::model::torchscript::TorchScriptError;
use crate::pattern::values::ValueError;
use crate::script::trained::StepError;

/// A model operation that failed; the music goes on.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelOpError {
    /// No model by this name is loaded (nor loading, for an input).
    NotLoaded(String),
    /// Every mixer slot for models holds one already.
    SlotsFull,
    /// The engine's queue for model messages is full.
    QueueFull,
    /// A value outside its rule (latent, gain, pan), naming the model.
    Value {
        /// The model's name.
        model: String,
        /// The rule's words for the value outside it.
        error: ValueError,
    },
    /// The model's route takes no audio, so a sound cannot be fed into it.
    NoInput(String),
    /// An operation sent to the wrong door (`Load`, `Step`, `Input` each
    /// have their own): which one to use.
    OtherDoor(&'static str),
    /// A `route` that is neither a known route nor a method of the model.
    UnknownRoute(String),
    /// The path rule refused the model's path (see [`crate::data::paths`]):
    /// its reason, naming the call and path.
    Path(PathError),
    /// libtorch or the stream refused: loading, starting, a latent or an attribute.
    TorchScript(TorchScriptError),
    /// The loading thread ended without saying how loading went.
    LoaderEnded,
    /// The loading thread could not be started: the system's words.
    LoaderStart(String),
    /// A step model could not step.
    Step(StepError),
}

impl fmt::Display for ModelOpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelOpError::NotLoaded(name) => write!(f, "no model '{name}' is loaded"),
            ModelOpError::SlotsFull => write!(
                f,
                "all {MODEL_SLOTS} model slots are in use; unload one first"
            ),
            ModelOpError::QueueFull => f.write_str("the engine's model queue is full"),
            ModelOpError::Value { model, error } => write!(f, "model '{model}': {error}"),
            ModelOpError::NoInput(name) => write!(
                f,
                "model '{name}' takes no audio input on its route (use forward or encode-decode)"
            ),
            ModelOpError::OtherDoor(door) => f.write_str(door),
            ModelOpError::UnknownRoute(route) => write!(
                f,
                "unknown route '{route}': use decode, forward, encode-decode or a method name"
            ),
            ModelOpError::Path(e) => e.fmt(f),
            ModelOpError::TorchScript(e) => write!(f, "{e}"),
            ModelOpError::LoaderEnded => f.write_str("the loading thread ended without a result"),
            ModelOpError::LoaderStart(detail) => write!(f, "cannot start loading: {detail}"),
            ModelOpError::Step(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ModelOpError {}

impl From<TorchScriptError> for ModelOpError {
    fn from(e: TorchScriptError) -> ModelOpError {
        ModelOpError::TorchScript(e)
    }
}

impl From<StepError> for ModelOpError {
    fn from(e: StepError) -> ModelOpError {
        ModelOpError::Step(e)
    }
}
