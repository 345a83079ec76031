"""INR files and bad input: every failure is one line naming the file, exit code 2."""

import json

import numpy as np
import pytest
import torch
import trimesh
from safetensors.torch import save_file

from inredit.errors import InreditError
from inredit.geometry.mesh_io import UP_ROTATIONS, MeshWarning, detect_up, load_mesh
from inredit.inr.io import load_inr, read_header, save_inr
from inredit.inr.spec import INRSpec
from inredit.inr.weights import init_weights


def saved_inr(tmp_path, spec=INRSpec(), name="shape.safetensors"):
    inr = init_weights(spec, 1)
    return save_inr(tmp_path / name, inr, {"note": "test"}), inr


def test_save_load_round_trip(tmp_path):
    path, inr = saved_inr(tmp_path)
    loaded, meta = load_inr(path, expected_spec=INRSpec())
    assert meta == {"note": "test"} and loaded.spec == INRSpec()
    for a, b in zip(loaded.weights, inr.weights):
        assert torch.equal(a, b)
    assert read_header(path)["spec"] == INRSpec().to_dict()
    assert not list(tmp_path.glob(".*.tmp")), "atomic write left a temp file"


def test_truncated_file(tmp_path):
    path, _ = saved_inr(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InreditError, match=str(path)) as exc:
        load_inr(path)
    assert "\n" not in str(exc.value)


def test_header_only_truncation(tmp_path):
    path, _ = saved_inr(tmp_path)
    path.write_bytes(path.read_bytes()[:5])
    with pytest.raises(InreditError, match="not a readable safetensors"):
        load_inr(path)


def test_spec_mismatch(tmp_path):
    path, _ = saved_inr(tmp_path, INRSpec(width=64))
    with pytest.raises(InreditError, match="does not match the expected spec"):
        load_inr(path, expected_spec=INRSpec(width=32))


def test_tensors_that_contradict_the_spec(tmp_path):
    path = tmp_path / "liar.safetensors"
    spec = INRSpec(width=32)
    tensors = {f"weight.{i}": torch.zeros(o, i_ + 1) for i, (o, i_) in enumerate(spec.layer_shapes())}
    header = {"format": "inredit.inr/1", "spec": spec.to_dict(), "metadata": {}}
    save_file(tensors, str(path), metadata={"inredit": json.dumps(header)})
    with pytest.raises(InreditError, match="shape"):
        load_inr(path)


def test_nan_weights_refused_on_load_and_save(tmp_path):
    path = tmp_path / "nan.safetensors"
    spec = INRSpec()
    tensors = {f"weight.{i}": torch.full((o, i_), float("nan")) for i, (o, i_) in enumerate(spec.layer_shapes())}
    save_file(tensors, str(path), metadata={"inredit": json.dumps({"format": "inredit.inr/1", "spec": spec.to_dict()})})
    with pytest.raises(InreditError, match="NaN"):
        load_inr(path)
    inr = init_weights(spec, 1)
    inr.weights[0][0, 0, 0] = float("nan")
    with pytest.raises(InreditError, match="NaN"):
        save_inr(tmp_path / "x.safetensors", inr)


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"a": torch.zeros(2)}, str(path))
    with pytest.raises(InreditError, match="no inredit metadata"):
        load_inr(path)


# -- meshes --------------------------------------------------------------------------------------
def test_missing_mesh(tmp_path):
    with pytest.raises(InreditError, match="file not found"):
        load_mesh(tmp_path / "nope.obj")


def test_text_file_named_obj(tmp_path):
    path = tmp_path / "notes.obj"
    path.write_text("this is not a mesh\njust some words\n")
    with pytest.raises(InreditError, match=r"notes\.obj"):
        load_mesh(path)


def test_empty_mesh(tmp_path):
    path = tmp_path / "empty.ply"
    path.write_text("ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\n"
                    "element face 0\nproperty list uchar int vertex_indices\nend_header\n")
    with pytest.raises(InreditError, match=r"empty\.ply"):
        load_mesh(path)


def test_flat_mesh(tmp_path):
    path = tmp_path / "flat.stl"
    trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], [[0, 1, 2], [1, 3, 2]]).export(path)
    with pytest.raises(InreditError, match="flat or degenerate"):
        load_mesh(path)


def test_non_watertight_mesh_warns_and_loads(tmp_path):
    mesh = trimesh.creation.box()
    mesh.update_faces(np.arange(len(mesh.faces) - 1))  # punch a hole
    path = tmp_path / "open.off"
    mesh.export(path)
    with pytest.warns(MeshWarning, match="not watertight"):
        item = load_mesh(path)
    assert not item.watertight
    assert np.abs(item.mesh.bounds).max() == pytest.approx(0.9)


def test_normalization_transform_is_recorded(box_mesh_file):
    item = load_mesh(box_mesh_file)
    original = trimesh.load(box_mesh_file, force="mesh")
    mapped = trimesh.transform_points(original.vertices, item.transform)
    assert np.allclose(np.sort(mapped, axis=0), np.sort(item.mesh.vertices, axis=0), atol=1e-6)
    assert item.mesh.extents.max() == pytest.approx(1.8)


def _standing_mug():
    from inredit.geometry.families import make_mug, sample_mug_params
    return make_mug(sample_mug_params(np.random.default_rng(3)))  # y-up, stands on a flat foot


@pytest.mark.parametrize("up", ["x", "z"])
def test_a_file_with_another_up_axis_normalizes_like_the_y_up_file(up, tmp_path):
    mug = _standing_mug()
    turned = mug.copy()  # the same object as a file whose up axis is `up`
    turned.apply_transform(np.block([[UP_ROTATIONS[up].T, np.zeros((3, 1))], [np.zeros((1, 3)), np.ones((1, 1))]]))
    mug.export(tmp_path / "y.ply")
    turned.export(tmp_path / f"{up}.ply")
    reference = load_mesh(tmp_path / "y.ply", up="auto")
    for setting in ("auto", up):
        item = load_mesh(tmp_path / f"{up}.ply", up=setting)
        assert item.up == up and reference.up == "y"
        assert np.allclose(item.mesh.bounds, reference.mesh.bounds, atol=1e-6)
        assert np.allclose(item.mesh.center_mass, reference.mesh.center_mass, atol=1e-6)  # the handle is on the same side
        original = trimesh.load(tmp_path / f"{up}.ply", force="mesh")
        mapped = trimesh.transform_points(original.vertices, item.transform)  # recorded matrix: file -> INR frame
        assert np.allclose(np.sort(mapped, 0), np.sort(item.mesh.vertices, 0), atol=1e-6)
    assert load_mesh(tmp_path / f"{up}.ply", up="y").up == "y"  # explicit y keeps the file's frame


def test_a_z_up_binary_copy_of_a_text_file_loads_bit_identical(tmp_path):
    """An OBJ (decimal text, float64) and a z-up binary PLY copy of it (float32, as STL, GLB and
    binary PLY store) are the same object: both load to the same vertices and faces, bit for bit,
    so they give the same samples, INR and edit (the cast and the axis permutation are exact)."""
    _standing_mug().export(tmp_path / "y.obj")
    turned = trimesh.load(tmp_path / "y.obj", force="mesh")
    turned.apply_transform(np.block([[UP_ROTATIONS["z"].T, np.zeros((3, 1))], [np.zeros((1, 3)), np.ones((1, 1))]]))
    turned.export(tmp_path / "z.ply")  # binary PLY: float32 vertices
    y, z = load_mesh(tmp_path / "y.obj", up="auto"), load_mesh(tmp_path / "z.ply", up="auto")
    assert (y.up, z.up) == ("y", "z")
    assert np.array_equal(y.mesh.faces, z.mesh.faces)
    assert np.array_equal(y.mesh.vertices, z.mesh.vertices)


def test_detect_up_keeps_shapes_without_a_flat_base():
    assert detect_up(trimesh.creation.icosphere()) == "y"
    assert detect_up(trimesh.creation.box((1.0, 1.0, 1.0))) == "y"  # a tie: y wins


def test_unknown_up_axis_is_refused(box_mesh_file):
    with pytest.raises(InreditError, match="unknown up axis 'w'"):
        load_mesh(box_mesh_file, up="w")


# -- the CLI turns each into one line on stderr and exit code 2 ------------------------------------
@pytest.mark.parametrize("case", ["missing", "text_obj", "empty", "flat", "truncated", "spec_mismatch"])
def test_cli_bad_input_is_one_line_exit_2(case, tmp_path, run_cli):
    if case == "missing":
        args = ["fit", tmp_path / "missing.obj", "--out", tmp_path / "out"]
    elif case == "text_obj":
        (tmp_path / "t.obj").write_text("hello")
        args = ["fit", tmp_path / "t.obj", "--out", tmp_path / "out"]
    elif case == "empty":
        (tmp_path / "e.stl").write_bytes(b"")
        args = ["fit", tmp_path / "e.stl", "--out", tmp_path / "out"]
    elif case == "flat":
        trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]]).export(tmp_path / "f.ply")
        args = ["fit", tmp_path / "f.ply", "--out", tmp_path / "out"]
    elif case == "truncated":
        path, _ = saved_inr(tmp_path)
        path.write_bytes(path.read_bytes()[:100])
        args = ["render", path, "--out", tmp_path / "out"]
    else:
        path, _ = saved_inr(tmp_path, INRSpec(width=32))
        (tmp_path / "m.ply").write_bytes(b"")
        trimesh.creation.box().export(tmp_path / "m.ply")
        args = ["fit", tmp_path / "m.ply", "--out", tmp_path / "out", "--init-from", path]
    code, out, err = run_cli(*args)
    assert code == 2
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:") and "Traceback" not in err
    assert str(tmp_path) in lines[0].replace("\n", "")


def test_cli_refuses_an_unknown_up_axis_in_one_line(tmp_path, run_cli, box_mesh_file):
    code, _, err = run_cli("fit", box_mesh_file, "--out", tmp_path / "out", "--up", "w")
    assert code == 2 and err.strip() == "error: --up must be one of auto, x, y, z, got 'w'"
    config = tmp_path / "fit.yaml"
    config.write_text("up: sideways\n")
    code, _, err = run_cli("fit", box_mesh_file, "--out", tmp_path / "out", "--config", config)
    assert code == 2 and str(config) in err and "up must be one of auto, x, y, z" in err
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_cli_non_watertight_mesh_warns_and_fits(tmp_path, run_cli):
    mesh = trimesh.creation.box()
    mesh.update_faces(np.arange(len(mesh.faces) - 1))
    path = tmp_path / "open.off"
    mesh.export(path)
    code, out, err = run_cli("fit", path, "--out", tmp_path / "out", "--steps", "300", "--no-metrics")
    assert code == 0, err
    warning_lines = [line for line in err.splitlines() if "warning" in line]
    assert len(warning_lines) == 1 and "not watertight" in warning_lines[0] and "open.off" in warning_lines[0]
    inr, metadata = load_inr(tmp_path / "out" / "open.safetensors")
    assert inr.batch_size == 1 and metadata["source"]["watertight"] is False
