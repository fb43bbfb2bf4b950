//! TorchScript export of the GRU for nn~: not built yet. The model's weights
//! use PyTorch's own names (`embed.weight`, `gru.weight_ih_l0`, …, `out.weight`)
//! so an exporter can rebuild `nn.Embedding` + `nn.GRU` + `nn.Linear` and load
//! them directly, as the rhythm VAE's exporter does.

use std::path::Path;

use super::RnnModel;
use crate::model::trained::ModelError;

/// Not implemented yet: returns an error that says so.
pub fn export_torchscript(_model: &RnnModel, out: &Path) -> Result<(), ModelError> {
    Err(ModelError::file(
        out,
        "TorchScript export of the GRU is not implemented yet (the rhythm VAE exports)",
    ))
}
