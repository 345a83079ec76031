"""Distill: an exact edit's wider INR brought back to the default spec by fitting its own function."""

import dataclasses

import pytest
from conftest import REPO

from inredit.errors import InreditError
from inredit.fitting.distill import DistillConfig, distill_files, parse_spec
from inredit.geometry.metrics import iou
from inredit.inr import ops
from inredit.inr.io import load_inr, save_inr
from inredit.inr.spec import DEFAULT_SPEC, INRSpec
from inredit.render.grids import inr_occupancy

EXAMPLES = REPO / "ui" / "inredit_ui" / "examples"


def test_symmetrized_shape_distills_back_to_the_default_spec_and_resumes(tmp_path):
    original = load_inr(EXAMPLES / "composition.safetensors")[0]
    wide = ops.symmetrize(original, "x")
    save_inr(tmp_path / "sym.safetensors", wide)
    config = DistillConfig(n_samples=20_000, fit=dataclasses.replace(DistillConfig().fit, steps=800))
    rows = distill_files([tmp_path / "sym.safetensors"], DEFAULT_SPEC, tmp_path / "out", config,
                         init_path=EXAMPLES / "composition.safetensors")
    distilled, meta = load_inr(tmp_path / "out" / "sym.safetensors", expected_spec=DEFAULT_SPEC)
    occupancy = {name: inr_occupancy(inr, 48)[0] for name, inr in (("wide", wide), ("original", original), ("distilled", distilled))}
    start, reached = iou(occupancy["original"], occupancy["wide"]), iou(occupancy["distilled"], occupancy["wide"])
    assert reached > 0.9 and reached > start + 0.1, (start, reached)  # it learned the mirrored half
    assert meta["distill"]["source_spec"] == wide.spec.to_dict() and rows[0]["iou"] > 0.9
    again = distill_files([tmp_path / "sym.safetensors"], DEFAULT_SPEC, tmp_path / "out", config)
    assert again[0]["skipped"] and again[0]["iou"] == rows[0]["iou"]


def test_spec_names_parse_and_bad_ones_are_one_line_errors():
    assert parse_spec("default") == DEFAULT_SPEC
    assert parse_spec("freq6-w64-h4") == INRSpec(width=64, n_hidden_layers=4)
    spec = INRSpec(n_frequencies=4, width=32, n_hidden_layers=2)
    assert spec.short_name == "freq4-w32-h2" and parse_spec(spec.short_name) == spec
    with pytest.raises(InreditError, match="unknown spec 'wide'"):
        parse_spec("wide")
    with pytest.raises(InreditError, match="width 48 is not one of"):
        parse_spec("freq6-w48-h3")
