"""Baselines for the editor evaluation: flat MLP on vectorized weights, and fine-tuning.

- `FlatMLPEditor`: the naive weight-space network (Navon et al.'s MLP baseline): concatenate all
  weights into one vector, predict the residual with an MLP. Not permutation equivariant.
- `finetune`: warm-start from theta and optimize against the target's SDF samples (the
  render-and-finetune loop with oracle access to the target); reports quality after k steps.
- identity and direct fit need no code: the input weights, and the dataset's fitted targets.
"""

from __future__ import annotations

import torch
from torch import nn

from inredit.fitting.optimize import FitConfig, fit_batch
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights


class FlatMLPEditor(nn.Module):
    def __init__(self, spec: INRSpec, hidden: int = 256, n_layers: int = 3, gamma_init: float = 0.1, **_: object) -> None:
        super().__init__()
        self.spec = spec
        self.config = {"kind": "flat-mlp", "hidden": hidden, "n_layers": n_layers, "gamma_init": gamma_init}
        self.shapes = spec.layer_shapes()
        size = sum(o * i for o, i in self.shapes)
        widths = [size] + [hidden] * (n_layers - 1) + [size]
        layers: list[nn.Module] = []
        for i in range(n_layers):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i < n_layers - 1:
                layers.append(nn.ReLU())
        self.mlp = nn.Sequential(*layers)
        with torch.no_grad():  # start at the identity edit, like the DWSNet
            layers[-1].weight.zero_()
            layers[-1].bias.zero_()
        self.register_buffer("input_scale", torch.ones(len(self.shapes)))
        self.gamma = nn.Parameter(torch.full((len(self.shapes),), float(gamma_init)))

    @torch.no_grad()
    def set_input_statistics(self, weights: INRWeights) -> None:
        self.input_scale.copy_(torch.stack([w.pow(2).mean().sqrt() for w in weights.weights]).clamp(min=1e-8))

    def output_spec(self, spec: INRSpec) -> INRSpec:
        return spec

    def forward(self, inr: INRWeights, strength: float = 1.0) -> INRWeights:
        flat = torch.cat([(w / self.input_scale[i]).flatten(1) for i, w in enumerate(inr.weights)], dim=1)
        delta = self.mlp(flat)
        edited, offset = [], 0
        for i, (w, (o, n)) in enumerate(zip(inr.weights, self.shapes)):
            d = delta[:, offset : offset + o * n].reshape(-1, o, n) * self.input_scale[i]
            edited.append(w + strength * self.gamma[i] * d)
            offset += o * n
        return INRWeights(inr.spec, edited, None, list(inr.names))


def finetune(inr: INRWeights, points: torch.Tensor, sdf: torch.Tensor, steps: int, lr: float = 2e-3,
             points_per_step: int = 128) -> INRWeights:
    """Optimize each INR (warm-started from `inr`) against its target's samples for `steps` steps."""
    config = FitConfig(steps=steps, points_per_step=points_per_step, lr=lr, lr_final=lr * 0.1, warmup_steps=1)
    return fit_batch(points, sdf, inr.spec, config, init=inr).inr
