"""Batched fitting: independence of INRs in a batch, warm start, quality, resumable output."""

import dataclasses

import numpy as np
import pytest
import torch
import trimesh

from inredit.errors import InreditError
from inredit.fitting.job import FitJob
from inredit.fitting.meshes import (
    DEAD_ZONE_RETRIES,
    LONG_REFIT_LR,
    LONG_REFIT_STEPS,
    RETRY_LEAK,
    RETRY_SEED_STRIDE,
    FitWarning,
    fit_meshes,
)
from inredit.fitting.optimize import (
    FitConfig,
    dead_inside_share,
    fit_batch,
    stack_samples,
)
from inredit.geometry.mesh_io import from_trimesh
from inredit.geometry.sampling import SamplingConfig, sample_sdf
from inredit.inr.io import load_inr
from inredit.inr.spec import INRSpec
from inredit.inr.torch_backend import forward
from inredit.inr.weights import INRWeights, init_weights

SMALL = INRSpec(width=16, n_hidden_layers=2, n_frequencies=4)
FEW_SAMPLES = SamplingConfig(n_points=20_000)


def shape_samples(mesh):
    s = sample_sdf(from_trimesh(mesh), FEW_SAMPLES)
    return s.points, s.sdf


def test_each_inr_trains_as_if_alone():
    a = shape_samples(trimesh.creation.icosphere(radius=0.6))
    b = shape_samples(trimesh.creation.box(extents=(1.2, 0.5, 0.9)))
    config = FitConfig(steps=60, points_per_step=256)
    together = fit_batch(*stack_samples([a[0], b[0]], [a[1], b[1]]), SMALL, config).inr
    alone = fit_batch(*stack_samples([b[0]], [b[1]]), SMALL, config).inr
    for w_together, w_alone in zip(together.weights, alone.weights):
        torch.testing.assert_close(w_together[1], w_alone[0], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(together.weights[0][0], together.weights[0][1])


def test_fit_learns_the_shape():
    points, sdf = shape_samples(trimesh.creation.icosphere(radius=0.5))
    result = fit_batch(*stack_samples([points], [sdf]), SMALL, FitConfig(steps=600, points_per_step=512))
    probe = torch.tensor([[0.0, 0.0, 0.0], [0.95, 0.95, 0.95], [0.0, 0.0, 0.85]])
    values = forward(result.inr, probe)[0]
    assert values[0] < 0 < values[1]  # centre inside, corner outside
    assert abs(values[2].item()) < 0.05  # a surface point of the (normalized) sphere
    assert result.final_loss[0] < 0.01


def test_warm_start_starts_from_given_weights_and_checks_spec():
    points, sdf = shape_samples(trimesh.creation.icosphere(radius=0.5))
    first = fit_batch(*stack_samples([points], [sdf]), SMALL, FitConfig(steps=300, points_per_step=512))
    zero_steps = fit_batch(*stack_samples([points], [sdf]), SMALL, FitConfig(steps=0), init=first.inr)
    for a, b in zip(zero_steps.inr.weights, first.inr.weights):
        assert torch.equal(a, b)
    with pytest.raises(InreditError, match="warm-start"):
        fit_batch(*stack_samples([points], [sdf]), SMALL, FitConfig(steps=1), init=init_weights(INRSpec(), 1))


def test_dead_inside_share_counts_inside_samples_where_the_fit_is_exactly_zero():
    points, sdf = shape_samples(trimesh.creation.icosphere(radius=0.5))
    fitted = fit_batch(*stack_samples([points], [sdf]), SMALL, FitConfig(steps=300, points_per_step=512)).inr
    dead = INRWeights(SMALL, [w.clone() for w in fitted.weights])
    dead.weights[-2][:, : SMALL.width // 2] = 0.0  # half of the last hidden layer's units never fire
    dead.weights[-1][:, :, SMALL.width // 2 :] = 0.0  # and the output reads only those: f == 0 everywhere
    batch = stack_samples([points, points], [sdf, sdf])
    share = dead_inside_share(INRWeights.cat([fitted, dead]), *batch)
    assert share[0] < 0.005 and share[1] == 1.0


def test_a_fit_with_dead_zones_warns(tmp_path):
    path = mesh_files(tmp_path, 1)
    zero_output = init_weights(SMALL, 1)
    zero_output.weights[-1].zero_()  # f == 0 everywhere: every inside sample is dead
    job = dataclasses.replace(small_job(), fit=FitConfig(steps=0))
    with pytest.warns(FitWarning, match="exactly 0 at 100.0 % of the inside samples"):
        record = fit_meshes(path, tmp_path / "out", job, init=zero_output)[0]
    assert record.metrics["dead_inside_samples"] == 1.0
    assert record.metrics["fit_attempts"] == 1 + DEAD_ZONE_RETRIES  # refitted from other samples first


def test_a_shape_left_with_dead_zones_is_refitted_and_the_better_fit_kept(tmp_path, monkeypatch):
    import inredit.fitting.meshes as meshes_module

    calls = []

    def first_fit_dead(inr, points, sdf):  # the first fit of shape 1 has dead zones, its refit none
        calls.append(inr.batch_size)
        return np.array([0.0, 0.3]) if len(calls) == 1 else np.zeros(inr.batch_size)

    monkeypatch.setattr(meshes_module, "dead_inside_share", first_fit_dead)
    job = dataclasses.replace(small_job(), fit=FitConfig(steps=20, points_per_step=64))
    records = fit_meshes(mesh_files(tmp_path, 2), tmp_path / "out", job)
    assert calls == [2, 1]  # one refit, of the one shape that needed it
    assert [r.metrics["fit_attempts"] for r in records] == [1, 2]
    assert [r.metrics["dead_inside_samples"] for r in records] == [0.0, 0.0]
    seeds = [load_inr(r.path)[1]["fit"]["config"]["seed"] for r in records]
    assert seeds == [job.fit.seed, job.fit.seed + RETRY_SEED_STRIDE]  # recorded: a re-run gives the same INR
    leaks = [load_inr(r.path)[1]["fit"]["config"]["leak"] for r in records]
    assert leaks == [0.0, RETRY_LEAK]  # the refit starts leaky, the first fit is plain


def test_a_fit_below_the_iou_floor_gets_one_long_refit_and_the_better_iou_is_kept(tmp_path, monkeypatch):
    import inredit.fitting.meshes as meshes_module

    scores = iter([0.97, 0.80, 0.60,  # first fits of shapes 0, 1, 2; 1 and 2 are below 0.9
                   0.88, 0.50])  # their long refits: better for 1, worse for 2
    steps = []

    def metrics(inr, mesh):
        steps.append(mesh.path.stem)
        return {"iou": next(scores)}

    monkeypatch.setattr(meshes_module, "inr_vs_mesh_metrics", metrics)
    job = dataclasses.replace(small_job(), metrics=True, batch_size=3, fit=FitConfig(steps=20, points_per_step=64))
    records = fit_meshes(mesh_files(tmp_path, 3), tmp_path / "out", job)
    assert steps == ["shape0", "shape1", "shape2", "shape1", "shape2"]  # only the low ones are refitted
    assert [r.metrics["iou"] for r in records] == [0.97, 0.88, 0.60]
    assert [r.metrics["fit_attempts"] for r in records] == [1, 2, 2]
    configs = [load_inr(r.path)[1]["fit"]["config"] for r in records]
    assert configs[0]["steps"] == configs[2]["steps"] == 20 and configs[2]["leak"] == 0.0  # the first fit kept
    assert configs[1]["steps"] == 20 * LONG_REFIT_STEPS and configs[1]["lr"] == pytest.approx(job.fit.lr * LONG_REFIT_LR)
    assert configs[1]["leak"] == RETRY_LEAK


def test_a_leaky_start_revives_a_net_whose_units_are_all_off():
    points, sdf = shape_samples(trimesh.creation.icosphere(radius=0.5))
    dead = init_weights(SMALL, 1)
    dead.weights[-2] = -dead.weights[-2].abs()  # inputs of the last hidden layer are >= 0: every unit off everywhere
    batch = stack_samples([points], [sdf])
    config = FitConfig(steps=400, points_per_step=512)
    plain = fit_batch(*batch, SMALL, config, init=dead).inr
    leaky = fit_batch(*batch, SMALL, dataclasses.replace(config, leak=RETRY_LEAK), init=dead).inr
    assert dead_inside_share(plain, *batch)[0] == 1.0  # no gradient reaches a unit that is off: f stays 0
    assert dead_inside_share(leaky, *batch)[0] < 0.005
    leaky_values = forward(leaky, torch.as_tensor(points, dtype=torch.float32))[0].numpy()
    away = np.abs(sdf) > 0.02  # the plain ReLU net it ends as fits the sphere (sign right off the surface)
    assert ((leaky_values < 0) == (sdf < 0))[away].mean() > 0.99


def test_the_leak_anneals_to_plain_relu_by_half_the_steps():
    config = FitConfig(steps=100, leak=0.3)
    assert config.slope_at(0) == pytest.approx(0.3) and 0 < config.slope_at(25) < 0.3
    assert config.slope_at(50) == 0.0 and config.slope_at(99) == 0.0
    assert FitConfig().slope_at(0) == 0.0


def small_job(**kw):
    return FitJob(spec=SMALL, fit=FitConfig(steps=150, points_per_step=256), sampling=FEW_SAMPLES, batch_size=2,
                  metrics=False, **kw)


def mesh_files(tmp_path, n=3):
    paths = []
    for i in range(n):
        path = tmp_path / "meshes" / f"shape{i}.ply"
        path.parent.mkdir(exist_ok=True)
        trimesh.creation.box(extents=(1.0, 0.5 + 0.1 * i, 0.8)).export(path)
        paths.append(path)
    return paths


def test_fit_meshes_writes_one_file_per_shape_and_resumes(tmp_path):
    paths = mesh_files(tmp_path)
    out = tmp_path / "out"
    first = fit_meshes(paths, out, small_job())
    assert [r.skipped for r in first] == [False] * 3
    files = sorted(out.glob("*.safetensors"))
    assert [f.stem for f in files] == ["shape0", "shape1", "shape2"]
    inr, meta = load_inr(files[0], expected_spec=SMALL)
    assert meta["source"]["sha256"] and meta["normalization"]["scale"] > 0

    # simulate a job killed after its first file: delete the others, re-run -> only those refit
    mtime = files[0].stat().st_mtime_ns
    files[1].unlink()
    files[2].write_bytes(b"half a file")  # a torn write from some other tool: refitted, not trusted
    second = fit_meshes(paths, out, small_job())
    assert [r.skipped for r in second] == [True, False, False]
    assert files[0].stat().st_mtime_ns == mtime
    load_inr(files[2])  # valid again


def test_changed_source_mesh_is_refitted(tmp_path):
    paths = mesh_files(tmp_path, 1)
    out = tmp_path / "out"
    fit_meshes(paths, out, small_job())
    trimesh.creation.icosphere().export(paths[0])
    assert fit_meshes(paths, out, small_job())[0].skipped is False


def test_fit_metrics_are_recorded(tmp_path):
    paths = mesh_files(tmp_path, 1)
    job = dataclasses.replace(small_job(), metrics=True, fit=FitConfig(steps=400, points_per_step=512))
    record = fit_meshes(paths, tmp_path / "out", job)[0]
    assert 0.5 < record.metrics["iou"] <= 1.0
    assert 0 < record.metrics["chamfer_l1"] < 0.1
    assert 0 < record.metrics["normal_consistency"] <= 1.0


def test_cli_fit_render_info(tmp_path, run_cli):
    paths = mesh_files(tmp_path, 1)
    config = tmp_path / "fit.yaml"
    config.write_text(
        "spec: {width: 16, n_hidden_layers: 2, n_frequencies: 4}\n"
        "fit: {steps: 100, points_per_step: 256}\nsampling: {n_points: 20000}\nbatch_size: 4\n"
    )
    code, out, err = run_cli("fit", *paths, "--out", tmp_path / "inrs", "--config", config, "--no-metrics")
    assert code == 0, err
    assert "shape0" in out and "fitted" in out
    code, out, err = run_cli("fit", *paths, "--out", tmp_path / "inrs", "--config", config, "--no-metrics")
    assert code == 0 and "skipped" in out
    inr_file = tmp_path / "inrs" / "shape0.safetensors"
    code, out, err = run_cli("render", inr_file, "--out", tmp_path / "renders", "--mesh", "--resolution", "48",
                             "--views", "2", "--mesh-resolution", "48")
    assert code == 0, err
    png = tmp_path / "renders" / "shape0.png"
    assert png.stat().st_size > 0 and (tmp_path / "renders" / "shape0.glb").stat().st_size > 0
    from PIL import Image

    image = np.asarray(Image.open(png))
    assert image.shape[0] == 48 and image.std() > 5  # something was drawn
    code, out, err = run_cli("info", inr_file)
    assert code == 0 and '"width": 16' in out and "sha256" in out


def test_config_rejects_unknown_keys(tmp_path, run_cli):
    config = tmp_path / "bad.yaml"
    config.write_text("fit: {stepz: 3}\n")
    code, _, err = run_cli("fit", tmp_path / "x.obj", "--out", tmp_path, "--config", config)
    assert code == 2 and "stepz" in err and "bad.yaml" in err


def test_default_config_file_matches_code_defaults():
    from pathlib import Path

    from inredit.fitting.job import load_fit_job

    path = Path(__file__).resolve().parent.parent / "configs" / "fit" / "default.yaml"
    assert load_fit_job(path) == FitJob()


def test_demo_writes_inr_renders_mesh_and_prints_metrics(tmp_path, run_cli):
    code, out, err = run_cli("demo", "--out", tmp_path, "--steps", "300")
    assert code == 0, err
    for name in ("mug.safetensors", "mug.png", "mug.glb", "mug_vs_source.png", "composition.safetensors",
                 "composition_symmetrize.safetensors", "composition_symmetrize_before_after.png",
                 "mug_remove-handle.safetensors"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert "iou" in out and "mug" in out and "mirror symmetry IoU" in out


@pytest.mark.parametrize("text, message", [
    ("fit: {steps: many}\n", "fit.steps: Input should be a valid integer"),
    ("spec: {width: 33}\n", "width 33 is not one of"),
    ("batch_size: [1]\n", "batch_size: Input should be a valid integer"),
    ("spec: {widht: 32}\n", "unknown keys ['widht'] in 'spec'"),
    ("base: job.yaml\n", "a cycle"),
    ("base: missing.yaml\n", "missing.yaml not found"),
    ("base: [1]\n", "base: must be the path"),
])
def test_a_bad_fit_config_is_one_line_naming_the_file_and_field(tmp_path, run_cli, text, message):
    config = tmp_path / "job.yaml"
    config.write_text(text)
    code, _, err = run_cli("fit", tmp_path / "x.obj", "--out", tmp_path, "--config", config)
    assert code == 2 and message in err and str(config) in err and len(err.strip().splitlines()) == 1


def test_a_config_can_start_from_a_base_file_and_override_keys(tmp_path):
    from inredit.fitting.job import load_fit_job

    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "base.yaml").write_text("batch_size: 8\nspec: {width: 32, n_hidden_layers: 3}\nfit: {steps: 500}\n")
    (tmp_path / "variant.yaml").write_text("base: common/base.yaml\nspec: {n_hidden_layers: 2}\n")
    job = load_fit_job(tmp_path / "variant.yaml")
    # the variant's nested key wins, the base's other keys stay, the rest are code defaults
    assert (job.spec.width, job.spec.n_hidden_layers, job.fit.steps, job.batch_size) == (32, 2, 500, 8)
    assert job.fit.lr == FitJob().fit.lr
