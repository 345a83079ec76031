"""Photographs of a scene's parts: RGBA, z-depth, world normals, mask and part index per pixel.

Lambert shading with a head light and a sky light, per-part colors, transparent background; alpha
is pixel coverage, anti-aliased by supersampling. `speckle > 0` modulates each part's color by a
smooth solid noise of the surface point (like a speckled glaze), the texture that multi-view
photometry needs to place a surface it sees from many sides (a uniform, rotationally symmetric
cavity looks the same with a lid on it).
"""

from __future__ import annotations

import numpy as np

from inredit.geometry.raycast import cast_rays, raycasting_scene
from inredit.nerfstudio.scene.parts import Part
from inredit.render.views import lambert_light

HEADLIGHT, SKYLIGHT, AMBIENT = 0.55, 0.3, 0.25


class PartScene:
    """open3d ray casting against every part: for a union of closed solids, the first hit over all
    part surfaces is where a ray enters the union, so the union is never built for rendering and
    the hit's geometry id gives the part (and its color)."""

    def __init__(self, parts: list[Part], speckle: float = 0.0, speckle_size: float = 0.12, seed: int = 0) -> None:
        # solid noise = mean of random plane waves with wavelengths around speckle_size (seeded)
        rng = np.random.default_rng(seed)
        waves = rng.normal(size=(24, 3))
        waves *= (2 * np.pi / speckle_size) / np.linalg.norm(waves, axis=1, keepdims=True) * rng.uniform(0.7, 1.4, (24, 1))
        self.speckle, self.waves, self.phases = speckle, waves, rng.uniform(0, 2 * np.pi, 24)
        self.scene = raycasting_scene([part.mesh for part in parts])  # geometry id i = part i
        self.colors = np.array([part.color for part in parts], dtype=np.float64).reshape(-1, 3)

    def render(self, c2w: np.ndarray, resolution: int, f: float, supersample: int) -> dict[str, np.ndarray]:
        """RGBA (float, straight alpha), z-depth, world normals, hit mask and part index (-1 = background)
        at `resolution`."""
        r = resolution * supersample
        pixel = (np.arange(r) + 0.5) / supersample  # pixel centers in units of output pixels
        u, v = np.meshgrid(pixel, pixel, indexing="xy")
        cx = cy = resolution / 2
        # camera-frame directions with z = -1: t_hit along them is the z-depth
        d_cam = np.stack([(u - cx) / f, -(v - cy) / f, -np.ones_like(u)], -1).reshape(-1, 3)
        directions = d_cam @ c2w[:3, :3].T
        origins = np.broadcast_to(c2w[:3, 3], directions.shape)
        result = cast_rays(self.scene, origins, directions)
        depth, hit, gid = result["t_hit"].astype(np.float64), result["hit"], result["geometry_ids"]
        unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
        light, normals = lambert_light(result["normals"], unit, AMBIENT, HEADLIGHT, SKYLIGHT)
        albedo = self.colors[gid]
        if self.speckle > 0:
            points = origins + np.where(hit, depth, 0.0)[:, None] * directions
            noise = np.sin(points @ self.waves.T + self.phases).sum(1) / np.sqrt(len(self.phases) / 2)  # ~unit variance
            albedo = albedo * (1 + self.speckle * np.clip(noise, -2, 2) / 2)[:, None]
        rgb = np.clip(albedo * light[:, None], 0, 1) * hit[:, None]
        depth = np.where(hit, depth, 0.0)
        normals = normals * hit[:, None]

        def pool(x: np.ndarray) -> np.ndarray:  # average supersample x supersample blocks
            x = x.reshape(resolution, supersample, resolution, supersample, -1)
            return x.mean(axis=(1, 3))

        coverage = pool(hit[:, None].astype(np.float64))
        color = pool(rgb) / np.maximum(coverage, 1e-8)  # straight (not premultiplied) color
        # depth/normals/mask: those of each block's central sample (no blending across edges)
        pick = lambda x: x.reshape(resolution, supersample, resolution, supersample, -1)[:, supersample // 2, :, supersample // 2]
        return {"rgba": np.concatenate([color, coverage], -1), "depth": pick(depth[:, None])[..., 0],
                "normals": pick(normals), "mask": pick(hit[:, None].astype(np.float64))[..., 0] > 0.5,
                "part": pick(np.where(hit, gid, -1)[:, None])[..., 0]}
