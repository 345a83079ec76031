"""The parts of a scene's shape, each with its color, and their common normalization.

The shape is normalized like `inredit fit` normalizes meshes (bounding box centered at the origin,
longest side spanning [-0.9, 0.9]), so **the scene's world frame is the INR frame**: a shape INR
fitted to the scene's `mesh.ply` starts an `inredit-sdf` run in place
(`--pipeline.model.geometry-init`), and the model's default `inr_center = 0`, `inr_half_extent = 1`
map world points to the INR cube unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from inredit.errors import InreditError
from inredit.geometry.mesh_io import NORMALIZED_HALF_EXTENT, load_mesh
from inredit.nerfstudio.scene.spec import SceneSpec

DEFAULT_COLORS = [(0.85, 0.45, 0.30), (0.28, 0.48, 0.80), (0.45, 0.70, 0.35), (0.80, 0.70, 0.30), (0.60, 0.40, 0.70)]
MUG_COLORS = {"body": (0.86, 0.44, 0.30), "handle": (0.26, 0.47, 0.82)}


@dataclass
class Part:
    name: str
    mesh: trimesh.Trimesh
    color: tuple[float, float, float]


def _color(value: Any, where: str) -> tuple[float, float, float]:
    try:
        rgb = tuple(float(c) for c in value)
    except (TypeError, ValueError):
        rgb = ()
    if len(rgb) != 3 or not all(0.0 <= c <= 1.0 for c in rgb):
        raise InreditError(f"color of {where} must be three numbers in [0, 1], got {value!r}")
    return rgb  # type: ignore[return-value]


def build_parts(spec: SceneSpec) -> tuple[list[Part], dict[str, Any]]:
    """The spec's parts in their source frame, plus metadata (e.g. the mug's parameters)."""
    shape = spec.shape
    if shape["kind"] == "mug":
        from inredit.geometry.families import MugParams, mug_body, mug_handle

        try:
            params = MugParams(**shape.get("params", {}))
        except TypeError as exc:
            raise InreditError(f"bad mug params in scene spec ({exc})") from None
        colors = {**MUG_COLORS, **{k: _color(v, f"mug {k}") for k, v in (shape.get("colors") or {}).items()}}
        unknown = set(colors) - set(MUG_COLORS)
        if unknown:
            raise InreditError(f"mug colors are 'body' and 'handle', got {sorted(unknown)}")
        parts = [Part("body", mug_body(params), colors["body"]), Part("handle", mug_handle(params), colors["handle"])]
        return parts, {"mug_params": params.to_dict()}
    entries = shape.get("parts")
    if not isinstance(entries, list) or not entries:
        raise InreditError("shape.parts must be a non-empty list of {mesh: FILE, name?, color?}")
    parts = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "mesh" not in entry:
            raise InreditError(f"shape.parts[{i}] must be a mapping with a 'mesh' file")
        mesh_path = Path(spec.base_dir) / entry["mesh"]
        mesh = load_mesh(mesh_path, normalize=False).mesh
        color = _color(entry["color"], f"part {i}") if "color" in entry else DEFAULT_COLORS[i % len(DEFAULT_COLORS)]
        parts.append(Part(str(entry.get("name", mesh_path.stem)), mesh, color))
    return parts, {}


def normalize_parts(parts: list[Part]) -> tuple[list[Part], np.ndarray, float]:
    """Apply `inredit fit`'s normalization of the union's bounding box to every part."""
    bounds = np.array([p.mesh.bounds for p in parts])
    lo, hi = bounds[:, 0].min(0), bounds[:, 1].max(0)
    center = (lo + hi) / 2
    scale = 2 * NORMALIZED_HALF_EXTENT / float((hi - lo).max())
    normalized = []
    for p in parts:
        mesh = p.mesh.copy()
        mesh.apply_translation(-center)
        mesh.apply_scale(scale)
        normalized.append(Part(p.name, mesh, p.color))
    return normalized, center, scale


def union_mesh(parts: list[Part]) -> trimesh.Trimesh:
    meshes = [p.mesh for p in parts]
    if len(meshes) == 1:
        return meshes[0]
    if all(m.is_watertight for m in meshes):
        from inredit.geometry.primitives import union

        return union(meshes)
    return trimesh.util.concatenate(meshes)
