//! What a script or OSC asks of the models: vocabulary the planner and the
//! session carry to the control thread, which holds the models.

use std::path::PathBuf;

use crate::data::model_attribute::AttrValue;
use crate::pattern::signal::Signal;

/// One latent dimension's value: held, or read from a signal in musical time.
#[derive(Clone, Debug, PartialEq)]
pub enum LatentValue {
    /// A number, in the model's latent units.
    Number(f64),
    /// A signal, in the model's latent units (shape it with `.range`).
    Signal(Signal),
}

/// What a script or OSC asks of the models.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelOp {
    /// Load `path` as `name`; `route` is `decode` (default when the model has
    /// it), `forward`, or `encode-decode`.
    Load {
        /// The name it will be known by.
        name: String,
        /// The model file (TorchScript); relative paths follow loam's one path rule.
        path: PathBuf,
        /// `decode`, `forward`, `encode-decode` or a method's name; `None`: `decode` when it has it, else `forward`.
        route: Option<String>,
    },
    /// Set latent dimensions 0.. to these values (held until changed).
    Latent {
        /// The model's name.
        name: String,
        /// One value per dimension from 0, in the model's latent units.
        values: Vec<f64>,
    },
    /// Drive latent dimensions 0.. with signals (and numbers held), read
    /// by the control thread at the musical time now, every
    /// `SIGNAL_INTERVAL` (`model_latent("v", [sine.slow(8).range(-2, 2), 0.3])`).
    /// A later [`ModelOp::Latent`] for the model stops them.
    LatentSignals {
        /// The model's name.
        name: String,
        /// One per dimension from 0.
        values: Vec<LatentValue>,
    },
    /// Offset and scale a latent dimension.
    Shape {
        /// The model's name.
        name: String,
        /// The dimension, counted from 0.
        dim: usize,
        /// Added after scaling, in latent units.
        offset: f64,
        /// Multiplies the value (set or incoming) before the offset; 1 = unchanged.
        scale: f64,
    },
    /// Set an nn~ attribute of a model (`/model/NAME/set`).
    Set {
        /// The model's name.
        name: String,
        /// The attribute's name.
        attr: String,
        /// Its elements, checked against the attribute's declared types.
        values: Vec<AttrValue>,
    },
    /// A model's gain and pan in the mix.
    Gain {
        /// The model's name.
        name: String,
        /// Linear gain.
        gain: f32,
        /// −1 (left) … 1 (right).
        pan: f32,
    },
    /// Stop a model and free it (on the control side).
    Unload {
        /// The model's name.
        name: String,
    },
    /// `count` steps of a step model (Markov, GRU) the script loaded by name.
    Step {
        /// The model's name.
        name: String,
        /// Steps to take.
        count: usize,
    },
    /// Feed a sound (looped) into the model's input (`forward`,
    /// `encode-decode`); an empty name stops feeding.
    Input {
        /// The model's name.
        name: String,
        /// The sound to feed (`kick`, `break:2`); empty: stop feeding.
        sound: String,
    },
}
