"""DWS linear layers: linear maps between MLP weight spaces that commute with hidden-neuron permutations.

Weights of an L-layer bias-free MLP are W_1 (d_1 x d_0), ..., W_L (d_L x d_{L-1}), with channels:
`(B, C, d_i, d_{i-1})`. Permuting the neurons of hidden layer h (h = 1..L-1) by P_h maps
W_h -> P_h W_h and W_{h+1} -> W_{h+1} P_h^T; d_0 (encoding features) and d_L (outputs) are not
permuted. Following Navon et al. (ICML 2023), a linear map W -> W' is equivariant iff each output
entry W'_i[n, m] is built from terms that only depend on the indices it shares with its input:

  block                       | depends on                    | built from
  ----------------------------|-------------------------------|------------------------------------
  pointwise  W_i -> W'_i      | (n, m) itself                 | channel mixing at every entry
  row        W_i, W_{i+1}     | neuron n of hidden layer i    | W_i[n, :] pooled over m (kept whole
             -> W'_i          |                               | when m is the fixed input dim) and
                              |                               | W_{i+1}[:, n] pooled over its rows
                              |                               | (kept whole when they are the outputs)
  column     W_{i-1}, W_i     | neuron m of hidden layer i-1  | the same neuron features of m
             -> W'_i          |                               |
  global     all W_j -> W'_i  | nothing permuted              | every W_j pooled over its permuted
                              |                               | dims (fixed dims kept whole)

Pooling is a mean over a permuted index (so it is invariant), broadcasting puts a neuron's value
on every entry of its row/column, and along a fixed dimension (d_0, d_L) values stay a vector
that a linear map may mix freely. Neuron features go through a shared linear map to a `c_out`
embedding first and are expanded from there (a low-rank factorization that keeps the fixed-dim
blocks cheap; it does not change what is equivariant). The global features likewise go through one
shared embedding. Biases are not supported: inredit's INRs
have none (tiny-cuda-nn layout).
"""

from __future__ import annotations

import torch
from torch import nn


class DWSLayer(nn.Module):
    def __init__(self, layer_shapes: list[tuple[int, int]], c_in: int, c_out: int) -> None:
        super().__init__()
        if len(layer_shapes) < 2:
            raise ValueError("a DWS layer needs at least one hidden layer (two weight matrices)")
        self.shapes = [tuple(s) for s in layer_shapes]
        self.c_in, self.c_out = c_in, c_out
        n = len(self.shapes)
        d_in, d_out = self.shapes[0][1], self.shapes[-1][0]
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


class DWSReLU(nn.Module):
    def forward(self, weights: list[torch.Tensor]) -> list[torch.Tensor]:
        return [torch.relu(w) for w in weights]


class DWSChannelNorm(nn.Module):
    """Per-sample, per-channel scale normalization over each weight space (permutation invariant)."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.gain = nn.Parameter(torch.ones(channels))
        self.eps = eps

    def forward(self, weights: list[torch.Tensor]) -> list[torch.Tensor]:
        return [w * self.gain[:, None, None] / (w.pow(2).mean((2, 3), keepdim=True) + self.eps).sqrt() for w in weights]
