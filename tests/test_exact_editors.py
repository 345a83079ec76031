"""Exact editors behind the registry and the command line: symmetrize, mirror, dilate, erode, combine."""

import numpy as np
import pytest
import torch
import trimesh
from conftest import REPO
from PIL import Image

from inredit.edits.exact import ExactEditor
from inredit.edits.registry import available_editors, get_editor
from inredit.errors import InreditError
from inredit.geometry.metrics import iou
from inredit.inr.io import load_inr
from inredit.inr.spec import DEFAULT_SPEC
from inredit.inr.torch_backend import forward
from inredit.render.grids import inr_occupancy

EXAMPLES = REPO / "ui" / "inredit_ui" / "examples"


def example(name):
    return load_inr(EXAMPLES / f"{name}.safetensors")[0]


def test_registry_lists_exact_and_learned_editors_side_by_side():
    editors = available_editors()
    assert {"symmetrize", "mirror", "dilate", "erode", "remove-handle"} <= set(editors)
    assert all(isinstance(editors[n], ExactEditor) for n in ("symmetrize", "mirror", "dilate", "erode"))
    if "dilate-learned" in editors:  # the shipped learned dilate editor keeps a name of its own
        assert editors["dilate-learned"].spec is not None
    with pytest.raises(InreditError, match="learned editor: --axis and --radius"):
        get_editor("remove-handle", axis="y")


def test_symmetrize_makes_the_composition_mirror_symmetric_and_keeps_it():
    before = example("composition")
    after = get_editor("symmetrize", axis="x").edit(before)
    occ_before = inr_occupancy(before, 48).reshape(48, 48, 48)
    occ_after = inr_occupancy(after, 48).reshape(48, 48, 48)
    assert iou(occ_after.ravel(), occ_after[::-1].ravel()) > 0.99  # symmetric across x = 0
    assert iou(occ_before.ravel(), occ_before[::-1].ravel()) < 0.9  # and the input was not
    assert (occ_before & ~occ_after).mean() == 0  # a union keeps the original


def test_dilate_and_erode_move_the_surface_by_the_radius():
    before = example("vase")
    x = torch.rand(5000, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    f = forward(before, x)
    dilated = get_editor("dilate", radius=0.04).edit(before)
    eroded = get_editor("erode", radius=0.04).edit(before)
    torch.testing.assert_close(forward(dilated, x), f - 0.04, rtol=0, atol=1e-5)
    torch.testing.assert_close(forward(eroded, x), f + 0.04, rtol=0, atol=1e-5)
    half = get_editor("dilate", radius=0.04).edit(before, 0.5)
    torch.testing.assert_close(forward(half, x), f - 0.02, rtol=0, atol=1e-5)  # strength scales the radius


@pytest.mark.parametrize("options, message", [({"axis": "w"}, "unknown axis 'w'"), ({"radius": -0.1}, "radius must be in"),
                                               ({"radius": 5.0}, "radius must be in")])
def test_bad_options_are_one_line_errors(options, message):
    with pytest.raises(InreditError, match=message):
        get_editor("dilate" if "radius" in options else "mirror", **options)


def test_all_or_nothing_edits_refuse_partial_strength():
    with pytest.raises(InreditError, match="strength must be 0 or 1"):
        get_editor("symmetrize").edit(example("mug"), 0.5)
    inr = example("mug")
    assert all(torch.equal(a, b) for a, b in zip(get_editor("symmetrize").edit(inr, 0.0).weights, inr.weights))


def test_cli_edit_symmetrize_and_combine(tmp_path, run_cli):
    code, out, err = run_cli("edit", EXAMPLES / "composition.safetensors", "--edit", "symmetrize", "--axis", "z",
                             "--out", tmp_path / "sym", "--mesh-resolution", "64", "--render-size", "64")
    assert code == 0, err
    edited, meta = load_inr(tmp_path / "sym" / "composition_symmetrize.safetensors")
    assert edited.spec.width == 2 * DEFAULT_SPEC.width and meta["edit"]["editor"] == {"kind": "exact", "edit": "symmetrize", "axis": "z", "radius": 0.05}
    occupancy = inr_occupancy(edited, 32).reshape(32, 32, 32)
    assert iou(occupancy.ravel(), occupancy[:, :, ::-1].ravel()) > 0.99

    code, _, err = run_cli("combine", EXAMPLES / "mug.safetensors", EXAMPLES / "vase.safetensors", "--op", "difference",
                           "--out", tmp_path / "cut.safetensors")
    assert code == 0 and "normalized from different meshes" in err  # warned, one line
    cut, meta = load_inr(tmp_path / "cut.safetensors")
    x = torch.rand(2000, 3, generator=torch.Generator().manual_seed(1)) * 2 - 1
    expected = torch.maximum(forward(example("mug"), x), -forward(example("vase"), x))
    torch.testing.assert_close(forward(cut, x), expected, rtol=0, atol=1e-5)
    assert [i["path"] for i in meta["edit"]["inputs"]] == [str(EXAMPLES / "mug.safetensors"), str(EXAMPLES / "vase.safetensors")]

    code, _, err = run_cli("combine", EXAMPLES / "mug.safetensors", EXAMPLES / "vase.safetensors", "--op", "xor",
                           "--out", tmp_path / "x.safetensors")
    assert code == 2 and "unknown op 'xor'" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("edit", EXAMPLES / "mug.safetensors", "--edit", "mirror", "--axis", "q", "--out", tmp_path / "m")
    assert code == 2 and "unknown axis 'q'" in err
    code, _, err = run_cli("edit", EXAMPLES / "mug.safetensors", "--edit", "mirror", "--render-size", "8", "--out", tmp_path / "m")
    assert code == 2 and "at least 16, got 8" in err and not (tmp_path / "m").exists()

    code, out, _ = run_cli("editors")
    assert code == 0 and "symmetrize" in out and "exact" in out and "remove-handle" in out


def test_remove_handle_after_symmetrize_via_distill(tmp_path):
    """Chaining: exact symmetrize (wider spec) -> distill back to the default spec -> learned edit.
    The shipped mug is symmetric across z = 0, so the chain must still remove its handle."""
    from inredit.edits.demo import shipped_mug_handle_scores
    from inredit.fitting.distill import DistillConfig, distill
    from inredit.inr import ops
    from inredit.inr.io import save_inr

    mug = example("mug")
    symmetric = ops.symmetrize(mug, "z")
    assert symmetric.spec != DEFAULT_SPEC
    back = distill(symmetric, DEFAULT_SPEC, DistillConfig(), init=mug).inr
    edited = get_editor("remove-handle").edit(back)  # refuses anything but the default spec
    save_inr(tmp_path / "edited.safetensors", edited)
    scores = shipped_mug_handle_scores(tmp_path / "edited.safetensors", REPO / "scenes" / "shapes" / "mug.obj")
    assert scores["handle_emptied"] >= 0.85 and scores["body_iou"] >= 0.95, scores


def test_cli_edits_inrs_of_two_specs_in_one_call_and_records_their_hashes(tmp_path, run_cli):
    """One batched edit per spec (inredit.edits.batch): a default-spec mug and a wider INR together."""
    from inredit.files import file_sha256
    from inredit.inr.io import save_inr

    wide = save_inr(tmp_path / "wide.safetensors", get_editor("symmetrize", axis="z").edit(example("vase")))
    inputs = [EXAMPLES / "mug.safetensors", wide]
    code, _, err = run_cli("edit", *inputs, "--edit", "mirror", "--axis", "x", "--out", tmp_path / "out",
                           "--mesh-resolution", "48", "--render-size", "48")
    assert code == 0, err
    x = torch.rand(2000, 3, generator=torch.Generator().manual_seed(2)) * 2 - 1
    for path in inputs:
        source = load_inr(path)[0]
        edited, meta = load_inr(tmp_path / "out" / f"{path.stem}_mirror.safetensors")
        assert edited.spec == source.spec  # each kept its own spec
        torch.testing.assert_close(forward(edited, x), forward(source, x * torch.tensor([-1.0, 1.0, 1.0])),
                                   rtol=0, atol=1e-5)
        assert meta["edit"]["input"] == path.name and meta["edit"]["input_sha256"] == file_sha256(path)
        mesh = trimesh.load(tmp_path / "out" / f"{path.stem}_mirror.glb", force="mesh")
        # marching cubes on the 48^3 grid asked for: every vertex has two coordinates on its lattice
        on_lattice = np.isclose((mesh.vertices + 1) * 47 / 2, np.round((mesh.vertices + 1) * 47 / 2), atol=1e-3)
        assert len(mesh.vertices) > 100 and (on_lattice.sum(1) >= 2).all()
        with Image.open(tmp_path / "out" / f"{path.stem}_mirror_before_after.png") as png:
            assert png.height == 2 * 48 + 4  # before above after, 48-pixel views, a 4-pixel gap


def test_per_spec_runs_once_per_spec_and_keeps_input_order():
    from inredit.edits.batch import per_spec

    mug, vase = example("mug"), example("vase")
    wide = get_editor("symmetrize", axis="z").edit(vase)
    inrs = [mug, wide, vase, wide]
    calls = []

    def compute(indices):
        calls.append(indices)
        return [f"{inrs[i].spec.width}:{i}" for i in indices]

    narrow, wider = mug.spec.width, wide.spec.width
    assert per_spec(inrs, compute) == [f"{narrow}:0", f"{wider}:1", f"{narrow}:2", f"{wider}:3"] and narrow != wider
    assert calls == [[0, 2], [1, 3]]
    with pytest.raises(ValueError):  # one result per index, or it is a bug in the caller
        per_spec(inrs, lambda indices: indices[:1])


def test_remove_only_drops_what_an_edit_adds_and_keeps_what_it_removes():
    from inredit.edits.base import RemoveOnlyEditor
    from inredit.inr.spec import INRSpec
    from inredit.inr.weights import init_weights

    before = init_weights(INRSpec(width=32, n_hidden_layers=2))  # offset widens it to 64: the combination fits in 128
    x = torch.rand(5000, 3, generator=torch.Generator().manual_seed(2)) * 2 - 1
    f = forward(before, x)
    dilate = RemoveOnlyEditor(get_editor("dilate", radius=0.04))
    kept = dilate.edit(before)  # max(f, f - r) = f: a dilation only adds material
    assert kept.spec == dilate.output_spec(before.spec) and kept.spec.n_hidden_layers == 3
    torch.testing.assert_close(forward(kept, x), f, rtol=0, atol=1e-5)
    eroded = RemoveOnlyEditor(get_editor("erode", radius=0.04)).edit(before)  # max(f, f + r) = f + r
    torch.testing.assert_close(forward(eroded, x), f + 0.04, rtol=0, atol=1e-5)

    mug = example("mug")
    remove = get_editor("remove-handle")
    g, f = forward(remove.edit(mug), x), forward(mug, x)
    torch.testing.assert_close(forward(RemoveOnlyEditor(remove).edit(mug), x), torch.maximum(f, g), rtol=0, atol=1e-5)


def test_cli_edit_remove_only_records_it(tmp_path, run_cli):
    code, _, err = run_cli("edit", EXAMPLES / "mug.safetensors", "--edit", "remove-handle", "--remove-only",
                           "--out", tmp_path, "--mesh-resolution", "48", "--render-size", "32")
    assert code == 0, err
    edited, meta = load_inr(tmp_path / "mug_remove-handle.safetensors")
    assert (edited.spec.width, edited.spec.n_hidden_layers) == (2 * DEFAULT_SPEC.width, DEFAULT_SPEC.n_hidden_layers + 1)
    assert meta["edit"]["editor"]["remove_only"] is True
    assert (inr_occupancy(edited, 32) & ~inr_occupancy(example("mug"), 32)).sum() == 0  # nothing added
