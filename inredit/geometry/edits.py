"""Ground-truth edits, computed exactly (never drawn by hand): the targets of paired datasets.

Each edit maps a source (procedural parameters or an exact shape) to an exact shape:
- remove-handle: the same mug body, without its handle (or, as a removed-part target, the handle);
- symmetrize: the union of a shape with its mirror image across x = 0;
- dilate / erode: SDF - r / SDF + r.
"""

from __future__ import annotations

import numpy as np
import trimesh

from inredit.geometry.families import MugParams, make_mug, mug_body, mug_handle
from inredit.geometry.primitives import union
from inredit.geometry.shapes import MeshShape, OffsetShape

MIRROR_X = np.diag([-1.0, 1.0, 1.0, 1.0])


def remove_handle(params: MugParams) -> trimesh.Trimesh:
    return mug_body(params)


def handle_region(params: MugParams, points: np.ndarray) -> np.ndarray:
    """Points inside the handle and outside the body: what remove-handle must empty."""
    return MeshShape(mug_handle(params)).occupancy(points) & ~MeshShape(mug_body(params)).occupancy(points)


def mirror_x(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    mirrored = mesh.copy()
    mirrored.apply_transform(MIRROR_X)  # trimesh re-orients faces for reflections
    return mirrored


def symmetrize(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    return union([mesh, mirror_x(mesh)])


def dilate(mesh: trimesh.Trimesh, radius: float) -> OffsetShape:
    return OffsetShape(MeshShape(mesh), radius)


def erode(mesh: trimesh.Trimesh, radius: float) -> OffsetShape:
    return OffsetShape(MeshShape(mesh), -radius)


__all__ = ["make_mug", "mug_handle", "remove_handle", "handle_region", "mirror_x", "symmetrize", "dilate", "erode"]
