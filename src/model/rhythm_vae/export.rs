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
use crate::model::trained::python::{run_script, Scratch};
use crate::model::trained::ModelError;

/// The Python exporter.
pub const SCRIPT: &str = include_str!("export_vae.py");

/// Exports `vae` to `out` (a `.ts` file nn~ loads).
pub fn export_torchscript(vae: &RhythmVae, out: &Path) -> Result<(), ModelError> {
    let scratch = Scratch::new("vae")?;
    let weights = scratch.path("model.safetensors");
    vae.save(&weights)?;
    run_script(&scratch, SCRIPT, &[&weights, out], out)
}

/// Exports, then has Python load the export back and decode the latent points
/// `z`: returns its planes (one vector per point), to compare with loam's.
pub fn export_and_check(
    vae: &RhythmVae,
    out: &Path,
    z: &[Vec<f32>],
) -> Result<(Vec<Vec<f32>>, Vec<String>), ModelError> {
    let scratch = Scratch::new("vae")?;
    let weights = scratch.path("model.safetensors");
    vae.save(&weights)?;
    let check_in = scratch.path("check_in.json");
    let check_out = scratch.path("check_out.json");
    std::fs::write(&check_in, serde_json::json!({ "z": z }).to_string())
        .map_err(|e| ModelError::file(&check_in, e.to_string()))?;
    run_script(
        &scratch,
        SCRIPT,
        &[&weights, out, &check_in, &check_out],
        out,
    )?;
    let text = std::fs::read_to_string(&check_out)
        .map_err(|e| ModelError::file(&check_out, e.to_string()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ModelError::file(&check_out, e.to_string()))?;
    let planes = serde_json::from_value(v["planes"].clone())
        .map_err(|e| ModelError::file(&check_out, e.to_string()))?;
    let methods = serde_json::from_value(v["methods"].clone())
        .map_err(|e| ModelError::file(&check_out, e.to_string()))?;
    Ok((planes, methods))
}
