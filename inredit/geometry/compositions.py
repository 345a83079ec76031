"""Seeded procedural compositions for paired edit datasets (family "composition"): asymmetric unions
of primitive parts, built directly in the normalized frame like the mug families (`families.py`).

Parameter ranges (`CompositionParams`): 3-5 parts among box, cylinder, sphere, torus and capsule,
sizes 0.25-0.6, random rotations, centres in [-0.35, 0.35]^3 with at least one part at |x| >= 0.2,
union scaled about the origin to fit in 0.85 (x = 0 stays the mirror plane).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import trimesh

from inredit.geometry.primitives import union

PART_KINDS = ("box", "cylinder", "sphere", "torus", "capsule")


@dataclass(frozen=True)
class Part:
    kind: str
    center: tuple[float, float, float]
    size: tuple[float, float, float]  # meaning depends on kind (extents / radius, height / ...)
    rotation: tuple[float, float, float]  # Euler angles (radians)


@dataclass(frozen=True)
class CompositionParams:
    parts: tuple[Part, ...]

    def to_dict(self) -> dict:
        return asdict(self)


def sample_composition_params(rng: np.random.Generator) -> CompositionParams:
    n = int(rng.integers(3, 6))
    parts = []
    for i in range(n):
        center = rng.uniform(-0.35, 0.35, 3)
        if i == 0:  # at least one part clearly off the mirror plane
            center[0] = rng.choice([-1, 1]) * rng.uniform(0.2, 0.4)
        parts.append(Part(str(rng.choice(PART_KINDS)), tuple(map(float, center)),
                          tuple(map(float, rng.uniform(0.25, 0.6, 3))), tuple(map(float, rng.uniform(0, np.pi, 3)))))
    return CompositionParams(tuple(parts))


def _part_mesh(part: Part) -> trimesh.Trimesh:
    a, b, c = part.size
    if part.kind == "box":
        mesh = trimesh.creation.box(extents=(a, b, c))
    elif part.kind == "cylinder":
        mesh = trimesh.creation.cylinder(radius=a / 2, height=b + 0.1, sections=64)
    elif part.kind == "sphere":
        mesh = trimesh.creation.icosphere(subdivisions=3, radius=a / 2 + 0.05)
    elif part.kind == "torus":
        minor = max(0.07, b / 5)
        mesh = trimesh.creation.torus(a / 2 + minor + 0.05, minor, major_sections=64, minor_sections=16)
    else:  # capsule
        mesh = trimesh.creation.capsule(height=b + 0.1, radius=max(0.07, a / 4), count=(24, 24))
    mesh.apply_transform(trimesh.transformations.euler_matrix(*part.rotation))
    return mesh.apply_translation(part.center)


def make_composition(p: CompositionParams) -> trimesh.Trimesh:
    mesh = union([_part_mesh(part) for part in p.parts])
    extent = np.abs(mesh.bounds).max()
    if extent > 0.85:
        mesh.apply_scale(0.85 / extent)  # about the origin: x = 0 stays the mirror plane
    return mesh
