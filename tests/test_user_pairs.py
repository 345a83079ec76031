"""Your own edit from your own meshes: a pairs CSV -> pair dataset -> trained editor -> edits.

The user-style edit: boxes and cylinders with a knob on top (original) and without (edited). 60
pairs, short fits and a small DWSNet: on held-out pairs the editor must move the INRs towards the
knob-less targets, measured against the edited meshes themselves.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from inredit.edits.learning.evaluate import evaluate
from inredit.edits.learning.train import train_editor
from inredit.edits.learning.train_config import TrainConfig
from inredit.edits.registry import resolve_editor
from inredit.errors import InreditError
from inredit.inr.io import load_inr
from inredit.pairs.builder import SkippedPairWarning, build_pairs
from inredit.pairs.config import PairConfig, mesh_pairs_config
from inredit.pairs.dataset import load_pairs
from inredit.pairs.user_meshes import read_pairs_csv

N_PAIRS = 60
QUICK_FITS = PairConfig(n_samples=20000, original_steps=600, target_steps=250, quality_floor=0.0, iou_resolution=32,
                        stored_target_samples=1024, shard_size=30, surface_fraction=0.2, near_fraction=0.35)


def knob_pair(rng: np.random.Generator) -> tuple[trimesh.Trimesh, trimesh.Trimesh]:
    """(with knob, without): a box or an upright cylinder, a sphere knob sunk into its top."""
    if rng.random() < 0.5:
        base = trimesh.creation.box(extents=rng.uniform([0.7, 0.5, 0.7], [1.0, 0.8, 1.0]))
    else:
        base = trimesh.creation.cylinder(radius=rng.uniform(0.35, 0.5), height=rng.uniform(0.5, 0.8), sections=48)
        base.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))  # y up
    top = base.bounds[1][1]
    knob = trimesh.creation.icosphere(subdivisions=3, radius=rng.uniform(0.22, 0.28))
    knob.apply_translation((rng.uniform(-0.1, 0.1), top + 0.05, rng.uniform(-0.1, 0.1)))
    return trimesh.boolean.union([base, knob], engine="manifold"), base


def write_pairs(folder: Path, n: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        with_knob, without = knob_pair(rng)
        with_knob.export(folder / f"shape{i}_knob.obj")
        without.export(folder / f"shape{i}.obj")
        split = "train" if i < 0.75 * n else ("val" if i < 0.85 * n else "test")
        rows.append({"original": f"shape{i}_knob.obj", "edited": f"shape{i}.obj", "split": split})
    return write_csv(folder / "pairs.csv", rows)


def write_csv(path: Path, rows: list[dict], columns=("original", "edited", "split")) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def knob_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("user-pairs")
    pairs_csv = write_pairs(root / "meshes", N_PAIRS)
    config = mesh_pairs_config(pairs_csv, "remove-knob", QUICK_FITS)
    card = build_pairs(config, root / "pairs")
    return root, card


def test_pairs_from_meshes_keep_the_originals_frame(knob_dataset):
    root, card = knob_dataset
    assert card["edit"] == "remove-knob" and card["family"] == "meshes" and card["pairs"] == N_PAIRS
    assert card["skipped"] == 0 and card["splits"]["test"] == 9 and card["iou_target"]["median"] > 0.9
    index = json.loads((root / "pairs" / "index.json").read_text())
    first = index["pairs"][0]
    # the edited mesh is in the original's frame: same centre and scale, so the knob-less box is
    # shorter than 1.8 (it would fill [-0.9, 0.9] if it had been normalized on its own)
    from inredit.pairs.sources import make_source

    source = make_source(mesh_pairs_config(root / "meshes" / "pairs.csv", "remove-knob", QUICK_FITS), 0)
    assert source.normalization["scale"] == pytest.approx(first["normalization"]["scale"])
    assert np.ptp(source.original.mesh.bounds, axis=0).max() == pytest.approx(1.8, abs=1e-3)  # as `inredit fit`
    assert np.ptp(source.target.mesh.bounds[:, 1]) < np.ptp(source.original.mesh.bounds[:, 1]) - 0.1  # knob gone


def test_an_editor_trained_on_user_pairs_moves_held_out_shapes_towards_their_edits(knob_dataset, run_cli):
    root, _ = knob_dataset
    config = TrainConfig(data=str(root / "pairs"), edit="remove-knob", channels=8, n_layers=3, epochs=30,
                         batch_size=9, points_per_pair=512, lr=3e-3, warmup_steps=10, seed=0)
    train_editor(config, root / "editor")
    editor_file = root / "editor" / "editor.safetensors"
    editor = resolve_editor("remove-knob", editor_file)  # usable by path, named by its edit
    rows = {r["method"]: r for r in evaluate(root / "pairs", {"user editor": editor}, resolution=48,
                                             finetune_steps=(), chamfer=False)}
    identity, edited, top = rows["identity"]["iou"], rows["user editor"]["iou"], rows["direct fit (upper bound)"]["iou"]
    assert top - identity > 0.05  # the knob is a real part of each shape
    assert edited > identity + 0.5 * (top - identity), (identity, edited, top)  # half the gap (measured: 0.72)

    test = load_pairs(root / "pairs", "test")  # the CLI applies it like a shipped editor
    from inredit.inr.io import save_inr

    original = save_inr(root / "held_out.safetensors", test.original.select(0))
    code, out, err = run_cli("edit", original, "--edit", "remove-knob", "--editor", editor_file, "--out", root / "edited",
                             "--mesh-resolution", "64", "--render-size", "64")
    assert code == 0, err
    edited_inr, meta = load_inr(root / "edited" / "held_out_remove-knob.safetensors")
    assert meta["edit"]["name"] == "remove-knob"
    with pytest.raises(InreditError, match="trained for 'remove-knob'"):
        resolve_editor("remove-handle", editor_file)


def test_bad_rows_are_skipped_with_one_line_each(tmp_path):
    rng = np.random.default_rng(1)
    with_knob, without = knob_pair(rng)
    with_knob.export(tmp_path / "a.obj")
    without.export(tmp_path / "b.obj")
    (tmp_path / "garbage.obj").write_text("not a mesh\n")
    far = without.copy()
    far.apply_translation((5.0, 0, 0))  # re-centred elsewhere: not in the original's frame
    far.export(tmp_path / "far.obj")
    rows = [{"original": "a.obj", "edited": "b.obj", "split": "train"},
            {"original": "a.obj", "edited": "missing.obj", "split": "train"},
            {"original": "garbage.obj", "edited": "b.obj", "split": "train"},
            {"original": "a.obj", "edited": "far.obj", "split": "train"}]
    config = mesh_pairs_config(write_csv(tmp_path / "pairs.csv", rows), "remove-knob",
                               PairConfig(**{**QUICK_FITS.__dict__, "original_steps": 50, "target_steps": 20}))
    with pytest.warns(SkippedPairWarning) as caught:
        card = build_pairs(config, tmp_path / "out")
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3 and all("\n" not in m for m in messages)
    assert any("missing.obj: file not found" in m for m in messages)
    assert any("garbage.obj" in m for m in messages) and any("leaves the original's frame" in m for m in messages)
    assert card["skipped"] == 3 and card["pairs"] == 4 and set(card["skipped_rows"]) == {"1", "2", "3"}
    assert "Skipped rows" in (tmp_path / "out" / "CARD.md").read_text()
    assert load_pairs(tmp_path / "out", "train").original.batch_size == 1


@pytest.mark.parametrize("text, message", [
    ("before,after\na.obj,b.obj\n", "missing column(s) original, edited"),
    ("original,edited,split\na.obj,b.obj,holdout\n", "line 2: split 'holdout' is not one of"),
    ("original,edited\n", "no pairs"),
])
def test_bad_csv_is_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "pairs.csv"
    path.write_text(text)
    with pytest.raises(InreditError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_pairs_csv(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_make_pairs_cli_needs_an_edit_name_for_meshes(tmp_path, run_cli):
    path = write_csv(tmp_path / "pairs.csv", [{"original": "a.obj", "edited": "b.obj"}])
    code, _, err = run_cli("make-pairs", "--from-meshes", path, "--out", tmp_path / "out")
    assert code != 0 and "--from-meshes needs --edit NAME" in err
    code, _, err = run_cli("make-pairs", "--from-meshes", path, "--edit", "Remove Knob!", "--out", tmp_path / "out")
    assert code != 0 and "edit name 'Remove Knob!'" in err
