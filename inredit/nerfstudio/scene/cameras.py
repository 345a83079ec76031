"""The cameras of a scene: train views on a spiral, test views on an orbit, one focal length.

Cameras follow nerfstudio/OpenGL: camera-to-world matrices whose camera looks along -z with y up;
pixel centers at +0.5. Train views lie on a Fibonacci spiral over the sphere of radius `distance`
between `min_elevation` and `max_elevation` (equal area); test views on an orbit at `test_elevation`.
"""

from __future__ import annotations

import math

import numpy as np

from inredit.nerfstudio.scene.spec import SceneSpec
from inredit.render.cameras import look_at


def _direction(elevation: float, azimuth: float) -> np.ndarray:
    return np.array([math.cos(elevation) * math.sin(azimuth), math.sin(elevation), math.cos(elevation) * math.cos(azimuth)])


def train_poses(spec: SceneSpec) -> list[np.ndarray]:
    """Fibonacci spiral between the two elevations: equal-area coverage of the sphere band."""
    lo, hi = math.sin(math.radians(spec.min_elevation)), math.sin(math.radians(spec.max_elevation))
    golden = math.pi * (3 - math.sqrt(5))
    poses = []
    for i in range(spec.train_views):
        y = lo + (hi - lo) * (i + 0.5) / spec.train_views
        poses.append(look_at(spec.distance * _direction(math.asin(y), golden * i)))
    return poses


def test_poses(spec: SceneSpec) -> list[np.ndarray]:
    elevation = math.radians(spec.test_elevation)
    return [look_at(spec.distance * _direction(elevation, math.radians(20.0 + 360.0 * i / spec.test_views)))
            for i in range(spec.test_views)]


def focal_length(spec: SceneSpec, resolution: int | None = None) -> float:
    resolution = resolution or spec.resolution
    return 0.5 * resolution / math.tan(math.radians(spec.fov_degrees) / 2)
