"""Canonical INR weights: a batch of B networks as matrices `(B, out_i, in_i)`.

Row-major `(out, in)` like `torch.nn.Linear.weight` and like tcnn's FullyFusedMLP matrices.
Hidden neurons may be permuted freely (`permute_hidden`); input features and outputs may not.
Biases are optional (for INRs from other sources, e.g. DWSNets' SIREN data); tcnn-layout INRs
have none: the ones-padding of the encoding plays that role.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from inredit.errors import InreditError
from inredit.inr.spec import INRSpec


@dataclass
class INRWeights:
    spec: INRSpec
    weights: list[torch.Tensor]  # each (B, out, in)
    biases: list[torch.Tensor] | None = None  # each (B, out), or None
    names: list[str] = field(default_factory=list)  # optional per-INR names (len B or empty)

    def __post_init__(self) -> None:
        self.validate()

    # -- checks ----------------------------------------------------------------------------------
    def validate(self, path: object | None = None) -> None:
        shapes = self.spec.layer_shapes()
        if len(self.weights) != len(shapes):
            raise InreditError(
                f"spec {self.spec.describe()} needs {len(shapes)} matrices, found {len(self.weights)}",
                path,
            )
        batch = self.weights[0].shape[0] if self.weights[0].dim() == 3 else -1
        for i, (w, (o, n)) in enumerate(zip(self.weights, shapes)):
            if tuple(w.shape) != (batch, o, n):
                raise InreditError(
                    f"matrix {i} has shape {tuple(w.shape)}, spec {self.spec.describe()} needs (B, {o}, {n})",
                    path,
                )
            if not w.is_floating_point():
                raise InreditError(f"matrix {i} has dtype {w.dtype}, expected floating point", path)
        if self.biases is not None:
            if len(self.biases) != len(shapes):
                raise InreditError(f"expected {len(shapes)} bias vectors, found {len(self.biases)}", path)
            for i, (b, (o, _)) in enumerate(zip(self.biases, shapes)):
                if tuple(b.shape) != (batch, o):
                    raise InreditError(f"bias {i} has shape {tuple(b.shape)}, expected (B, {o})", path)
        if self.names and len(self.names) != batch:
            raise InreditError(f"{len(self.names)} names for a batch of {batch} INRs", path)

    def check_finite(self, path: object | None = None) -> None:
        for i, t in enumerate(self.tensors()):
            if not torch.isfinite(t).all():
                raise InreditError(f"weights contain NaN or inf (tensor {i})", path)

    # -- views -----------------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        return self.weights[0].shape[0]

    def tensors(self) -> list[torch.Tensor]:
        return list(self.weights) + (list(self.biases) if self.biases is not None else [])

    def select(self, index: int | slice | list[int] | torch.Tensor) -> INRWeights:
        """A sub-batch (always keeps the batch dimension)."""
        if isinstance(index, int):
            index = [index]
        names = []
        if self.names:
            positions = range(self.batch_size)[index] if isinstance(index, slice) else index
            names = [self.names[int(i)] for i in positions]
        return INRWeights(
            self.spec,
            [w[index] for w in self.weights],
            [b[index] for b in self.biases] if self.biases is not None else None,
            names,
        )

    def split(self) -> list[INRWeights]:
        """One batch-of-one INR per batch entry."""
        return [self.select(i) for i in range(self.batch_size)]

    def to(self, *args, **kwargs) -> INRWeights:
        return INRWeights(
            self.spec,
            [w.to(*args, **kwargs) for w in self.weights],
            [b.to(*args, **kwargs) for b in self.biases] if self.biases is not None else None,
            list(self.names),
        )

    def clone(self) -> INRWeights:
        return INRWeights(
            self.spec,
            [w.detach().clone() for w in self.weights],
            [b.detach().clone() for b in self.biases] if self.biases is not None else None,
            list(self.names),
        )

    @staticmethod
    def cat(items: list[INRWeights]) -> INRWeights:
        spec = items[0].spec
        for item in items:
            if item.spec != spec:
                raise InreditError(f"cannot batch INRs of different specs: {spec.describe()} vs {item.spec.describe()}")
        has_bias = items[0].biases is not None
        return INRWeights(
            spec,
            [torch.cat([it.weights[i] for it in items]) for i in range(spec.n_layers)],
            [torch.cat([it.biases[i] for it in items]) for i in range(spec.n_layers)] if has_bias else None,
            [n for it in items for n in it.names] if all(it.names for it in items) else [],
        )

    def permute_hidden(self, perms: list[torch.Tensor]) -> INRWeights:
        """Permute the neurons of each hidden layer (one permutation per hidden layer).

        The function computed is unchanged: row i of W_l and column i of W_{l+1} move together.
        """
        if len(perms) != self.spec.n_hidden_layers:
            raise ValueError(f"need {self.spec.n_hidden_layers} permutations, got {len(perms)}")
        weights = [w.clone() for w in self.weights]
        biases = [b.clone() for b in self.biases] if self.biases is not None else None
        for layer, perm in enumerate(perms):
            weights[layer] = weights[layer][:, perm, :]
            weights[layer + 1] = weights[layer + 1][:, :, perm]
            if biases is not None:
                biases[layer] = biases[layer][:, perm]
        return INRWeights(self.spec, weights, biases, list(self.names))

    def reflect_inputs(self, signs: torch.Tensor) -> INRWeights:
        """The INRs of x -> f(signs * x): `signs` `(d,)` or `(B, d)` of +-1 mirror coordinate axes.

        Exact and free: the frequency encoding is sin(2^k pi x_d), cos(2^k pi x_d) (no raw input), so
        flipping x_d negates the sine columns of dimension d in the first matrix and nothing else.
        """
        signs = signs.to(self.weights[0]).expand(self.batch_size, self.spec.n_input_dims)
        per_sine_column = signs.repeat_interleave(self.spec.n_frequencies, dim=1)[:, None, :]  # [d][k] order
        first = self.weights[0].clone()
        first[:, :, 0 : self.spec.n_encoded_dims : 2] *= per_sine_column
        return self._with_first_matrix(first)

    def permute_inputs(self, perms: torch.Tensor) -> INRWeights:
        """The INRs of x -> f(y) with y[perms[d]] = x[d]: per-INR `perms` `(d,)` or `(B, d)` permute
        the coordinate axes (with `reflect_inputs`, every symmetry of the cube).

        Exact and free: the encoding of each input dimension is its own block of 2 * n_frequencies
        columns of the first matrix, so the blocks are reordered and nothing else changes. A sample
        point p of f is the point p[perms] of the result.
        """
        perms = perms.to(self.weights[0].device).long().expand(self.batch_size, self.spec.n_input_dims)
        block = 2 * self.spec.n_frequencies
        within = torch.arange(block, device=perms.device)
        columns = (perms[:, :, None] * block + within).flatten(1)  # (B, d * block): source column per column
        first = self.weights[0].clone()
        n = self.spec.n_encoded_dims
        index = columns[:, None, :].expand(-1, first.shape[1], -1)
        first[:, :, :n] = torch.gather(self.weights[0][:, :, :n], 2, index)
        return self._with_first_matrix(first)

    def translate_inputs(self, offsets: torch.Tensor) -> INRWeights:
        """The INRs of x -> f(x - offsets): the shape moved by `offsets` `(d,)` or `(B, d)`.

        Exact: for each frequency w = 2^k pi, sin(w(x - t)) and cos(w(x - t)) are a rotation by
        w t of sin(w x) and cos(w x), so each (sine, cosine) column pair of the first matrix is
        rotated and nothing else changes. Like the encoding, the result is periodic (period 2):
        keep offsets small so the shape stays inside the unit box.
        """
        t = offsets.to(self.weights[0]).expand(self.batch_size, self.spec.n_input_dims)
        omega = math.pi * 2.0 ** torch.arange(self.spec.n_frequencies, dtype=t.dtype, device=t.device)
        angle = (t[:, :, None] * omega).flatten(1)[:, None, :]  # (B, 1, d*F), columns in [d][k] order
        cos, sin = torch.cos(angle), torch.sin(angle)
        n = self.spec.n_encoded_dims
        first = self.weights[0].clone()
        w_sin, w_cos = self.weights[0][:, :, 0:n:2], self.weights[0][:, :, 1:n:2]
        first[:, :, 0:n:2] = w_sin * cos + w_cos * sin
        first[:, :, 1:n:2] = w_cos * cos - w_sin * sin
        return self._with_first_matrix(first)

    def _with_first_matrix(self, first: torch.Tensor) -> INRWeights:
        """A copy with the first matrix replaced (input transforms touch nothing else)."""
        biases = [b.clone() for b in self.biases] if self.biases is not None else None
        return INRWeights(self.spec, [first] + [w.clone() for w in self.weights[1:]], biases, list(self.names))

def init_weights(spec: INRSpec, batch_size: int = 1, last_layer_scale: float = 0.1) -> INRWeights:
    """The shared initialization of a spec: the same network repeated `batch_size` times.

    Glorot-uniform on the *padded* shapes like tcnn (`gpu_matrix.h:292-304`: scale
    sqrt(6/(fan_in+fan_out)) with fan_out = padded rows), from a generator seeded with
    `spec.init_seed`, so every INR of a spec starts from the same point and their weights stay
    comparable. The last matrix is scaled down: a large initial output stalls SDF fitting.
    """
    generator = torch.Generator().manual_seed(spec.init_seed)
    shapes = spec.layer_shapes()
    weights = []
    for i, (out_dim, in_dim) in enumerate(shapes):
        fan_out = spec.n_padded_output_dims if i == len(shapes) - 1 else out_dim
        bound = (6.0 / (in_dim + fan_out)) ** 0.5
        w = (torch.rand(out_dim, in_dim, generator=generator) * 2 - 1) * bound
        if i == len(shapes) - 1:
            w = w * last_layer_scale
        weights.append(w.unsqueeze(0).repeat(batch_size, 1, 1))
    return INRWeights(spec, weights)
