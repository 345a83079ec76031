"""The scene spec: what `make-scene` renders, loaded from YAML (see `scenes/nerfstudio/*.yaml`).

A spec names the shape — mesh files, one part each, or a procedural mug
(`inredit.geometry.families.MugParams`, parts `body` and `handle`) — a color per part, and the
cameras. A mesh file passed instead of a spec is a one-part scene with the default settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inredit.configs import build_dataclass, read_yaml_mapping
from inredit.errors import InreditError
from inredit.geometry.mesh_io import MESH_SUFFIXES

SCENE_FORMAT = "inredit.scene/1"


@dataclass
class SceneSpec:
    """What `make-scene` renders. `shape` is `{kind: mesh, parts: [{mesh, name?, color?}, ...]}`
    (paths relative to the spec file) or `{kind: mug, params: {MugParams fields}, colors?: {body, handle}}`.

    Numbers are `int | float`: a number keeps the type it is written with, so `scene.json` repeats
    the spec as written (`fov_degrees: 40`, not 40.0)."""

    name: str = "scene"
    shape: dict[str, Any] = field(default_factory=dict)
    train_views: int = 64
    test_views: int = 8
    resolution: int = 128
    supersample: int = 2
    distance: int | float = 3.2
    fov_degrees: int | float = 40.0
    min_elevation: int | float = -20.0
    max_elevation: int | float = 70.0
    test_elevation: int | float = 25.0
    depth: bool = False
    normals: bool = False
    masks: bool = False
    speckle: int | float = 0.0  # relative albedo variation of the solid noise texture (0 = uniform colors)
    speckle_size: int | float = 0.12  # its feature size in the normalized frame (the shape spans [-0.9, 0.9])
    base_dir: str = "."  # where relative mesh paths are resolved (the spec file's folder)

    def validate(self, path: object = None) -> None:
        problems = []
        if self.train_views < 1 or self.test_views < 1:
            problems.append("train_views and test_views must be >= 1")
        if not 8 <= self.resolution <= 4096:
            problems.append(f"resolution {self.resolution} is not in 8..4096")
        if not 1 <= self.supersample <= 4:
            problems.append(f"supersample {self.supersample} is not in 1..4")
        if self.distance <= math.sqrt(3):
            problems.append(f"distance {self.distance} puts cameras inside the unit cube (needs > 1.74)")
        if not 0.0 <= self.speckle <= 1.0 or self.speckle_size <= 0:
            problems.append(f"speckle {self.speckle} must be in [0, 1] and speckle_size {self.speckle_size} > 0")
        if not 5 <= self.fov_degrees <= 120:
            problems.append(f"fov_degrees {self.fov_degrees} is not in 5..120")
        if not -85 <= self.min_elevation <= self.max_elevation <= 85 or not -85 <= self.test_elevation <= 85:
            problems.append("elevations must satisfy -85 <= min_elevation <= max_elevation <= 85 (test_elevation too)")
        kind = self.shape.get("kind") if isinstance(self.shape, dict) else None
        if kind not in ("mesh", "mug"):
            problems.append(f"shape.kind must be 'mesh' or 'mug', got {kind!r}")
        if problems:
            raise InreditError("invalid scene spec: " + "; ".join(problems), path)


def load_scene_spec(path: str | Path, **overrides: Any) -> SceneSpec:
    """A scene spec YAML, or a single mesh file (one part, default color); `overrides` (not None) win."""
    path = Path(path)
    if path.suffix.lower() in MESH_SUFFIXES:
        if not path.exists():
            raise InreditError("file not found", path)
        values: dict[str, Any] = {"name": path.stem, "shape": {"kind": "mesh", "parts": [{"mesh": path.name}]}}
    else:
        values = read_yaml_mapping(path, "scene spec")
    values = {**values, **{k: v for k, v in overrides.items() if v is not None}}
    values["base_dir"] = str(path.resolve().parent)
    spec = build_dataclass(SceneSpec, values, path)
    spec.validate(path)
    return spec
