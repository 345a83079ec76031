"""Exact shapes for sampling: a mesh, or a mesh's SDF offset by r (dilation / erosion).

A shape answers two questions: where its surface is (to place samples) and the exact signed
distance at any point (the ground truth the INR is fitted to).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d
import trimesh

VOTING_RAYS_NON_WATERTIGHT = 9  # odd, as open3d requires


class MeshSDF:
    """Exact signed distance / occupancy queries against one mesh (open3d RaycastingScene)."""

    def __init__(self, mesh: trimesh.Trimesh, watertight: bool | None = None) -> None:
        self.scene = o3d.t.geometry.RaycastingScene()
        self.scene.add_triangles(
            o3d.core.Tensor(np.asarray(mesh.vertices, dtype=np.float32)),
            o3d.core.Tensor(np.asarray(mesh.faces, dtype=np.uint32)),
        )
        watertight = mesh.is_watertight if watertight is None else watertight
        self.n_rays = 1 if watertight else VOTING_RAYS_NON_WATERTIGHT

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        query = o3d.core.Tensor(np.ascontiguousarray(points, dtype=np.float32))
        return self.scene.compute_signed_distance(query, nsamples=self.n_rays).numpy()

    def occupancy(self, points: np.ndarray) -> np.ndarray:
        query = o3d.core.Tensor(np.ascontiguousarray(points, dtype=np.float32))
        return self.scene.compute_occupancy(query, nsamples=self.n_rays).numpy() > 0.5


class MeshShape:
    """The solid bounded by a (watertight, normalized) mesh."""

    exact_surface = True  # surface samples lie exactly on the zero level

    def __init__(self, mesh: trimesh.Trimesh, watertight: bool | None = None) -> None:
        self.mesh = mesh
        self._sdf = MeshSDF(mesh, watertight)

    def surface(self, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        points, faces = trimesh.sample.sample_surface(self.mesh, count, seed=seed)
        return np.asarray(points, np.float32), np.asarray(self.mesh.face_normals[faces], np.float32)

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        return self._sdf.signed_distance(points)

    def occupancy(self, points: np.ndarray) -> np.ndarray:
        return self._sdf.occupancy(points)


@dataclass
class OffsetShape:
    """SDF(x) - offset: offset > 0 dilates, < 0 erodes. Exact for the SDF; the surface used for
    placing samples (base surface moved along its normals) is only approximate in concave parts."""

    base: MeshShape
    offset: float
    exact_surface = False

    def surface(self, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        points, normals = self.base.surface(count, seed)
        return (points + self.offset * normals).astype(np.float32), normals

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        return self.base.signed_distance(points) - self.offset

    def occupancy(self, points: np.ndarray) -> np.ndarray:
        return self.signed_distance(points) < 0
