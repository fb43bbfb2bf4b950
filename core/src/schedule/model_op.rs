//! What a script or OSC asks of the models: vocabulary the planner and the
//! session carry to the control thread, which holds the models.

use std::path::PathBuf;

use crate::data::model_attribute::AttrValue;

/// What a script or OSC asks of the models.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelOp {
    /// Load `path` as `name`; `route` is `decode` (default when the model has
    /// it), `forward`, or `encode-decode`.
    Load {
        name: String,
        path: PathBuf,
        route: Option<String>,
    },
    /// Set latent dimensions 0.. to these values (held until changed).
    Latent {
        name: String,
        values: Vec<f64>,
    },
    /// Offset and scale a latent dimension.
    Shape {
        name: String,
        dim: usize,
        offset: f64,
        scale: f64,
    },
    Set {
        name: String,
        attr: String,
        values: Vec<AttrValue>,
    },
    Gain {
        name: String,
        gain: f32,
        pan: f32,
    },
    Unload {
        name: String,
    },
    /// `count` steps of a step model (Markov, GRU) the script loaded by name.
    Step {
        name: String,
        count: usize,
    },
    /// Feed a sound (looped) into the model's input (`forward`,
    /// `encode-decode`); an empty name stops feeding.
    Input {
        name: String,
        sound: String,
    },
}
