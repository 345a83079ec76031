"""Rendering of SDFs and meshes, and SDF -> mesh by marching cubes.

An SDF here is any callable `(N, 3) torch.Tensor -> (N,)` on [-1, 1]^3 (an INR wrapped by
`inredit.inr.torch_backend.sdf_function`, or an analytic SDF): the geometry package never sees
weights. Rays and grids are clipped to the unit cube, where the SDF is defined.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open3d as o3d
import torch
import trimesh
from PIL import Image
from skimage.measure import marching_cubes

from inredit.errors import InreditError
from inredit.files import atomic_write

SDF = Callable[[torch.Tensor], torch.Tensor]

BACKGROUND = np.array([1.0, 1.0, 1.0])
BASE_COLOR = np.array([0.62, 0.72, 0.86])
HEADLIGHT, SKYLIGHT, AMBIENT = 0.6, 0.3, 0.2  # light from the camera + from above: every view is lit


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking at `target` (y is up, as in the shipped shapes)."""

    eye: tuple[float, float, float]
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    up: tuple[float, float, float] = (0.0, 1.0, 0.0)
    fov_degrees: float = 40.0

    def rays(self, resolution: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Origins and unit directions `(R*R, 3)`, row-major from the top-left pixel."""
        eye, target, up = (np.asarray(v, dtype=np.float64) for v in (self.eye, self.target, self.up))
        forward = target - eye
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, up)
        right /= np.linalg.norm(right)
        true_up = np.cross(right, forward)
        half = math.tan(math.radians(self.fov_degrees) / 2)
        pixel = (np.arange(resolution) + 0.5) / resolution * 2 - 1
        u, v = np.meshgrid(pixel * half, -pixel * half, indexing="xy")
        directions = forward + u[..., None] * right + v[..., None] * true_up
        directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
        directions = torch.from_numpy(directions.reshape(-1, 3).astype(np.float32))
        origins = torch.from_numpy(np.broadcast_to(eye, directions.shape).astype(np.float32))
        return origins, directions


def orbit_cameras(n_views: int = 4, elevation_degrees: float = 25.0, distance: float = 3.2,
                  fov_degrees: float = 40.0, start_azimuth_degrees: float = 20.0) -> list[Camera]:
    """`n_views` cameras evenly spaced around the y axis, looking at the origin from above."""
    elevation = math.radians(elevation_degrees)
    cameras = []
    for i in range(n_views):
        azimuth = math.radians(start_azimuth_degrees + 360.0 * i / n_views)
        eye = (distance * math.cos(elevation) * math.sin(azimuth), distance * math.sin(elevation),
               distance * math.cos(elevation) * math.cos(azimuth))
        cameras.append(Camera(eye=eye, fov_degrees=fov_degrees))
    return cameras


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


def shade(hit: np.ndarray, normals: np.ndarray, directions: np.ndarray, resolution: int,
          color: np.ndarray = BASE_COLOR) -> np.ndarray:
    """Lambert shading (head light + sky light) on a white background -> `(R, R, 3)` uint8."""
    facing = -(normals * directions).sum(-1)
    normals = np.where(facing[:, None] < 0, -normals, normals)  # shade the side the camera sees
    light = AMBIENT + HEADLIGHT * np.abs(facing) + SKYLIGHT * np.clip(normals[:, 1], 0, None)
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
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(np.asarray(mesh.vertices, dtype=np.float32)),
                        o3d.core.Tensor(np.asarray(mesh.faces, dtype=np.uint32)))
    images = []
    for camera in cameras:
        origins, directions = camera.rays(resolution)
        rays = o3d.core.Tensor(torch.cat([origins, directions], -1).numpy())
        result = scene.cast_rays(rays)
        hit = np.isfinite(result["t_hit"].numpy())
        normals = result["primitive_normals"].numpy().astype(np.float64)
        images.append(shade(hit, normals, directions.numpy(), resolution))
    return images


def image_row(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Images of equal height side by side, separated by a white gap."""
    height = images[0].shape[0]
    spacer = np.full((height, gap, 3), 255, np.uint8)
    parts = [part for image in images for part in (image, spacer)][:-1]
    return np.concatenate(parts, axis=1)


def image_grid(rows: Sequence[Sequence[np.ndarray]], gap: int = 4) -> np.ndarray:
    """Rows of images stacked vertically (e.g. before above after)."""
    strips = [image_row(row, gap) for row in rows]
    width = max(strip.shape[1] for strip in strips)
    strips = [np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0)), constant_values=255) for s in strips]
    spacer = np.full((gap, width, 3), 255, np.uint8)
    parts = [part for strip in strips for part in (strip, spacer)][:-1]
    return np.concatenate(parts, axis=0)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    path = Path(path)
    atomic_write(path, lambda tmp: Image.fromarray(image).save(tmp, format="PNG"))
    return path


@torch.no_grad()
def sdf_grid(sdf: SDF, resolution: int = 192, chunk: int = 262144) -> np.ndarray:
    """SDF values on a `resolution^3` grid spanning [-1, 1]^3 corners included (`[x, y, z]` order)."""
    axis = torch.linspace(-1, 1, resolution)
    points = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    values = torch.cat([sdf(points[i : i + chunk]).float() for i in range(0, len(points), chunk)])
    return values.reshape(resolution, resolution, resolution).numpy()


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
