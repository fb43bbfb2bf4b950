//! TorchScript export for nn~, following the nn~ contract (methods with
//! `<method>_params` buffers, `get_methods`, attributes with getters and
//! setters): loam writes the weights, then a generated Python script
//! ([`SCRIPT`], run with torch and nn-tilde) rebuilds the same layers,
//! loads the weights and exports with `nn_tilde.Module`.
//!
//! In Max or Pd: `nn~ model.ts decode` (or `forward`) takes the latent
//! dimensions and a bar phasor (0..1) as signals and puts out one velocity
//! trigger signal per instrument; `grid` puts out the decoded planes; the
//! `threshold` attribute sets the onset threshold.

use std::path::Path;

use super::RhythmVae;
use crate::model::trained::python::{export_checked, export_with};
use crate::model::trained::TrainedModelError;

/// The Python exporter.
pub const SCRIPT: &str = include_str!("export_vae.py");

/// Exports `vae` to `out` (a `.ts` file nn~ loads).
pub fn export_torchscript(vae: &RhythmVae, out: &Path) -> Result<(), TrainedModelError> {
    export_with("vae", SCRIPT, |p| vae.save(p), out, None).map(|_| ())
}

/// Exports, then has Python load the export back and decode the latent points
/// `z`: returns its planes (one vector per point), to compare with loam's.
pub fn export_and_check(
    vae: &RhythmVae,
    out: &Path,
    z: &[Vec<f32>],
) -> Result<(Vec<Vec<f32>>, Vec<String>), TrainedModelError> {
    let request = serde_json::json!({ "z": z });
    export_checked("vae", SCRIPT, |p| vae.save(p), out, request, "planes")
}
