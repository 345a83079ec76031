"""Distill: bring INRs to another spec by fitting each one's own function (no mesh needed).

Exact edits return wider/deeper INRs (symmetrize: freq6-w64-h3 -> freq6-w128-h4); a learned editor
or a nerfstudio field needs its own spec back. Samples come from the source INR itself: points
near its zero level set (uniform candidates with |f| < `near_band`, jittered) and uniform points
in the cube, labelled with the source's values; then the batched fit of `inredit/fit.py`,
warm-started from given weights (e.g. the unedited shape, whose weights are already close) or
from the spec's shared initialization.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from inredit.errors import InreditError
from inredit.fitting.optimize import FitConfig, FitResult, fit_batch
from inredit.inr.spec import DEFAULT_SPEC, INRSpec
from inredit.inr.torch_backend import evaluate_chunked, forward
from inredit.inr.weights import INRWeights

AGREEMENT_RESOLUTION = 64  # grid of the IoU between a distilled INR and its source


@dataclass(frozen=True)
class DistillConfig:
    n_samples: int = 50_000  # per INR
    near_fraction: float = 0.7  # the rest is uniform in [-1, 1]^3
    near_band: float = 0.05  # candidates with |f| below this seed the near-surface samples
    near_sigma: float = 0.01
    far_fraction: float = 0.0  # jittered by far_sigma around the same seeds (the fit job's "far" samples)
    far_sigma: float = 0.06
    candidates: int = 200_000
    fit: FitConfig = field(default_factory=lambda: FitConfig(steps=3000, lr=2e-3, lr_final=2e-5))
    seed: int = 0


def parse_spec(text: str) -> INRSpec:
    """'default' or 'freq<F>-w<W>-h<H>' (as `INRSpec.describe` prints it) -> INRSpec."""
    if text == "default":
        return DEFAULT_SPEC
    match = re.fullmatch(r"freq(\d+)-w(\d+)-h(\d+)", text)
    if not match:
        raise InreditError(f"unknown spec {text!r}: use 'default' or freq<F>-w<W>-h<H>, e.g. freq6-w64-h3")
    frequencies, width, hidden = map(int, match.groups())
    return INRSpec(n_frequencies=frequencies, width=width, n_hidden_layers=hidden)


@torch.no_grad()
def distill_samples(inr: INRWeights, config: DistillConfig = DistillConfig()) -> tuple[torch.Tensor, torch.Tensor]:
    """`(B, M, 3)` points and `(B, M)` values of each INR: near its surface and uniform."""
    generator = torch.Generator().manual_seed(config.seed)
    n_near, n_far = int(config.n_samples * config.near_fraction), int(config.n_samples * config.far_fraction)
    candidates = torch.rand(config.candidates, 3, generator=generator) * 2 - 1
    values = evaluate_chunked(inr, candidates.to(inr.weights[0]))  # (B, candidates)
    points = []
    for b in range(inr.batch_size):
        near = candidates[values[b].abs() < config.near_band]
        if len(near) == 0:  # no surface in the cube: uniform samples only
            near = candidates
        jittered = []
        for n, sigma in ((n_near, config.near_sigma), (n_far, config.far_sigma)):
            pick = torch.randint(len(near), (n,), generator=generator)
            jittered.append((near[pick] + sigma * torch.randn(n, 3, generator=generator)).clamp(-1, 1))
        uniform = torch.rand(config.n_samples - n_near - n_far, 3, generator=generator) * 2 - 1
        points.append(torch.cat(jittered + [uniform]))
    points = torch.stack(points).to(inr.weights[0])
    return points.float(), forward(inr, points).float()


def distill(inr: INRWeights, spec: INRSpec, config: DistillConfig = DistillConfig(), init: INRWeights | None = None,
            on_step=None) -> FitResult:
    """INRs of `spec` fitted to the functions of `inr` (any spec with the same input dims)."""
    if inr.spec.n_input_dims != spec.n_input_dims:
        raise InreditError(f"cannot distill {inr.spec.n_input_dims}-d INRs into a {spec.n_input_dims}-d spec")
    points, values = distill_samples(inr, config)
    result = fit_batch(points, values, spec, config.fit, init=init, on_step=on_step)
    result.inr.names = list(inr.names)
    return result


def distill_with_agreement(inr: INRWeights, spec: INRSpec, config: DistillConfig = DistillConfig(),
                           init: INRWeights | None = None, on_step=None) -> tuple[FitResult, list[float]]:
    """`distill`, and each result's IoU to its source at 64^3 (how faithful the distillation is)."""
    from inredit.geometry.metrics import iou
    from inredit.render.grids import inr_occupancy

    result = distill(inr, spec, config, init, on_step)
    source, fitted = inr_occupancy(inr, AGREEMENT_RESOLUTION), inr_occupancy(result.inr, AGREEMENT_RESOLUTION)
    return result, [iou(a, b) for a, b in zip(source, fitted)]


def canonical_config() -> DistillConfig:
    """The default fit job's sampling mix and schedule (`FitJob()`, configs/fit/default.yaml) as a
    distillation: from the shared initialization, it gives the weights a mesh fit of the same shape
    would have, the kind the learned editors were trained on."""
    from inredit.fitting.job import FitJob

    job = FitJob()
    s = job.sampling
    return DistillConfig(n_samples=s.n_points, near_fraction=s.near_fraction, near_sigma=s.near_sigma,
                         far_fraction=s.far_fraction, far_sigma=s.far_sigma, fit=job.fit)


def canonicalize(inr: INRWeights, on_step=None) -> tuple[INRWeights, list[float]]:
    """Each INR refitted at its own spec by the fit job from the shared initialization
    (`canonical_config`), and its IoU at 64^3 with the INR it came from. Brings geometry trained
    another way (volume rendering in nerfstudio) to the learned editors."""
    result, ious = distill_with_agreement(inr, inr.spec, canonical_config(), init=None, on_step=on_step)
    return result.inr, ious


def distill_files(inputs: list, spec: INRSpec, out_dir, config: DistillConfig = DistillConfig(), init_path=None,
                  on_progress=None) -> list[dict]:
    """INR files -> OUT/<stem>.safetensors of `spec`: one batched fit per source spec. Resumable: a
    file whose output exists with this spec and the same input hash is skipped. Each output records
    the source, its hash and the agreement (IoU at 64^3 to the source, final fit loss)."""
    from pathlib import Path

    from inredit.files import file_sha256
    from inredit.inr.io import load_inr, read_header, save_inr

    out_dir = Path(out_dir)
    rows, todo = [], []
    for path in map(Path, inputs):
        target, digest = out_dir / f"{path.stem}.safetensors", file_sha256(path)
        if target.exists():
            header = read_header(target)
            done = header["metadata"].get("distill", {})
            if header.get("spec") == spec.to_dict() and done.get("source_sha256") == digest:
                rows.append({"name": path.stem, "path": target, "skipped": True, **done["agreement"]})
                continue
        todo.append((path, digest, *load_inr(path)))  # every input is checked before any fitting
    init = load_inr(init_path, expected_spec=spec)[0] if init_path is not None else None
    groups: dict = {}
    for item in todo:
        groups.setdefault(item[2].spec, []).append(item)
    for items in groups.values():
        batch = INRWeights.cat([inr for _, _, inr, _ in items])
        progress = None if on_progress is None else lambda step: on_progress(
            f"distilling {len(items)} INR(s)", step + 1, config.fit.steps)
        result, ious = distill_with_agreement(batch, spec, config, init, on_step=progress)
        for j, (path, digest, inr, meta) in enumerate(items):
            agreement = {"iou": round(ious[j], 6), "final_loss": round(float(result.final_loss[j]), 6)}
            metadata = {k: v for k, v in meta.items() if k in ("source", "normalization", "edit")}
            metadata["distill"] = {"source": str(path), "source_sha256": digest, "source_spec": inr.spec.to_dict(),
                                   "warm_start": str(init_path) if init_path else None, "agreement": agreement,
                                   "fit": {"steps": config.fit.steps, "samples": config.n_samples}}
            target = save_inr(out_dir / f"{path.stem}.safetensors", result.inr.select(j), metadata)
            rows.append({"name": path.stem, "path": target, "skipped": False, **agreement})
    return rows
