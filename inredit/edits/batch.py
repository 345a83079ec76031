"""INR or mesh files -> edited INRs, meshes, before/after renders: what `inredit edit` runs.

All inputs are edited in one batched editor call. Meshes are fitted first (default fit job).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from inredit.edits.base import Editor
from inredit.errors import InreditError
from inredit.fitting.job import FitJob
from inredit.fitting.meshes import fit_meshes
from inredit.geometry.mesh_io import MESH_SUFFIXES, save_mesh
from inredit.geometry.metrics import iou, mirror_occupancy
from inredit.inr.io import load_inr, save_inr
from inredit.inr.torch_backend import sdf_function
from inredit.inr.weights import INRWeights
from inredit.render.cameras import orbit_cameras
from inredit.render.grids import inr_mesh, inr_occupancy
from inredit.render.images import image_grid, save_png
from inredit.render.views import render_sdf_views

METRIC_RESOLUTION = 64


def load_inputs(inputs: Sequence[str | Path], out_dir: Path, job: FitJob | None = None) -> tuple[INRWeights, list[str]]:
    """Load INR files and fit mesh files (into OUT/fitted/); one batch in input order."""
    paths = [Path(p) for p in inputs]
    meshes = [p for p in paths if p.suffix.lower() in MESH_SUFFIXES]
    others = [p for p in paths if p.suffix.lower() not in MESH_SUFFIXES + (".safetensors",)]
    if others:
        raise InreditError(f"not an INR (.safetensors) or mesh ({', '.join(MESH_SUFFIXES)}) file", others[0])
    fitted = {}
    if meshes:
        for record in fit_meshes(meshes, out_dir / "fitted", job or FitJob()):
            fitted[record.name] = record.path
    files = [fitted[p.stem] if p in meshes else p for p in paths]
    inrs = [load_inr(f)[0] for f in files]
    return INRWeights.cat(inrs), [p.stem for p in paths]


def edit_metrics(before: INRWeights, after: INRWeights) -> list[dict]:
    """Volume change and mirror-symmetry (x = 0) of each INR before and after the edit."""
    r = METRIC_RESOLUTION
    occ_before, occ_after = inr_occupancy(before, r), inr_occupancy(after, r)
    rows = []
    for b, a, mb, ma in zip(occ_before, occ_after, mirror_occupancy(occ_before, r), mirror_occupancy(occ_after, r)):
        rows.append({"volume_before": float(b.mean() * 8), "volume_after": float(a.mean() * 8),
                     "volume_change": float(a.sum() / max(b.sum(), 1) - 1), "iou_before_after": iou(b, a),
                     "symmetry_before": iou(b, mb), "symmetry_after": iou(a, ma)})
    return rows


def edit_files(inputs: Sequence[str | Path], editor: Editor, out_dir: str | Path, strength: float = 1.0,
               resolution: int = 192, mesh_format: str = "glb", job: FitJob | None = None) -> list[dict]:
    out_dir = Path(out_dir)
    before, names = load_inputs(inputs, out_dir, job)
    editor.check_spec(before)
    after = editor.edit(before, strength)
    metrics = edit_metrics(before, after)
    cameras = orbit_cameras(4)
    results = []
    for i, name in enumerate(names):
        edited_path = save_inr(out_dir / f"{name}_{editor.name}.safetensors", after.select(i),
                               {"edit": {"name": editor.name, "strength": strength, "input": str(inputs[i]),
                                         "editor": getattr(editor, "card", {})}, "metrics": metrics[i]})
        grid = image_grid([render_sdf_views(sdf_function(before, i), cameras, 256),
                           render_sdf_views(sdf_function(after, i), cameras, 256)])
        png = save_png(grid, out_dir / f"{name}_{editor.name}_before_after.png")
        mesh = save_mesh(inr_mesh(after.select(i), resolution), out_dir / f"{name}_{editor.name}.{mesh_format}")
        results.append({"name": name, "inr": edited_path, "render": png, "mesh": mesh, **metrics[i]})
    return results
