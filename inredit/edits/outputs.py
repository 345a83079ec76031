"""INR or mesh files -> edited INRs, meshes, before/after renders: what `inredit edit` runs.

Meshes are fitted first (default fit job); all inputs then go through `edit_batch` (one editor
call per spec). Each edited INR is evaluated once, on the mesh grid: the mesh and the metrics
(on a symmetric 64^3 subgrid of it) come from the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from inredit.edits.base import Editor
from inredit.edits.batch import (
    METRIC_RESOLUTION,
    EditSource,
    edit_batch,
    occupancy_metrics,
)
from inredit.errors import InreditError
from inredit.fitting.job import FitJob
from inredit.fitting.meshes import fit_meshes
from inredit.geometry.mesh_io import MESH_SUFFIXES, check_mesh_format, save_mesh
from inredit.inr.io import load_inr, save_inr
from inredit.inr.torch_backend import sdf_function
from inredit.inr.weights import INRWeights
from inredit.render.cameras import orbit_cameras
from inredit.render.grids import grid_to_mesh, sdf_grid, sdf_on_axis, symmetric_subgrid
from inredit.render.images import image_grid, save_png
from inredit.render.views import render_sdf_views


def load_inputs(inputs: Sequence[str | Path], out_dir: Path, job: FitJob | None = None) -> list[EditSource]:
    """INR files as they are and mesh files fitted (into OUT/fitted/), in input order."""
    paths = [Path(p) for p in inputs]
    meshes = [p for p in paths if p.suffix.lower() in MESH_SUFFIXES]
    others = [p for p in paths if p.suffix.lower() not in MESH_SUFFIXES + (".safetensors",)]
    if others:
        raise InreditError(f"not an INR (.safetensors) or mesh ({', '.join(MESH_SUFFIXES)}) file", others[0])
    fitted = {}
    if meshes:
        for record in fit_meshes(meshes, out_dir / "fitted", job or FitJob()):
            fitted[record.name] = record.path
    sources = []
    for path in paths:
        inr, metadata = load_inr(fitted[path.stem] if path in meshes else path)
        sources.append(EditSource(path.stem, inr, path, metadata))
    return sources


def grid_values_and_metrics(before: INRWeights, after: INRWeights, resolution: int) -> tuple[np.ndarray, dict]:
    """The edited INR on the `resolution^3` mesh grid (for marching cubes) and the edit's metrics:
    occupancy on a symmetric subgrid of those values, the source INR on the same subgrid points."""
    values = sdf_grid(sdf_function(after), resolution)
    pick = symmetric_subgrid(resolution, METRIC_RESOLUTION)
    axis = torch.linspace(-1, 1, resolution)[pick]
    after_inside = (values[pick, pick, pick] < 0).reshape(1, -1)
    before_inside = (sdf_on_axis(sdf_function(before), axis) < 0).reshape(1, -1)
    return values, occupancy_metrics(before_inside, after_inside, len(axis))[0]


def edit_files(inputs: Sequence[str | Path], editor: Editor, out_dir: str | Path, strength: float = 1.0,
               resolution: int = 192, mesh_format: str = "glb", job: FitJob | None = None,
               render_size: int = 256) -> list[dict]:
    """`resolution`: the marching-cubes grid; `render_size`: pixels per view of the before/after image."""
    out_dir = Path(out_dir)
    check_mesh_format(mesh_format)
    if render_size < 16 or resolution < 16:
        raise InreditError(f"render size and mesh resolution must be at least 16, got {render_size} and {resolution}")
    outcomes = edit_batch(load_inputs(inputs, out_dir, job), editor, strength)
    cameras = orbit_cameras(4)
    results = []
    for outcome in outcomes:
        before, after, name = outcome.source.inr, outcome.inr, outcome.source.name
        values, metrics = grid_values_and_metrics(before, after, resolution)
        stem = out_dir / f"{name}_{editor.name}"
        edited_path = save_inr(stem.with_suffix(".safetensors"), after, outcome.metadata | {"metrics": metrics})
        grid = image_grid([render_sdf_views(sdf_function(before), cameras, render_size),
                           render_sdf_views(sdf_function(after), cameras, render_size)])
        png = save_png(grid, out_dir / f"{name}_{editor.name}_before_after.png")
        mesh = save_mesh(grid_to_mesh(values), stem.with_suffix(f".{mesh_format}"))
        results.append({"name": name, "inr": edited_path, "render": png, "mesh": mesh, **metrics})
    return results
