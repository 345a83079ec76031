"""Geometry learned from images (no mesh, no fitted INR), then a learned edit through ns-edit: the
geometry starts from the visual hull of the training masks, volume rendering trains it for a few
hundred steps, and `ns-edit --edit remove-handle` refits it by the fit job (canonicalize) and edits it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nerfstudio")

from conftest import REPO  # noqa: E402

from inredit.geometry.edits import handle_region  # noqa: E402
from inredit.geometry.families import MugParams  # noqa: E402
from inredit.geometry.metrics import grid_points, iou, mirror_occupancy  # noqa: E402
from inredit.nerfstudio.presets import ns_train_args  # noqa: E402
from inredit.nerfstudio.scene import (  # noqa: E402
    load_scene_spec,
    make_scene,
    read_scene_metadata,
    scene_to_source,
)
from inredit.render.grids import inr_occupancy  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}


def test_ns_edit_removes_the_handle_of_a_geometry_learned_from_images(tmp_path):
    from inredit.edits.registry import get_editor, resolve_editor
    from inredit.nerfstudio.edit_runs import edit_runs

    scene = tmp_path / "mug"
    make_scene(load_scene_spec(REPO / "scenes" / "nerfstudio" / "mug.yaml", train_views=24, test_views=1, resolution=48), scene)
    method, args = ns_train_args(REPO / "configs" / "nerfstudio" / "cpu-test.yaml")
    result = subprocess.run([str(a) for a in [
        BIN / "ns-train", method, *args, "--max-num-iterations", "200", "--steps-per-save", "200",
        "--pipeline.model.init-visual-hull", "True", "--output-dir", tmp_path / "outputs", "--timestamp", "t0",
        "--data", scene]], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    config = tmp_path / "outputs" / "mug" / "inredit-sdf" / "t0" / "config.yml"

    (edited,), _ = edit_runs([config], get_editor("remove-handle"), tmp_path / "edited", mesh_format=None, renders=False)
    record = json.loads((edited.run_dir / "inredit_edit.json").read_text())["metrics"]
    assert record["canonicalized"] and record["canonical_iou_to_run_geometry"] >= 0.9

    meta = read_scene_metadata(scene)
    grid = grid_points(64)
    handle = handle_region(MugParams(**meta["mug_params"]), scene_to_source(meta, grid))
    before, after = inr_occupancy(edited.source.inr, 64)[0], inr_occupancy(edited.inr, 64)[0]
    held = before[handle].mean()
    assert held > 0.3, held  # a few hundred steps from the hull keep a good part of the handle
    kept = before & ~handle
    assert after[handle].mean() <= 0.5 * held, (after[handle].mean(), held)  # the edit empties the handle region
    assert after[kept].mean() >= 0.85, after[kept].mean()  # and keeps the rest

    # an exact edit needs no canonical refit and works on the same run
    (mirrored,), _ = edit_runs([config], resolve_editor("symmetrize", None, "x", None), tmp_path / "symmetrized",
                               mesh_format=None, renders=False)
    record = json.loads((mirrored.run_dir / "inredit_edit.json").read_text())["metrics"]
    assert not record["canonicalized"]
    occupancy = inr_occupancy(mirrored.inr, 64)
    assert iou(occupancy[0], mirror_occupancy(occupancy, 64)[0]) >= 0.95
