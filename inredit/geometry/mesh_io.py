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
from inredit.files import atomic_write, file_sha256

MESH_SUFFIXES = (".obj", ".ply", ".stl", ".off", ".glb", ".gltf")  # what can be read
MESH_OUTPUT_FORMATS = ("glb", "ply", "obj")  # what edits and renders write
NORMALIZED_HALF_EXTENT = 0.9  # longest side spans [-0.9, 0.9]: room for the SDF around the shape
UP_CHOICES = ("auto", "x", "y", "z")
# Proper rotations taking the file's up axis to +y, the INR frame's up (the families stand on y).
UP_ROTATIONS = {
    "x": np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),  # (x, y, z) -> (-y, x, z)
    "y": np.eye(3),
    "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),  # (x, y, z) -> (x, z, -y)
}
BASE_BAND = 0.02  # a face belongs to the base if it lies within 2 % of the extent above the lowest point
BASE_NORMAL_COS = 0.99
SOLID_BASE = 0.06  # a base this large (share of the convex hull's area) is a foot: keep the file's y


class MeshWarning(UserWarning):
    """A mesh is usable but not ideal (e.g. not watertight)."""


@dataclass
class Mesh:
    """A validated triangle mesh plus where it came from and how it was normalized."""

    mesh: trimesh.Trimesh
    path: Path | None = None
    sha256: str = ""
    watertight: bool = True
    # normalized = scale * (rotation @ original - center); also stored as a 4x4 matrix for other tools
    center: np.ndarray = field(default_factory=lambda: np.zeros(3))
    scale: float = 1.0
    up: str = "y"  # the file's up axis, rotated onto +y
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.stem if self.path is not None else "mesh"

    @property
    def transform(self) -> np.ndarray:
        """4x4 matrix mapping original coordinates to the normalized unit cube."""
        m = np.eye(4)
        m[:3, :3] = self.scale * self.rotation
        m[:3, 3] = -self.scale * self.center
        return m

    def normalization_metadata(self) -> dict:
        return {"center": self.center.tolist(), "scale": float(self.scale), "up": self.up,
                "rotation": self.rotation.tolist(), "matrix": self.transform.tolist()}


def load_mesh(path: str | Path, normalize: bool = True, max_faces: int | None = None, up: str = "y") -> Mesh:
    """Read a mesh file, validate it, and (by default) normalize it into [-0.9, 0.9]^3 with its
    `up` axis (x, y, z, or auto: see `detect_up`) turned onto +y."""
    path = Path(path)
    if up not in UP_CHOICES:
        raise InreditError(f"unknown up axis {up!r} (use one of {', '.join(UP_CHOICES)})", path)
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
    if isinstance(loaded, trimesh.Trimesh):
        # Read at float32 precision, what STL, GLB and binary PLY store: a signed axis permutation is
        # exact in float32, so the same object in a y-up and a z-up file (or an OBJ and its PLY copy)
        # becomes bit-identical after `normalize_mesh`, and gives the same samples, INR and edit.
        loaded.vertices = np.asarray(loaded.vertices, dtype=np.float32).astype(np.float64)
    mesh = as_validated(loaded, path)
    result = Mesh(mesh=mesh, path=path, sha256=file_sha256(path), watertight=bool(mesh.is_watertight))
    if not result.watertight:
        message = f"{path}: mesh is not watertight; inside/outside comes from ray-parity voting"
        result.warnings.append(message)
        warnings.warn(message, MeshWarning, stacklevel=2)
    if max_faces is not None and len(mesh.faces) > max_faces:
        raise InreditError(f"mesh has {len(mesh.faces)} faces, more than the limit of {max_faces}", path)
    return normalize_mesh(result, up) if normalize else result


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


def check_mesh_format(value: object, path: object = None) -> str:
    """`value` if it is one of `MESH_OUTPUT_FORMATS`, else a one-line error."""
    if value not in MESH_OUTPUT_FORMATS:
        raise InreditError(f"unknown mesh format {value!r}: use {', '.join(MESH_OUTPUT_FORMATS)}", path)
    return str(value)


def check_up_axis(value: object, what: str = "up", path: object = None) -> str:
    """`value` if it is one of `UP_CHOICES`, else a one-line error naming `what` (a flag, a key) and the file."""
    if value not in UP_CHOICES:
        raise InreditError(f"{what} must be one of {', '.join(UP_CHOICES)}, got {value!r}", path)
    return value


def base_area(mesh: trimesh.Trimesh, direction: np.ndarray) -> float:
    """Share of the convex hull's area the mesh would stand on if `direction` were up: hull faces
    facing -direction within `BASE_BAND` of the lowest point (a recessed or ringed foot counts whole)."""
    hull = mesh.convex_hull
    heights = hull.vertices @ direction
    facing_down = hull.face_normals @ direction < -BASE_NORMAL_COS
    near_bottom = hull.triangles_center @ direction < heights.min() + BASE_BAND * np.ptp(heights)
    return float(hull.area_faces[facing_down & near_bottom].sum() / hull.area)


def detect_up(mesh: trimesh.Trimesh) -> str:
    """The axis (x, y or z) a mesh stands along, from the flat base of its convex hull.

    Keeps y unless y's base is small (< `SOLID_BASE` of the hull) and another axis's is over 1.5 times
    as large. Right for objects that stand on a foot (mugs, cups, glasses, teapots, vases, scans on
    a base); a chair lying on its back or a round-bottomed bowl may not be: pass the axis for those.
    Files that stand upside down along their up axis are not turned over.
    """
    areas = {axis: base_area(mesh, np.eye(3)[i]) for i, axis in enumerate("xyz")}
    best = max(areas, key=lambda axis: (areas[axis], axis == "y"))
    if areas["y"] >= SOLID_BASE or areas[best] <= 1.5 * areas["y"]:
        return "y"
    return best


def normalize_mesh(item: Mesh, up: str = "y") -> Mesh:
    """Turn the `up` axis onto +y, center the bounding box at the origin, scale the longest side to 2*0.9."""
    mesh = item.mesh.copy()
    up = detect_up(mesh) if up == "auto" else up
    rotation = UP_ROTATIONS[up]
    if up != "y":
        mesh.apply_transform(np.block([[rotation, np.zeros((3, 1))], [np.zeros((1, 3)), np.ones((1, 1))]]))
    lo, hi = mesh.bounds
    center = (lo + hi) / 2
    scale = 2 * NORMALIZED_HALF_EXTENT / float((hi - lo).max())
    mesh.apply_translation(-center)
    mesh.apply_scale(scale)
    return Mesh(mesh, item.path, item.sha256, item.watertight, center, scale, up, rotation, list(item.warnings))


def from_trimesh(mesh: trimesh.Trimesh, name: str = "mesh", normalize: bool = True, up: str = "y") -> Mesh:
    """Wrap an in-memory trimesh (e.g. a procedural shape) like `load_mesh` does a file."""
    validated = as_validated(mesh.copy(), name)
    digest = hashlib.sha256(validated.vertices.tobytes() + validated.faces.tobytes()).hexdigest()
    item = Mesh(validated, Path(name), digest, bool(validated.is_watertight))
    return normalize_mesh(item, up) if normalize else item


def save_mesh(mesh: trimesh.Trimesh, path: str | Path) -> Path:
    """Write GLB/PLY/OBJ/STL/OFF (by suffix) atomically."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    atomic_write(path, lambda tmp: mesh.export(str(tmp), file_type=suffix))
    return path


def _short(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
