"""inredit-sdf + ns-edit on CPU: a tiny scene, `ns-train inredit-sdf` for a few iterations (subprocess),
`inredit ns-edit` with the identity editor, `ns-render dataset` from the edited run, bad inputs."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("nerfstudio")

from conftest import REPO  # noqa: E402

from inredit.edits.registry import IdentityEditor  # noqa: E402
from inredit.errors import InreditError  # noqa: E402
from inredit.inr.io import load_inr, save_inr  # noqa: E402
from inredit.inr.spec import DEFAULT_SPEC, INRSpec  # noqa: E402
from inredit.inr.weights import INRWeights  # noqa: E402
from inredit.nerfstudio.checkpoint import GEOMETRY_EXTRA_STATE, GEOMETRY_PREFIX  # noqa: E402
from inredit.nerfstudio.presets import ns_train_args  # noqa: E402
from inredit.nerfstudio.scene import load_scene_spec, make_scene  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(args, cwd, timeout=300):
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """16 views at 32x32; 3 iterations from an INR file, with an identity edit at step 1."""
    root = tmp_path_factory.mktemp("ns")
    scene = root / "tiny"
    make_scene(load_scene_spec(REPO / "scenes" / "nerfstudio" / "mug.yaml", train_views=16, test_views=2, resolution=32), scene)
    from inredit.nerfstudio.model import sphere_inr

    init = sphere_inr(DEFAULT_SPEC, 0.6)  # a stand-in for a fitted INR (`inredit fit`)
    generator = torch.Generator().manual_seed(3)
    init = INRWeights(DEFAULT_SPEC, [w + 0.01 * torch.randn(w.shape, generator=generator) for w in init.weights])
    init_file = save_inr(root / "init.safetensors", init)
    method, args = ns_train_args(REPO / "configs" / "nerfstudio" / "cpu-test.yaml")
    run([BIN / "ns-train", method, *args, "--output-dir", root / "outputs", "--timestamp", "t0",
         "--pipeline.model.geometry-init", init_file, "--pipeline.model.edit", "identity",
         "--pipeline.model.edit-at-step", "1", "--data", scene], cwd=root)
    run_dir = root / "outputs" / "tiny" / "inredit-sdf" / "t0"
    return {"root": root, "scene": scene, "run": run_dir, "config": run_dir / "config.yml", "init": init_file,
            "hashes": tree_hashes(run_dir)}


def test_method_is_registered_for_ns_train():
    from nerfstudio.plugins.registry import discover_methods

    methods, descriptions = discover_methods()  # what `ns-train --help` lists
    assert "inredit-sdf" in methods and "inredit" in descriptions["inredit-sdf"]


def test_training_writes_a_plain_checkpoint_from_the_init_inr(trained):
    ckpt = trained["run"] / "nerfstudio_models" / "step-000000002.ckpt"
    state = torch.load(ckpt, map_location="cpu", weights_only=True)  # what nerfstudio's bare torch.load does
    extra = state["pipeline"][GEOMETRY_EXTRA_STATE]
    assert extra["spec"] == DEFAULT_SPEC.to_dict()
    assert [e.get("init") or e.get("edit") for e in extra["edits"]] == [str(trained["init"]), "identity"]
    init, _ = load_inr(trained["init"])
    trained_weights = [state["pipeline"][f"{GEOMETRY_PREFIX}weight_{i}"] for i in range(DEFAULT_SPEC.n_layers)]
    assert all(w.shape == i[0].shape for w, i in zip(trained_weights, init.weights))
    assert not all(torch.equal(w, i[0]) for w, i in zip(trained_weights, init.weights))  # geometry trains
    assert max((w - i[0]).abs().max() for w, i in zip(trained_weights, init.weights)) < 0.01


@pytest.fixture(scope="module")
def edited(trained):
    from inredit.nerfstudio.edit_runs import edit_runs

    results, timings = edit_runs([trained["config"]], IdentityEditor(), trained["root"] / "edited", mesh_resolution=48,
                                 render_resolution=32)
    return results[0], timings


def test_ns_edit_replaces_only_the_geometry_weights(trained, edited):
    result, timings = edited
    assert timings["editor_calls"] == 1
    source = torch.load(trained["run"] / "nerfstudio_models" / "step-000000002.ckpt", weights_only=True)
    out = torch.load(result.checkpoint_path, weights_only=True)
    assert result.checkpoint_path.name == "step-000000002.ckpt"
    expected = IdentityEditor().edit(result.source.inr)
    geometry = {f"{GEOMETRY_PREFIX}weight_{i}" for i in range(DEFAULT_SPEC.n_layers)}
    for i, key in enumerate(sorted(geometry)):
        assert torch.equal(out["pipeline"][key], expected.weights[i][0])
    assert set(out["pipeline"]) == set(source["pipeline"])
    for key, value in source["pipeline"].items():
        if key == GEOMETRY_EXTRA_STATE:
            assert out["pipeline"][key]["edits"][:-1] == value["edits"]
            assert out["pipeline"][key]["edits"][-1]["edit"] == "identity"
        elif key not in geometry:
            assert torch.equal(out["pipeline"][key], value), key
    assert out["step"] == source["step"] and out["scalers"] == source["scalers"]
    assert out["schedulers"] == source["schedulers"]
    for name, opt in source["optimizers"].items():
        assert out["optimizers"][name]["param_groups"] == opt["param_groups"]
        for idx, slots in opt["state"].items():
            for slot, value in slots.items():
                assert torch.equal(out["optimizers"][name]["state"][idx][slot], value)
    # the new run: nerfstudio finds its checkpoint from config.yml, the record and extras are there
    import yaml

    config = yaml.load(result.config_path.read_text(), Loader=yaml.Loader)  # as nerfstudio's eval_setup (our own file)
    assert config.method_name == "inredit-sdf" and config.get_checkpoint_dir() == result.checkpoint_path.parent
    assert config.pipeline.datamanager.data == trained["scene"]
    record = (result.run_dir / "inredit_edit.json").read_text()
    assert '"edit": "identity"' in record and '"checkpoint_sha256"' in record
    assert (result.run_dir / "edited_geometry.ply").exists() and (result.run_dir / "before_after.png").exists()
    assert tree_hashes(trained["run"]) == trained["hashes"]  # the source run is untouched


def test_ns_render_dataset_renders_the_edited_run(trained, edited):
    result, _ = edited
    out = trained["root"] / "renders"
    run([BIN / "ns-render", "dataset", "--load-config", result.config_path, "--output-path", out, "--split", "test",
         "--rendered-output-names", "rgb"], cwd=REPO)  # another working directory than the run's
    images = sorted((out / "test" / "rgb").glob("*"))
    assert len(images) == 2
    from PIL import Image

    assert Image.open(images[0]).size == (32, 32)


def test_ns_edit_cli_edits_eight_runs_in_one_call(trained, run_cli, monkeypatch):
    calls = []
    original = IdentityEditor._edit

    def counting(self, inr, strength):
        calls.append(inr.batch_size)
        return original(self, inr, strength)

    monkeypatch.setattr(IdentityEditor, "_edit", counting)
    configs = []
    for i in range(8):
        copy = trained["root"] / "copies" / f"run{i}"
        shutil.copytree(trained["run"], copy)
        configs.append(copy / "config.yml")
    out = trained["root"] / "edited8"
    code, stdout, err = run_cli("ns-edit", "--load-config", configs[0], *configs[1:], "--edit", "identity",
                                "--output-dir", out, "--mesh-format", "none", "--no-renders")
    assert code == 0, err
    assert calls == [8]
    written = sorted(out.glob("tiny/inredit-sdf/*/nerfstudio_models/step-000000002.ckpt"))
    assert len(written) == 8  # t0, t0_2 … t0_8: same experiment and timestamp, no collision
    assert tree_hashes(trained["run"]) == trained["hashes"]


def _copy_run(trained, name, edit_text=None, with_checkpoint=True):
    target = trained["root"] / "bad" / name
    shutil.copytree(trained["run"], target, ignore=None if with_checkpoint else shutil.ignore_patterns("*.ckpt"))
    if edit_text is not None:
        config = target / "config.yml"
        config.write_text(edit_text(config.read_text()))
    return target / "config.yml"


@pytest.mark.parametrize("case", ["wrong-method", "missing-checkpoint", "unknown-edit", "incompatible-spec",
                                  "missing-config", "not-a-config", "unsafe-yaml"])
def test_bad_inputs_give_one_line_errors(trained, run_cli, monkeypatch, case):
    edit = "identity"
    if case == "wrong-method":
        config = _copy_run(trained, case, lambda t: t.replace("method_name: inredit-sdf", "method_name: nerfacto"))
        message = "method 'nerfacto'"
    elif case == "missing-checkpoint":
        config = _copy_run(trained, case, with_checkpoint=False)
        message = "no checkpoint"
    elif case == "unknown-edit":
        config, edit, message = trained["config"], "paint-it-red", "unknown edit 'paint-it-red'"
    elif case == "incompatible-spec":
        wide = IdentityEditor(INRSpec(width=128))
        wide.name = "wide-only"
        monkeypatch.setattr("inredit.edits.registry.available_editors", lambda: {"wide-only": wide})
        config, edit, message = trained["config"], "wide-only", "needs INRs of spec freq6-w128-h3"
    elif case == "missing-config":
        config, message = trained["root"] / "nowhere" / "config.yml", "file not found"
    elif case == "not-a-config":
        config = trained["root"] / "bad" / "notes.yml"
        config.parent.mkdir(exist_ok=True)
        config.write_text("just: a mapping\n")
        message = "not a nerfstudio run config"
    else:
        config = trained["root"] / "bad" / "evil.yml"
        config.parent.mkdir(exist_ok=True)
        marker = trained["root"] / "bad" / "pwned"
        config.write_text(f"!!python/object/apply:os.system ['touch {marker}']\n")
        message = "not a nerfstudio run config (top level is python/object/apply:os.system"
    out = trained["root"] / f"out-{case}"
    code, stdout, err = run_cli("ns-edit", "--load-config", config, "--edit", edit, "--output-dir", out)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (code, err)
    assert not out.exists()
    if case == "unsafe-yaml":
        assert not marker.exists()
    assert tree_hashes(trained["run"]) == trained["hashes"]


def test_existing_output_run_is_refused(trained, edited):
    from inredit.nerfstudio.edit_runs import edit_runs

    with pytest.raises(InreditError, match="already exists"):
        edit_runs([trained["config"]], IdentityEditor(), trained["root"] / "edited", mesh_format=None, renders=False)


def test_learned_edits_of_trained_geometry_are_canonicalized_first(trained):
    """A geometry volume rendering has trained is refitted by the fit job before a learned edit (auto);
    a frozen mesh fit and exact edits are edited as they are."""
    from inredit.edits.base import Editor
    from inredit.nerfstudio.edit_runs import open_run, should_canonicalize

    learned = type("FakeLearned", (Editor,), {"kind": "learned"})()
    trained_run = open_run(trained["config"])  # geometry_init given, freeze_geometry off: trained
    frozen_run = open_run(_copy_run(trained, "frozen", lambda t: t.replace("freeze_geometry: false", "freeze_geometry: true")))
    sphere_run = open_run(_copy_run(trained, "sphere", lambda t: t.replace("freeze_geometry: false", "freeze_geometry: true")
                                    .replace("geometry_init: !!python/object/apply:pathlib.PosixPath", "geometry_init: null\n    unused_path:")))
    assert frozen_run.config.model("freeze_geometry") is True and sphere_run.config.model("geometry_init") is None
    assert should_canonicalize(trained_run, learned, "auto") and should_canonicalize(sphere_run, learned, "auto")
    assert not should_canonicalize(frozen_run, learned, "auto")
    assert not should_canonicalize(trained_run, IdentityEditor(), "auto")
    assert should_canonicalize(frozen_run, IdentityEditor(), "always") and not should_canonicalize(trained_run, learned, "never")
    with pytest.raises(InreditError, match="canonicalize policy 'sometimes'"):
        should_canonicalize(trained_run, learned, "sometimes")


def test_ns_edit_with_an_exact_widening_edit_distills_back_to_the_run_spec(trained):
    """dilate widens the spec (w64 -> w128); the run's field keeps its spec, so the edit is distilled back."""
    import json

    from inredit.edits.registry import get_editor
    from inredit.nerfstudio.edit_runs import edit_runs
    from inredit.render.grids import inr_occupancy

    dilate = get_editor("dilate", radius=0.08)
    (result,), _ = edit_runs([trained["config"]], dilate, trained["root"] / "dilated", mesh_format=None, renders=False)
    assert result.inr.spec == DEFAULT_SPEC
    record = json.loads((result.run_dir / "inredit_edit.json").read_text())
    wider = dilate.output_spec(DEFAULT_SPEC)
    assert wider.width > DEFAULT_SPEC.width and record["metrics"]["distilled_from_spec"] == wider.short_name
    assert record["metrics"]["distilled_iou_to_exact_edit"] >= 0.95
    before, after = inr_occupancy(result.source.inr, 48)[0], inr_occupancy(result.inr, 48)[0]
    assert after.sum() > 1.1 * before.sum() and (before & ~after).mean() < 0.005  # it grew, kept what was inside
    state = torch.load(result.checkpoint_path, weights_only=True)
    assert state["pipeline"][f"{GEOMETRY_PREFIX}weight_0"].shape == DEFAULT_SPEC.layer_shapes()[0]


def test_ns_edit_symmetrize_gives_a_symmetric_run_that_ns_render_loads(tmp_path):
    """An asymmetric geometry (the shipped pre-fitted composition) in a tiny run; `inredit ns-edit --edit
    symmetrize` distills the exact w64-h4 union back to the run's spec: the geometry is mirror-symmetric."""
    import json

    from inredit_ui.app import EXAMPLE_INRS

    from inredit.render.grids import inr_occupancy

    scene = tmp_path / "tiny"
    make_scene(load_scene_spec(REPO / "scenes" / "nerfstudio" / "composition.yaml", train_views=8, test_views=2,
                               resolution=32), scene)
    method, args = ns_train_args(REPO / "configs" / "nerfstudio" / "cpu-test.yaml")
    run([BIN / "ns-train", method, *args, "--output-dir", tmp_path / "outputs", "--timestamp", "t0",
         "--pipeline.model.geometry-init", EXAMPLE_INRS / "composition.safetensors", "--data", scene], cwd=tmp_path)
    config = tmp_path / "outputs" / "tiny" / "inredit-sdf" / "t0" / "config.yml"
    run([BIN / "inredit", "ns-edit", "--load-config", config, "--edit", "symmetrize", "--axis", "x",
         "--output-dir", tmp_path / "edited", "--mesh-format", "none", "--no-renders"], cwd=tmp_path)
    (edited_config,) = (tmp_path / "edited").glob("tiny/inredit-sdf/*/config.yml")
    record = json.loads((edited_config.parent / "inredit_edit.json").read_text())
    from inredit.edits.registry import get_editor

    wider = get_editor("symmetrize", axis="x").output_spec(DEFAULT_SPEC)
    assert record["metrics"]["distilled_from_spec"] == wider.short_name

    from inredit.geometry.metrics import iou, mirror_occupancy
    from inredit.nerfstudio.edit_runs import open_run

    def symmetry(inr) -> float:
        occupancy = inr_occupancy(inr, 64)[0]
        return iou(occupancy, mirror_occupancy(occupancy, 64))

    source, edited = open_run(config).inr, open_run(edited_config).inr
    assert edited.spec == DEFAULT_SPEC
    assert symmetry(source) < 0.8 and symmetry(edited) >= 0.95, (symmetry(source), symmetry(edited))
    run([BIN / "ns-render", "dataset", "--load-config", edited_config, "--output-path", tmp_path / "renders",
         "--split", "test", "--rendered-output-names", "rgb"], cwd=REPO)
    assert len(list((tmp_path / "renders" / "test" / "rgb").glob("*"))) == 2
