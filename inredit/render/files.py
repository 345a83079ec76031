"""INR files -> PNG renders (sphere tracing) and meshes (marching cubes): what `inredit render` runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import trimesh

from inredit.geometry.mesh_io import check_mesh_format, save_mesh
from inredit.inr.io import load_inr
from inredit.inr.torch_backend import sdf_function
from inredit.inr.weights import INRWeights
from inredit.render.cameras import orbit_cameras
from inredit.render.grids import inr_mesh
from inredit.render.images import image_grid, image_row, save_png
from inredit.render.views import render_mesh_views, render_sdf_views


def render_inr(inr: INRWeights, resolution: int = 256, views: int = 4) -> np.ndarray:
    """All views of the first INR of a batch, side by side (uint8 image)."""
    return image_row(render_sdf_views(sdf_function(inr), orbit_cameras(views), resolution))


def render_inr_vs_mesh(inr: INRWeights, mesh: trimesh.Trimesh, resolution: int = 256, views: int = 4) -> np.ndarray:
    """Source mesh (top row) above the INR (bottom row), same cameras."""
    cameras = orbit_cameras(views)
    return image_grid([render_mesh_views(mesh, cameras, resolution), render_sdf_views(sdf_function(inr), cameras, resolution)])


def render_inr_files(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    resolution: int = 256,
    views: int = 4,
    mesh_format: str | None = None,
    mesh_resolution: int = 192,
) -> list[Path]:
    """Write `OUT/<name>.png` (and `OUT/<name>.<mesh_format>`) for each INR file."""
    out_dir = Path(out_dir)
    if mesh_format is not None:
        check_mesh_format(mesh_format)
    loaded = [(Path(p), load_inr(p)[0]) for p in paths]  # validate all before writing anything
    written = []
    for path, inr in loaded:
        written.append(save_png(render_inr(inr, resolution, views), out_dir / f"{path.stem}.png"))
        if mesh_format is not None:
            written.append(save_mesh(inr_mesh(inr, mesh_resolution), out_dir / f"{path.stem}.{mesh_format}"))
    return written
