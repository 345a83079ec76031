"""Load, validate and normalize meshes (obj/ply/stl/off/glb) with trimesh.

Every problem a user's file can have becomes a one-line `InreditError` naming the file, except
a mesh that is not watertight: that is a warning, and SDF signs then come from ray-parity voting.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh

from inredit.errors import InreditError
from inredit.files import atomic_write

MESH_SUFFIXES = (".obj", ".ply", ".stl", ".off", ".glb", ".gltf")
NORMALIZED_HALF_EXTENT = 0.9  # longest side spans [-0.9, 0.9]: room for the SDF around the shape


class MeshWarning(UserWarning):
    """A mesh is usable but not ideal (e.g. not watertight)."""


@dataclass
class Mesh:
    """A validated triangle mesh plus where it came from and how it was normalized."""

    mesh: trimesh.Trimesh
    path: Path | None = None
    sha256: str = ""
    watertight: bool = True
    # normalized = scale * (original - center); store as a 4x4 matrix too for users of other tools
    center: np.ndarray = field(default_factory=lambda: np.zeros(3))
    scale: float = 1.0
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.stem if self.path is not None else "mesh"

    @property
    def transform(self) -> np.ndarray:
        """4x4 matrix mapping original coordinates to the normalized unit cube."""
        m = np.eye(4)
        m[:3, :3] *= self.scale
        m[:3, 3] = -self.scale * self.center
        return m

    def normalization_metadata(self) -> dict:
        return {"center": self.center.tolist(), "scale": float(self.scale), "matrix": self.transform.tolist()}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_mesh(path: str | Path, normalize: bool = True, max_faces: int | None = None) -> Mesh:
    """Read a mesh file, validate it, and (by default) normalize it into [-0.9, 0.9]^3."""
    path = Path(path)
    if not path.exists():
        raise InreditError("file not found", path)
    if not path.is_file():
        raise InreditError("not a file", path)
    if path.suffix.lower() not in MESH_SUFFIXES:
        raise InreditError(f"unsupported mesh format {path.suffix!r} (use one of {', '.join(MESH_SUFFIXES)})", path)
    try:
        loaded = trimesh.load(str(path), force="mesh", process=True)
    except Exception as exc:  # trimesh raises many types for garbage input
        raise InreditError(f"cannot parse as {path.suffix} mesh ({_short(exc)})", path) from None
    mesh = as_validated(loaded, path)
    result = Mesh(mesh=mesh, path=path, sha256=file_sha256(path), watertight=bool(mesh.is_watertight))
    if not result.watertight:
        message = f"{path}: mesh is not watertight; inside/outside comes from ray-parity voting"
        result.warnings.append(message)
        warnings.warn(message, MeshWarning, stacklevel=2)
    if max_faces is not None and len(mesh.faces) > max_faces:
        raise InreditError(f"mesh has {len(mesh.faces)} faces, more than the limit of {max_faces}", path)
    return normalize_mesh(result) if normalize else result


def as_validated(loaded: object, path: object = None) -> trimesh.Trimesh:
    """Check that trimesh gave a usable triangle mesh: not empty, finite, not flat."""
    if not isinstance(loaded, trimesh.Trimesh):
        raise InreditError(f"file holds no triangle mesh (got {type(loaded).__name__})", path)
    mesh = loaded
    if len(mesh.vertices) == 0 or len(mesh.faces) == 0:
        raise InreditError("mesh is empty (no faces)", path)
    if not np.isfinite(mesh.vertices).all():
        raise InreditError("mesh has NaN or infinite vertex coordinates", path)
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()
    if len(mesh.faces) == 0:
        raise InreditError("mesh has only degenerate (zero-area) faces", path)
    extents = mesh.extents
    if extents.max() <= 0 or extents.min() < 1e-6 * extents.max():
        raise InreditError(
            f"mesh is flat or degenerate (bounding box extents {np.round(extents, 6).tolist()})", path
        )
    return mesh


def normalize_mesh(item: Mesh) -> Mesh:
    """Center the bounding box at the origin and scale the longest side to 2*0.9."""
    mesh = item.mesh.copy()
    lo, hi = mesh.bounds
    center = (lo + hi) / 2
    scale = 2 * NORMALIZED_HALF_EXTENT / float((hi - lo).max())
    mesh.apply_translation(-center)
    mesh.apply_scale(scale)
    return Mesh(mesh, item.path, item.sha256, item.watertight, center, scale, list(item.warnings))


def from_trimesh(mesh: trimesh.Trimesh, name: str = "mesh", normalize: bool = True) -> Mesh:
    """Wrap an in-memory trimesh (e.g. a procedural shape) like `load_mesh` does a file."""
    validated = as_validated(mesh.copy(), name)
    digest = hashlib.sha256(validated.vertices.tobytes() + validated.faces.tobytes()).hexdigest()
    item = Mesh(validated, Path(name), digest, bool(validated.is_watertight))
    return normalize_mesh(item) if normalize else item


def save_mesh(mesh: trimesh.Trimesh, path: str | Path) -> Path:
    """Write GLB/PLY/OBJ/STL/OFF (by suffix) atomically."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    atomic_write(path, lambda tmp: mesh.export(str(tmp), file_type=suffix))
    return path


def _short(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
