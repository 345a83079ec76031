"""`inredit make-scene`: blender + nerfstudio datasets rendered from meshes (no nerfstudio needed)."""

import json

import numpy as np
import pytest
from conftest import REPO, SHAPES
from PIL import Image

from inredit.errors import InreditError
from inredit.nerfstudio.scene import (
    load_scene_spec,
    make_scene,
    read_scene_metadata,
    scene_to_source,
)

MUG_SCENE = REPO / "scenes" / "nerfstudio" / "mug.yaml"


def test_shipped_scene_specs_load():
    for path in sorted((REPO / "scenes" / "nerfstudio").glob("*.yaml")):
        spec = load_scene_spec(path)
        assert spec.train_views >= 16 and spec.resolution >= 64, path


def test_make_scene_writes_blender_and_nerfstudio_formats(tmp_path, run_cli):
    out = tmp_path / "mug"
    code, stdout, err = run_cli("make-scene", MUG_SCENE, "--out", out, "--train-views", 6, "--test-views", 2,
                                "--resolution", 24, "--depth", "--normals", "--masks")
    assert code == 0, err
    for split, count in (("train", 6), ("val", 2), ("test", 2)):
        blender = json.loads((out / f"transforms_{split}.json").read_text())
        assert len(blender["frames"]) == count
        for frame in blender["frames"]:
            assert (out / (frame["file_path"][2:] + ".png")).exists()
            c2w = np.array(frame["transform_matrix"])
            assert np.allclose(c2w[:3, :3] @ c2w[:3, :3].T, np.eye(3), atol=1e-6)
            # the camera looks (along -z) at the origin
            assert np.allclose(np.cross(-c2w[:3, 2], -c2w[:3, 3]), 0, atol=1e-6)
    nerfstudio = json.loads((out / "transforms.json").read_text())
    assert nerfstudio["w"] == nerfstudio["h"] == 24 and len(nerfstudio["frames"]) == 8
    assert len(nerfstudio["train_filenames"]) == 6 and "depth_file_path" in nerfstudio["frames"][0]
    image = np.array(Image.open(out / "images" / "test_000.png"))
    assert image.shape == (24, 24, 4)
    alpha = image[..., 3]
    assert alpha[0, 0] == 0 and alpha[12, 12] == 255 and 0.1 < (alpha > 0).mean() < 0.9
    # two part colors: the blue handle and the terracotta body are both visible in test view 0
    rgb = image[..., :3][alpha == 255].astype(int)
    assert (rgb[:, 2] > rgb[:, 0] + 20).any() and (rgb[:, 0] > rgb[:, 2] + 20).any()
    depth = np.array(Image.open(out / "depth" / "test_000.png"))
    assert depth.dtype == np.uint16 and 2000 < depth[depth > 0].min() < depth.max() < 4500  # cameras at 3.2
    mask = np.array(Image.open(out / "masks" / "test_000.png"))
    assert mask[0, 0] == 0 and mask[12, 12] == 255 and set(np.unique(mask)) <= {0, 255}
    meta = read_scene_metadata(out)
    assert meta["world_to_inr"] == {"inr_center": [0.0, 0.0, 0.0], "inr_half_extent": 1.0}
    import trimesh

    mesh = trimesh.load(out / "mesh.ply")
    assert mesh.is_watertight and np.isclose(mesh.extents.max(), 1.8, atol=1e-3)
    assert np.allclose(mesh.bounds.mean(0), 0, atol=1e-3)
    # normalization round trip to the mug family's frame
    assert np.allclose(scene_to_source(meta, np.zeros((1, 3))), [meta["normalization"]["center"]])


def test_make_scene_from_a_mesh_file(tmp_path, run_cli):
    code, _, err = run_cli("make-scene", SHAPES / "vase.ply", "--out", tmp_path / "vase", "--train-views", 2,
                           "--test-views", 1, "--resolution", 16)
    assert code == 0, err
    assert len(json.loads((tmp_path / "vase" / "transforms_train.json").read_text())["frames"]) == 2


def test_speckle_textures_the_surface_and_keeps_shape_and_brightness(tmp_path):
    def render(speckle: float) -> np.ndarray:
        out = tmp_path / f"s{speckle}"
        make_scene(load_scene_spec(MUG_SCENE, train_views=1, test_views=1, resolution=64, speckle=speckle), out)
        return np.asarray(Image.open(out / "images" / "train_000.png"), np.float64) / 255

    plain, speckled = render(0.0), render(0.5)
    assert np.array_equal(plain[..., 3], speckled[..., 3])  # the same silhouette
    solid = plain[..., 3] == 1
    ratio = speckled[solid][:, :3].sum(-1) / plain[solid][:, :3].sum(-1)
    assert ratio.std() > 0.1  # a texture: neighbouring pixels differ by tens of percent
    assert abs(np.median(ratio) - 1) < 0.1  # around the part's color


@pytest.mark.parametrize("content, message", [
    ("name: x\nshape: {kind: cube}\n", "shape.kind"),
    ("name: x\nshape: {kind: mug, params: {height: 1}}\n", "bad mug params"),
    ("name: x\nshape: {kind: mesh, parts: [{mesh: missing.obj}]}\n", "file not found"),
    ("name: x\nshape: {kind: mesh, parts: [{mesh: m.ply}]}\ndistance: 1.0\n", "inside the unit cube"),
    ("name: x\nbogus: 1\nshape: {kind: mug}\n", "unknown keys"),
    ("[1, 2\n", "invalid YAML"),
    ("name: x\nshape: {kind: mug}\nspeckle: 2.0\n", "speckle"),
])
def test_bad_scene_specs_give_one_line_errors(tmp_path, run_cli, content, message):
    (tmp_path / "m.ply").write_bytes((SHAPES / "vase.ply").read_bytes())
    spec = tmp_path / "scene.yaml"
    spec.write_text(content)
    code, _, err = run_cli("make-scene", spec, "--out", tmp_path / "out", "--resolution", 16, "--train-views", 1)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_existing_output_needs_overwrite(tmp_path):
    spec = load_scene_spec(SHAPES / "vase.ply", train_views=1, test_views=1, resolution=8)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(InreditError, match="overwrite"):
        make_scene(spec, tmp_path / "out")
    make_scene(spec, tmp_path / "out", overwrite=True)
    assert not (tmp_path / "out" / "keep.txt").exists() and (tmp_path / "out" / "transforms.json").exists()
