"""`make_scene`: the dataset folder of a scene spec, and reading it back.

Written into the output folder:

- `images/{train,test}_NNN.png`: RGBA photographs (`photos.PartScene`), transparent background;
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
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from inredit.errors import InreditError
from inredit.nerfstudio.scene.cameras import focal_length, test_poses, train_poses
from inredit.nerfstudio.scene.parts import build_parts, normalize_parts, union_mesh
from inredit.nerfstudio.scene.photos import PartScene
from inredit.nerfstudio.scene.spec import SCENE_FORMAT, SceneSpec


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


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
