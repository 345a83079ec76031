"""The visual hull of a scene's training masks: nerfstudio's cameras, projected the way nerfstudio
casts rays, carve everything but the object and its cavity (what silhouettes cannot show)."""

import pytest
import torch
import trimesh

pytest.importorskip("nerfstudio")

from conftest import REPO  # noqa: E402

from inredit.geometry.families import MugParams, mug_cavity  # noqa: E402
from inredit.geometry.metrics import grid_points, iou  # noqa: E402
from inredit.geometry.shapes import MeshShape  # noqa: E402
from inredit.inr.spec import DEFAULT_SPEC  # noqa: E402
from inredit.nerfstudio.scene import (  # noqa: E402
    load_scene_spec,
    make_scene,
    read_scene_metadata,
    scene_to_source,
)
from inredit.nerfstudio.visual_hull import (  # noqa: E402
    hull_occupancy,
    occupancy_inr,
    silhouette_votes,
)
from inredit.render.grids import inr_occupancy  # noqa: E402


@pytest.fixture(scope="module")
def scene_views(tmp_path_factory):
    from nerfstudio.data.dataparsers.blender_dataparser import BlenderDataParserConfig
    from nerfstudio.data.datasets.base_dataset import InputDataset

    scene = tmp_path_factory.mktemp("hull") / "mug"
    make_scene(load_scene_spec(REPO / "scenes" / "nerfstudio" / "mug.yaml", train_views=24, test_views=1, resolution=64), scene)
    dataset = InputDataset(BlenderDataParserConfig(data=scene, alpha_color=None).setup().get_dataparser_outputs("train"))
    cameras = dataset.cameras
    alphas = [dataset.get_image_float32(i)[..., 3] for i in range(len(dataset))]
    intrinsics = torch.cat([cameras.fx, cameras.fy, cameras.cx, cameras.cy], -1)
    return scene, cameras.camera_to_worlds, intrinsics, alphas


def test_the_hull_holds_the_object_and_only_adds_its_cavity(scene_views):
    scene, c2w, intrinsics, alphas = scene_views
    grid = grid_points(64)
    truth = MeshShape(trimesh.load(scene / "mesh.ply"), watertight=True).occupancy(grid)
    meta = read_scene_metadata(scene)
    cavity = MeshShape(mug_cavity(MugParams(**meta["mug_params"]))).occupancy(scene_to_source(meta, grid))
    hull = silhouette_votes(c2w, intrinsics, alphas, torch.from_numpy(grid).float()).numpy()
    assert (hull & truth).sum() >= 0.97 * truth.sum()  # the object is inside (anti-aliased edges aside)
    assert iou(hull, truth | cavity) >= 0.9  # and little else: 24 views carve the rest
    assert iou(hull, truth) < 0.7  # the cavity is not carved by silhouettes


def test_the_hull_fits_as_an_inr_of_the_spec(scene_views):
    scene, c2w, intrinsics, alphas = scene_views
    occupancy = hull_occupancy(c2w, intrinsics, alphas, torch.zeros(3), 1.0, resolution=48)
    inr, filled = occupancy_inr(DEFAULT_SPEC, occupancy, steps=600), float(occupancy.float().mean())
    assert inr.spec == DEFAULT_SPEC and 0.05 < filled < 0.5
    grid = grid_points(48)
    hull = silhouette_votes(c2w, intrinsics, alphas, torch.from_numpy(grid).float()).numpy()
    assert iou(inr_occupancy(inr, 48)[0].reshape(-1), hull) >= 0.85
