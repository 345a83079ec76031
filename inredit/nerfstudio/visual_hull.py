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

import dataclasses

import numpy as np
import torch
from scipy import ndimage

from inredit.fitting.optimize import fit_batch
from inredit.geometry.metrics import grid_points
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights

INIT_FIT_STEPS = 3000  # of the fit job's 12000: a start for volume rendering, which refines it (~1.5 min)


def project(points: torch.Tensor, c2w: torch.Tensor, intrinsic: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """World points `(..., 3)` -> pixel coordinates u, v (continuous, pixel centers at +0.5) and z-depth.
    Cameras in nerfstudio's (OpenGL) convention: camera-to-world `(3, 4)` (x right, y up, looking down
    -z), intrinsic fx, fy, cx, cy in pixels."""
    rotation, origin = c2w[:, :3], c2w[:, 3]
    p = (points - origin) @ rotation
    depth = -p[..., 2]
    fx, fy, cx, cy = intrinsic
    safe = depth.clamp_min(1e-6)
    return cx + fx * p[..., 0] / safe, cy - fy * p[..., 1] / safe, depth


def pixel_lookup(image: torch.Tensor, points: torch.Tensor, c2w: torch.Tensor, intrinsic: torch.Tensor,
                 fill: float) -> tuple[torch.Tensor, torch.Tensor]:
    """`(N,)` values of an `(H, W)` image at the pixel each world point falls in (`fill` for points
    behind the camera or outside the image), and the points' z-depths."""
    u, v, depth = project(points, c2w, intrinsic)
    height, width = image.shape
    col, row = u.floor().long(), v.floor().long()
    seen = (depth > 1e-6) & (col >= 0) & (col < width) & (row >= 0) & (row < height)
    values = torch.full(depth.shape, fill, dtype=image.dtype)
    values[seen] = image[row[seen], col[seen]]
    return values, depth


def silhouette_votes(camera_to_worlds: torch.Tensor, intrinsics: torch.Tensor, alphas: list[torch.Tensor],
                     points: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """For `(N, 3)` world points: `(N,)` True where no view sees background there.

    Cameras as in `project`: `camera_to_worlds` `(V, 3, 4)`, `intrinsics` `(V, 4)`; `alphas` V images
    `(H, W)` in [0, 1]. A point behind a camera or outside its image gets no vote from it.
    """
    inside = torch.ones(len(points), dtype=torch.bool)
    for c2w, intrinsic, alpha in zip(camera_to_worlds, intrinsics, alphas):
        inside &= pixel_lookup(alpha, points, c2w, intrinsic, fill=1.0)[0] >= threshold
    return inside


def hull_sdf(occupancy: np.ndarray, voxel: float) -> np.ndarray:
    """Signed distance (negative inside) of a boolean grid, in the grid's units (`voxel` per cell)."""
    outside = ndimage.distance_transform_edt(~occupancy)
    inside = ndimage.distance_transform_edt(occupancy)
    return (outside - inside) * voxel


def hull_occupancy(camera_to_worlds: torch.Tensor, intrinsics: torch.Tensor, alphas: list[torch.Tensor],
                   inr_center: torch.Tensor, half_extent: float, resolution: int = 96) -> torch.Tensor:
    """`(R, R, R)` bool: the visual hull on `grid_points(R)` of the INR cube (u = (x - inr_center) / half_extent)."""
    grid = torch.from_numpy(grid_points(resolution))
    inside = silhouette_votes(camera_to_worlds, intrinsics, alphas, grid * half_extent + inr_center)
    return inside.reshape(resolution, resolution, resolution)


def occupancy_inr(spec: INRSpec, occupancy: torch.Tensor, steps: int | None = None) -> INRWeights:
    """An INR of `spec` fitted to an `(R, R, R)` occupancy grid over the INR cube the way `inredit fit`
    fits a mesh (its surface by marching cubes, the fit job's samples and schedule, `steps` if given):
    sampled at grid points only, carved thin walls fit with dead zones (f == 0 inside, no gradient)."""
    from inredit.fitting.job import FitJob
    from inredit.geometry.sampling import sample_shape_sdf
    from inredit.geometry.shapes import MeshShape
    from inredit.render.grids import grid_to_mesh

    resolution = occupancy.shape[0]
    mesh = grid_to_mesh(hull_sdf(occupancy.numpy(), 2.0 / resolution))
    mesh.vertices = (mesh.vertices + 1) * (resolution - 1) / resolution - 1 + 1 / resolution  # corners -> cell centres
    job = FitJob()
    samples = sample_shape_sdf(MeshShape(mesh, watertight=True), job.sampling, seed=job.fit.seed)
    config = dataclasses.replace(job.fit, steps=steps or job.fit.steps)
    points, values = torch.from_numpy(samples.points)[None], torch.from_numpy(samples.sdf)[None]
    return fit_batch(points, values, spec, config).inr
