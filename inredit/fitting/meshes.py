"""Meshes -> INR files: load, sample, fit in batches, measure, save (resumable).

This is what `inredit fit` runs. Each finished shape is written atomically as
`OUT/<mesh stem>.safetensors` right after its batch; a re-run skips shapes whose file exists
with the same spec and source hash, so an interrupted job loses at most the batch in flight.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from inredit import __version__
from inredit.errors import InreditError
from inredit.fitting.job import FitJob
from inredit.fitting.optimize import dead_inside_share, fit_batch, stack_samples
from inredit.fitting.quality import inr_vs_mesh_metrics
from inredit.geometry.mesh_io import Mesh, load_mesh
from inredit.geometry.sampling import sample_sdf
from inredit.inr.io import read_header, save_inr
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights

DEAD_INSIDE_WARNING = 0.005  # warn when the fit is exactly 0 at more than 0.5 % of the inside samples


class FitWarning(UserWarning):
    """A fit finished but is probably not faithful (e.g. dead zones inside the shape)."""


@dataclass
class FitRecord:
    name: str
    path: Path
    skipped: bool
    metrics: dict
    seconds: float = 0.0


def output_path(out_dir: Path, mesh_path: Path) -> Path:
    return Path(out_dir) / f"{Path(mesh_path).stem}.safetensors"


def is_done(out_file: Path, spec: INRSpec, sha256: str, up: str = "auto") -> dict | None:
    """Metadata of an existing result with the same spec, source and up axis setting, else None (refit)."""
    if not out_file.exists():
        return None
    try:
        header = read_header(out_file)
    except InreditError:
        return None  # unreadable leftovers are simply refitted
    meta = header.get("metadata", {})
    same_up = meta.get("normalization", {}).get("up_setting", "y") == up
    if header.get("spec") == spec.to_dict() and meta.get("source", {}).get("sha256") == sha256 and same_up:
        return meta
    return None


def plan_fits(mesh_paths: Sequence[str | Path], out_dir: Path, job: FitJob) -> tuple[list[Mesh], dict, list[Mesh]]:
    """Load and check every mesh (one output name each) before anything is fitted: (all meshes,
    records of those already fitted with this spec, source and up setting, the meshes to fit)."""
    paths = [Path(p) for p in mesh_paths]
    stems = [p.stem for p in paths]
    duplicates = sorted({s for s in stems if stems.count(s) > 1})
    if duplicates:
        raise InreditError(f"several input meshes share the output name(s) {duplicates}; rename them", out_dir)
    meshes = [load_mesh(p, up=job.up) for p in paths]
    done: dict[str, FitRecord] = {}
    todo: list[Mesh] = []
    for item in meshes:
        target = output_path(out_dir, item.path)
        meta = is_done(target, job.spec, item.sha256, job.up)
        if meta is not None:
            done[item.name] = FitRecord(item.name, target, True, meta.get("metrics", {}))
        else:
            todo.append(item)
    return meshes, done, todo


def fit_meshes(
    mesh_paths: Sequence[str | Path],
    out_dir: str | Path,
    job: FitJob = FitJob(),
    init: INRWeights | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> list[FitRecord]:
    """Fit every mesh (validated first, so bad input fails before any training starts)."""
    out_dir = Path(out_dir)
    meshes, records, todo = plan_fits(mesh_paths, out_dir, job)

    total_steps = job.fit.steps * ((len(todo) + job.batch_size - 1) // job.batch_size)
    done_steps = 0
    for start in range(0, len(todo), job.batch_size):
        batch = todo[start : start + job.batch_size]
        t0 = time.perf_counter()
        samples = [sample_sdf(item, job.sampling, seed=job.fit.seed) for item in batch]
        points, sdf = stack_samples([s.points for s in samples], [s.sdf for s in samples])

        def step_callback(step: int, offset=done_steps) -> None:
            if on_progress is not None:
                on_progress(f"fitting {len(batch)} shape(s)", offset + step + 1, total_steps)

        result = fit_batch(
            points.to(job.device), sdf.to(job.device), job.spec, job.fit, init=init, on_step=step_callback
        )
        done_steps += job.fit.steps
        seconds = (time.perf_counter() - t0) / len(batch)
        dead = dead_inside_share(result.inr, points.to(job.device), sdf.to(job.device))  # here, not in every fit_batch
        fitted = result.inr.to("cpu")
        for i, item in enumerate(batch):
            inr = fitted.select(i)
            metrics = {"final_loss": float(result.final_loss[i]), "dead_inside_samples": float(dead[i])}
            if dead[i] > DEAD_INSIDE_WARNING:
                warnings.warn(f"{item.path}: the fitted SDF is exactly 0 at {100 * dead[i]:.1f} % of the inside "
                              "samples (every unit off: no signal to recover it), so thin parts may be missing; "
                              "check the IoU, fit more steps or a wider spec", FitWarning, stacklevel=2)
            if job.metrics:
                metrics.update(inr_vs_mesh_metrics(inr, item))
            target = output_path(out_dir, item.path)
            save_inr(target, inr, fit_metadata(item, job, metrics, seconds, warm_start=init is not None))
            records[item.name] = FitRecord(item.name, target, False, metrics, seconds)
    return [records[item.name] for item in meshes]


def fit_metadata(item: Mesh, job: FitJob, metrics: dict, seconds: float, warm_start: bool) -> dict:
    return {
        "inredit_version": __version__,
        "source": {
            "path": str(item.path),
            "sha256": item.sha256,
            "watertight": item.watertight,
            "faces": int(len(item.mesh.faces)),
        },
        "normalization": item.normalization_metadata() | {"up_setting": job.up},
        "fit": {
            "config": asdict(job.fit),
            "sampling": asdict(job.sampling),
            "batch_size": job.batch_size,
            "warm_start": warm_start,
            "seconds_per_shape": round(seconds, 3),
            "torch": torch.__version__,
        },
        "metrics": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()},
    }


def summarize(records: list[FitRecord]) -> dict:
    """Mean of each numeric metric over fitted shapes."""
    keys = sorted({k for r in records for k, v in r.metrics.items() if isinstance(v, (int, float))})
    return {k: float(np.mean([r.metrics[k] for r in records if k in r.metrics])) for k in keys}
