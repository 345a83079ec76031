"""SDFs and INRs on grids over [-1, 1]^3: values for marching cubes (corner grid, `sdf_grid`; a
symmetric subgrid of it serves an edit's metrics from the same evaluation) and occupancy for fit
metrics (cell-centre grid, `geometry.metrics.grid_points`)."""

from __future__ import annotations

import numpy as np
import torch
import trimesh
from skimage.measure import marching_cubes

from inredit.errors import InreditError
from inredit.geometry.metrics import grid_points
from inredit.inr.torch_backend import evaluate_chunked, sdf_function
from inredit.inr.weights import INRWeights
from inredit.render.views import SDF

IOU_RESOLUTION = 128  # the metric grid of fits (`fitting.quality`)


def sdf_grid(sdf: SDF, resolution: int = 192, chunk: int = 262144) -> np.ndarray:
    """SDF values on a `resolution^3` grid spanning [-1, 1]^3 corners included (`[x, y, z]` order)."""
    return sdf_on_axis(sdf, torch.linspace(-1, 1, resolution), chunk)


@torch.no_grad()
def sdf_on_axis(sdf: SDF, axis: torch.Tensor, chunk: int = 262144) -> np.ndarray:
    """SDF values on the grid `axis x axis x axis` (`[x, y, z]` order, x slowest)."""
    points = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    values = torch.cat([sdf(points[i : i + chunk]).float() for i in range(0, len(points), chunk)])
    return values.reshape(len(axis), len(axis), len(axis)).numpy()


def symmetric_subgrid(resolution: int, target: int) -> slice:
    """Every s-th index of a corner grid (s the largest stride up to `resolution // target`) placed so
    the subgrid stays symmetric about 0: metrics on it (mirror symmetry too) need no second grid.
    192 -> indices 1, 4, ..., 190 (64 points); a resolution with no symmetric stride keeps every index."""
    for stride in range(max(resolution // target, 1), 0, -1):
        count = resolution // stride
        spare = resolution - 1 - stride * (count - 1)
        if spare % 2 == 0:
            return slice(spare // 2, spare // 2 + stride * count, stride)
    raise AssertionError("unreachable: stride 1 is always symmetric")


def grid_to_mesh(values: np.ndarray, level: float = 0.0) -> trimesh.Trimesh:
    """Marching cubes of the zero level of an SDF grid from `sdf_grid` -> closed mesh in [-1, 1]^3.

    The grid is padded with outside values so a surface cut by the cube is closed, not open.
    """
    if not (values.min() < level < values.max()):
        raise InreditError("the SDF has no zero level set inside [-1, 1]^3 (empty or full shape)")
    resolution = values.shape[0]
    spacing = 2.0 / (resolution - 1)
    padded = np.pad(values, 1, constant_values=max(float(values.max()), level + spacing))
    # with skimage's convention, 'descent' gives outward-facing triangles for inside-negative SDFs
    vertices, faces, _, _ = marching_cubes(padded, level, spacing=(spacing,) * 3, gradient_direction="descent")
    vertices = vertices - spacing - 1.0  # undo the padding; the closing cap lies within one cell of the cube
    return trimesh.Trimesh(vertices, faces, process=True)


def extract_mesh(sdf: SDF, resolution: int = 192) -> trimesh.Trimesh:
    """SDF -> mesh by marching cubes on a `resolution^3` grid."""
    return grid_to_mesh(sdf_grid(sdf, resolution))


def inr_mesh(inr: INRWeights, resolution: int = 192) -> trimesh.Trimesh:
    return extract_mesh(sdf_function(inr), resolution=resolution)


def inr_occupancy(inr: INRWeights, resolution: int = IOU_RESOLUTION) -> np.ndarray:
    """Inside/outside of each INR of the batch on the metric grid: `(B, R^3)` bool."""
    points = torch.from_numpy(grid_points(resolution))
    return (evaluate_chunked(inr, points) < 0).cpu().numpy()
