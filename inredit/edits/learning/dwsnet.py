"""DWSNet editor: stacked DWS layers predicting a residual in weight space, theta' = theta + s * gamma * Delta(theta).

The output layer starts small (`output_init="small"`: the weights the output is linear in are
scaled by 1e-2), so training starts next to the identity edit and every block of every layer gets a
gradient from the first step. Zeroing the whole output layer (`"zero-all"`, what the first editors
did) zeroes both factors of each product in it: a saddle whose gradients stay exactly 0.
`layer="full"` uses the full-rank DWS layer (`layers.py`), `"embedded"` the first, low-rank one
(`embedded_layer.py`, for older editor files and the ablation).

Inputs are divided by per-layer scales of the training weights (a scalar per weight matrix, so the
normalization commutes with permutations) and the predicted residual is multiplied back by them.

`mirror_inputs` adds input channels: the INR of x -> f(mirror_a(x)) for each listed axis a, exact in
weight space (`INRWeights.reflect_inputs`) and aligned neuron by neuron with f. Mirroring only
touches the fixed input dimension, so equivariance is kept. The DWS layers alone can reflect a
neuron only through their low-rank row embedding; for symmetrize the extra channel did not measurably
help (benchmarks/results/symmetrize-ablation.md), so the shipped configs leave it off.

`constant_unit` appends one hidden neuron that outputs 1 everywhere (relu of the encoding's ones
column, carried by weight 1; the exact construction of `ops.offset`) before the DWS layers. Fitted
INRs have no biases and no spare neuron, so without it an edit such as "subtract r" has no constant
to act on; with it the editor can learn a bias for every neuron (the unit's column) and for the
output. The edited INR is then one neuron wider, padded to the next FullyFusedMLP width.

`canonical_scales` puts every input INR at one point of its ReLU rescaling orbit first
(`ops.canonical_scales`: each hidden neuron's incoming weights at unit norm, the function unchanged).
The DWS layers are equivariant to neuron permutations, not to rescalings: without it, rescaling the
neurons of a fitted mug (same function, same shape) moves the shipped editor's handle emptied from
1.00 to 0.73. With it the editor is exactly invariant to them.

`cut` makes the editor remove material only: the residual step gives a cut field h (an INR of
the input's spec) and the edit is max(f, h) (`ops.intersection`, exact: an INR twice as wide with
one more hidden layer). Trained with `train.cut_loss` (h equals the target where the edit removes
material and stays a margin below it elsewhere), the shape away from the cut is the input's, exactly:
the editor no longer has to reproduce the whole body to keep it.

`subtract` makes the editor predict the material the edit removes, as its own solid r (an INR of the
input's spec, trained on pairs whose target is that solid: `PairConfig.target = "removed"`), and the
edit is max(f, -r) (`ops.difference`, exact; the spec as `cut`). Where r is clearly positive (away from
the handle, by construction of its target) the output is the input exactly; unlike a cut field, r does
not have to follow the body's thin walls to keep them.

`unit_output` (cut editors) divides each input INR by the RMS of its output row and multiplies
the cut field back: the field of c * f is c times the field of f, so the cut (a zero set) does not
depend on the scale of the fitted function. Fits of real meshes that needed refits have output rows
2-3x the training INRs' (on canonical scales); without it, a cut editor cuts half their bodies away.

`iterations` > 1 applies the same residual step repeatedly, theta_{k+1} = theta_k + s * gamma * Delta(theta_k)
(a learned, equivariant refinement: each step sees where the previous one went).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from inredit.edits.learning.embedded_layer import EmbeddedDWSLayer
from inredit.edits.learning.layers import DWSChannelNorm, DWSLayer, DWSReLU
from inredit.inr import ops
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights

LAYERS = {"full": DWSLayer, "embedded": EmbeddedDWSLayer}
OUTPUT_INIT_SCALES = {"small": 1e-2, "zero-all": 0.0, "default": 1.0}


class DWSNet(nn.Module):
    def __init__(self, spec: INRSpec, channels: int = 16, n_layers: int = 4, normalize: bool = True,
                 gamma_init: float = 0.1, output_init: str = "small", mirror_inputs: tuple[int, ...] = (),
                 iterations: int = 1, layer: str = "full", constant_unit: bool = False, canonical_scales: bool = False,
                 cut: bool = False, unit_output: bool = False, subtract: bool = False, **_: object) -> None:
        super().__init__()
        self.spec = spec
        if any(axis not in range(spec.n_input_dims) for axis in mirror_inputs):
            raise ValueError(f"mirror_inputs takes input axes 0..{spec.n_input_dims - 1}, got {list(mirror_inputs)}")
        self.mirror_inputs = tuple(mirror_inputs)
        if iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations}")
        self.iterations = iterations
        if layer not in LAYERS:
            raise ValueError(f"layer must be one of {sorted(LAYERS)}, got {layer!r}")
        if output_init not in OUTPUT_INIT_SCALES:
            raise ValueError(f"output_init must be one of {sorted(OUTPUT_INIT_SCALES)}, got {output_init!r}")
        self.config = {"kind": "dwsnet", "channels": channels, "n_layers": n_layers, "normalize": normalize,
                       "gamma_init": gamma_init, "layer": layer, "output_init": output_init}
        if self.mirror_inputs:  # only when used: older editor files have no such key
            self.config["mirror_inputs"] = list(self.mirror_inputs)
        if iterations > 1:
            self.config["iterations"] = iterations
        self.canonical_scales = canonical_scales
        if canonical_scales:  # only when used: older editor files have no such key
            self.config["canonical_scales"] = True
        self.constant_unit = constant_unit
        if constant_unit and iterations > 1:
            raise ValueError("constant_unit works with iterations = 1 only")
        self.cut = cut
        if cut and (constant_unit or iterations > 1):
            raise ValueError("cut works without constant_unit and with iterations = 1")
        if cut:  # only when used: older editor files have no such key
            self.config["cut"] = True
        self.subtract = subtract
        if subtract and (cut or constant_unit or iterations > 1):
            raise ValueError("subtract works without cut and constant_unit and with iterations = 1")
        if subtract:
            self.config["subtract"] = True
        self.unit_output = unit_output
        if unit_output and not cut:
            raise ValueError("unit_output works with cut editors only")
        if unit_output:
            self.config["unit_output"] = True
        if constant_unit:
            self.config["constant_unit"] = True
            self.output_width = ops.legal_width(spec.width + 1, spec, "an editor with a constant unit")
        shapes = spec.layer_shapes()
        if constant_unit:  # one more neuron per hidden layer
            shapes = [(o + (i < len(shapes) - 1), n + (i > 0)) for i, (o, n) in enumerate(shapes)]
        widths = [1 + len(self.mirror_inputs)] + [channels] * (n_layers - 1) + [1]
        blocks: list[nn.Module] = []
        for i in range(n_layers):
            blocks.append(LAYERS[layer](shapes, widths[i], widths[i + 1]))
            if i < n_layers - 1:
                blocks.append(DWSReLU())
                if normalize:
                    blocks.append(DWSChannelNorm(widths[i + 1]))
        self.blocks = nn.ModuleList(blocks)
        if output_init == "zero-all":  # the old saddle, kept for the ablation
            with torch.no_grad():
                for p in self.blocks[-1].parameters():
                    p.zero_()
        elif output_init == "small":
            # a small, not zero, residual at the start: a random full-size one swamps the INR
            self.blocks[-1].shrink_output_(OUTPUT_INIT_SCALES[output_init])
        self.register_buffer("input_scale", torch.ones(len(shapes)))
        self.gamma = nn.Parameter(torch.full((len(shapes),), float(gamma_init)))

    def dws_layers(self) -> list[nn.Module]:
        return [b for b in self.blocks if isinstance(b, tuple(LAYERS.values()))]

    def block_parameter_counts(self) -> dict[str, int]:
        """Parameters per block kind, summed over the DWS layers."""
        counts: dict[str, int] = {}
        for layer in self.dws_layers():
            for name, count in layer.block_parameter_counts().items():
                counts[name] = counts.get(name, 0) + count
        counts["channel_norm"] = sum(p.numel() for b in self.blocks if isinstance(b, DWSChannelNorm) for p in b.parameters())
        return counts

    @torch.no_grad()
    def set_input_statistics(self, weights: INRWeights) -> None:
        """Per-layer RMS of the training weights (stored with the editor)."""
        canonical = self.canonical(weights)
        prepared = self.with_constant_unit(scaled_output(canonical, 1 / self.output_scales(canonical)))
        self.input_scale.copy_(torch.stack([w.pow(2).mean().sqrt() for w in prepared]).clamp(min=1e-8))

    def canonical(self, inr: INRWeights) -> INRWeights:
        """The INR the editor works on: its canonical scales if configured (same function)."""
        return ops.canonical_scales(inr) if self.canonical_scales else inr

    def with_constant_unit(self, inr: INRWeights) -> list[torch.Tensor]:
        """The weights the DWS layers see: the INR's, plus the constant unit if configured."""
        if not self.constant_unit:
            return list(inr.weights)
        return ops.make_constant_neuron(ops.pad_hidden(inr.weights, 1), inr.spec.width, inr.spec.n_encoded_dims)

    def input_views(self, inr: INRWeights) -> list[list[torch.Tensor]]:
        """The INR and its mirror images along `mirror_inputs`, one input channel each."""
        views = [inr]
        for axis in self.mirror_inputs:
            signs = torch.ones(inr.spec.n_input_dims)
            signs[axis] = -1.0
            views.append(inr.reflect_inputs(signs))
        return [self.with_constant_unit(view) for view in views]

    def delta(self, views: list[list[torch.Tensor]]) -> list[torch.Tensor]:
        x = [torch.stack([v[i] for v in views], dim=1) / self.input_scale[i] for i in range(len(views[0]))]
        for block in self.blocks:
            x = block(x)
        return [d.squeeze(1) * self.input_scale[i] for i, d in enumerate(x)]

    def output_spec(self, spec: INRSpec) -> INRSpec:
        if self.cut or self.subtract:
            return ops.combination_spec(spec, spec, "a cut or subtract editor")
        return dataclasses.replace(spec, width=self.output_width) if self.constant_unit else spec

    def residual_step(self, inr: INRWeights, strength: float) -> list[torch.Tensor]:
        """theta + s * gamma * Delta(theta), on the weights the DWS layers see."""
        views = self.input_views(inr)
        delta = self.delta(views)
        return [w + strength * self.gamma[i] * d for i, (w, d) in enumerate(zip(views[0], delta))]

    def output_scales(self, inr: INRWeights) -> torch.Tensor:
        """`(B, 1, 1)`: the RMS of each INR's output row if `unit_output`, else ones."""
        row = inr.weights[-1]
        if not self.unit_output:
            return torch.ones(row.shape[0], 1, 1, dtype=row.dtype, device=row.device)
        return row.pow(2).mean(dim=(1, 2), keepdim=True).sqrt().clamp(min=1e-12)

    def forward(self, inr: INRWeights, strength: float = 1.0, composed: bool = True) -> INRWeights:
        """The edited INRs; with `composed=False`, a `cut` editor's cut field h instead of max(f, h), a
        `subtract` editor's removed solid r instead of max(f, -r)."""
        inr = self.canonical(inr)
        if self.subtract:  # strength s: f + s * relu(-r - f), f at 0 (r itself does not depend on it)
            removed = INRWeights(inr.spec, self.residual_step(inr, 1.0), None, list(inr.names))
            return ops.difference(inr, removed, strength) if composed else removed
        if self.cut:  # with unit_output, the field of c * f is c * (the field of f)
            scales = self.output_scales(inr)
            field = INRWeights(inr.spec, self.residual_step(scaled_output(inr, 1 / scales), strength), None, list(inr.names))
            field = scaled_output(field, scales)
            return ops.intersection(inr, field) if composed else field
        if self.constant_unit:  # the one-wider INR, padded to a FullyFusedMLP width
            edited = self.residual_step(inr, strength)
            return INRWeights(self.output_spec(inr.spec), ops.pad_hidden(edited, self.output_width - inr.spec.width - 1),
                              None, list(inr.names))
        for _ in range(self.iterations):
            inr = INRWeights(inr.spec, self.residual_step(inr, strength), None, list(inr.names))
        return inr


def scaled_output(inr: INRWeights, factors: torch.Tensor) -> INRWeights:
    """The INRs times `(B, 1, 1)` factors (their output rows scaled): same zero sets."""
    return INRWeights(inr.spec, list(inr.weights[:-1]) + [inr.weights[-1] * factors], None, list(inr.names))
