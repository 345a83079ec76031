"""The Gradio app through its HTTP API (gradio_client), against a real server on a free port.

Fits the shipped mug with few steps (the fit is rough; the point is that every output is a real
file with sensible content), edits it, and checks that each kind of bad upload gives a clear
error while the app keeps serving.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402

from inredit.edits.registry import IdentityEditor, available_editors  # noqa: E402
from inredit.geometry.mesh_io import load_mesh  # noqa: E402
from inredit.inr.io import FORMAT, METADATA_KEY, load_inr, save_inr  # noqa: E402
from inredit.inr.spec import DEFAULT_SPEC, INRSpec  # noqa: E402
from inredit.inr.weights import init_weights  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MUG = REPO / "scenes" / "shapes" / "mug.obj"
FIT_STEPS = 300  # a rough mug, but every output exists: keeps the suite fast
VIEW_PIXELS = 96  # smaller previews than the app's default: the suite runs on a shared CPU


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(client, limits): the app with small limits and a strict-spec editor to test the errors."""
    from inredit_ui.app import serve_in_background
    from inredit_ui.limits import Limits
    from inredit_ui.preview import PreviewSettings
    from inredit_ui.workspace import Workspace

    limits = Limits(max_upload_mb=2.0, max_faces=6000)  # the mug: 137 kB, 4124 faces; the dilate editor: 1.8 MB
    editors = {**available_editors(), "identity-default-spec": IdentityEditor(DEFAULT_SPEC)}
    threads = torch.get_num_threads()
    demo, url = serve_in_background(limits=limits, editors=editors,
                                    workspace=Workspace(tmp_path_factory.mktemp("ui-work")),
                                    settings=PreviewSettings(resolution=VIEW_PIXELS, mesh_resolution=64))
    client = Client(url, verbose=False, download_files=str(tmp_path_factory.mktemp("ui-downloads")))
    yield client, limits
    client.close()
    demo.close()
    torch.set_num_threads(threads)  # launch() set one thread for the whole process


@pytest.fixture(scope="module")
def fitted(app):
    """The /fit outputs for the shipped mug."""
    client, _ = app
    return client.predict([handle_file(MUG)], FIT_STEPS, False, api_name="/fit")


def test_fit_outputs_are_real_files(fitted):
    render, model, gallery, metrics, downloads, edit_input = fitted
    image = np.asarray(Image.open(render))
    assert image.shape == (VIEW_PIXELS, 4 * VIEW_PIXELS + 3 * 4, 3)  # 4 views side by side, 4 px gaps
    assert image.min() < 200 and (image == 255).any()  # a shaded shape on a white background

    mesh = trimesh.load(model, force="mesh")
    assert Path(model).suffix == ".glb" and len(mesh.faces) > 100
    assert np.abs(mesh.bounds).max() <= 1.01  # marching cubes stays in the unit cube (+ grid slack)

    names = sorted(Path(d["path"] if isinstance(d, dict) else d).name for d in downloads)
    assert names == ["mug.glb", "mug.safetensors"]
    inr_file = next(Path(d) for d in downloads if str(d).endswith(".safetensors"))
    inr, meta = load_inr(inr_file, expected_spec=DEFAULT_SPEC)
    assert meta["fit"]["config"]["steps"] == FIT_STEPS
    assert meta["source"]["faces"] == len(load_mesh(MUG).mesh.faces)  # the shipped mug, as uploaded
    assert [row[0] for row in metrics["data"]] == ["mug"] and "final_loss" in metrics["headers"]
    assert len(edit_input) == 1 and Path(edit_input[0]).name == "mug.safetensors"  # handed to the Edit tab


def test_identity_edit(app, fitted):
    client, _ = app
    inr_file = next(Path(d) for d in fitted[4] if str(d).endswith(".safetensors"))
    before, after, gallery, metrics, downloads = client.predict(
        [handle_file(inr_file)], "identity", 1.0, api_name="/edit"
    )
    assert np.array_equal(np.asarray(Image.open(before)), np.asarray(Image.open(fitted[0])))  # same cameras
    # identity: the after-render equals the before-render.
    assert np.array_equal(np.asarray(Image.open(after)), np.asarray(Image.open(before)))
    after_mesh = next(Path(d) for d in downloads if str(d).endswith(".glb"))
    assert after_mesh.name == "mug_identity.glb" and len(trimesh.load(after_mesh, force="mesh").faces) > 100

    row = dict(zip(metrics["headers"], metrics["data"][0]))
    assert row["iou_before_after"] == 1.0 and row["volume_change"] == 0.0
    assert 0 < row["volume_before"] < 8 and 0 <= row["symmetry_before"] <= 1

    edited_file = next(Path(d) for d in downloads if str(d).endswith(".safetensors"))
    assert edited_file.name == "mug_identity.safetensors"
    edited, meta = load_inr(edited_file, expected_spec=DEFAULT_SPEC)
    original, _ = load_inr(inr_file)
    assert all(torch.equal(a, b) for a, b in zip(edited.weights, original.weights))
    assert meta["edit"]["name"] == "identity" and meta["edit"]["strength"] == 1.0


def assert_handle_pixels_gone(drawn_before: np.ndarray, drawn_after: np.ndarray) -> None:
    """Masks of drawn pixels: the edit removes a handle's worth of them and draws (almost) nothing new."""
    removed, added = (drawn_before & ~drawn_after).sum(), (drawn_after & ~drawn_before).sum()
    assert removed > 0.03 * drawn_before.sum() and added < 0.005 * drawn_before.sum()


def test_remove_handle_on_the_prefitted_mug(app):
    """The shipped editor on the shipped pre-fitted mug: the handle goes, the body stays."""
    from inredit_ui.app import EXAMPLE_INRS

    client, _ = app
    assert "remove-handle" in available_editors()  # shipped in inredit/edits/learning/zoo/
    before, after, gallery, metrics, downloads = client.predict(
        [handle_file(EXAMPLE_INRS / "mug.safetensors")], "remove-handle", 1.0, api_name="/edit"
    )
    assert_handle_pixels_gone(*((np.asarray(Image.open(p).convert("L")) < 250) for p in (before, after)))
    row = dict(zip(metrics["headers"], metrics["data"][0]))
    assert -0.5 < row["volume_change"] < -0.02  # the handle's volume, not the whole mug
    assert 0.7 < row["iou_before_after"] < 0.99
    edited, meta = load_inr(next(Path(d) for d in downloads if str(d).endswith(".safetensors")))
    assert meta["edit"]["name"] == "remove-handle" and edited.spec == DEFAULT_SPEC


def test_exact_edits_take_axis_and_radius(app):
    """The exact editors in the Edit tab: symmetrize across the chosen axis widens the INR and makes
    it mirror-symmetric; a bad radius is a message in the page."""
    from inredit_ui.app import EXAMPLE_INRS

    from inredit.render.grids import inr_occupancy

    client, _ = app
    outputs = client.predict([handle_file(EXAMPLE_INRS / "composition.safetensors")], "symmetrize", 1.0, "z", 0.05,
                             api_name="/edit")
    edited, meta = load_inr(next(Path(d) for d in outputs[4] if str(d).endswith(".safetensors")))
    assert edited.spec.width == 2 * DEFAULT_SPEC.width and meta["edit"]["editor"]["axis"] == "z"
    occupancy = inr_occupancy(edited, 32).reshape(32, 32, 32)
    assert (occupancy == occupancy[:, :, ::-1]).mean() > 0.99
    with pytest.raises(Exception, match="radius must be in|maximum"):  # ours, or gradio's own range check
        client.predict([handle_file(EXAMPLE_INRS / "vase.safetensors")], "dilate", 1.0, "x", 3.0, api_name="/edit")


def assert_union_silhouette(drawn: np.ndarray) -> None:
    """Drawn pixels of the Combine render (rows A, B, result; 4 px gaps): result = A or B, IoU > 0.97."""
    height = (drawn.shape[0] - 8) // 3
    drawn_a, drawn_b, drawn_result = (drawn[k * (height + 4):k * (height + 4) + height] for k in range(3))
    expected = drawn_a | drawn_b
    assert (expected & drawn_result).sum() / (expected | drawn_result).sum() > 0.97


def test_an_uploaded_editor_file_replaces_the_chosen_edit(app):
    """A trained editor file (here the shipped remove-handle, as a user's own would be) is used
    instead of the dropdown's edit; a file that is not an editor is a one-line message."""
    from inredit_ui.app import EXAMPLE_INRS, editor_card_markdown, uploaded_editor

    from inredit.edits.registry import ZOO

    client, _ = app
    editor_file = ZOO / "remove-handle.safetensors"
    outputs = client.predict([handle_file(EXAMPLE_INRS / "mug.safetensors")], "identity", 1.0, "x", 0.05,
                             handle_file(editor_file), api_name="/edit")
    row = dict(zip(outputs[3]["headers"], outputs[3]["data"][0]))
    assert row["volume_change"] < -0.02  # the handle went: not the identity chosen in the dropdown
    _, meta = load_inr(next(Path(d) for d in outputs[4] if str(d).endswith(".safetensors")))
    assert meta["edit"]["name"] == "remove-handle"
    card = editor_card_markdown(uploaded_editor(editor_file))
    assert card.startswith("**remove-handle**") and DEFAULT_SPEC.short_name in card and "trained on" in card
    with pytest.raises(Exception, match="mug.safetensors"):
        client.predict([handle_file(EXAMPLE_INRS / "mug.safetensors")], "identity", 1.0, "x", 0.05,
                       handle_file(EXAMPLE_INRS / "mug.safetensors"), api_name="/edit")


def test_combine_tab_is_exact(app):
    """Union of two shipped INRs: a wider INR whose occupancy is the union of the inputs' grids, A-B-result
    renders whose result silhouette is the union of A's and B's; A minus A is empty; one file is an error."""
    from inredit_ui.app import EXAMPLE_INRS

    client, _ = app
    mug, ring = EXAMPLE_INRS / "mug.safetensors", EXAMPLE_INRS / "ring_with_peg.safetensors"
    render, metrics, downloads = client.predict(handle_file(mug), handle_file(ring), "union", api_name="/combine")
    row = dict(zip(metrics["headers"], metrics["data"][0]))
    assert row["shape"] == "mug_union_ring_with_peg" and row["iou_vs_union_of_grids"] > 0.99
    assert row["volume_result"] >= max(row["volume_a"], row["volume_b"]) and row["width"] == 2 * DEFAULT_SPEC.width

    assert_union_silhouette(np.asarray(Image.open(render).convert("L")) < 250)

    combined, meta = load_inr(next(Path(d) for d in downloads if str(d).endswith(".safetensors")))
    from inredit.files import file_sha256

    assert meta["edit"]["name"] == "union"
    assert [i["sha256"] for i in meta["edit"]["inputs"]] == [file_sha256(mug), file_sha256(ring)]  # provenance
    assert any(str(d).endswith(".glb") for d in downloads)

    _, metrics, _ = client.predict(handle_file(mug), handle_file(mug), "difference", api_name="/combine")
    assert dict(zip(metrics["headers"], metrics["data"][0]))["volume_result"] < 0.01  # A minus A: nothing left
    with pytest.raises(Exception, match="combine needs two INR files"):
        client.predict(handle_file(mug), None, "union", api_name="/combine")


def test_several_inrs_give_gallery_and_zip(app, fitted, tmp_path):
    client, _ = app
    inr_file = next(Path(d) for d in fitted[4] if str(d).endswith(".safetensors"))
    second = tmp_path / "copy" / inr_file.name  # same name, other folder: must not collide
    second.parent.mkdir()
    second.write_bytes(inr_file.read_bytes())
    outputs = client.predict([handle_file(inr_file), handle_file(second)], "identity", 0.5, api_name="/edit")
    gallery, metrics, downloads = outputs[2], outputs[3], outputs[4]
    gallery = gallery["value"] if isinstance(gallery, dict) else gallery  # sent as gr.update(visible=...)
    assert len(gallery) == 2 and len(metrics["data"]) == 2
    archive = next(Path(d) for d in downloads if str(d).endswith(".zip"))
    import zipfile

    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
    assert {"mug_identity.safetensors", "mug_2_identity.safetensors", "mug_identity.glb"} <= names


# -- bad uploads: a clear message each, and the app keeps serving --------------------------------


def write_nan_inr(path: Path) -> Path:
    """A well-formed INR file whose weights contain NaN (save_inr refuses to write one)."""
    from safetensors.torch import save_file

    inr = init_weights(DEFAULT_SPEC)
    tensors = {f"weight.{i}": w[0].clone().contiguous() for i, w in enumerate(inr.weights)}
    tensors["weight.1"][3, 5] = float("nan")
    header = {"format": FORMAT, "spec": DEFAULT_SPEC.to_dict(), "metadata": {}}
    save_file(tensors, str(path), metadata={METADATA_KEY: json.dumps(header)})
    return path


def bad_files(tmp_path: Path) -> tuple[Path, Path, Path, Path, Path]:
    """A text file named .obj, a too-dense mesh, a too-large file, an INR of another spec, NaN weights."""
    garbage = tmp_path / "notamesh.obj"
    garbage.write_text("this is not a mesh\n")
    dense = tmp_path / "dense.ply"
    trimesh.creation.icosphere(subdivisions=5).export(dense)  # 20480 faces > the test limit of 6000
    huge = tmp_path / "huge.obj"
    huge.write_text("v 0 0 0\n" * 400_000)  # 3.2 MB > the test limit of 2 MB
    other_spec = save_inr(tmp_path / "width16.safetensors", init_weights(INRSpec(width=16)))
    nan = write_nan_inr(tmp_path / "nan.safetensors")
    return garbage, dense, huge, other_spec, nan


def bad_uploads(tmp_path: Path) -> list[tuple[str, list, str]]:
    """(endpoint, arguments, expected message part) for each kind of bad upload."""
    garbage, dense, huge, other_spec, nan = bad_files(tmp_path)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(nan.read_bytes()[:300])
    return [
        ("/fit", [[handle_file(garbage)], FIT_STEPS, False], "notamesh.obj: "),
        ("/fit", [[handle_file(dense)], FIT_STEPS, False], "more than the limit of 6000"),
        ("/fit", [[handle_file(huge)], FIT_STEPS, False], "exceeds the maximum file size"),  # refused at upload
        ("/edit", [[handle_file(other_spec)], "identity-default-spec", 1.0], "needs INRs of spec"),
        ("/edit", [[handle_file(nan)], "identity", 1.0], "NaN"),
        ("/edit", [[handle_file(truncated)], "identity", 1.0], "truncated.safetensors: "),
        ("/edit", [[], "identity", 1.0], "no INR files given"),
    ]


def test_bad_uploads_give_clear_errors_and_app_keeps_serving(app, fitted, tmp_path):
    client, _ = app
    inr_file = next(Path(d) for d in fitted[4] if str(d).endswith(".safetensors"))
    for endpoint, args, expected in bad_uploads(tmp_path):
        with pytest.raises(Exception) as info:
            client.predict(*args, api_name=endpoint)
        message = str(info.value)
        assert expected in message, (endpoint, message)
        assert "Traceback" not in message and "/tmp/gradio" not in message
        good = client.predict([handle_file(inr_file)], "identity", 1.0, api_name="/edit")  # still serving
        assert Path(good[1]).exists()


def test_shipped_example_inrs_match_the_default_spec():
    from inredit_ui.app import EXAMPLE_INRS

    files = sorted(EXAMPLE_INRS.glob("*.safetensors"))
    assert [f.stem for f in files] == ["composition", "mug", "ring_with_peg", "vase"]
    for path in files:
        _, meta = load_inr(path, expected_spec=DEFAULT_SPEC)  # else: re-make them (see their README)
        assert meta["metrics"]["iou"] > 0.98
