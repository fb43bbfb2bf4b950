"""Reads a loam model file (safetensors with loam's metadata) for the
TorchScript exporters; loam writes it beside each exporter it runs."""

import json

import torch


def read_loam(path):
    """(metadata, {name: float32 tensor}) of a loam model file."""
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["loam"])
    data = raw[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[s:e]), dtype=torch.float32)
        tensors[name] = t.reshape(info["shape"]).clone()
    return meta, tensors
