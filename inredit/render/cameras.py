"""Pinhole cameras: look-at frames, orbits around the object, and the rays of each pixel.

One camera model for every picture inredit makes: INR and mesh previews (`views`) and the
photographs of nerfstudio scenes (`inredit.nerfstudio.scene`). y is up, as in the INR frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


def look_at(eye: np.ndarray, target: np.ndarray = np.zeros(3), up: np.ndarray = np.array([0.0, 1.0, 0.0])) -> np.ndarray:
    """Camera-to-world 4x4 (OpenGL: the camera looks down its -z, x right, y up)."""
    forward, right, true_up = camera_axes(eye, target, up)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, true_up, -forward, eye
    return pose


def camera_axes(eye, target, up) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit forward, right and up vectors of a camera at `eye` looking at `target`."""
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (eye, target, up))
    forward = target - eye
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, up)
    right = right / np.linalg.norm(right)
    return forward, right, np.cross(right, forward)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking at `target` (y is up, as in the shipped shapes)."""

    eye: tuple[float, float, float]
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    up: tuple[float, float, float] = (0.0, 1.0, 0.0)
    fov_degrees: float = 40.0

    def rays(self, resolution: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Origins and unit directions `(R*R, 3)`, row-major from the top-left pixel."""
        forward, right, true_up = camera_axes(self.eye, self.target, self.up)
        eye = np.asarray(self.eye, dtype=np.float64)
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


