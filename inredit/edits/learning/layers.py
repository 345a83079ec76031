"""DWS layers: linear maps between MLP weight spaces that commute with hidden-neuron permutations.

Weights of a bias-free MLP are W_0 (d_1 x d_0), ..., W_{n-1} (d_n x d_{n-1}), batched with
channels as `(B, C, rows, cols)`. Permuting the neurons of hidden layer h by P_h maps
W_{h-1} -> P_h W_{h-1} and W_h -> W_h P_h^T; d_0 (encoding features) and d_n (outputs) are fixed.
Following Navon et al. (ICML 2023), an entry W'_i[a, b] may depend only on the indices it shares
with its input; along a permuted index values are pooled (mean) or broadcast, along a fixed index
any linear map is allowed, and the reference implementation (DWSNets `nn/layers/`) uses full
ones there. This layer does too:

  block    | output W'_i[a, b] built from                        | along a fixed axis
  ---------|-----------------------------------------------------|-----------------------------
  self     | W_i at the same position                            | full d x d map (first cols,
           |                                                     | last rows); else channel mix
  row      | neuron a: W_i[a, :] pooled, W_{i+1}[:, a] pooled    | W_{i+1}[:, a] kept whole if
           | (i < n-1)                                           | it is the outputs; -> d_0 map
  column   | neuron b: W_{i-1}[b, :] pooled, W_i[:, b] pooled    | W_{i-1}[b, :] kept whole if it
           | (i > 0)                                             | is the first matrix
  global   | every W_j pooled over its permuted axes             | full d x d map for W_0 from
           |                                                     | W_0's pooled rows

`FixedAxisMap` is the full map along a fixed axis of size d: per output channel its own d x d
matrix after a channel mix, so it is full rank over (channels x d) while costing C*d^2, not
(C*d)^2. It can express per-column operations (e.g. negating one axis's sine columns to mirror,
a frequency-dependent scale), which a c_out-wide embedding (`embedded_layer.py`) could not.
Shapes are written as jaxtyping annotations; biases of the INR are not supported (tcnn has none).
"""

from __future__ import annotations

import math

import torch
from jaxtyping import Float
from torch import Tensor, nn


class FixedAxisMap(nn.Module):
    """`(..., C_in, d) -> (..., C_out, d)`: y[o, k] = sum_j K[o, k, j] sum_c A[o, c] x[c, j] + b[o, k]."""

    def __init__(self, c_in: int, c_out: int, size: int, bias: bool = True) -> None:
        super().__init__()
        self.mix = nn.Parameter(torch.empty(c_out, c_in).uniform_(-1 / math.sqrt(c_in), 1 / math.sqrt(c_in)))
        self.axis = nn.Parameter(torch.eye(size).repeat(c_out, 1, 1))  # starts as a pure channel mix
        self.bias = nn.Parameter(torch.zeros(c_out, size)) if bias else None

    def forward(self, x: Float[Tensor, "*batch c_in d"]) -> Float[Tensor, "*batch c_out d"]:
        y = torch.einsum("okj,...oj->...ok", self.axis, torch.einsum("oc,...cj->...oj", self.mix, x))
        return y if self.bias is None else y + self.bias

    @torch.no_grad()
    def shrink_output_(self, scale: float) -> None:
        self.mix.mul_(scale)
        if self.bias is not None:
            self.bias.mul_(scale)


def _linear(features: int, out: int) -> nn.Linear:
    return nn.Linear(features, out, bias=False)  # the self block carries the bias


class WeightSpaceLayer(nn.Module):
    """What every DWS layer knows of the weight space: the matrices' shapes, n of them, the fixed
    sizes d_0 (`d_in`) and d_n (`d_out`), and its channels."""

    def __init__(self, layer_shapes: list[tuple[int, int]], c_in: int, c_out: int) -> None:
        super().__init__()
        if len(layer_shapes) < 2:
            raise ValueError("a DWS layer needs at least one hidden layer (two weight matrices)")
        self.shapes = [tuple(s) for s in layer_shapes]
        self.c_in, self.c_out = c_in, c_out
        self.n = len(self.shapes)
        self.d_in, self.d_out = self.shapes[0][1], self.shapes[-1][0]


class DWSLayer(WeightSpaceLayer):
    def __init__(self, layer_shapes: list[tuple[int, int]], c_in: int, c_out: int) -> None:
        super().__init__(layer_shapes, c_in, c_out)
        n = self.n
        last = n - 1
        # self: full map along the fixed axis of the first / last matrix, channel mix elsewhere
        self.self_maps = nn.ModuleList(
            FixedAxisMap(c_in, c_out, self.d_in) if i == 0 else
            FixedAxisMap(c_in, c_out, self.d_out) if i == last else nn.Linear(c_in, c_out)
            for i in range(n))
        # row of W_i (i < n-1) = neuron of hidden layer i: its outgoing column (whole if it is the
        # outputs) and, for i > 0, its own row pooled (for i = 0 the self map sees the whole row)
        self.row = nn.ModuleList(
            _linear(c_in * (self.d_out if i + 1 == last else 1) + (c_in if i > 0 else 0),
                    c_out * (self.d_in if i == 0 else 1))
            for i in range(n - 1))
        # column of W_i (i > 0) = neuron of hidden layer i-1: its incoming row (whole if it is the
        # first matrix) and, for i < n-1, its own column pooled (for the last, the self map)
        self.col = nn.ModuleList(
            _linear(c_in * (self.d_in if i == 1 else 1) + (c_in if i < last else 0),
                    c_out * (self.d_out if i == last else 1))
            for i in range(1, n))
        pooled_size = c_in * (self.d_in + (n - 2) + self.d_out)
        self.global_first = FixedAxisMap(c_in, c_out, self.d_in, bias=False)  # W_0's pooled rows -> W'_0
        self.glob = nn.ModuleList(_linear(pooled_size - (c_in * self.d_in if i == 0 else 0), c_out * self._fixed_size(i))
                                  for i in range(n))

    def _fixed_size(self, i: int) -> int:
        return self.d_in if i == 0 else (self.d_out if i == self.n - 1 else 1)

    def blocks(self) -> dict[str, list[nn.Module]]:
        return {"self": [self.self_maps], "row": [self.row], "column": [self.col], "global": [self.global_first, self.glob]}

    def block_parameter_counts(self) -> dict[str, int]:
        return {name: sum(p.numel() for m in modules for p in m.parameters()) for name, modules in self.blocks().items()}

    @torch.no_grad()
    def shrink_output_(self, scale: float) -> None:
        """Multiply what the output is linear in by `scale` (the channel mix of each full axis map)."""
        for module in (*self.self_maps, self.global_first, *self.row, *self.col, *self.glob):
            if isinstance(module, FixedAxisMap):
                module.shrink_output_(scale)
            else:
                for p in module.parameters():
                    p.mul_(scale)

    def forward(self, weights: list[Float[Tensor, "b c rows cols"]]) -> list[Float[Tensor, "b c_out rows cols"]]:
        last = self.n - 1
        batch = weights[0].shape[0]
        row_pool = [w.mean(3) for w in weights]  # (B, C, rows): each row pooled over its columns
        col_pool = [w.mean(2) for w in weights]  # (B, C, cols)
        first_rows = weights[0].permute(0, 2, 1, 3)  # (B, d_1, C, d_0): neuron h=0's whole incoming row
        last_cols = weights[last].permute(0, 3, 1, 2)  # (B, d_{n-1}, C, d_n): whole outgoing column
        pooled = [col_pool[0].flatten(1)] + [w.mean((2, 3)) for w in weights[1:last]] + [row_pool[last].flatten(1)]

        outputs = []
        for i, w in enumerate(weights):
            rows, cols = w.shape[2], w.shape[3]
            if i == 0:
                out = self.self_maps[0](first_rows).permute(0, 2, 1, 3)
            elif i == last:
                out = self.self_maps[i](last_cols).permute(0, 2, 3, 1)
            else:
                out = torch.einsum("bcnm,dc->bdnm", w, self.self_maps[i].weight) + self.self_maps[i].bias[:, None, None]
            if i < last:  # row term: neuron a of hidden layer i
                outgoing = last_cols.flatten(2) if i + 1 == last else col_pool[i + 1].transpose(1, 2)
                features = outgoing if i == 0 else torch.cat([row_pool[i].transpose(1, 2), outgoing], -1)
                row = self.row[i](features)  # (B, rows, C_out * fixed)
                out = out + (row.reshape(batch, rows, self.c_out, cols).permute(0, 2, 1, 3) if i == 0
                             else row.transpose(1, 2)[..., None])
            if i > 0:  # column term: neuron b of hidden layer i - 1
                incoming = first_rows.flatten(2) if i == 1 else row_pool[i - 1].transpose(1, 2)
                features = incoming if i == last else torch.cat([incoming, col_pool[i].transpose(1, 2)], -1)
                col = self.col[i - 1](features)  # (B, cols, C_out * fixed)
                out = out + (col.reshape(batch, cols, self.c_out, rows).permute(0, 2, 3, 1) if i == last
                             else col.transpose(1, 2)[:, :, None, :])
            if i == 0:
                others = torch.cat(pooled[1:], 1)
                g = self.global_first(col_pool[0]) + self.glob[0](others).reshape(batch, self.c_out, cols)
                out = out + g[:, :, None, :]
            else:
                g = self.glob[i](torch.cat(pooled, 1))
                out = out + (g.reshape(batch, self.c_out, rows, 1) if i == last else g.reshape(batch, self.c_out, 1, 1))
            outputs.append(out)
        return outputs


class DWSReLU(nn.Module):
    def forward(self, weights: list[Tensor]) -> list[Tensor]:
        return [torch.relu(w) for w in weights]


class DWSChannelNorm(nn.Module):
    """Per-sample, per-channel scale normalization over each weight space (permutation invariant)."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.gain = nn.Parameter(torch.ones(channels))
        self.eps = eps

    def forward(self, weights: list[Tensor]) -> list[Tensor]:
        return [w * self.gain[:, None, None] / (w.pow(2).mean((2, 3), keepdim=True) + self.eps).sqrt() for w in weights]
