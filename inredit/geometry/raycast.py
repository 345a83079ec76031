"""open3d ray casting against triangle meshes: the one place that builds a `RaycastingScene`.

Used for inside/outside votes and distances (`shapes`), point-to-mesh distances (`metrics`),
mesh previews (`inredit.render.views`) and the photographs of nerfstudio scenes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import open3d as o3d
import trimesh


def raycasting_scene(meshes: Sequence[trimesh.Trimesh]) -> o3d.t.geometry.RaycastingScene:
    """A scene holding every mesh; the i-th mesh gets geometry id i."""
    scene = o3d.t.geometry.RaycastingScene()
    for mesh in meshes:
        scene.add_triangles(o3d.core.Tensor(np.asarray(mesh.vertices, dtype=np.float32)),
                            o3d.core.Tensor(np.asarray(mesh.faces, dtype=np.uint32)))
    return scene


def cast_rays(scene: o3d.t.geometry.RaycastingScene, origins: np.ndarray, directions: np.ndarray) -> dict[str, np.ndarray]:
    """First hits of rays `(N, 3)`: `t_hit` (inf = miss), `hit`, `normals` (of the hit triangle,
    float64) and `geometry_ids` (0 where nothing is hit)."""
    rays = np.concatenate([np.broadcast_to(origins, directions.shape), directions], 1).astype(np.float32)
    result = scene.cast_rays(o3d.core.Tensor(rays))
    t_hit = result["t_hit"].numpy()
    hit = np.isfinite(t_hit)
    return {"t_hit": t_hit, "hit": hit, "normals": result["primitive_normals"].numpy().astype(np.float64),
            "geometry_ids": np.where(hit, result["geometry_ids"].numpy().astype(np.int64), 0)}


def as_tensor(points: np.ndarray) -> o3d.core.Tensor:
    """Query points for a scene (contiguous float32)."""
    return o3d.core.Tensor(np.ascontiguousarray(points, dtype=np.float32))
