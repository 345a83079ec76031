"""The pretrained editors in inredit/edits/learning/zoo/: small, loadable, and doing their edit on shapes
they never saw (the shipped shapes, pre-fitted in ui/inredit_ui/examples/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inredit.edits.demo import shipped_mug_handle_scores
from inredit.edits.learning.checkpoint import read_editor_header
from inredit.edits.registry import ZOO, available_editors, get_editor
from inredit.errors import InreditError
from inredit.geometry.metrics import iou
from inredit.inr.io import load_inr, save_inr
from inredit.inr.spec import DEFAULT_SPEC, INRSpec
from inredit.inr.weights import init_weights
from inredit.render.grids import inr_occupancy

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "ui" / "inredit_ui" / "examples"
SHIPPED = sorted(p.stem for p in ZOO.glob("*.safetensors"))


def edited(name: str, shape: str, strength: float = 1.0):
    inr, _ = load_inr(EXAMPLES / f"{shape}.safetensors")
    with torch.no_grad():
        return inr, get_editor(name).edit(inr, strength)


def test_remove_handle_is_shipped_and_the_zoo_is_small():
    assert "remove-handle" in SHIPPED
    assert sum(p.stat().st_size for p in ZOO.glob("*.safetensors")) <= 10_000_000


@pytest.mark.parametrize("name", SHIPPED)
def test_card_states_spec_data_and_measured_metrics(name):
    header = read_editor_header(ZOO / f"{name}.safetensors")
    assert header["edit"] == name and INRSpec.from_dict(header["spec"]) == DEFAULT_SPEC
    card = header["card"]
    assert card["data_card"]["edit"] == name and card["data_card"]["accepted"] >= 900
    assert {"identity", "direct fit (upper bound)", "DWSNet"} <= set(card["test_metrics"])
    assert card["measured_by"].startswith("benchmarks/edit.py")


def test_remove_handle_removes_the_shipped_mugs_handle(tmp_path):
    _, after = edited("remove-handle", "mug")
    save_inr(tmp_path / "mug_edited.safetensors", after)
    scores = shipped_mug_handle_scores(tmp_path / "mug_edited.safetensors", REPO / "scenes" / "shapes" / "mug.obj")
    assert scores["handle_emptied"] >= 0.9 and scores["body_iou"] >= 0.95


def test_strength_zero_is_the_identity_and_half_is_in_between():
    before, full = edited("remove-handle", "mug")
    _, none = edited("remove-handle", "mug", 0.0)
    assert all(torch.equal(a, b) for a, b in zip(none.weights, before.weights))
    _, half = edited("remove-handle", "mug", 0.5)
    distance = lambda a, b: float(sum((x - y).norm() for x, y in zip(a.weights, b.weights)))  # noqa: E731
    assert distance(full, before) > 0
    assert distance(half, before) == pytest.approx(distance(half, full), rel=1e-4)


@pytest.mark.parametrize("name", ["dilate", "dilate-learned"])
def test_dilate_grows_every_shipped_shape(name):
    if name not in available_editors():
        pytest.skip(f"{name} not shipped")
    for shape in ("mug", "vase", "composition"):
        before, after = edited(name, shape)
        occupancy = [inr_occupancy(inr, 48)[0] for inr in (before, after)]  # the exact edit widens the spec
        grown = occupancy[1].sum() / occupancy[0].sum()
        assert grown > 1.05, (shape, grown)
        assert (occupancy[0] & ~occupancy[1]).mean() < 0.01  # dilation keeps what was inside


def test_symmetrize_makes_the_composition_symmetric_and_keeps_it():
    before, after = edited("symmetrize", "composition")  # the exact editor (no learned one ships)
    occupancy = np.stack([inr_occupancy(inr, 48)[0] for inr in (before, after)]).reshape(2, 48, 48, 48)
    symmetry = [iou(o.ravel(), o[::-1].ravel()) for o in occupancy]
    assert symmetry[1] > symmetry[0] + 0.05, symmetry
    assert (occupancy[0] & ~occupancy[1]).mean() < 0.01  # a union with the mirror keeps the original


def test_learned_editor_refuses_other_specs_and_nan_weights():
    editor = available_editors()["remove-handle"]
    other = init_weights(INRSpec(n_frequencies=4, width=16, n_hidden_layers=2), 1)
    with pytest.raises(InreditError, match="needs INRs of spec"):
        editor.edit(other)
    nan = load_inr(EXAMPLES / "mug.safetensors")[0]
    nan.weights[0][0, 0, 0] = float("nan")
    with pytest.raises(InreditError, match="NaN"):
        editor.edit(nan)
    assert np.isfinite(editor.edit(load_inr(EXAMPLES / "mug.safetensors")[0]).weights[0].numpy()).all()
