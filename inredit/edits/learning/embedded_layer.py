"""The first DWS layer of inredit, kept to load editor files made with it and for the ablation.

Same blocks as `inredit/edits/learning/layers.py` (see its docstring), but neuron features and global
features first pass through one shared `c_out`-wide embedding and are expanded from there, so any
mixing along the fixed axes (encoding features, outputs) has rank <= c_out: 32 of 768 for the
first matrix at 16 channels. Editor files without an `architecture.layer` key use it.
"""

from __future__ import annotations

import torch
from torch import nn

from inredit.edits.learning.layers import WeightSpaceLayer


class EmbeddedDWSLayer(WeightSpaceLayer):
    """Neuron and global features pass through one `c_out`-wide embedding: mixing along the fixed
    axes has rank <= c_out (32 of 768 for the first matrix at 16 channels)."""

    def __init__(self, layer_shapes: list[tuple[int, int]], c_in: int, c_out: int) -> None:
        super().__init__(layer_shapes, c_in, c_out)
        n, d_in, d_out = self.n, self.d_in, self.d_out
        self.pointwise = nn.ModuleList(nn.Linear(c_in, c_out) for _ in range(n))
        # neuron feature size of hidden layer h (0-based, h = 0..n-2): from W_h rows and W_{h+1} columns
        feature_sizes = [c_in * (d_in if h == 0 else 1) + c_in * (d_out if h + 1 == n - 1 else 1) for h in range(n - 1)]
        self.neuron_embed = nn.ModuleList(nn.Linear(f, c_out) for f in feature_sizes)
        self.row = nn.ModuleList(nn.Linear(c_out, c_out * (d_in if i == 0 else 1)) for i in range(n - 1))
        self.col = nn.ModuleList(nn.Linear(c_out, c_out * (d_out if i == n - 1 else 1)) for i in range(1, n))
        self.global_embed = nn.Linear(c_in * (d_in + (n - 2) + d_out), c_out)
        self.glob = nn.ModuleList(nn.Linear(c_out, c_out * self._fixed_size(i), bias=False) for i in range(n))

    def _fixed_size(self, i: int) -> int:
        return self.shapes[0][1] if i == 0 else (self.shapes[-1][0] if i == len(self.shapes) - 1 else 1)

    def block_parameter_counts(self) -> dict[str, int]:
        count = lambda modules: sum(p.numel() for p in modules.parameters())  # noqa: E731
        return {"pointwise": count(self.pointwise), "neuron_embedding": count(self.neuron_embed),
                "row": count(self.row), "column": count(self.col),
                "global": count(self.global_embed) + count(self.glob)}

    def neuron_features(self, weights: list[torch.Tensor]) -> list[torch.Tensor]:
        """`(B, d_h, F_h)` features of each hidden layer's neurons (invariant to other layers' permutations)."""
        n = len(weights)
        features = []
        for h in range(n - 1):
            incoming, outgoing = weights[h], weights[h + 1]  # (B, C, d_h, d_{h-1}), (B, C, d_{h+1}, d_h)
            batch, _, width, _ = incoming.shape
            if h == 0:  # fixed input dim: keep the whole row
                part_in = incoming.permute(0, 2, 1, 3).reshape(batch, width, -1)
            else:
                part_in = incoming.mean(3).transpose(1, 2)
            if h + 1 == n - 1:  # fixed output dim: keep the whole column
                part_out = outgoing.permute(0, 3, 1, 2).reshape(batch, width, -1)
            else:
                part_out = outgoing.mean(2).transpose(1, 2)
            features.append(torch.cat([part_in, part_out], dim=-1))
        return features

    def global_features(self, weights: list[torch.Tensor]) -> torch.Tensor:
        n = len(weights)
        pooled = []
        for i, w in enumerate(weights):
            if i == 0:
                pooled.append(w.mean(2).flatten(1))  # rows permuted, input dim fixed
            elif i == n - 1:
                pooled.append(w.mean(3).flatten(1))  # columns permuted, output dim fixed
            else:
                pooled.append(w.mean((2, 3)))
        return torch.cat(pooled, dim=1)

    def forward(self, weights: list[torch.Tensor]) -> list[torch.Tensor]:
        n = len(weights)
        batch = weights[0].shape[0]
        embeddings = [embed(f) for embed, f in zip(self.neuron_embed, self.neuron_features(weights))]  # (B, d_h, c_out)
        glob = self.global_embed(self.global_features(weights))
        outputs = []
        for i, w in enumerate(weights):
            out = torch.einsum("bcnm,dc->bdnm", w, self.pointwise[i].weight) + self.pointwise[i].bias[:, None, None]
            rows, cols = out.shape[2], out.shape[3]
            if i < n - 1:  # row term: neuron n of hidden layer i
                row = self.row[i](embeddings[i])  # (B, rows, c_out * fixed)
                out = out + (row.reshape(batch, rows, self.c_out, cols).permute(0, 2, 1, 3) if i == 0
                             else row.permute(0, 2, 1)[..., None])
            if i > 0:  # column term: neuron m of hidden layer i - 1
                col = self.col[i - 1](embeddings[i - 1])  # (B, cols, c_out * fixed)
                out = out + (col.reshape(batch, cols, self.c_out, rows).permute(0, 2, 3, 1) if i == n - 1
                             else col.permute(0, 2, 1)[:, :, None, :])
            g = self.glob[i](glob)
            out = out + (g.reshape(batch, self.c_out, 1, cols) if i == 0 else
                         g.reshape(batch, self.c_out, rows, 1) if i == n - 1 else g.reshape(batch, self.c_out, 1, 1))
            outputs.append(out)
        return outputs

    @torch.no_grad()
    def shrink_output_(self, scale: float) -> None:
        """Multiply what the output is linear in by `scale` (the second factor of each product)."""
        for modules in (self.pointwise, self.row, self.col, self.glob):
            for p in modules.parameters():
                p.mul_(scale)
