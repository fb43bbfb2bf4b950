//! The VAE's layers: a two-layer MLP encoder to a Gaussian latent, and a
//! two-layer MLP decoder back to the grid's three planes.
//!
//! Variable names (`enc1.weight`, `mu.bias`, …) are the contract with the
//! TorchScript exporter, which rebuilds the same layers in Python.

use tch::nn::{self, Module};
use tch::Tensor;

/// Layer sizes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// Input and output width: three planes (onset, velocity, timing shift) of instruments × grid cells.
    pub width: i64,
    /// First hidden layer width.
    pub hidden: i64,
    /// Latent dimensions.
    pub latent: i64,
}

impl Shape {
    /// Second hidden layer: a quarter of the first, at least 16.
    pub fn inner(&self) -> i64 {
        (self.hidden / 4).max(16)
    }
}

/// The VAE's layers: two encoder layers to a mean and a log-variance, three decoder layers back.
pub struct Net {
    enc1: nn::Linear,
    enc2: nn::Linear,
    mu: nn::Linear,
    logvar: nn::Linear,
    dec1: nn::Linear,
    dec2: nn::Linear,
    dec3: nn::Linear,
    plane: i64,
}

impl Net {
    /// Layers named `enc1` … `dec3` under `root`, sized by `shape`.
    pub fn new(root: &nn::Path, shape: Shape) -> Net {
        let c = nn::LinearConfig::default();
        let inner = shape.inner();
        Net {
            enc1: nn::linear(root / "enc1", shape.width, shape.hidden, c),
            enc2: nn::linear(root / "enc2", shape.hidden, inner, c),
            mu: nn::linear(root / "mu", inner, shape.latent, c),
            logvar: nn::linear(root / "logvar", inner, shape.latent, c),
            dec1: nn::linear(root / "dec1", shape.latent, inner, c),
            dec2: nn::linear(root / "dec2", inner, shape.hidden, c),
            dec3: nn::linear(root / "dec3", shape.hidden, shape.width, c),
            plane: shape.width / 3,
        }
    }

    /// Mean and log-variance of the latent, `(batch, latent)` each.
    pub fn encode(&self, x: &Tensor) -> (Tensor, Tensor) {
        let h = self.enc2.forward(&self.enc1.forward(x).relu()).relu();
        (
            self.mu.forward(&h),
            self.logvar.forward(&h).clamp(-8.0, 8.0),
        )
    }

    /// Raw decoder output `(batch, width)`: onset logits, then velocity and
    /// micro-timing before their squashing.
    pub fn decode_raw(&self, z: &Tensor) -> Tensor {
        let h = self.dec2.forward(&self.dec1.forward(z).relu()).relu();
        self.dec3.forward(&h)
    }

    /// Splits raw output into onset logits, velocity (0..1), micro-timing (−1..1).
    pub fn split(&self, raw: &Tensor) -> (Tensor, Tensor, Tensor) {
        let p = self.plane;
        (
            raw.narrow(1, 0, p),
            raw.narrow(1, p, p).sigmoid(),
            raw.narrow(1, 2 * p, p).tanh(),
        )
    }

    /// Decoded planes: onset probability, velocity, micro-timing.
    pub fn decode(&self, z: &Tensor) -> Tensor {
        let (onset, velocity, shift) = self.split(&self.decode_raw(z));
        Tensor::cat(&[onset.sigmoid(), velocity, shift], 1)
    }
}
