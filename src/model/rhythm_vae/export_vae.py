"""Exports a loam rhythm VAE as TorchScript for nn~ (written by loam, run with
a Python that has torch 2.13 and nn-tilde 1.6.0).

    python export_vae.py MODEL.safetensors OUT.ts [CHECK_IN.json CHECK_OUT.json]

nn~ methods (one sample of signal = one frame):
  forward / decode: in  = latent_dims + 1 channels: the latent point, and the
                    bar's phase (0..1, a phasor~ at the bar rate);
                    out = one channel per instrument: the velocity (0..1) on
                    the frame where the phase enters a cell with an onset, else 0.
                    The latent is read from each buffer's last frame.
  grid:             in  = latent_dims channels (last frame read);
                    out = 3 * instruments * cells channels, held: onset
                    probabilities, velocities, micro-timing (in sixths of a pulse).
Attributes: threshold (float, 0.5).
"""

import json
import logging
import sys
from typing import List

import torch
import torch.nn as nn

logging.disable(logging.CRITICAL)
import nn_tilde  # noqa: E402
from loam_file import read_loam  # noqa: E402


def linear(tensors, name):
    w = tensors[name + ".weight"]
    layer = nn.Linear(w.shape[1], w.shape[0])
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(tensors[name + ".bias"])
    return layer


class RhythmVae(nn_tilde.Module):
    def __init__(self, meta, tensors):
        super().__init__(sr=None)
        self.enc1 = linear(tensors, "enc1")
        self.enc2 = linear(tensors, "enc2")
        self.mu = linear(tensors, "mu")
        self.logvar = linear(tensors, "logvar")
        self.dec1 = linear(tensors, "dec1")
        self.dec2 = linear(tensors, "dec2")
        self.dec3 = linear(tensors, "dec3")
        grid = meta["grid"]
        self.instruments: List[str] = list(grid["instruments"])
        self.latent_dims: int = int(meta["latent_dims"])
        self.n_instruments: int = len(self.instruments)
        self.plane: int = self.dec3.weight.shape[0] // 3
        self.cells: int = self.plane // self.n_instruments
        self.metre: str = grid["metre"]
        self.register_buffer("last_cell", torch.full((64,), -1, dtype=torch.long))
        self.register_attribute("threshold", 0.5)
        latent_labels = [f"(signal) latent {i}" for i in range(self.latent_dims)]
        self.register_method(
            "forward",
            self.latent_dims + 1,
            1,
            self.n_instruments,
            1,
            input_labels=latent_labels + ["(signal) bar phase 0..1"],
            output_labels=[f"(signal) {n} velocity" for n in self.instruments],
        )
        self.register_method(
            "decode",
            self.latent_dims + 1,
            1,
            self.n_instruments,
            1,
            input_labels=latent_labels + ["(signal) bar phase 0..1"],
            output_labels=[f"(signal) {n} velocity" for n in self.instruments],
        )
        self.register_method("grid", self.latent_dims, 1, 3 * self.plane, 1)

    @torch.jit.export
    def decode_grid(self, z: torch.Tensor) -> torch.Tensor:
        """(batch, latent) -> (batch, 3 * instruments * cells), as loam decodes."""
        h = torch.relu(self.dec2(torch.relu(self.dec1(z))))
        raw = self.dec3(h)
        p = self.plane
        return torch.cat(
            [
                torch.sigmoid(raw[:, 0:p]),
                torch.sigmoid(raw[:, p : 2 * p]),
                torch.tanh(raw[:, 2 * p : 3 * p]),
            ],
            1,
        )

    @torch.jit.export
    def encode_grid(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 3 * instruments * cells) -> latent mean (batch, latent)."""
        return self.mu(torch.relu(self.enc2(torch.relu(self.enc1(x)))))

    @torch.jit.export
    def grid(self, x: torch.Tensor) -> torch.Tensor:
        z = x[:, :, -1]
        g = self.decode_grid(z)
        return g.unsqueeze(2).expand(-1, -1, x.shape[2]).contiguous()

    @torch.jit.export
    def decode(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        n = x.shape[2]
        z = x[:, : self.latent_dims, -1]
        g = self.decode_grid(z)
        onset = g[:, 0 : self.plane].reshape(b, self.n_instruments, self.cells)
        velocity = g[:, self.plane : 2 * self.plane].reshape(b, self.n_instruments, self.cells)
        phase = x[:, self.latent_dims, :].clamp(0.0, 0.999999)
        cell = (phase * self.cells).long().clamp(0, self.cells - 1)
        previous = torch.cat([self.last_cell[:b].unsqueeze(1), cell[:, :-1]], 1)
        self.last_cell[:b] = cell[:, -1]
        entered = (cell != previous).unsqueeze(1)
        index = cell.unsqueeze(1).expand(-1, self.n_instruments, -1)
        hit = torch.gather(onset, 2, index) >= self.threshold[0]
        vel = torch.gather(velocity, 2, index)
        return torch.where(hit & entered, vel, torch.zeros_like(vel))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(x)


def main():
    meta, tensors = read_loam(sys.argv[1])
    model = RhythmVae(meta, tensors)
    model.export_to_ts(sys.argv[2])
    if len(sys.argv) > 4:
        check = json.load(open(sys.argv[3]))
        loaded = torch.jit.load(sys.argv[2])
        z = torch.tensor(check["z"], dtype=torch.float32)
        with torch.no_grad():
            out = loaded.decode_grid(z)
        json.dump({"planes": out.tolist(), "methods": loaded.get_methods()}, open(sys.argv[4], "w"))


if __name__ == "__main__":
    main()
