"""Batched fitting: B INRs trained together in one set of `bmm` calls.

All INRs of a batch start from the spec's shared initialization (or from given weights: warm
start, used for edited targets), so weights of different shapes stay comparable. Adam is
element-wise and the loss is a sum of per-INR means, so each INR trains exactly as it would alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from inredit.errors import InreditError
from inredit.inr.spec import INRSpec
from inredit.inr.torch_backend import forward
from inredit.inr.weights import INRWeights, init_weights


@dataclass(frozen=True)
class FitConfig:
    steps: int = 12000  # with 128 points per step: IoU >= 0.98 on the shipped shapes (benchmarks/fit.py)
    points_per_step: int = 128  # per INR; small steps keep batched fitting compute-bound (README)
    lr: float = 5e-3
    lr_final: float = 5e-5  # cosine decay from lr to lr_final after a short warm-up
    warmup_steps: int = 20
    truncation: float = 0.1  # exact SDF inside |sdf| < t; beyond it only sign and |f| >= t are asked
    eikonal_weight: float = 0.0  # optional |grad f| = 1 term on the sampled points
    seed: int = 0
    # Leaky ReLU slope at the start, down to plain ReLU (what the stored INR computes) at half the
    # steps. A region where every unit is off gets no gradient under ReLU (a dead zone: f == 0, and
    # no fit recovers it); the leak lets it learn, then the second half trains the exact network.
    # Refits of shapes left with dead zones use it (fitting/meshes.py); 0 = plain ReLU throughout.
    leak: float = 0.0

    def slope_at(self, step: int) -> float:
        return self.leak * max(0.0, 1.0 - step / max(1, self.steps // 2))

    def lr_at(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        progress = (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps)
        return self.lr_final + 0.5 * (self.lr - self.lr_final) * (1 + math.cos(math.pi * min(progress, 1.0)))


DEAD_CHECK_SAMPLES = 25_000  # per INR: enough to measure a 0.5 % dead share, ~1 % of a fit's time


@dataclass
class FitResult:
    inr: INRWeights
    final_loss: np.ndarray  # (B,) mean clamped L1 of the last steps, per INR


@torch.no_grad()
def dead_inside_share(inr: INRWeights, points: torch.Tensor, sdf: torch.Tensor, chunk: int = 65536,
                      max_samples: int = DEAD_CHECK_SAMPLES) -> np.ndarray:
    """Per INR, the share of its inside samples where f == 0 exactly: every last-layer unit is off,
    so there is no output and no gradient there, and training never recovers the region. Looks at
    every k-th sample, at most `max_samples` per INR (samples come in blocks: near, far, uniform)."""
    stride = max(1, sdf.shape[1] // max_samples)
    points, sdf = points[:, ::stride], sdf[:, ::stride]
    dead = torch.zeros(sdf.shape[0], device=sdf.device)
    for start in range(0, sdf.shape[1], chunk):
        values = forward(inr, points[:, start : start + chunk])
        dead += ((values == 0) & (sdf[:, start : start + chunk] < 0)).sum(1)
    return (dead / (sdf < 0).sum(1).clamp(min=1)).cpu().numpy()


def truncated_l1(pred: torch.Tensor, target: torch.Tensor, truncation: float) -> torch.Tensor:
    """L1 to the SDF inside the band |sdf| < t; beyond it only "at least t, right sign" is asked.

    Unlike |clamp(pred) - clamp(target)|, a prediction of the wrong sign beyond the band still
    gets a gradient: clamping both would leave such floaters frozen forever.
    """
    near = target.abs() < truncation
    far_error = torch.relu(truncation - torch.sign(target) * pred)
    return torch.where(near, (pred - target).abs(), far_error)


def stack_samples(points: list[np.ndarray], sdf: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Equal-size sample sets -> `(B, M, 3)`, `(B, M)` tensors."""
    sizes = {len(p) for p in points}
    if len(sizes) != 1:
        raise InreditError(f"all shapes of a batch need the same number of samples, got {sorted(sizes)}")
    return torch.from_numpy(np.stack(points)).float(), torch.from_numpy(np.stack(sdf)).float()


def fit_batch(
    points: torch.Tensor,
    sdf: torch.Tensor,
    spec: INRSpec,
    config: FitConfig = FitConfig(),
    init: INRWeights | None = None,
    on_step: Callable[[int], None] | None = None,
) -> FitResult:
    """Fit B INRs to B sample sets at once.

    points `(B, M, 3)`, sdf `(B, M)`; `init` (batch B or 1) warm-starts from given weights,
    otherwise every INR starts from `init_weights(spec)`.
    """
    batch, n_samples = sdf.shape
    if init is None:
        init = init_weights(spec, batch)
    elif init.spec != spec:
        raise InreditError(f"warm-start weights have spec {init.spec.describe()}, fitting needs {spec.describe()}")
    elif init.batch_size == 1 and batch > 1:
        init = INRWeights.cat([init] * batch)
    elif init.batch_size != batch:
        raise InreditError(f"{init.batch_size} warm-start INRs for {batch} shapes")

    device = points.device
    params = [w.detach().clone().to(device).requires_grad_(True) for w in init.weights]
    biases = [b.detach().clone().to(device).requires_grad_(True) for b in init.biases] if init.biases else None
    optimizer = torch.optim.Adam(params + (biases or []), lr=config.lr, fused=True)
    generator = torch.Generator(device=device).manual_seed(config.seed)
    target = sdf
    recent = torch.zeros(batch, device=device)
    tail = max(1, config.steps // 20)
    per_epoch = max(1, n_samples // config.points_per_step)

    for step in range(config.steps):
        for group in optimizer.param_groups:
            group["lr"] = config.lr_at(step)
        if step % per_epoch == 0:
            # shuffle once per pass over the samples, then take contiguous slices: much cheaper
            # than a random gather at every step. One order serves all INRs: their sample sets
            # are independent draws, so sharing the visiting order biases nothing.
            order = torch.randperm(n_samples, generator=generator, device=device)
            epoch_points = points.index_select(1, order)
            epoch_target = target.index_select(1, order)
        start = (step % per_epoch) * config.points_per_step
        x = epoch_points[:, start : start + config.points_per_step]
        y = epoch_target[:, start : start + config.points_per_step]
        if config.eikonal_weight > 0:
            x = x.detach().requires_grad_(True)
        pred = forward(INRWeights(spec, params, biases), x, negative_slope=config.slope_at(step))
        error = truncated_l1(pred, y, config.truncation)
        per_inr = error.mean(dim=1)
        loss = per_inr.sum()
        if config.eikonal_weight > 0:
            (grad,) = torch.autograd.grad(pred.sum(), x, create_graph=True)
            loss = loss + config.eikonal_weight * ((grad.norm(dim=-1) - 1) ** 2).mean(dim=1).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step >= config.steps - tail:
            recent += per_inr.detach()
        if on_step is not None:
            on_step(step)

    fitted = INRWeights(
        spec,
        [p.detach() for p in params],
        [b.detach() for b in biases] if biases else None,
        list(init.names),
    )
    return FitResult(fitted, (recent / tail).cpu().numpy())
