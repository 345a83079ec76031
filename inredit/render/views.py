"""Shaded views of SDFs (sphere tracing) and of meshes (open3d ray casting) from the same cameras.

An SDF here is any callable `(N, 3) torch.Tensor -> (N,)` on [-1, 1]^3 (an INR wrapped by
`inredit.inr.torch_backend.sdf_function`, or an analytic SDF). Rays are clipped to the unit cube,
where the SDF is defined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import trimesh

from inredit.geometry.raycast import cast_rays, raycasting_scene
from inredit.render.cameras import Camera

SDF = Callable[[torch.Tensor], torch.Tensor]

BACKGROUND = np.array([1.0, 1.0, 1.0])
BASE_COLOR = np.array([0.62, 0.72, 0.86])
HEADLIGHT, SKYLIGHT, AMBIENT = 0.6, 0.3, 0.2  # light from the camera + from above: every view is lit


def _cube_interval(origins: torch.Tensor, directions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Entry and exit distance of each ray in [-1, 1]^3 (slab method; exit < entry means a miss)."""
    inverse = 1.0 / torch.where(directions.abs() < 1e-9, torch.full_like(directions, 1e-9), directions)
    t0, t1 = (-1 - origins) * inverse, (1 - origins) * inverse
    near = torch.minimum(t0, t1).amax(-1).clamp(min=0)
    far = torch.maximum(t0, t1).amin(-1)
    return near, far


@torch.no_grad()
def sphere_trace(sdf: SDF, origins: torch.Tensor, directions: torch.Tensor, max_steps: int = 128,
                 epsilon: float = 1e-3, step_scale: float = 0.9) -> tuple[torch.Tensor, torch.Tensor]:
    """March every ray by the SDF value until it hits the surface or leaves the cube.

    Only still-active rays are evaluated each step (one batched SDF call per step). A fitted INR is
    not an exact distance, so steps are scaled by `step_scale` < 1 to avoid overshooting thin parts.
    Returns the distance along each ray and a hit mask.
    """
    near, far = _cube_interval(origins, directions)
    t = near.clone()
    hit = torch.zeros_like(t, dtype=torch.bool)
    active = torch.nonzero(near < far).squeeze(1)
    for _ in range(max_steps):
        if active.numel() == 0:
            break
        distance = sdf(origins[active] + t[active, None] * directions[active]).float()
        converged = distance.abs() < epsilon
        hit[active[converged]] = True
        t[active] += step_scale * distance
        left = t[active] > far[active]
        active = active[~converged & ~left]
    return t, hit


@torch.no_grad()
def sdf_normals(sdf: SDF, points: torch.Tensor, step: float = 2e-3) -> torch.Tensor:
    """Unit normals by central differences (one batched SDF call for all 6 offsets)."""
    offsets = torch.cat([torch.eye(3), -torch.eye(3)]) * step
    values = sdf((points[:, None, :] + offsets[None]).reshape(-1, 3)).float().reshape(-1, 6)
    gradient = values[:, :3] - values[:, 3:]
    return torch.nn.functional.normalize(gradient, dim=-1)


def lambert_light(normals: np.ndarray, directions: np.ndarray, ambient: float = AMBIENT,
                  headlight: float = HEADLIGHT, skylight: float = SKYLIGHT) -> tuple[np.ndarray, np.ndarray]:
    """Light at each ray's hit (ambient + a light at the camera + a light from above) for unit
    `directions`, and the hit normals turned towards the camera (the side it sees is shaded)."""
    facing = -(normals * directions).sum(-1)
    normals = np.where(facing[:, None] < 0, -normals, normals)
    return ambient + headlight * np.abs(facing) + skylight * np.clip(normals[:, 1], 0, None), normals


def shade(hit: np.ndarray, normals: np.ndarray, directions: np.ndarray, resolution: int,
          color: np.ndarray = BASE_COLOR) -> np.ndarray:
    """Lambert shading (head light + sky light) on a white background -> `(R, R, 3)` uint8."""
    light, _ = lambert_light(normals, directions)
    rgb = np.where(hit[:, None], np.clip(color[None] * light[:, None], 0, 1), BACKGROUND[None])
    return (rgb.reshape(resolution, resolution, 3) * 255 + 0.5).astype(np.uint8)


def render_sdf(sdf: SDF, camera: Camera, resolution: int = 256) -> np.ndarray:
    """One shaded view of an SDF."""
    return render_sdf_views(sdf, [camera], resolution)[0]


def render_sdf_views(sdf: SDF, cameras: Sequence[Camera], resolution: int = 256) -> list[np.ndarray]:
    """One shaded view of an SDF per camera, traced together: one SDF call per step for all views'
    rays instead of one per view (the march is per ray, so each image is what its view alone gives)."""
    rays = [camera.rays(resolution) for camera in cameras]
    origins, directions = torch.cat([o for o, _ in rays]), torch.cat([d for _, d in rays])
    t, hit = sphere_trace(sdf, origins, directions)
    normals = torch.zeros_like(origins)
    if hit.any():
        normals[hit] = sdf_normals(sdf, origins[hit] + t[hit, None] * directions[hit])
    n = resolution * resolution
    return [shade(hit[i * n : (i + 1) * n].numpy(), normals[i * n : (i + 1) * n].numpy(),
                  directions[i * n : (i + 1) * n].numpy(), resolution) for i in range(len(cameras))]


def render_mesh_views(mesh: trimesh.Trimesh, cameras: Sequence[Camera], resolution: int = 256) -> list[np.ndarray]:
    """The same views of a mesh by open3d ray casting (for ground truth next to INR renders)."""
    scene = raycasting_scene([mesh])
    images = []
    for camera in cameras:
        origins, directions = (x.numpy() for x in camera.rays(resolution))
        result = cast_rays(scene, origins, directions)
        images.append(shade(result["hit"], result["normals"], directions, resolution))
    return images
