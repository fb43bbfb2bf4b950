"""Exports the small TorchScript models loam's tests load, the way a musician
would: with the `nn-tilde` package (and, for the "older RAVE" file, a plain
scripted module like RAVE v1's exporter wrote).

    python tests/models/export_nn_tilde.py OUT_DIR

Writes OUT_DIR/<name>.ts for every model below, then loads each file back with
torch.jit.load and writes OUT_DIR/reference.json: what Python sees in it
(methods and their [in_ch, in_ratio, out_ch, out_ratio], labels, attributes and
their type codes and getter values, sample rate) and a few reference outputs.
The Rust test compares loam's reading of the same files against that.
"""

import json
import logging
import os
import sys
from typing import List, Tuple

import torch
import torch.nn as nn

logging.disable(logging.CRITICAL)
import nn_tilde  # noqa: E402

torch.manual_seed(0)


class Full(nn_tilde.Module):
    """forward (gain), encode (block means), decode (sums held per block),
    an `explode` method that throws, and attributes of every plain type."""

    def __init__(self):
        super().__init__(sr=48000)
        self.register_attribute("gain", 0.5)
        self.register_attribute("active", True)
        self.register_attribute("steps", 3)
        self.register_attribute("mode", "soft")
        self.register_attribute("pair", (2, 0.25))
        self.register_method("forward", 1, 1, 1, 1)
        self.register_method(
            "encode", 1, 1, 4, 64, output_labels=["z0", "z1", "z2", "z3"]
        )
        self.register_method(
            "decode",
            4,
            64,
            2,
            1,
            input_labels=["(signal) latent 0", "(signal) latent 1", "(signal) latent 2", "(signal) latent 3"],
            output_labels=["left", "right"],
        )
        self.register_method("explode", 1, 1, 1, 1, test_method=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.gain[0]
        if not self.active[0]:
            g = 0.0
        return x * g

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        m = x.reshape(b, 1, -1, 64).mean(-1)
        scale = torch.arange(1, 5, dtype=x.dtype).reshape(1, 4, 1)
        return m * scale

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        left = z[:, 0:1] + z[:, 1:2]
        right = z[:, 2:3] - z[:, 3:4]
        y = torch.cat([left, right], 1)
        return y.repeat_interleave(64, dim=2)

    @torch.jit.export
    def explode(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[2] > 0:
            raise RuntimeError("explode: this method always fails")
        return x


class Rate44k(nn_tilde.Module):
    """Identity at 44.1 kHz (loam resamples around it)."""

    def __init__(self):
        super().__init__(sr=44100)
        self.register_method("forward", 1, 1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()


class Slow(nn_tilde.Module):
    """Far slower than real time: a chain of large matrix products."""

    def __init__(self):
        super().__init__(sr=48000)
        self.w = nn.Parameter(torch.randn(768, 768) / 28.0)
        self.register_method("forward", 1, 1, 1, 1, test_method=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = torch.ones(768, 768)
        for _ in range(6):
            m = torch.tanh(m @ self.w)
        return x + 0.0 * m.mean()


class Sluggish(nn_tilde.Module):
    """Slower than real time at every buffer size: its cost grows with the
    frames it computes (12 products of a 512×512 matrix per frame: about
    6 MFLOP a frame, 300 GFLOP/s at 48 kHz, several times what one core does), so a
    larger buffer does not help, unlike `Slow`'s fixed cost per call."""

    def __init__(self):
        super().__init__(sr=48000)
        self.w = nn.Parameter(torch.randn(512, 512) / 23.0)
        self.register_method("forward", 1, 1, 1, 1, test_method=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = x[0].expand(512, x.shape[2]).contiguous()
        for _ in range(12):
            m = torch.tanh(self.w @ m)
        return x + 0.0 * m.mean()


class Streaming(nn_tilde.Module):
    """Shaped like a streaming RAVE export: `encode` and `decode` at ratio
    1024, and `forward` (encode, then decode) declared at ratio 1 though it
    needs whole latent frames, 1024 samples a call (a shorter buffer is an
    error); nn~ streams every method at the model's largest ratio. Its
    `decode` adds noise from libtorch's generator, as RAVE v2's fills the
    latent dimensions the export left out with `torch.randn`."""

    def __init__(self):
        super().__init__(sr=48000)
        self.proj = nn.Conv1d(1, 2, 1024, stride=1024)
        self.back = nn.ConvTranspose1d(2, 1, 1024, stride=1024)
        self.register_method("encode", 1, 1, 2, 1024)
        self.register_method("decode", 2, 1024, 1, 1)
        self.register_method("forward", 1, 1, 1, 1)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        y = self.back(z)
        return y + 0.05 * torch.randn_like(y)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class OldRave(nn.Module):
    """An older RAVE export: no get_methods / get_sample_rate, but
    `<method>_params`, `sampling_rate` and `latent_size` buffers."""

    def __init__(self):
        super().__init__()
        self.register_buffer("sampling_rate", torch.tensor(44100))
        self.register_buffer("latent_size", torch.tensor(8))
        self.register_buffer("encode_params", torch.tensor([1, 1, 8, 256]))
        self.register_buffer("decode_params", torch.tensor([8, 256, 1, 1]))
        self.register_buffer("forward_params", torch.tensor([1, 1, 1, 1]))
        self.proj = nn.Conv1d(1, 8, 256, stride=256)
        self.back = nn.ConvTranspose1d(8, 1, 256, stride=256)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.back(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ResBlock(nn.Module):
    def __init__(self, ch: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(ch, ch, 3, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(nn.functional.leaky_relu(x, 0.2))


class RaveSizeDecoder(nn_tilde.Module):
    """A decoder of RAVE v2's size: 16 latent dimensions, ratio 2048
    (4·4·4·2 upsampling to 16 bands, then a 16-band synthesis), channels
    768 → 384 → 192 → 96 → 48 with residual dilated convolutions."""

    def __init__(self):
        super().__init__(sr=48000)
        chans = [768, 384, 192, 96, 48]
        ratios = [4, 4, 4, 2]
        layers: List[nn.Module] = [nn.Conv1d(16, chans[0], 3, padding=1)]
        for i, r in enumerate(ratios):
            layers.append(nn.LeakyReLU(0.2))
            layers.append(
                nn.ConvTranspose1d(chans[i], chans[i + 1], 2 * r, stride=r, padding=r // 2)
            )
            for d in (1, 3, 9):
                layers.append(ResBlock(chans[i + 1], d))
        layers.append(nn.Conv1d(chans[-1], 16, 7, padding=3))
        self.net = nn.Sequential(*layers)
        # 16-band synthesis (PQMF-like): every band frame becomes 16 samples.
        self.synth = nn.ConvTranspose1d(16, 1, 16, stride=16, bias=False)
        self.register_method("decode", 16, 2048, 1, 1, test_method=True)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.synth(self.net(z)))


def describe(m) -> dict:
    """What Python torch sees in a loaded export."""
    d = {}
    if hasattr(m, "get_methods"):
        methods = list(m.get_methods())
        d["sample_rate"] = int(m.get_sample_rate())
        attrs = list(m.get_attributes())
    else:
        methods = [n for n in ("forward", "encode", "decode") if hasattr(m, f"{n}_params")]
        d["sample_rate"] = int(m.sampling_rate)
        attrs = []
    d["methods"] = {}
    for name in methods:
        entry = {"params": [int(v) for v in getattr(m, f"{name}_params")]}
        if hasattr(m, f"{name}_input_labels"):
            entry["input_labels"] = list(getattr(m, f"{name}_input_labels"))
            entry["output_labels"] = list(getattr(m, f"{name}_output_labels"))
        d["methods"][name] = entry
    d["attributes"] = {}
    for a in attrs:
        value = getattr(m, f"get_{a}")()
        if not isinstance(value, (tuple, list)):
            value = [value]
        d["attributes"][a] = {
            "types": [int(v) for v in getattr(m, f"{a}_params")],
            "value": list(value),
        }
    if hasattr(m, "latent_size"):
        d["latent_size"] = int(m.latent_size)
    return d


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    models = {
        "full": Full(),
        "rate44k": Rate44k(),
        "slow": Slow(),
        "sluggish": Sluggish(),
        "rave_decoder": RaveSizeDecoder(),
        "streaming": Streaming(),
    }
    for name, model in models.items():
        model.export_to_ts(os.path.join(out, f"{name}.ts"))
    old = torch.jit.script(OldRave().eval())
    old.save(os.path.join(out, "old_rave.ts"))

    reference = {}
    for name in list(models) + ["old_rave"]:
        m = torch.jit.load(os.path.join(out, f"{name}.ts"))
        reference[name] = describe(m)

    # Reference outputs for fixed inputs (checked against loam's direct call).
    full = torch.jit.load(os.path.join(out, "full.ts"))
    x = torch.sin(torch.arange(256, dtype=torch.float32) * 0.05).reshape(1, 1, 256)
    reference["full"]["sine"] = x.flatten().tolist()
    reference["full"]["forward_of_sine"] = full.forward(x).flatten().tolist()
    reference["full"]["encode_of_sine"] = full.encode(x).flatten().tolist()

    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
    # Non-TorchScript inputs for the bad-file tests.
    with open(os.path.join(out, "not_a_model.ts"), "w") as f:
        f.write("this is a text file, not a TorchScript archive\n")
    with open(os.path.join(out, "full.ts"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "truncated.ts"), "wb") as f:
        f.write(data[: len(data) // 2])
    print(f"exported {len(reference)} models to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/test-models")
