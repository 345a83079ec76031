"""Combine tab logic (no gradio here): two INR files -> their union / intersection / difference.

Calls `inredit.edits.combine.combine_files`, the function behind `inredit combine`, so the file, its
spec and its provenance are the CLI's. The page shows A, B and the result in the same views, and
checks the result against the boolean of A's and B's occupancy grids (exact up to grid noise).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inredit.edits.combine import combine_files
from inredit.errors import InreditError
from inredit.geometry.metrics import iou
from inredit.inr.io import load_inr
from inredit.render.grids import inr_occupancy
from inredit.render.images import image_grid, save_png
from inredit_ui.bundle import named_copy
from inredit_ui.editing import read_rgb
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings, cached_preview
from inredit_ui.workspace import Workspace

Progress = Callable[[float, str], None]
GRID = 64  # occupancy grid of the metrics (the edit metrics' resolution)
BOOLEAN = {"union": np.logical_or, "intersection": np.logical_and,
           "difference": lambda a, b: np.logical_and(a, ~b)}


@dataclass
class CombinedShape:
    name: str
    inr_path: Path
    render_png: Path  # rows: A, B, result (same 4 views)
    result_png: Path
    metrics: dict
    warnings: list[str]
    glb: Path | None = None


def combine_uploads(
    first: Path | None,
    second: Path | None,
    op: str,
    limits: Limits,
    workspace: Workspace,
    settings: PreviewSettings,
    progress: Progress = lambda fraction, text: None,
) -> CombinedShape:
    paths = [p for p in (first, second) if p is not None]
    limits.check_files(paths, 2, "INR files")
    if len(paths) < 2:
        raise InreditError("combine needs two INR files: upload shape A and shape B")
    progress(0.0, f"combining ({op})")
    out_dir = workspace.new_request_dir("combine")
    name = f"{first.stem}_{op}_{second.stem}"  # the name a user would give `inredit combine --out`
    with warnings.catch_warnings(record=True) as caught:  # e.g. different normalization frames
        warnings.simplefilter("always")
        target, _ = combine_files(first, second, op, out_dir / f"{name}.safetensors")
    (a, _), (b, _), (result, _) = load_inr(first), load_inr(second), load_inr(target)

    progress(0.3, "measuring")
    occ_a, occ_b, occ_result = (inr_occupancy(inr, GRID)[0] for inr in (a, b, result))
    expected = BOOLEAN[op](occ_a, occ_b)
    metrics = {"volume_a": float(occ_a.mean() * 8), "volume_b": float(occ_b.mean() * 8),
               "volume_result": float(occ_result.mean() * 8), f"iou_vs_{op}_of_grids": iou(expected, occ_result),
               "width": result.spec.width, "hidden_layers": result.spec.n_hidden_layers}

    progress(0.5, "rendering")
    renders = [cached_preview(workspace, path, inr, settings, "png") for path, inr in
               ((first, a), (second, b), (target, result))]
    grid = save_png(image_grid([[read_rgb(p)] for p in renders]), out_dir / f"{name}_a_b_result.png")
    return CombinedShape(name, target, grid, renders[2], metrics, [str(w.message) for w in caught])


def add_mesh(shape: CombinedShape, workspace: Workspace, settings: PreviewSettings) -> CombinedShape:
    """The result's marching-cubes GLB for the 3D view, named after the result file."""
    glb = cached_preview(workspace, shape.inr_path, load_inr(shape.inr_path)[0], settings, "glb")
    shape.glb = named_copy(glb, shape.inr_path.with_suffix(".glb"))
    return shape
