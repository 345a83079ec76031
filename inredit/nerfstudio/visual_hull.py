"""Start a scene's geometry from its training masks: the visual hull, fitted as an INR.

Images with alpha (RGBA, as `inredit make-scene` writes them, or any masked capture) say where the
object is not: a point that projects onto background in any view is outside. The intersection of
the silhouette cones (the visual hull) holds the object and is tight everywhere a view sees past
it, so volume rendering starts next to the surface instead of from a sphere and only has to carve
what silhouettes cannot show (a cup's cavity). The hull is voxelized on a grid over the INR cube,
turned into a signed distance by Euclidean distance transforms, and fitted by inredit's batched fit
from the spec's shared initialization.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from inredit.fit import FitConfig, fit_batch
from inredit.geometry.metrics import grid_points
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights


def silhouette_votes(camera_to_worlds: torch.Tensor, intrinsics: torch.Tensor, alphas: list[torch.Tensor],
                     points: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """For `(N, 3)` world points: `(N,)` True where no view sees background there.

    Cameras in nerfstudio's (OpenGL) convention: `camera_to_worlds` `(V, 3, 4)`, `intrinsics` `(V, 4)`
    as fx, fy, cx, cy in pixels; `alphas` V images `(H, W)` in [0, 1]. A point behind a camera or
    outside its image gets no vote from it.
    """
    inside = torch.ones(len(points), dtype=torch.bool)
    for c2w, (fx, fy, cx, cy), alpha in zip(camera_to_worlds, intrinsics, alphas):
        rotation, origin = c2w[:, :3], c2w[:, 3]
        p = (points - origin) @ rotation  # world -> camera frame (x right, y up, looking down -z)
        depth = -p[:, 2]
        in_front = depth > 1e-6
        col = torch.floor(cx + fx * p[:, 0] / depth.clamp_min(1e-6)).long()
        row = torch.floor(cy - fy * p[:, 1] / depth.clamp_min(1e-6)).long()
        height, width = alpha.shape
        seen = in_front & (col >= 0) & (col < width) & (row >= 0) & (row < height)
        background = torch.zeros_like(inside)
        background[seen] = alpha[row[seen], col[seen]] < threshold
        inside &= ~background
    return inside


def hull_sdf(occupancy: np.ndarray, voxel: float) -> np.ndarray:
    """Signed distance (negative inside) of a boolean grid, in the grid's units (`voxel` per cell)."""
    outside = ndimage.distance_transform_edt(~occupancy)
    inside = ndimage.distance_transform_edt(occupancy)
    return (outside - inside) * voxel


def visual_hull_inr(spec: INRSpec, camera_to_worlds: torch.Tensor, intrinsics: torch.Tensor, alphas: list[torch.Tensor],
                    inr_center: torch.Tensor, half_extent: float, resolution: int = 96, steps: int = 2000) -> tuple[INRWeights, float]:
    """The visual hull of the views as an INR of `spec` (INR frame: u = (x - inr_center) / half_extent),
    and the share of the INR cube the hull fills."""
    grid = torch.from_numpy(grid_points(resolution))
    occupancy = silhouette_votes(camera_to_worlds, intrinsics, alphas, grid * half_extent + inr_center)
    occupancy = occupancy.reshape(resolution, resolution, resolution).numpy()
    sdf = hull_sdf(occupancy, 2.0 / resolution)
    points = grid[None]
    values = torch.from_numpy(sdf.reshape(1, -1)).float()
    config = FitConfig(steps=steps, points_per_step=1024, lr=5e-3, lr_final=5e-4)
    return fit_batch(points, values, spec, config).inr, float(occupancy.mean())
