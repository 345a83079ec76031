"""Watertight procedural meshes (y is up): bodies of revolution, handles, simple solids, booleans.

Building blocks for the shipped shapes and the procedural families. Booleans use manifold3d
through trimesh, which keeps results watertight.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import trimesh

SECTIONS = 96  # angular resolution of revolved and round parts


def z_up_to_y_up(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """trimesh builds revolved solids around z; our shapes stand on the y axis."""
    return mesh.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))


def revolve_profile(profile: Sequence[tuple[float, float]], sections: int = SECTIONS) -> trimesh.Trimesh:
    """Solid of revolution around the y axis of a (radius, height) profile.

    The profile must start and end on the axis (radius 0) so the solid is closed.
    """
    profile = np.asarray(profile, dtype=np.float64)
    if profile[0, 0] != 0 or profile[-1, 0] != 0:
        raise ValueError("a revolved profile must start and end on the axis (radius 0)")
    return z_up_to_y_up(trimesh.creation.revolve(profile, sections=sections))


def cup_body(radius: float, height: float, wall: float, bottom: float, taper: float = 0.0,
             sections: int = SECTIONS) -> trimesh.Trimesh:
    """Hollow open-top cup standing on y = 0; `taper` shrinks the bottom radius by that fraction."""
    base = radius * (1 - taper)
    inner_base = base - wall
    inner_top = radius - wall
    profile = [(0.0, 0.0), (base, 0.0), (radius, height), (inner_top, height),
               (inner_base + (inner_top - inner_base) * bottom / height, bottom), (0.0, bottom)]
    return revolve_profile(profile, sections)


def ring_handle(center: Sequence[float], loop_radius: float, thickness: float, body_radius: float,
                sections: int = SECTIONS) -> trimesh.Trimesh:
    """A torus handle in the xy plane at `center`, cut where it would poke into the cup's cavity."""
    handle = trimesh.creation.torus(loop_radius, thickness / 2, major_sections=sections, minor_sections=32)
    handle.apply_translation(center)
    cavity = trimesh.creation.cylinder(radius=body_radius, height=4.0, sections=sections)
    cavity = z_up_to_y_up(cavity)
    return trimesh.boolean.difference([handle, cavity], engine="manifold")


def union(meshes: Sequence[trimesh.Trimesh]) -> trimesh.Trimesh:
    return trimesh.boolean.union(list(meshes), engine="manifold")


def mug(radius: float = 0.45, height: float = 0.95, wall: float = 0.09, bottom: float = 0.1,
        handle_loop: float = 0.27, handle_thickness: float = 0.14, with_handle: bool = True) -> trimesh.Trimesh:
    """The shipped mug: a straight hollow body with a round handle on +x."""
    body = cup_body(radius, height, wall, bottom)
    if not with_handle:
        return body
    handle = ring_handle((radius, height / 2, 0.0), handle_loop, handle_thickness, radius - wall / 2)
    return union([body, handle])


def vase(sections: int = SECTIONS) -> trimesh.Trimesh:
    """A solid vase: bulging belly, narrow neck, flared lip (smooth curved profile)."""
    heights = np.linspace(0.0, 1.2, 40)
    radii = 0.28 + 0.16 * np.sin(np.pi * heights / 0.9) * (heights < 0.9) + 0.1 * np.clip(heights - 0.95, 0, None) / 0.25
    radii = np.maximum(radii, 0.16)
    profile = [(0.0, 0.0), *zip(radii, heights), (0.0, 1.2)]
    return revolve_profile(profile, sections)


def composition() -> trimesh.Trimesh:
    """An asymmetric union of a box, a cylinder and a sphere (the kind symmetrize acts on)."""
    box = trimesh.creation.box(extents=(0.9, 0.35, 0.6))
    cylinder = trimesh.creation.cylinder(radius=0.18, height=0.7, sections=SECTIONS)
    cylinder = z_up_to_y_up(cylinder).apply_translation((0.3, 0.3, 0.1))
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.25).apply_translation((-0.35, 0.25, -0.1))
    return union([box, cylinder, sphere])


def ring_with_peg() -> trimesh.Trimesh:
    """A torus standing upright with a capsule through it (a shape with a hole)."""
    ring = trimesh.creation.torus(0.45, 0.12, major_sections=SECTIONS, minor_sections=32)
    peg = trimesh.creation.capsule(height=1.1, radius=0.1, count=(32, 32))
    peg.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    return union([ring, peg])
