"""Exports a loam GRU step model as TorchScript for nn~ (written by loam, run
with a Python that has torch 2.13 and nn-tilde 1.6.0).

    python export_rnn.py MODEL.safetensors OUT.ts [CHECK_IN.json CHECK_OUT.json]

The model generates one event at a time (an event is a label, such as
"kick+hat" or a MIDI pitch, and a length); its alphabet is in the file's
metadata, in the order of the event indices below.

nn~ methods (one sample of signal = one frame):
  forward / generate: in  = 1 channel: the step trigger (a step on each rise
                      above 0.5);
                      out = 3 channels: the event index (held from the step's
                      frame until the next step; -1 before the first), its
                      length in whole notes (held; 0 before the first), and 1
                      on the frame of each step, else 0.
                      On each rise the next event is drawn from the model's
                      distribution at the current temperature and fed back.
  probabilities:      in  = 1 channel (ignored);
                      out = one channel per event, held: the next step's
                      distribution, temperature applied.
Attributes: temperature (float, 1.0): probabilities p become p^(1/T),
renormalised; T <= 0.001 always takes the most likely event.
Each batch entry (up to 64, for mc.nn~) keeps its own state.
Exported helper: distribution_after(tokens) -> the distribution (temperature 1)
after feeding `tokens` (a 1-D integer tensor) from a fresh state.
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

TICKS_PER_WHOLE = 192
MAX_BATCH = 64


class RnnSteps(nn_tilde.Module):
    def __init__(self, meta, tensors):
        super().__init__(sr=None)
        alphabet = meta["alphabet"]
        self.vocab: int = len(alphabet)
        self.labels: List[str] = [f"{e['label']}/{e['ticks']}" for e in alphabet]
        embed_w = tensors["embed.weight"]
        w_ih = tensors["gru.weight_ih_l0"]
        hidden = tensors["gru.weight_hh_l0"].shape[1]
        if embed_w.shape[0] != self.vocab + 1 or tensors["out.weight"].shape[0] != self.vocab:
            raise ValueError("the weights do not match the alphabet")
        self.hidden_size: int = hidden
        self.embed = nn.Embedding(embed_w.shape[0], embed_w.shape[1])
        self.cell = nn.GRUCell(w_ih.shape[1], hidden)
        self.out = nn.Linear(hidden, self.vocab)
        with torch.no_grad():
            self.embed.weight.copy_(embed_w)
            self.cell.weight_ih.copy_(w_ih)
            self.cell.weight_hh.copy_(tensors["gru.weight_hh_l0"])
            self.cell.bias_ih.copy_(tensors["gru.bias_ih_l0"])
            self.cell.bias_hh.copy_(tensors["gru.bias_hh_l0"])
            self.out.weight.copy_(tensors["out.weight"])
            self.out.bias.copy_(tensors["out.bias"])
        for p in self.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            start = torch.tensor([self.vocab], dtype=torch.long)
            h0 = self.cell(self.embed(start), torch.zeros(1, hidden))
        lengths = [float(e["ticks"]) / TICKS_PER_WHOLE for e in alphabet]
        # The state after the start token, and each batch entry's state.
        self.register_buffer("start_hidden", h0.clone())
        self.register_buffer("hidden", h0.expand(MAX_BATCH, hidden).clone())
        self.register_buffer("event_lengths", torch.tensor(lengths, dtype=torch.float32))
        self.register_buffer("last_trigger", torch.zeros(MAX_BATCH))
        self.register_buffer("held_index", torch.full((MAX_BATCH,), -1.0))
        self.register_buffer("held_length", torch.zeros(MAX_BATCH))
        self.register_attribute("temperature", 1.0)
        step_in = ["(signal) step trigger: a step on each rise above 0.5"]
        step_out = [
            "(signal) event index (held)",
            "(signal) event length in whole notes (held)",
            "(signal) 1 on the frame of each step",
        ]
        for name in ["forward", "generate"]:
            self.register_method(
                name, 1, 1, 3, 1, input_labels=step_in, output_labels=step_out
            )
        self.register_method(
            "probabilities",
            1,
            1,
            self.vocab,
            1,
            input_labels=["(signal) ignored"],
            output_labels=[f"(signal) p {label}" for label in self.labels],
        )

    def next_distribution(self, h: torch.Tensor, temperature: float) -> torch.Tensor:
        """(batch, hidden) -> (batch, vocab): the next step's probabilities p
        at `temperature` (p^(1/T) renormalised, computed in the log domain)."""
        logits = self.out(h)
        if temperature <= 1e-3:
            best = logits.max(1, keepdim=True).values
            p = (logits >= best).float()
        else:
            p = torch.softmax(torch.log_softmax(logits, 1) / temperature, 1)
        return p / p.sum(1, keepdim=True)

    @torch.jit.export
    def distribution_after(self, tokens: torch.Tensor) -> torch.Tensor:
        """From a fresh state, feeds `tokens`; returns the next step's
        probabilities (vocab,) at temperature 1, as loam computes them."""
        h = self.start_hidden.clone()
        tokens = tokens.long().flatten()
        for i in range(tokens.shape[0]):
            h = self.cell(self.embed(tokens[i : i + 1]), h)
        p = torch.softmax(self.out(h), 1)[0]
        return p / p.sum()

    @torch.jit.export
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        n = x.shape[2]
        temperature = max(float(self.temperature[0]), 0.0)
        p = self.next_distribution(self.hidden[:b], temperature)
        return p.unsqueeze(2).expand(-1, -1, n).contiguous()

    @torch.jit.export
    def generate(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        n = x.shape[2]
        trigger = x[:, 0, :]
        high = trigger > 0.5
        before = torch.cat([self.last_trigger[:b].unsqueeze(1) > 0.5, high[:, :-1]], 1)
        self.last_trigger[:b] = trigger[:, -1]
        steps = high & ~before
        temperature = max(float(self.temperature[0]), 0.0)
        # The event drawn on each step's frame, -1 elsewhere.
        tokens = torch.full((b, n), -1, dtype=torch.long)
        h = self.hidden[:b].clone()
        frames = torch.nonzero(steps.any(0)).flatten()
        for i in range(frames.shape[0]):
            t = int(frames[i].item())
            rows = steps[:, t]
            p = self.next_distribution(h, temperature)
            drawn = torch.multinomial(p, 1).squeeze(1)
            h = torch.where(rows.unsqueeze(1), self.cell(self.embed(drawn), h), h)
            tokens[:, t] = torch.where(rows, drawn, tokens[:, t])
        self.hidden[:b] = h
        # Hold each event from its frame on: the latest step at or before
        # each frame, or what was held at the end of the last buffer.
        frame = torch.arange(n).unsqueeze(0).expand(b, n)
        latest = torch.cummax(torch.where(tokens >= 0, frame, torch.full_like(frame, -1)), 1).values
        stepped = latest >= 0
        token = torch.gather(tokens, 1, latest.clamp(min=0)).clamp(min=0)
        index = torch.where(
            stepped, token.float(), self.held_index[:b].unsqueeze(1).expand(b, n)
        )
        length = torch.where(
            stepped, self.event_lengths[token], self.held_length[:b].unsqueeze(1).expand(b, n)
        )
        self.held_index[:b] = index[:, -1]
        self.held_length[:b] = length[:, -1]
        return torch.stack([index, length, steps.float()], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.generate(x)


def main():
    meta, tensors = read_loam(sys.argv[1])
    model = RnnSteps(meta, tensors)
    model.export_to_ts(sys.argv[2])
    if len(sys.argv) > 4:
        check = json.load(open(sys.argv[3]))
        loaded = torch.jit.load(sys.argv[2])
        out = []
        with torch.no_grad():
            for history in check["histories"]:
                tokens = torch.tensor(history, dtype=torch.long)
                out.append(loaded.distribution_after(tokens).tolist())
        json.dump(
            {"distributions": out, "methods": loaded.get_methods()},
            open(sys.argv[4], "w"),
        )


if __name__ == "__main__":
    main()
