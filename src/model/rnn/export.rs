//! TorchScript export of the GRU for nn~, following the nn~ contract
//! (methods with `<method>_params` buffers, `get_methods`, attributes with
//! getters and setters): loam writes the weights (PyTorch's own names,
//! `embed.weight`, `gru.weight_ih_l0`, …, `out.weight`), then a Python
//! script ([`SCRIPT`], run with torch and nn-tilde) rebuilds the embedding,
//! a `GRUCell` and the read-out, loads the weights and exports with
//! `nn_tilde.Module`.
//!
//! In Max or Pd: `nn~ model.ts generate` (or `forward`) takes a step
//! trigger signal (a step on each rise above 0.5, e.g. a `phasor~` through
//! `<~ 0.5` or a `click~`) and puts out three signals: the index of the
//! event drawn at the last step (held; −1 before the first), its length in
//! whole notes (held), and 1 on the frame of each step. Indices follow the
//! model's alphabet, which the `probabilities` outlets name
//! (`p kick+hat/24`: label / length in ticks, 192 to a whole note).
//! `nn~ model.ts probabilities` puts out one held signal per event: the
//! next step's distribution at the current temperature. In nn~ each object
//! loads its own copy of the model, so that object shows its own state (the
//! start distribution, as it never steps). The `temperature` attribute
//! (1.0) sharpens (below 1) or flattens (above 1) the draw; 0 always takes
//! the most likely event. With `mc.nn~`, each channel (up to 64) generates
//! its own sequence.

use std::path::Path;

use super::RnnModel;
use crate::model::trained::python::{export_checked, export_with};
use crate::model::trained::TrainedModelError;

/// The Python exporter.
pub const SCRIPT: &str = include_str!("export_rnn.py");

/// Exports `model` to `out` (a `.ts` file nn~ loads).
pub fn export_torchscript(model: &RnnModel, out: &Path) -> Result<(), TrainedModelError> {
    export_with("rnn", SCRIPT, |p| model.save(p), out, None).map(|_| ())
}

/// Exports, then has Python load the export back and compute the next-step
/// distribution (temperature 1) after each of `histories` (event indices fed
/// from a fresh state): returns those distributions, to compare with loam's,
/// and the export's `get_methods()`.
pub fn export_and_check(
    model: &RnnModel,
    out: &Path,
    histories: &[Vec<usize>],
) -> Result<(Vec<Vec<f32>>, Vec<String>), TrainedModelError> {
    let request = serde_json::json!({ "histories": histories });
    export_checked(
        "rnn",
        SCRIPT,
        |p| model.save(p),
        out,
        request,
        "distributions",
    )
}
