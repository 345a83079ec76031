"""`inredit make-scene`: a nerfstudio/blender-format dataset rendered from meshes by open3d ray casting.

A scene spec (YAML, see `scenes/nerfstudio/*.yaml`) names the shape — mesh files, one part each,
or a procedural mug (`inredit.geometry.families.MugParams`, parts `body` and `handle`) — a color
per part, and the cameras. The shape is normalized like `inredit fit` normalizes meshes (bounding
box centered at the origin, longest side spanning [-0.9, 0.9]), so **the scene's world frame is the
INR frame**: a shape INR fitted to the scene's `mesh.ply` starts an `inredit-sdf` run in place
(`--pipeline.model.geometry-init`), and the model's default `inr_center = 0`, `inr_half_extent = 1`
map world points to the INR cube unchanged.

Written into the output folder:

- `images/{train,test}_NNN.png`: RGBA (alpha = pixel coverage, anti-aliased by supersampling),
  Lambert shading with a head light and a sky light, per-part colors, transparent background;
  `speckle > 0` modulates each part's color by a smooth solid noise of the surface point (like a
  speckled glaze), the texture that multi-view photometry needs to place a surface it sees from
  many sides (a uniform, rotationally symmetric cavity looks the same with a lid on it);
- `transforms_{train,val,test}.json`: blender format (`camera_angle_x`, `./images/<name>` without
  suffix) for nerfstudio's `blender-data` parser, which `inredit-sdf` uses (val = test views);
- `transforms.json`: nerfstudio format (`fl_x, fl_y, cx, cy, w, h`, `{train,val,test}_filenames`);
  with `nerfstudio-data` pass `--orientation-method none --center-method none --auto-scale-poses False`
  to keep the world frame;
- optional `depth/` (16-bit PNG, z-depth in millimetres, 0 = background; `depth_file_path` of each
  frame), `normals/` (world normals as (n + 1) / 2), `masks/` (foreground, 0/255): the last two are
  listed under the non-standard keys `normal_path` and `foreground_mask_path`, because nerfstudio's
  `mask_path` means "pixels to train on" and would drop the background;
- `mesh.ply`: the normalized shape (union of the parts), `scene.json`: the spec, the part colors,
  the normalization (`normalized = scale * (original - center)`) and the world-to-INR transform.

Cameras follow nerfstudio/OpenGL: camera-to-world matrices whose camera looks along -z with y up;
pixel centers at +0.5. Train views lie on a Fibonacci spiral over the sphere of radius `distance`
between `min_elevation` and `max_elevation` (equal area); test views on an orbit at `test_elevation`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
import yaml
from PIL import Image

from inredit.errors import InreditError
from inredit.geometry.mesh_io import MESH_SUFFIXES, NORMALIZED_HALF_EXTENT, load_mesh

DEFAULT_COLORS = [(0.85, 0.45, 0.30), (0.28, 0.48, 0.80), (0.45, 0.70, 0.35), (0.80, 0.70, 0.30), (0.60, 0.40, 0.70)]
MUG_COLORS = {"body": (0.86, 0.44, 0.30), "handle": (0.26, 0.47, 0.82)}
HEADLIGHT, SKYLIGHT, AMBIENT = 0.55, 0.3, 0.25
SCENE_FORMAT = "inredit.scene/1"


@dataclass
class SceneSpec:
    """What `make-scene` renders. `shape` is `{kind: mesh, parts: [{mesh, name?, color?}, ...]}`
    (paths relative to the spec file) or `{kind: mug, params: {MugParams fields}, colors?: {body, handle}}`."""

    name: str = "scene"
    shape: dict[str, Any] = field(default_factory=dict)
    train_views: int = 64
    test_views: int = 8
    resolution: int = 128
    supersample: int = 2
    distance: float = 3.2
    fov_degrees: float = 40.0
    min_elevation: float = -20.0
    max_elevation: float = 70.0
    test_elevation: float = 25.0
    depth: bool = False
    normals: bool = False
    masks: bool = False
    speckle: float = 0.0  # relative albedo variation of the solid noise texture (0 = uniform colors)
    speckle_size: float = 0.12  # its feature size in the normalized frame (the shape spans [-0.9, 0.9])
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
    if not path.exists():
        raise InreditError("file not found", path)
    if path.suffix.lower() in MESH_SUFFIXES:
        values: dict[str, Any] = {"name": path.stem, "shape": {"kind": "mesh", "parts": [{"mesh": path.name}]}}
    else:
        try:
            values = yaml.safe_load(path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InreditError(f"invalid YAML ({str(exc).splitlines()[0]})", path) from None
        if not isinstance(values, dict):
            raise InreditError("a scene spec must be a YAML mapping (name, shape, views, ...)", path)
    values = {**values, **{k: v for k, v in overrides.items() if v is not None}}
    values["base_dir"] = str(path.resolve().parent)
    known = {f.name for f in dataclasses.fields(SceneSpec)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InreditError(f"unknown keys {unknown} in scene spec (known: {sorted(known - {'base_dir'})})", path)
    try:
        spec = SceneSpec(**values)
    except TypeError as exc:
        raise InreditError(f"bad scene spec ({exc})", path) from None
    spec.validate(path)
    return spec


# -- shapes ------------------------------------------------------------------------------------
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


# -- cameras -----------------------------------------------------------------------------------
def look_at(eye: np.ndarray, target: np.ndarray = np.zeros(3), up: np.ndarray = np.array([0.0, 1.0, 0.0])) -> np.ndarray:
    """Camera-to-world 4x4 (OpenGL: the camera looks along -z, y up)."""
    forward = target - eye
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, up)
    right = right / np.linalg.norm(right)
    true_up = np.cross(right, forward)
    c2w = np.eye(4)
    c2w[:3, 0], c2w[:3, 1], c2w[:3, 2], c2w[:3, 3] = right, true_up, -forward, eye
    return c2w


def _direction(elevation: float, azimuth: float) -> np.ndarray:
    return np.array([math.cos(elevation) * math.sin(azimuth), math.sin(elevation), math.cos(elevation) * math.cos(azimuth)])


def train_poses(spec: SceneSpec) -> list[np.ndarray]:
    """Fibonacci spiral between the two elevations: equal-area coverage of the sphere band."""
    lo, hi = math.sin(math.radians(spec.min_elevation)), math.sin(math.radians(spec.max_elevation))
    golden = math.pi * (3 - math.sqrt(5))
    poses = []
    for i in range(spec.train_views):
        y = lo + (hi - lo) * (i + 0.5) / spec.train_views
        poses.append(look_at(spec.distance * _direction(math.asin(y), golden * i)))
    return poses


def test_poses(spec: SceneSpec) -> list[np.ndarray]:
    elevation = math.radians(spec.test_elevation)
    return [look_at(spec.distance * _direction(elevation, math.radians(20.0 + 360.0 * i / spec.test_views)))
            for i in range(spec.test_views)]


def focal_length(spec: SceneSpec, resolution: int | None = None) -> float:
    resolution = resolution or spec.resolution
    return 0.5 * resolution / math.tan(math.radians(spec.fov_degrees) / 2)


# -- rendering ---------------------------------------------------------------------------------
class PartScene:
    """open3d ray casting against every part: for a union of closed solids, the first hit over all
    part surfaces is where a ray enters the union, so the union is never built for rendering and
    the hit's geometry id gives the part (and its color)."""

    def __init__(self, parts: list[Part], speckle: float = 0.0, speckle_size: float = 0.12, seed: int = 0) -> None:
        import open3d as o3d

        # solid noise = mean of random plane waves with wavelengths around speckle_size (seeded)
        rng = np.random.default_rng(seed)
        waves = rng.normal(size=(24, 3))
        waves *= (2 * np.pi / speckle_size) / np.linalg.norm(waves, axis=1, keepdims=True) * rng.uniform(0.7, 1.4, (24, 1))
        self.speckle, self.waves, self.phases = speckle, waves, rng.uniform(0, 2 * np.pi, 24)

        self._o3d = o3d
        self.scene = o3d.t.geometry.RaycastingScene()
        self.colors = np.zeros((len(parts), 3))
        for part in parts:
            gid = self.scene.add_triangles(o3d.core.Tensor(np.asarray(part.mesh.vertices, dtype=np.float32)),
                                           o3d.core.Tensor(np.asarray(part.mesh.faces, dtype=np.uint32)))
            self.colors[gid] = part.color

    def render(self, c2w: np.ndarray, resolution: int, f: float, supersample: int) -> dict[str, np.ndarray]:
        """RGBA (float, straight alpha), z-depth, world normals, hit mask and part index (-1 = background)
        at `resolution`."""
        r = resolution * supersample
        pixel = (np.arange(r) + 0.5) / supersample  # pixel centers in units of output pixels
        u, v = np.meshgrid(pixel, pixel, indexing="xy")
        cx = cy = resolution / 2
        # camera-frame directions with z = -1: t_hit along them is the z-depth
        d_cam = np.stack([(u - cx) / f, -(v - cy) / f, -np.ones_like(u)], -1).reshape(-1, 3)
        directions = d_cam @ c2w[:3, :3].T
        origins = np.broadcast_to(c2w[:3, 3], directions.shape)
        rays = self._o3d.core.Tensor(np.concatenate([origins, directions], 1).astype(np.float32))
        result = self.scene.cast_rays(rays)
        depth = result["t_hit"].numpy().astype(np.float64)
        hit = np.isfinite(depth)
        gid = np.where(hit, result["geometry_ids"].numpy().astype(np.int64), 0)
        normals = result["primitive_normals"].numpy().astype(np.float64)
        unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
        facing = -(normals * unit).sum(-1)
        normals = np.where(facing[:, None] < 0, -normals, normals)
        light = AMBIENT + HEADLIGHT * np.abs(facing) + SKYLIGHT * np.clip(normals[:, 1], 0, None)
        albedo = self.colors[gid]
        if self.speckle > 0:
            points = origins + np.where(hit, depth, 0.0)[:, None] * directions
            noise = np.sin(points @ self.waves.T + self.phases).sum(1) / np.sqrt(len(self.phases) / 2)  # ~unit variance
            albedo = albedo * (1 + self.speckle * np.clip(noise, -2, 2) / 2)[:, None]
        rgb = np.clip(albedo * light[:, None], 0, 1) * hit[:, None]
        depth = np.where(hit, depth, 0.0)
        normals = normals * hit[:, None]

        def pool(x: np.ndarray) -> np.ndarray:  # average supersample x supersample blocks
            x = x.reshape(resolution, supersample, resolution, supersample, -1)
            return x.mean(axis=(1, 3))

        coverage = pool(hit[:, None].astype(np.float64))
        color = pool(rgb) / np.maximum(coverage, 1e-8)  # straight (not premultiplied) color
        # depth/normals/mask: those of each block's central sample (no blending across edges)
        pick = lambda x: x.reshape(resolution, supersample, resolution, supersample, -1)[:, supersample // 2, :, supersample // 2]  # noqa: E731
        return {"rgba": np.concatenate([color, coverage], -1), "depth": pick(depth[:, None])[..., 0],
                "normals": pick(normals), "mask": pick(hit[:, None].astype(np.float64))[..., 0] > 0.5,
                "part": pick(np.where(hit, gid, -1)[:, None])[..., 0]}


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


# -- dataset -----------------------------------------------------------------------------------
def make_scene(spec: SceneSpec, out_dir: str | Path, overwrite: bool = False) -> dict[str, Any]:
    """Render the dataset into `out_dir` (written in a temporary folder, then moved into place)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise InreditError("output folder exists and is not empty (pass --overwrite to replace it)", out_dir)
    parts, extra = build_parts(spec)
    parts, center, scale = normalize_parts(parts)
    scene = PartScene(parts, spec.speckle, spec.speckle_size)
    res = spec.resolution
    f = focal_length(spec)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        for sub in ("images",) + tuple(s for s, on in (("depth", spec.depth), ("normals", spec.normals), ("masks", spec.masks)) if on):
            (tmp / sub).mkdir()
        frames: dict[str, list[dict]] = {"train": [], "test": []}
        for split, poses in (("train", train_poses(spec)), ("test", test_poses(spec))):
            for i, c2w in enumerate(poses):
                name = f"{split}_{i:03d}"
                out = scene.render(c2w, res, f, spec.supersample)
                Image.fromarray(_to_uint8(out["rgba"]), "RGBA").save(tmp / "images" / f"{name}.png")
                frame: dict[str, Any] = {"file_path": f"images/{name}.png", "transform_matrix": c2w.tolist()}
                if spec.depth:
                    millimetres = np.clip(np.round(out["depth"] * 1000), 0, 65535).astype(np.uint16)
                    Image.fromarray(millimetres).save(tmp / "depth" / f"{name}.png")
                    frame["depth_file_path"] = f"depth/{name}.png"
                if spec.normals:
                    Image.fromarray(_to_uint8((out["normals"] + 1) / 2 * out["mask"][..., None])).save(tmp / "normals" / f"{name}.png")
                    frame["normal_path"] = f"normals/{name}.png"
                if spec.masks:
                    Image.fromarray(out["mask"].astype(np.uint8) * 255).save(tmp / "masks" / f"{name}.png")
                    frame["foreground_mask_path"] = f"masks/{name}.png"
                frames[split].append(frame)
        camera_angle_x = 2 * math.atan(0.5 * res / f)
        for split, source in (("train", "train"), ("val", "test"), ("test", "test")):
            blender = {"camera_angle_x": camera_angle_x,
                       "frames": [{"file_path": "./" + fr["file_path"][: -len(".png")], "transform_matrix": fr["transform_matrix"]}
                                  for fr in frames[source]]}
            (tmp / f"transforms_{split}.json").write_text(json.dumps(blender, indent=1))
        metadata = {
            "format": SCENE_FORMAT,
            "spec": {k: v for k, v in dataclasses.asdict(spec).items() if k != "base_dir"},
            "parts": [{"name": p.name, "color": list(p.color)} for p in parts],
            "normalization": {"center": center.tolist(), "scale": scale},
            "world_to_inr": {"inr_center": [0.0, 0.0, 0.0], "inr_half_extent": 1.0},
            **extra,
        }
        nerfstudio = {
            "camera_model": "OPENCV", "fl_x": f, "fl_y": f, "cx": res / 2, "cy": res / 2, "w": res, "h": res,
            "camera_angle_x": camera_angle_x,
            "frames": frames["train"] + frames["test"],
            "train_filenames": [fr["file_path"] for fr in frames["train"]],
            "val_filenames": [fr["file_path"] for fr in frames["test"]],
            "test_filenames": [fr["file_path"] for fr in frames["test"]],
            "inredit": metadata,
        }
        (tmp / "transforms.json").write_text(json.dumps(nerfstudio, indent=1))
        (tmp / "scene.json").write_text(json.dumps(metadata, indent=1))
        union_mesh(parts).export(str(tmp / "mesh.ply"))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return metadata


def read_scene_metadata(scene_dir: str | Path) -> dict[str, Any]:
    path = Path(scene_dir) / "scene.json"
    if not path.exists():
        raise InreditError("not an inredit scene (no scene.json)", Path(scene_dir))
    return json.loads(path.read_text())


def scene_to_source(metadata: dict[str, Any], points: np.ndarray) -> np.ndarray:
    """World (normalized) points -> the source frame of the shape (e.g. the mug family's frame)."""
    norm = metadata["normalization"]
    return points / norm["scale"] + np.asarray(norm["center"])
