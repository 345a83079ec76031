"""Shape metrics: volumetric IoU on a grid, Chamfer-L1 and normal consistency on surface samples.

Shapes are given as occupancy arrays or meshes, never as INRs: the geometry package knows
nothing of weights. All distances are in the normalized [-1, 1]^3 cube.
"""

from __future__ import annotations

import numpy as np
import trimesh

from inredit.geometry.raycast import as_tensor, raycasting_scene


def grid_points(resolution: int) -> np.ndarray:
    """`(R^3, 3)` float32 grid over [-1, 1]^3 (cell centres, so no point sits on the cube's faces)."""
    axis = (np.arange(resolution, dtype=np.float32) + 0.5) / resolution * 2 - 1
    return np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)


def mirror_occupancy(occupancy: np.ndarray, resolution: int) -> np.ndarray:
    """Occupancy of the mirror image across x = 0 on `grid_points(resolution)` (symmetric cell
    centres, x the slowest axis: flip it); `(R^3,)` or `(B, R^3)` in, the same shape out."""
    return occupancy.reshape(-1, resolution, resolution, resolution)[:, ::-1].reshape(occupancy.shape)


def iou(occupancy_a: np.ndarray, occupancy_b: np.ndarray) -> float:
    """Intersection over union of two boolean occupancy arrays (1.0 if both are empty)."""
    a, b = np.asarray(occupancy_a, bool), np.asarray(occupancy_b, bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def surface_samples(mesh: trimesh.Trimesh, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points on the surface (area-weighted) and their face normals."""
    points, face_index = trimesh.sample.sample_surface(mesh, count, seed=seed)
    return np.asarray(points), np.asarray(mesh.face_normals[face_index])


def _distances_and_normals(points: np.ndarray, normals: np.ndarray, target: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray]:
    """Exact point-to-triangle distances to `target` and |cos| between sample and closest-face normals."""
    closest = raycasting_scene([target]).compute_closest_points(as_tensor(points))
    distance = np.linalg.norm(closest["points"].numpy() - points, axis=1)
    target_normals = np.asarray(target.face_normals)[closest["primitive_ids"].numpy().astype(np.int64)]
    return distance, np.abs((normals * target_normals).sum(-1))


def chamfer_and_normal_consistency(
    mesh_a: trimesh.Trimesh, mesh_b: trimesh.Trimesh, count: int = 100_000, seed: int = 0
) -> tuple[float, float]:
    """Chamfer-L1 and normal consistency between two meshes (symmetric).

    Chamfer-L1 = mean of both directions' mean distance from surface samples of one mesh to the
    other mesh's triangles (exact point-to-mesh distance, so no sampling floor of point-to-point
    nearest neighbours). Normal consistency = mean |n . n_closest| over the same pairs (1 is best).
    """
    points_a, normals_a = surface_samples(mesh_a, count, seed)
    points_b, normals_b = surface_samples(mesh_b, count, seed + 1)
    dist_ab, cos_ab = _distances_and_normals(points_a, normals_a, mesh_b)
    dist_ba, cos_ba = _distances_and_normals(points_b, normals_b, mesh_a)
    return float(0.5 * (dist_ab.mean() + dist_ba.mean())), float(0.5 * (cos_ab.mean() + cos_ba.mean()))
