"""Seeded procedural cup / mug / jug and vessel families for paired edit datasets (the asymmetric
composition family is in `compositions.py`).

Shapes are built directly in the normalized frame (inside [-0.9, 0.9]^3, y up) and are never
re-normalized, so a shape and its edited version share one frame. Parameter ranges (documented
here and in the dataset card):

cups / mugs / jugs (`MugParams`): body of revolution standing on y = -height/2
    kind      cup: height 0.55-0.8, radius 0.36-0.48, taper 0.1-0.3 (narrow foot)
              mug: height 0.7-1.0, radius 0.3-0.42, taper -0.05-0.1
              jug: height 0.95-1.25, radius 0.28-0.38, taper -0.3--0.1 (wide base)
    wall 0.07-0.11, bottom 0.07-0.14, rim lip (torus, 0.6-1.0 x wall) with probability 1/2;
              `thickness="thin"`: wall 0.015-0.06, bottom 0.03-0.08, handle 0.05-0.15 (as measured
              on real mugs and cups; for fitting benchmarks, not yet in the pair datasets)
    handle    azimuth 0-360 deg, centre at 35-65 % of the height, vertical span 35-65 % of the
              height (capped by the body), reach 0.14-0.3 out of the wall, thickness 0.11-0.16,
              cross-section round or square, path round / square / D-shaped
vessels (`sample_vessel_params`, family "vessel"): the above with 60 % thin walls, sections round /
    square / flat ribbon (half as thick, 1-1.8x as wide), span 20-70 % (ear-sized to long), reach
    0.1-0.3, two opposite handles 10 %, a saucer (1.5-2.1x the foot radius) 25 %, a spout
    (0.12-0.25 long) 25 %; saucer and spout stay when the handle goes
    `teapot=True` (family "teapot") turns them into teapots, after the same draws: one handle, a long
    hollow tube spout across from it (0.3-0.55 long, shorter where the tip would leave the frame; outer radius 0.035-0.075, rising from 20-40 % of
    the height to about the rim, its wall as thick as the body's), a lid 40 %; as real teapots and moka
    pots, whose spouts the editors trained without them cut away (benchmarks/results/remove-handle-cuts.md)
    `extended=True` (family "vessel-extended") adds, after the same draws: a lid (disc 0.02-0.05
    thick on the rim, knob 0.03-0.07) 15 %; a cantilever handle (attached at the top only, hanging
    free; French presses, some mugs) 10 %; an overhead loop from rim to rim (kettles, teapots;
    cups and mugs with room above, 0.18-0.32 over the rim, spout turned 90 deg away) 10 %

Every size of the default (chunky) families is at least 0.11 across.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import shapely.geometry
import trimesh

from inredit.geometry.primitives import SECTIONS, revolve_profile, union

MUG_KINDS = {  # (height, radius, taper) ranges
    "cup": ((0.55, 0.8), (0.36, 0.48), (0.1, 0.3)),
    "mug": ((0.7, 1.0), (0.3, 0.42), (-0.05, 0.1)),
    "jug": ((0.95, 1.25), (0.28, 0.38), (-0.3, -0.1)),
}
HANDLE_PATHS = ("round", "square", "d")  # + "cantilever", "overhead" in the extended vessel family
HANDLE_SECTIONS = ("round", "square")


@dataclass(frozen=True)
class MugParams:
    kind: str
    height: float
    radius: float  # at the rim
    taper: float  # bottom radius = radius * (1 - taper)
    wall: float
    bottom: float
    rim: float  # lip torus thickness, 0 = no lip
    handle_azimuth: float  # radians, 0 = +x
    handle_center: float  # fraction of the height
    handle_span: float  # vertical extent, fraction of the height
    handle_reach: float
    handle_thickness: float
    handle_section: str  # round, square, or ribbon (flat: handle_width across the handle's plane)
    handle_path: str
    # vessel family only (the defaults are the plain mug family's: old datasets load unchanged)
    handle_width: float = 0.0  # ribbon section's width across the handle plane (0: = thickness)
    handles: int = 1  # 2: a second handle on the opposite side (both go)
    saucer: float = 0.0  # saucer radius under the foot (0: none); stays
    saucer_thickness: float = 0.0
    spout: float = 0.0  # spout length, opposite the handle near the rim (0: none); stays
    lid: float = 0.0  # lid disc thickness on the rim (0: none); stays
    lid_knob: float = 0.0  # knob radius on the lid
    handle_rise: float = 0.0  # overhead handles: height of the loop above the rim
    spout_style: str = "cone"  # cone: short, solid, at the rim (jugs); tube: a teapot's long hollow spout
    spout_radius: float = 0.0  # tube spouts: outer radius
    spout_height: float = 0.3  # tube spouts: where they leave the wall, fraction of the height

    def to_dict(self) -> dict:
        return asdict(self)


# (wall, bottom, handle thickness) ranges. "thin" follows real mugs and cups measured in the
# normalized cube: walls 0.02-0.06, handles 0.05-0.15 at their thinnest.
MUG_THICKNESS = {
    "chunky": ((0.07, 0.11), (0.07, 0.14), (0.11, 0.16)),
    "thin": ((0.015, 0.06), (0.03, 0.08), (0.05, 0.15)),
}


def sample_mug_params(rng: np.random.Generator, thickness: str = "chunky") -> MugParams:
    kind = str(rng.choice(list(MUG_KINDS)))
    (h0, h1), (r0, r1), (t0, t1) = MUG_KINDS[kind]
    (w0, w1), (b0, b1), (k0, k1) = MUG_THICKNESS[thickness]
    wall = rng.uniform(w0, w1)
    return MugParams(
        kind=kind, height=rng.uniform(h0, h1), radius=rng.uniform(r0, r1), taper=rng.uniform(t0, t1),
        wall=wall, bottom=rng.uniform(b0, b1), rim=float(rng.uniform(0.6, 1.0) * wall) if rng.random() < 0.5 else 0.0,
        handle_azimuth=rng.uniform(0, 2 * np.pi), handle_center=rng.uniform(0.35, 0.65),
        handle_span=rng.uniform(0.35, 0.65), handle_reach=rng.uniform(0.14, 0.3),
        handle_thickness=rng.uniform(k0, k1), handle_section=str(rng.choice(HANDLE_SECTIONS)),
        handle_path=str(rng.choice(HANDLE_PATHS)),
    )


def sample_vessel_params(rng: np.random.Generator, extended: bool = False) -> MugParams:
    """Cups, mugs and jugs as real ones come: thin or chunky walls, round / square / flat-ribbon
    handles from ear-sized to long, sometimes two handles, a saucer or a spout (both stay).
    `extended`: also lids, cantilever and overhead handles (drawn after the others, so the plain
    family's shapes, and the datasets built from them, stay the same)."""
    base = sample_mug_params(rng, "thin" if rng.random() < 0.6 else "chunky")
    section = str(rng.choice(["round", "square", "ribbon"]))
    thickness = base.handle_thickness
    bottom_radius = base.radius * (1 - base.taper)
    saucer = float(bottom_radius * rng.uniform(1.5, 2.1)) if rng.random() < 0.25 else 0.0
    handles = 2 if rng.random() < 0.1 else 1
    spout = float(rng.uniform(0.12, 0.25)) if rng.random() < 0.25 else 0.0
    params = replace(
        base, handle_section=section,
        handle_thickness=float(max(0.04, 0.5 * thickness) if section == "ribbon" else thickness),
        handle_width=float(thickness * rng.uniform(1.0, 1.8)) if section == "ribbon" else 0.0,
        handle_span=float(rng.uniform(0.2, 0.7)), handle_reach=float(rng.uniform(0.1, 0.3)),
        handles=handles,
        saucer=saucer, saucer_thickness=float(rng.uniform(0.02, 0.05)) if saucer else 0.0,
        spout=spout if handles == 1 else 0.0,  # the second handle sits where a spout would
    )
    return _extend_vessel(params, rng) if extended else params


def sample_teapot_params(rng: np.random.Generator) -> MugParams:
    """A vessel (same draws first) made a teapot: one handle, a long tube spout across from it, maybe a lid."""
    p = sample_vessel_params(rng)
    spout, radius, start = rng.uniform(0.3, 0.55), rng.uniform(0.035, 0.075), rng.uniform(0.2, 0.4)
    spout = min(spout, (0.85 - radius - p.radius) / 0.7)  # its tip stays inside the family's frame
    lid = float(rng.uniform(0.02, 0.05)) if rng.random() < 0.4 else 0.0
    return replace(p, handles=1, spout=float(spout), spout_style="tube", spout_radius=float(radius),
                   spout_height=float(start), lid=lid, lid_knob=float(rng.uniform(0.03, 0.07)) if lid else 0.0)


def _extend_vessel(p: MugParams, rng: np.random.Generator) -> MugParams:
    lid = float(rng.uniform(0.02, 0.05)) if rng.random() < 0.15 else 0.0
    knob = float(rng.uniform(0.03, 0.07)) if lid else 0.0
    path, rise, roll = p.handle_path, 0.0, rng.random()
    top = p.height / 2
    wanted_rise = float(rng.uniform(0.18, 0.32)) + (lid + 1.6 * knob if lid else 0.0)
    if roll < 0.1:
        path = "cantilever"
    elif roll < 0.2 and p.kind != "jug" and top + wanted_rise + p.handle_thickness <= 0.85:
        path, rise = "overhead", wanted_rise
    return replace(p, lid=lid, lid_knob=knob, handle_path=path, handle_rise=rise,
                   handles=1 if path == "overhead" else p.handles)

def _radius_at(p: MugParams, y: float) -> float:
    """Outer radius of the body at height y (body spans -h/2 .. h/2)."""
    fraction = np.clip((y + p.height / 2) / p.height, 0, 1)
    return p.radius * (1 - p.taper) + fraction * p.radius * p.taper


def _body_profile(p: MugParams) -> tuple[list, list]:
    """(outer solid profile, cavity profile) as (radius, y) lists for `revolve_profile`."""
    y0, y1 = -p.height / 2, p.height / 2
    base = p.radius * (1 - p.taper)
    inner_bottom = _radius_at(p, y0 + p.bottom) - p.wall
    solid = [(0.0, y0), (base, y0), (p.radius, y1), (p.radius - p.wall, y1), (inner_bottom, y0 + p.bottom), (0.0, y0 + p.bottom)]
    cavity = [(0.0, y0 + p.bottom), (inner_bottom, y0 + p.bottom), (p.radius - p.wall, y1), (p.radius - p.wall, y1 + 1.0), (0.0, y1 + 1.0)]
    return solid, cavity


def mug_cavity(p: MugParams) -> trimesh.Trimesh:
    """The open inside of the cup, from its bottom up to the rim: what a reconstruction must keep empty."""
    cavity = _body_profile(p)[1][:3]  # bottom centre, bottom edge, rim (without the part above the rim)
    return revolve_profile(cavity + [(0.0, p.height / 2)])


def _rotate_y(mesh: trimesh.Trimesh, angle: float) -> trimesh.Trimesh:
    return mesh.apply_transform(trimesh.transformations.rotation_matrix(angle, [0, 1, 0]))


def mug_body(p: MugParams) -> trimesh.Trimesh:
    """Everything but the handles (what remove-handle leaves): revolved wall + bottom, optional rim
    lip, spout and saucer."""
    solid, cavity = _body_profile(p)
    parts = [revolve_profile(solid)]
    if p.rim > 0:
        lip = trimesh.creation.torus(p.radius - p.wall / 2, p.rim / 2 + p.wall / 2, major_sections=SECTIONS, minor_sections=24)
        lip.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
        lip.apply_translation((0, p.height / 2, 0))
        parts.append(lip)
    if p.spout > 0:
        parts.append((_tube_spout if p.spout_style == "tube" else _spout)(p, revolve_profile(cavity)))
    if p.lid > 0:  # a disc resting on (and slightly sunk into) the rim, with a knob
        lid = trimesh.creation.cylinder(radius=p.radius - p.wall / 2, height=p.lid, sections=SECTIONS)
        lid.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
        parts.append(lid.apply_translation((0, p.height / 2 + p.lid / 2 - 0.01, 0)))
        knob = trimesh.creation.icosphere(subdivisions=3, radius=p.lid_knob)
        parts.append(knob.apply_translation((0, p.height / 2 + p.lid + 0.6 * p.lid_knob - 0.01, 0)))
    if p.saucer > 0:
        saucer = trimesh.creation.cylinder(radius=p.saucer, height=p.saucer_thickness, sections=SECTIONS)
        saucer.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
        parts.append(saucer.apply_translation((0, -p.height / 2 - p.saucer_thickness / 2 + 0.005, 0)))
    return union(parts) if len(parts) > 1 else parts[0]


def _spout(p: MugParams, cavity: trimesh.Trimesh) -> trimesh.Trimesh:
    """A tapered spout leaving the wall below the rim opposite the (first) handle, pointing up and out."""
    length, y = p.spout, p.height / 2 - 0.15 * p.height
    cone = trimesh.creation.cone(radius=max(0.08, 0.5 * length), height=length + p.wall, sections=32)
    direction = np.array([np.sqrt(0.5), np.sqrt(0.5), 0.0])  # 45 degrees up, out along +x
    cone.apply_transform(trimesh.geometry.align_vectors([0.0, 0.0, 1.0], direction))
    cone.apply_translation((_radius_at(p, y) - p.wall, y, 0))
    cone = _rotate_y(cone, p.handle_azimuth + (np.pi / 2 if p.handle_path == "overhead" else np.pi))
    return trimesh.boolean.difference([cone, cavity], engine="manifold")


def _tube_spout(p: MugParams, cavity: trimesh.Trimesh, count: int = 32) -> trimesh.Trimesh:
    """A teapot's spout: a hollow tube leaving the wall low, across from the handle, curving up and out
    to about the rim (a quadratic Bezier in the plane of the handle's azimuth, on its far side)."""
    y0 = -p.height / 2 + p.spout_height * p.height
    r0 = _radius_at(p, y0)
    start, control = np.array([r0 - p.wall / 2, y0]), np.array([r0 + 0.45 * p.spout, y0 + 0.1 * p.spout])
    end = np.array([r0 + 0.7 * p.spout, min(y0 + 0.8 * p.spout, p.height / 2 + 0.1)])
    t = np.linspace(0, 1, count)[:, None]
    u, v = ((1 - t) ** 2 * start + 2 * t * (1 - t) * control + t**2 * end).T
    section = shapely.geometry.Point(0, 0).buffer(p.spout_radius, 16)
    bore = p.spout_radius - max(p.wall, 0.015)
    if bore > 0.01:  # hollow when there is room for a bore
        section = section.difference(shapely.geometry.Point(0, 0).buffer(bore, 16))
    tube = trimesh.creation.sweep_polygon(section, _in_azimuth_plane(p, -u, v))
    tube.fix_normals()
    return trimesh.boolean.difference([tube, cavity], engine="manifold")


def _handle_path(p: MugParams, count: int = 48) -> np.ndarray:
    """3D centre line of the handle in the plane of its azimuth, ends buried in the wall (a
    cantilever's lower end hangs free; an overhead loop runs from rim to rim)."""
    y_center = -p.height / 2 + p.handle_center * p.height
    half_span = min(p.handle_span * p.height, p.height - 2 * p.handle_thickness) / 2
    attach = min(_radius_at(p, y_center + half_span), _radius_at(p, y_center - half_span)) - p.wall / 2
    if p.handle_path == "cantilever":  # out from the upper attachment, then down: a quarter ellipse
        t = np.linspace(0, np.pi / 2, count)
        y_top = y_center + half_span
        u = _radius_at(p, y_top) - p.wall / 2 + p.handle_reach * np.sin(t)
        v = y_top - 1.2 * half_span * (1 - np.cos(t))
        return _in_azimuth_plane(p, u, v)
    if p.handle_path == "overhead":  # a half ellipse over the opening, ends in the rim
        t = np.linspace(0, np.pi, count)
        half_width = p.radius - p.wall / 2
        return _in_azimuth_plane(p, half_width * np.cos(t), p.height / 2 - 0.02 + p.handle_rise * np.sin(t))
    t = np.linspace(0, np.pi, count)
    exponent_out = {"round": 2.0, "square": 6.0, "d": 6.0}[p.handle_path]
    exponents = np.where(t < np.pi / 2, exponent_out, 2.0) if p.handle_path == "d" else np.full_like(t, exponent_out)
    sin, cos = np.sin(t), np.cos(t)
    u = attach + p.handle_reach * np.abs(sin) ** (2 / exponents)  # superellipse: rounder -> squarer
    v = y_center + half_span * np.sign(cos) * np.abs(cos) ** (2 / exponents)
    return _in_azimuth_plane(p, u, v)


def _in_azimuth_plane(p: MugParams, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(u = distance from the axis along the handle's azimuth, v = height) -> 3D points."""
    c, s = np.cos(p.handle_azimuth), np.sin(p.handle_azimuth)
    return np.stack([u * c, v, -u * s], axis=1)


def mug_handle(p: MugParams) -> trimesh.Trimesh:
    """The handle(s) alone, cut where they would enter the cavity."""
    r = p.handle_thickness / 2
    if p.handle_section == "round":
        section = shapely.geometry.Point(0, 0).buffer(r, 16)
    else:  # square, or a flat ribbon: thickness in the handle's plane, handle_width across it
        w = p.handle_width / 2 if p.handle_section == "ribbon" else r
        section = shapely.geometry.box(-r, -w, r, w).buffer(-0.3 * r).buffer(0.3 * r, 4)
    handles = []
    for k in range(p.handles):
        turned = replace(p, handle_azimuth=p.handle_azimuth + k * np.pi)
        handle = trimesh.creation.sweep_polygon(section, _handle_path(turned))
        handle.fix_normals()  # sweeps may come out inside-out depending on the path direction
        handles.append(handle)
    _, cavity_profile = _body_profile(p)
    if p.handle_path == "overhead":  # the loop passes over the opening: cut only inside the vessel
        cavity_profile = list(dict.fromkeys((r, min(y, p.height / 2)) for r, y in cavity_profile))
    handle = union(handles) if len(handles) > 1 else handles[0]
    return trimesh.boolean.difference([handle, revolve_profile(cavity_profile)], engine="manifold")


def make_mug(p: MugParams, with_handle: bool = True) -> trimesh.Trimesh:
    body = mug_body(p)
    return union([body, mug_handle(p)]) if with_handle else body
