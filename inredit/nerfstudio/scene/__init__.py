"""`inredit make-scene`: a nerfstudio/blender-format dataset rendered from meshes by open3d ray casting.

One job per module: `spec` (the YAML scene spec), `parts` (the shape's colored parts, normalized
so that the scene's world frame is the INR frame), `cameras` (train and test poses), `photos`
(ray-cast RGBA, depth, normals and masks) and `dataset` (the output folder and reading it back).

This package imports only inredit.geometry, inredit.render, inredit.configs and inredit.errors:
never inredit.nerfstudio.model/field nor nerfstudio itself (making a scene needs no nerfstudio).
"""

from inredit.nerfstudio.scene.cameras import focal_length, train_poses
from inredit.nerfstudio.scene.dataset import (
    make_scene,
    read_scene_metadata,
    scene_to_source,
)
from inredit.nerfstudio.scene.parts import build_parts, normalize_parts
from inredit.nerfstudio.scene.photos import PartScene
from inredit.nerfstudio.scene.spec import SceneSpec, load_scene_spec

__all__ = [
    "PartScene",
    "SceneSpec",
    "build_parts",
    "focal_length",
    "load_scene_spec",
    "make_scene",
    "normalize_parts",
    "read_scene_metadata",
    "scene_to_source",
    "train_poses",
]
