"""Exact edits in weight space: closed-form constructions on bias-free ReLU INRs (tcnn layout).

The INR is f(x) = s * W_L relu(... relu(W_0 enc(x))), with enc(x) = [sin(2^k pi x_d), cos(2^k pi x_d)]
padded with ones. Every op below returns INRs whose function is exactly the stated one (up to
float rounding), computed from the weights alone — no samples, no fitting:

- mirror(axis):        f(x with x_axis -> -x_axis)   = negate that axis's sine columns of W_0
- permute_axes/rotate90/swap_axes: f(s * x[perm])    = move encoding column blocks, negate sines
- translate(t):        f(x - t)                      = rotate each (sin, cos) column pair of W_0
- widen(width):        f                             = append zero neurons
- deepen(n):           f                             = insert identity layers (relu(I h) = h, h >= 0)
- scale_neurons(a):    f                             = neuron rows times a > 0, outgoing columns / a
                       (relu(a z) = a relu(z)); canonical_scales: the a giving unit incoming norms
- union(a, b):         min(a, b) = relu(a) - relu(-a) - relu(a - b)   (one extra hidden layer)
- intersection(a, b):  max(a, b) = relu(a) - relu(-a) + relu(b - a)
- difference(a, b):    max(a, -b) = relu(a) - relu(-a) + relu(-b - a)
- offset(r):           f - r: one constant neuron per hidden layer fed by a ones-padding column
                       (relu(1) = 1), carried by identity entries; dilate = offset(+r), erode = offset(-r)
- symmetrize(axis):    union(f, mirror(f, axis)) = min(f(x), f(Mx))

Two networks run side by side by stacking their first matrices and making the hidden matrices
block-diagonal, after matching depths with `deepen`. Results keep tiny-cuda-nn-legal widths
(16/32/64/128, rounded up with zero neurons); a result wider than 128 is refused. Each op says
the spec it returns; the output scale is folded into the weights (output_scale 1).
"""

from __future__ import annotations

import dataclasses

import torch

from inredit.errors import InreditError
from inredit.inr.spec import FULLY_FUSED_WIDTHS, INRSpec
from inredit.inr.weights import INRWeights

AXES = {"x": 0, "y": 1, "z": 2}


def axis_index(axis: int | str, n_dims: int = 3) -> int:
    """0/1/2 or 'x'/'y'/'z' -> index; anything else is a one-line error."""
    index = AXES.get(axis, axis) if isinstance(axis, str) else axis
    if not isinstance(index, int) or not 0 <= index < n_dims:
        raise InreditError(f"unknown axis {axis!r} (use x, y, z or 0..{n_dims - 1})")
    return index


def legal_width(needed: int, spec: INRSpec, what: str) -> int:
    """The smallest FullyFusedMLP width >= `needed`, or a one-line error naming the spec it would need."""
    for width in FULLY_FUSED_WIDTHS:
        if width >= needed:
            return width
    raise InreditError(f"{what} needs {needed} neurons per hidden layer (freq{spec.n_frequencies}-w{needed}-"
                       f"h{spec.n_hidden_layers}...), more than tiny-cuda-nn's FullyFusedMLP allows (128)")


def _check_exact_ready(inr: INRWeights) -> None:
    if inr.biases is not None:
        raise InreditError("exact edits need bias-free INRs (the tiny-cuda-nn layout); this one has biases")
    if inr.spec.n_output_dims != 1:
        raise InreditError(f"exact edits need one output (an SDF), this INR has {inr.spec.n_output_dims}")


def _with(inr: INRWeights, weights: list[torch.Tensor], **spec_changes) -> INRWeights:
    return INRWeights(dataclasses.replace(inr.spec, **spec_changes), weights, None, list(inr.names))


# -- function-preserving reshaping -------------------------------------------------------------
def widen(inr: INRWeights, width: int) -> INRWeights:
    """Same function, `width` hidden neurons per layer (zero neurons appended). Spec: width."""
    _check_exact_ready(inr)
    extra = width - inr.spec.width
    if extra < 0 or width not in FULLY_FUSED_WIDTHS:
        raise InreditError(f"cannot widen width {inr.spec.width} to {width} (legal widths: {FULLY_FUSED_WIDTHS})")
    if extra == 0:
        return inr.clone()
    return _with(inr, pad_hidden(inr.weights, extra), width=width)


def deepen(inr: INRWeights, n_hidden_layers: int) -> INRWeights:
    """Same function with `n_hidden_layers` (identity layers inserted before the output). Spec: n_hidden_layers."""
    _check_exact_ready(inr)
    extra = n_hidden_layers - inr.spec.n_hidden_layers
    if extra < 0:
        raise InreditError(f"cannot deepen {inr.spec.n_hidden_layers} hidden layers to {n_hidden_layers}")
    eye = torch.eye(inr.spec.width, dtype=inr.weights[0].dtype, device=inr.weights[0].device)
    identity = [eye.expand(inr.batch_size, -1, -1).clone() for _ in range(extra)]
    return _with(inr, inr.weights[:-1] + identity + inr.weights[-1:], n_hidden_layers=n_hidden_layers)


def _check_bias_free(inr: INRWeights, what: str) -> None:
    if inr.biases is not None:  # a bias would scale with its neuron's row; the tcnn layout has none
        raise InreditError(f"{what} needs bias-free INRs (the tiny-cuda-nn layout); this one has biases")


def scale_neurons(inr: INRWeights, scales: list[torch.Tensor]) -> INRWeights:
    """The same function with hidden layer i's neurons' rows times `scales[i]` `(B, width)` (> 0) and
    their outgoing columns divided by it (relu(a z) = a relu(z) for a > 0). Spec unchanged."""
    _check_bias_free(inr, "scale_neurons")
    weights = [w.clone() for w in inr.weights]
    for i, scale in enumerate(scales):
        weights[i] = weights[i] * scale[:, :, None]
        weights[i + 1] = weights[i + 1] / scale[:, None, :]
    return _with(inr, weights)


def canonical_scales(inr: INRWeights) -> INRWeights:
    """The same function with every hidden neuron's incoming weights at unit norm. Spec unchanged.

    ReLU is positively homogeneous, so scaling a neuron's row by a > 0 and its outgoing column by
    1 / a changes the weights, not the function: a fit can land anywhere on that orbit. This picks
    one point per orbit, layer by layer (a layer's rows are normalized after the previous layer's
    scales reached its columns). Unused neurons (all-zero rows) are left as they are.
    """
    _check_bias_free(inr, "canonical_scales")
    scales: list[torch.Tensor] = []
    for w in inr.weights[:-1]:  # a layer's rows as they are once the previous layer's scales reached its columns
        norms = (w / scales[-1][:, None, :] if scales else w).norm(dim=2)  # (B, out): each neuron's incoming norm
        scales.append(torch.where(norms > 0, 1.0 / norms.clamp_min(torch.finfo(norms.dtype).tiny), torch.ones_like(norms)))
    return scale_neurons(inr, scales)


# -- input transforms (spec unchanged) ---------------------------------------------------------
def permute_axes(inr: INRWeights, perm: list[int], signs: list[float]) -> INRWeights:
    """The INRs of x -> f(y) with y_d = signs[d] * x[perm[d]]. Spec unchanged.

    sin(w s x) = s sin(w x) and cos(w s x) = cos(w x) for s = +-1, so f's column block of input d
    moves to the block of x's dimension perm[d], with its sine columns times signs[d].
    """
    _check_exact_ready(inr)
    d, block = inr.spec.n_input_dims, 2 * inr.spec.n_frequencies
    if sorted(perm) != list(range(d)) or len(signs) != d or any(s not in (-1, 1) for s in signs):
        raise InreditError(f"permute_axes needs a permutation of 0..{d - 1} and signs of +-1, got {perm}, {signs}")
    first = inr.weights[0].clone()
    for dim, (source, sign) in enumerate(zip(perm, signs)):
        columns = inr.weights[0][:, :, dim * block : (dim + 1) * block].clone()
        columns[:, :, 0::2] *= sign
        first[:, :, source * block : (source + 1) * block] = columns
    return _with(inr, [first] + [w.clone() for w in inr.weights[1:]])


def mirror(inr: INRWeights, axis: int | str) -> INRWeights:
    """x -> f(x with x_axis negated): the shape mirrored across the plane axis = 0. Spec unchanged."""
    signs = [1.0] * inr.spec.n_input_dims
    signs[axis_index(axis, inr.spec.n_input_dims)] = -1.0
    return permute_axes(inr, list(range(inr.spec.n_input_dims)), signs)


def swap_axes(inr: INRWeights, a: int | str, b: int | str) -> INRWeights:
    """The shape with coordinates a and b exchanged (e.g. y-up <-> z-up with a mirror). Spec unchanged."""
    perm = list(range(inr.spec.n_input_dims))
    i, j = axis_index(a, len(perm)), axis_index(b, len(perm))
    perm[i], perm[j] = perm[j], perm[i]
    return permute_axes(inr, perm, [1.0] * len(perm))


def rotate90(inr: INRWeights, axis: int | str, turns: int = 1) -> INRWeights:
    """The shape rotated by turns * 90 degrees about `axis` (right-handed). Spec unchanged."""
    _check_exact_ready(inr)
    a = axis_index(axis, 3)
    u, v = [(1, 2), (2, 0), (0, 1)][a]  # rotation takes u to v
    result = inr
    for _ in range(turns % 4):  # g(x) = f(R^-1 x): f's u reads x_v, f's v reads -x_u
        perm, signs = [0, 1, 2], [1.0, 1.0, 1.0]
        perm[u], perm[v], signs[v] = v, u, -1.0
        result = permute_axes(result, perm, signs)
    return result if turns % 4 else inr.clone()


def translate(inr: INRWeights, offset: torch.Tensor | list[float]) -> INRWeights:
    """x -> f(x - offset) (periodic with period 2, like the encoding). Spec unchanged."""
    _check_exact_ready(inr)
    return inr.translate_inputs(torch.as_tensor(offset, dtype=inr.weights[0].dtype))


# -- combinations --------------------------------------------------------------------------------
def _side_by_side(a: INRWeights, b: INRWeights, what: str) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor, INRSpec]:
    """Hidden matrices of a and b run in parallel, and their output rows (scale folded in)."""
    for inr in (a, b):
        _check_exact_ready(inr)
    encoding = ("n_input_dims", "n_frequencies", "encoding", "alignment", "activation")
    if any(getattr(a.spec, k) != getattr(b.spec, k) for k in encoding):
        raise InreditError(f"{what}: the two INRs need the same encoding, got {a.spec.describe()} and {b.spec.describe()}")
    if a.batch_size != b.batch_size and 1 not in (a.batch_size, b.batch_size):
        raise InreditError(f"{what}: batches of {a.batch_size} and {b.batch_size} INRs (use equal sizes or one INR)")
    batch = max(a.batch_size, b.batch_size)
    spec = combination_spec(a.spec, b.spec, what)
    depth = spec.n_hidden_layers - 1
    a, b = deepen(a, depth), deepen(b, depth)
    wa, wb, width = a.spec.width, b.spec.width, spec.width
    dtype = torch.promote_types(a.weights[0].dtype, b.weights[0].dtype)
    hidden = []
    for i in range(depth):  # W_0 stacked, W_1..W_{depth-1} block-diagonal, zero-padded to `width`
        wa_i, wb_i = a.weights[i].expand(batch, -1, -1), b.weights[i].expand(batch, -1, -1)
        cols = wa_i.shape[2] if i == 0 else width
        m = torch.zeros(batch, width, cols, dtype=dtype, device=wa_i.device)
        m[:, :wa, : wa_i.shape[2]] = wa_i
        m[:, wa : wa + wb, (0 if i == 0 else wa) : (0 if i == 0 else wa) + wb_i.shape[2]] = wb_i
        hidden.append(m)
    row_a = torch.zeros(batch, 1, width, dtype=dtype, device=hidden[0].device)
    row_b = torch.zeros_like(row_a)
    row_a[:, :, :wa] = a.weights[-1].expand(batch, -1, -1) * a.spec.output_scale
    row_b[:, :, wa : wa + wb] = b.weights[-1].expand(batch, -1, -1) * b.spec.output_scale
    return hidden, row_a, row_b, spec


def combination_spec(a: INRSpec, b: INRSpec, what: str = "combining two INRs") -> INRSpec:
    """The spec of union / intersection / difference of INRs of specs a and b."""
    depth = max(a.n_hidden_layers, b.n_hidden_layers)
    width = legal_width(a.width + b.width, a, what)
    return dataclasses.replace(a, width=width, n_hidden_layers=depth + 1, output_scale=1.0)


def _min_max_layer(a: INRWeights, b: INRWeights, what: str, third_row: tuple[float, float], third_sign: float) -> INRWeights:
    """relu(a) - relu(-a) + third_sign * relu(c_a a + c_b b): one extra hidden layer, then the output."""
    hidden, row_a, row_b, spec = _side_by_side(a, b, what)
    width = spec.width
    combine = torch.zeros(row_a.shape[0], width, width, dtype=row_a.dtype, device=row_a.device)
    combine[:, 0:1] = row_a
    combine[:, 1:2] = -row_a
    combine[:, 2:3] = third_row[0] * row_a + third_row[1] * row_b
    output = torch.zeros_like(row_a)
    output[:, 0, :3] = torch.tensor([1.0, -1.0, third_sign], dtype=row_a.dtype)
    names = a.names if len(a.names) == row_a.shape[0] else b.names if len(b.names) == row_a.shape[0] else []
    return INRWeights(spec, hidden + [combine, output], None, list(names))


def union(a: INRWeights, b: INRWeights) -> INRWeights:
    """min(a, b). Spec: width = legal(w_a + w_b), n_hidden_layers = max(h_a, h_b) + 1."""
    return _min_max_layer(a, b, "union", (1.0, -1.0), -1.0)  # min = a - relu(a - b)


def intersection(a: INRWeights, b: INRWeights) -> INRWeights:
    """max(a, b). Spec as `union`."""
    return _min_max_layer(a, b, "intersection", (-1.0, 1.0), 1.0)  # max = a + relu(b - a)


def difference(a: INRWeights, b: INRWeights, amount: float = 1.0) -> INRWeights:
    """max(a, -b): a with b cut away. Spec as `union`. `amount` in [0, 1] blends: a + amount * relu(-b - a)
    is a at 0 and max(a, -b) at 1 (the strength of an edit that subtracts b)."""
    return _min_max_layer(a, b, "difference", (-1.0, -1.0), amount)  # max(a, -b) = a + relu(-b - a)


def symmetrize(inr: INRWeights, axis: int | str = "x") -> INRWeights:
    """min(f(x), f(mirror x)): the union with its mirror image. Spec: width 2w (legal), one more hidden layer."""
    return union(inr, mirror(inr, axis))


# -- offset --------------------------------------------------------------------------------------
def offset(inr: INRWeights, radius: float) -> INRWeights:
    """f - radius: radius > 0 dilates, < 0 erodes. Spec: width + 1 rounded up to a legal width,
    unless every hidden layer already has an unused neuron (then unchanged)."""
    _check_exact_ready(inr)
    spec = inr.spec  # every legal spec has a ones-padding column (INRSpec refuses the others)
    free = _free_neuron(inr)
    if free is None:
        inr = widen(inr, legal_width(spec.width + 1, spec, "offset"))
        free = spec.width
    weights = make_constant_neuron([w.clone() for w in inr.weights], free, spec.n_encoded_dims)
    weights[-1][:, 0, free] = -radius / inr.spec.output_scale
    return _with(inr, weights)


def make_constant_neuron(weights: list[torch.Tensor], index: int, ones_column: int) -> list[torch.Tensor]:
    """Turn hidden neuron `index` of batched `(B, out, in)` weights, in place, into one that outputs 1
    everywhere: relu(1 * the ones-padding column), carried by weight 1 through each hidden layer. Its
    weight into the output is left as it is (the caller sets it); no other neuron reads it."""
    weights[0][:, index, :] = 0.0
    weights[0][:, index, ones_column] = 1.0
    for w in weights[1:-1]:
        w[:, index, :] = 0.0
        w[:, :, index] = 0.0
        w[:, index, index] = 1.0
    return weights


def pad_hidden(weights: list[torch.Tensor], extra: int) -> list[torch.Tensor]:
    """Batched `(B, out, in)` weights with `extra` zero neurons appended to every hidden layer (same function)."""
    last = len(weights) - 1
    pad = torch.nn.functional.pad
    return [pad(w, (0, extra if i > 0 else 0, 0, extra if i < last else 0)) for i, w in enumerate(weights)]


def _free_neuron(inr: INRWeights) -> int | None:
    """A hidden index whose neuron is unused (zero incoming row and outgoing column) in every layer."""
    unused = torch.ones(inr.spec.width, dtype=torch.bool)
    for i in range(inr.spec.n_hidden_layers):
        unused &= (inr.weights[i] == 0).all(2).all(0) & (inr.weights[i + 1] == 0).all(1).all(0)
    indices = unused.nonzero().flatten()
    return int(indices[0]) if len(indices) else None
