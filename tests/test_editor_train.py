import json

import pytest
import torch
from safetensors.torch import load_file

from inredit.edits.learning.augment import (
    mirror_batch,
    permute_batch,
    random_axis_orders,
    random_neuron_scales,
    random_reflections,
    random_translations,
    rescale_batch,
    translate_batch,
)
from inredit.edits.learning.checkpoint import load_editor, save_editor
from inredit.edits.learning.dwsnet import DWSNet
from inredit.edits.learning.train import (
    anchored_loss,
    change_weights,
    cut_loss,
    evaluate_loss,
    function_loss,
    sample_weights,
    train_editor,
)
from inredit.edits.learning.train_config import TrainConfig
from inredit.errors import InreditError
from inredit.inr.spec import INRSpec
from inredit.pairs.builder import build_pairs
from inredit.pairs.config import PairConfig
from inredit.pairs.dataset import load_pairs


@pytest.fixture(scope="module")
def tiny_pairs(tmp_path_factory):
    out = tmp_path_factory.mktemp("pairs")
    config = PairConfig(edit="dilate", family="composition", n_pairs=16, shard_size=8, n_samples=20000,
                        original_steps=400, target_steps=150, quality_floor=0.0, iou_resolution=32,
                        stored_target_samples=512, splits=(0.5, 0.25, 0.25),
                        # 400-step fits: exact-surface samples pin the zero level within so few steps
                        # (the full-length default drops them; see geometry/sampling.py)
                        surface_fraction=0.2, near_fraction=0.35)
    build_pairs(config, out)
    return out


def small(data, **changes):
    return TrainConfig(**({"data": str(data), "edit": "dilate", "channels": 8, "n_layers": 3, "epochs": 4,
                           "batch_size": 4, "points_per_pair": 256, "lr": 3e-3, "warmup_steps": 5} | changes))


def test_training_lowers_the_validation_loss_and_writes_an_editor(tiny_pairs, tmp_path):
    config = small(tiny_pairs, epochs=20)
    state = train_editor(config, tmp_path)
    history = state["history"]
    model, header = load_editor(tmp_path / "editor.safetensors")
    assert header["edit"] == "dilate" and header["spec"] == INRSpec().to_dict()
    untrained = DWSNet(INRSpec(), 8, 3)  # starts at the identity edit
    val = load_pairs(tiny_pairs, "val")
    untrained.set_input_statistics(load_pairs(tiny_pairs, "train").original)
    assert evaluate_loss(model, val, config.truncation) == pytest.approx(min(h["val_loss"] for h in history), rel=1e-4)
    assert min(h["val_loss"] for h in history) < 0.9 * evaluate_loss(untrained, val, config.truncation)


def assert_augmented_pairs_stay_exact(tiny_pairs, tmp_path, train, augmented, **augmentation) -> None:
    """An exact augmentation changes the weights, keeps a perfect editor's loss (the targets stay
    exact), and training with it still learns the edit."""
    original, target, points = augmented
    assert not torch.equal(original.weights[0], train.original.weights[0])
    torch.testing.assert_close(function_loss(target, points, train.target_sdf, 0.1),
                               function_loss(train.target, train.target_points, train.target_sdf, 0.1))
    state = train_editor(small(tiny_pairs, epochs=20, lr=1e-2, **augmentation), tmp_path)
    untrained = DWSNet(INRSpec(), 8, 3)  # the identity edit
    untrained.set_input_statistics(train.original)
    assert min(h["val_loss"] for h in state["history"]) < 0.9 * evaluate_loss(untrained, load_pairs(tiny_pairs, "val"), 0.1)


def test_mirrored_pairs_keep_their_targets_exact(tiny_pairs, tmp_path):
    train = load_pairs(tiny_pairs, "train")
    signs = random_reflections(train.original.batch_size, 3, (0, 2), torch.Generator().manual_seed(0))
    assert torch.all(signs[:, 1] == 1) and torch.any(signs[:, 0] == -1) and torch.any(signs[:, 2] == -1)
    assert_augmented_pairs_stay_exact(tiny_pairs, tmp_path, train, mirror_batch(
        train.original, train.target, train.target_points, signs), augment_reflections=(0, 2))
    with pytest.raises(ValueError, match="axes 0, 1, 2"):
        small(tiny_pairs, augment_reflections=(3,))


def test_moved_pairs_keep_their_targets_exact(tiny_pairs, tmp_path):
    train = load_pairs(tiny_pairs, "train")
    offsets = random_translations(train.original.batch_size, 3, (1, 2), 0.1, torch.Generator().manual_seed(0))
    assert torch.all(offsets[:, 0] == 0) and offsets[:, 1:].abs().max() <= 0.1 and offsets[:, 1:].abs().min() > 0
    assert_augmented_pairs_stay_exact(tiny_pairs, tmp_path, train, translate_batch(
        train.original, train.target, train.target_points, offsets), augment_translations=(0, 1, 2))
    with pytest.raises(ValueError, match="augment_translations takes axes"):
        small(tiny_pairs, augment_translations=(-1,))


def test_pairs_with_exchanged_axes_keep_their_targets_exact(tiny_pairs, tmp_path):
    train = load_pairs(tiny_pairs, "train")
    orders = random_axis_orders(train.original.batch_size, 3, (0, 2), torch.Generator().manual_seed(0))
    assert torch.all(orders[:, 1] == 1) and torch.all(orders.sort(dim=1).values == torch.arange(3))
    assert torch.any(orders[:, 0] == 2)
    assert_augmented_pairs_stay_exact(tiny_pairs, tmp_path, train, permute_batch(
        train.original, train.target, train.target_points, orders), augment_axis_swaps=(0, 1, 2))
    with pytest.raises(ValueError, match="two or more axes"):
        small(tiny_pairs, augment_axis_swaps=(1,))


def test_rescaled_pairs_keep_their_targets_exact(tiny_pairs, tmp_path):
    train = load_pairs(tiny_pairs, "train")
    scales = random_neuron_scales(train.original, 0.5, torch.Generator().manual_seed(0))
    assert all(s.min() >= 0.6 and s.max() <= 1.65 and s.std() > 0.1 for s in scales)  # within e^-0.5 .. e^0.5
    original, target = rescale_batch(train.original, train.target, scales)
    assert_augmented_pairs_stay_exact(tiny_pairs, tmp_path, train, (original, target, train.target_points),
                                      augment_rescaling=0.5)
    with pytest.raises(ValueError, match="augment_rescaling"):
        small(tiny_pairs, augment_rescaling=-0.1)


def test_change_weights_mark_the_samples_an_edit_changes():
    from inredit.inr.torch_backend import forward
    from inredit.inr.weights import init_weights

    inr = init_weights(INRSpec(), batch_size=2)
    points = torch.rand(2, 100, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        sdf = forward(inr, points)
    sdf[:, :10] = -torch.sign(sdf[:, :10]) * 0.05  # the edit flips these samples' side
    weights = change_weights(inr, points, sdf, 0.1, 4.0)
    assert torch.all(weights[:, :10] == 5.0) and torch.all(weights[:, 10:] == 1.0)
    # the weighted loss of the unedited INR is its mean error over the weighted samples
    loss = function_loss(inr, points, sdf, 0.1, weights)
    plain = function_loss(inr, points, sdf, 0.1)
    assert torch.all(loss > plain)

    # inside_weight: the samples inside the target weigh 1 + inside_weight, on top of the change weights
    inside = sdf < 0
    config = TrainConfig(changed_weight=4.0, inside_weight=2.0)
    combined = sample_weights(inr, points, sdf, config)
    torch.testing.assert_close(combined, weights * torch.where(inside, 3.0, 1.0))
    assert sample_weights(inr, points, sdf, TrainConfig()) is None
    with pytest.raises(ValueError, match="inside_weight must be >= 0"):
        TrainConfig(inside_weight=-1.0)


def test_anchored_loss_asks_for_the_input_where_it_already_agrees_with_the_target(tiny_pairs, tmp_path):
    from inredit.inr import ops
    from inredit.inr.torch_backend import forward
    from inredit.inr.weights import init_weights

    inr = init_weights(INRSpec(), batch_size=2)
    points = torch.rand(2, 100, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        inr.weights[-1] *= 0.05 / forward(inr, points).abs().max()  # values within +-0.05
        before = forward(inr, points)
    sdf = before + 0.004 * torch.sign(before)  # the target agrees: same side, 0.004 away
    sdf[:, :10] = before[:, :10] + 0.05  # the edit moves the surface here
    sdf[:, 10:20] = -before[:, 10:20]  # and flips these samples' side (within the band for some)
    assert (before[:, 10:20].abs() < 0.005).any()  # a flipped sample the band alone would have anchored
    changed = torch.cat([torch.full((2, 10), 0.05), 2 * before[:, 10:20].abs()], dim=1).sum(dim=1)
    # the identity edit: no cost where the input agrees, the target's L1 elsewhere
    torch.testing.assert_close(anchored_loss(inr, inr, points, sdf, 0.1, band=0.01), changed / 100)
    # moving the surface by 0.002 everywhere costs 0.002^2 / (2 * 0.01) at each anchored sample (Huber)
    moved = ops.offset(inr, -0.002)
    with torch.no_grad():
        moved_changed = (forward(moved, points)[:, :20] - sdf[:, :20]).abs().sum(dim=1)
    torch.testing.assert_close(anchored_loss(moved, inr, points, sdf, 0.1, band=0.01), (moved_changed + 80 * 0.0002) / 100)
    for bad, message in (({"anchor_band": 0.1}, "anchor_band must be in"), ({"anchor_band": 0.01, "cut": True}, "plain edits only")):
        with pytest.raises(ValueError, match=message):
            small(tiny_pairs, **bad)
    # an editor trains with it (it leaves the identity edit) and records it
    train_editor(small(tiny_pairs, epochs=3, lr=1e-2, anchor_band=0.01), tmp_path)
    assert json.loads((tmp_path / "train_config.json").read_text())["anchor_band"] == 0.01
    model, _ = load_editor(tmp_path / "editor.safetensors")
    val = load_pairs(tiny_pairs, "val").original
    with torch.no_grad():
        assert max((e - o).abs().max() for e, o in zip(model(val).weights, val.weights)) > 1e-2


def test_cut_loss_asks_for_the_target_where_material_goes_and_a_margin_below_it_elsewhere():
    from inredit.inr import ops
    from inredit.inr.torch_backend import forward
    from inredit.inr.weights import init_weights

    inr = init_weights(INRSpec(), batch_size=2)
    points = torch.rand(2, 100, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        inr.weights[-1] *= 0.05 / forward(inr, points).abs().max()  # every sample inside the band
        sdf = forward(inr, points)
    sdf[:, :10] += 0.05  # the edit removes material at these samples
    expected = {  # field: (removed error at 10 % of the samples, kept error at 90 %)
        "f + 0.05 (the target where material goes, above it elsewhere)": (ops.offset(inr, -0.05), 0.0, 0.05 + 0.02),
        "f - 0.03 (a margin below the target where nothing changes)": (ops.offset(inr, 0.03), 0.08, 0.0),
        "f (no cut)": (inr, 0.05, 0.02),
    }
    for name, (field, removed, kept) in expected.items():
        loss = cut_loss(inr, field, points, sdf, truncation=0.1, margin=0.02)
        torch.testing.assert_close(loss, torch.full((2,), 0.1 * removed + 0.9 * kept), rtol=1e-4, atol=1e-6, msg=name)


def test_a_cut_editor_trains_saves_and_loads(tiny_pairs, tmp_path):
    train_editor(small(tiny_pairs, epochs=2, cut=True, cut_margin=0.01, unit_output=True), tmp_path)
    model, header = load_editor(tmp_path / "editor.safetensors")
    assert header["architecture"]["cut"] is True and header["architecture"]["unit_output"] is True
    assert model.cut and model.unit_output
    inr = load_pairs(tiny_pairs, "val").original
    with torch.no_grad():
        assert model(inr).spec == model.output_spec(inr.spec) and model.output_spec(inr.spec).width == 128
    for bad in ({"model": "flat-mlp"}, {"weight_loss": 0.1}, {"cut_margin": 0.2}):
        with pytest.raises(ValueError, match="cut"):
            small(tiny_pairs, cut=True, **bad)
    with pytest.raises(ValueError, match="unit_output works with cut editors"):
        small(tiny_pairs, unit_output=True)


def test_mirror_input_channels_train_save_and_load(tiny_pairs, tmp_path):
    train_editor(small(tiny_pairs, epochs=2, mirror_inputs=(0,)), tmp_path)
    model, header = load_editor(tmp_path / "editor.safetensors")
    assert header["architecture"]["mirror_inputs"] == [0] and model.blocks[0].c_in == 2
    inr = load_pairs(tiny_pairs, "val").original
    views = model.input_views(inr)
    assert len(views) == 2 and torch.equal(views[1][0], inr.reflect_inputs(torch.tensor([-1.0, 1.0, 1.0])).weights[0])
    saved = load_file(str(tmp_path / "editor.safetensors"))
    rebuilt = DWSNet(INRSpec(), 8, 3, mirror_inputs=(0,))
    rebuilt.load_state_dict(saved)
    with torch.no_grad():
        for a, b in zip(model(inr).weights, rebuilt(inr).weights):
            torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="mirror_inputs takes axes"):
        small(tiny_pairs, mirror_inputs=(5,))


def test_interrupted_training_resumes_to_the_same_result(tiny_pairs, tmp_path):
    config = small(tiny_pairs, epochs=3)
    train_editor(config, tmp_path / "straight")
    train_editor(config, tmp_path / "resumed", max_epochs=1)  # "killed" after one epoch
    train_editor(config, tmp_path / "resumed")
    a, b = load_file(str(tmp_path / "straight" / "last.safetensors")), load_file(str(tmp_path / "resumed" / "last.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)
    assert json.loads((tmp_path / "resumed" / "history.json").read_text())[-1]["epoch"] == 3


def test_resuming_checks_the_config_but_accepts_runs_from_before_a_new_option(tiny_pairs, tmp_path):
    train_editor(small(tiny_pairs, epochs=2), tmp_path, max_epochs=1)
    with pytest.raises(InreditError, match="another config"):
        train_editor(small(tiny_pairs, epochs=2, lr=1e-2), tmp_path)
    saved = json.loads((tmp_path / "train_config.json").read_text())
    del saved["mirror_inputs"], saved["augment_translations"]  # as written before these options existed
    (tmp_path / "train_config.json").write_text(json.dumps(saved))
    state = train_editor(small(tiny_pairs, epochs=2), tmp_path)
    assert [h["epoch"] for h in state["history"]] == [1, 2]


def test_bad_editor_files_are_one_line_errors(tmp_path):
    model = DWSNet(INRSpec(), 4, 2)
    path = save_editor(tmp_path / "e.safetensors", model, "dilate", {})
    truncated = tmp_path / "t.safetensors"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InreditError, match="t.safetensors: not a readable editor file"):
        load_editor(truncated)
    tensors = load_file(str(path))
    tensors["gamma"] = torch.full_like(tensors["gamma"], float("nan"))
    from safetensors import safe_open
    from safetensors.torch import save_file
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    save_file(tensors, str(tmp_path / "nan.safetensors"), metadata=meta)
    with pytest.raises(InreditError, match="non-finite"):
        load_editor(tmp_path / "nan.safetensors")
    with pytest.raises(InreditError, match="not found"):
        load_editor(tmp_path / "missing.safetensors")


def test_evaluation_scores_every_method_against_exact_ground_truth(tiny_pairs, tmp_path):
    from inredit.edits.learning.evaluate import evaluate

    config = small(tiny_pairs, epochs=20)
    train_editor(config, tmp_path)
    model, _ = load_editor(tmp_path / "editor.safetensors")
    rows = evaluate(tiny_pairs, {"dwsnet": model}, resolution=32, finetune_steps=(10, 200), chamfer=False)
    by_method = {r["method"]: r for r in rows}
    assert set(by_method) == {"identity", "direct fit (upper bound)", "dwsnet", "fine-tune 10 steps", "fine-tune 200 steps"}
    identity, fit = by_method["identity"], by_method["direct fit (upper bound)"]
    assert fit["iou"] > identity["iou"] + 0.05  # dilation changes the shape
    # the trained editor and longer fine-tuning really close part of the gap, on the means and per pair
    assert by_method["dwsnet"]["gap_closed"] > 0.1 and by_method["dwsnet"]["gap_closed_median"] > 0.1
    assert by_method["fine-tune 200 steps"]["gap_closed"] > by_method["fine-tune 10 steps"]["gap_closed"]
    for row in rows:  # per-pair statistics are ordered and come from the pairs with a gap
        assert row["gap_closed_p10"] <= row["gap_closed_median"] <= row["gap_closed_p90"]
        assert row["pairs_with_gap"] == len(identity["pair_ious"]) == identity["test_pairs"]
    assert by_method["fine-tune 200 steps"]["finetune_samples_per_pair"] == 512  # all stored target samples


def test_finetune_time_to_match_picks_the_first_fine_tune_at_least_as_good():
    from inredit.edits.learning.evaluate import finetune_time_to_match

    rows = [{"method": "editor", "iou": 0.9, "seconds_per_inr": 0.01},
            {"method": "fine-tune 10 steps", "iou": 0.8, "seconds_per_inr": 0.05, "finetune_steps": 10},
            {"method": "fine-tune 40 steps", "iou": 0.95, "seconds_per_inr": 0.2, "finetune_steps": 40},
            {"method": "fine-tune 80 steps", "iou": 0.97, "seconds_per_inr": 0.4, "finetune_steps": 80}]
    match = finetune_time_to_match(rows, "editor")
    assert match["finetune_steps_to_match"] == 40 and match["speedup"] == pytest.approx(20.0)
    rows[0]["iou"] = 0.99  # better than every fine-tune: a lower bound on the speed-up
    assert finetune_time_to_match(rows, "editor") == {"method": "editor", "finetune_steps_to_match": None, "speedup": ">40"}


def test_cli_train_evaluate_and_edit_with_an_editor_file(tiny_pairs, tmp_path, run_cli):
    import yaml

    from inredit.inr.io import load_inr, save_inr
    from inredit.inr.weights import init_weights

    config = tmp_path / "editor.yaml"
    config.write_text(yaml.safe_dump({"data": str(tiny_pairs), "edit": "dilate", "channels": 4, "n_layers": 2,
                                      "epochs": 1, "batch_size": 4, "points_per_pair": 128}))
    code, out, err = run_cli("train-editor", "--config", config, "--out", tmp_path / "run")
    assert code == 0, err
    editor_file = tmp_path / "run" / "editor.safetensors"
    assert editor_file.exists() and "best epoch 1" in out

    data = load_pairs(tiny_pairs, "test")
    inr_file = save_inr(tmp_path / "shape.safetensors", data.original.select([0]))
    code, out, err = run_cli("edit", inr_file, "--edit", "dilate", "--editor", editor_file, "--out", tmp_path / "edited",
                             "--mesh-resolution", "64", "--render-size", "64")
    assert code == 0, err
    edited, meta = load_inr(tmp_path / "edited" / "shape_dilate.safetensors")
    assert meta["edit"]["name"] == "dilate" and (tmp_path / "edited" / "shape_dilate_before_after.png").exists()
    model, _ = load_editor(editor_file)
    with torch.no_grad():
        expected = model(data.original.select([0]))
    for a, b in zip(edited.weights, expected.weights):
        torch.testing.assert_close(a, b)

    # wrong edit name for this editor, wrong spec, unknown edit: one-line errors
    code, _, err = run_cli("edit", inr_file, "--edit", "symmetrize", "--editor", editor_file, "--out", tmp_path / "x")
    assert code == 2 and "trained for 'dilate'" in err
    other = save_inr(tmp_path / "w16.safetensors", init_weights(INRSpec(width=16), 1))
    code, _, err = run_cli("edit", other, "--edit", "dilate", "--editor", editor_file, "--out", tmp_path / "x")
    assert code == 2 and "needs INRs of spec" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("edit", inr_file, "--edit", "paint-it-red", "--out", tmp_path / "x")
    assert code == 2 and "unknown edit 'paint-it-red'" in err

    code, out, err = run_cli("evaluate", "--data", tiny_pairs, "--editor", editor_file, "--resolution", "32",
                             "--finetune-steps", "10,40")
    assert code == 0, err
    assert "identity" in out and "direct fit" in out and "fine-tune" in out
    copy = tmp_path / "copy" / editor_file.name  # same file name in another folder: both rows are kept
    copy.parent.mkdir()
    copy.write_bytes(editor_file.read_bytes())
    code, out, err = run_cli("evaluate", "--data", tiny_pairs, "--editor", editor_file, "--editor", copy,
                             "--resolution", "16", "--max-pairs", "1", "--finetune-steps", "")
    assert code == 0, err
    assert f"(copy/{editor_file.stem})" in out and f"({editor_file.parent.name}/{editor_file.stem})" in out
    assert "direct fit" in out and "fine-tune" not in out and "speedup" not in out  # no fine-tune, no comparison


def test_evaluation_scores_exact_editors_beside_learned_ones(tiny_pairs):
    from inredit.edits.exact import ExactEditor
    from inredit.edits.learning.evaluate import evaluate

    rows = evaluate(tiny_pairs, {"exact offset": ExactEditor("dilate", radius=0.05)}, resolution=32,
                    finetune_steps=(), chamfer=False)
    exact = next(r for r in rows if r["method"] == "exact offset")
    # the pairs' own r = 0.05; 400-step tiny fits leave much of the gap in the fits themselves
    assert exact["gap_closed"] > 0.3 and exact["gap_closed_median"] > 0.3
    assert exact["latency_b1_ms"] > 0 and exact["seconds_per_inr"] < 0.01


def test_torchrun_two_processes_train_the_same_editor_as_one(tiny_pairs, tmp_path):
    """`torchrun --nproc-per-node 2` (DistributedDataParallel, gloo on CPU) with the same global batch
    gives the validation losses of a one-process run, up to float summation order."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    from inredit.edits.learning.processes import Processes

    shares = [Processes(rank, 3).share(10) for rank in range(3)]  # each pair in exactly one process
    assert sorted(torch.cat(shares).tolist()) == list(range(10)) and [len(s) for s in shares] == [4, 3, 3]

    config = small(tiny_pairs, epochs=3, augment_translations=(1,), translation_range=0.05)
    train_editor(config, tmp_path / "one")
    config_file = tmp_path / "train.yaml"
    config_file.write_text(yaml.safe_dump(json.loads(json.dumps(config.__dict__))))
    torchrun = Path(sys.executable).parent / "torchrun"
    result = subprocess.run([str(torchrun), "--standalone", "--nproc-per-node", "2", "-m", "inredit.cli",
                             "train-editor", "--config", str(config_file), "--out", str(tmp_path / "two")],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    one = json.loads((tmp_path / "one" / "history.json").read_text())
    two = json.loads((tmp_path / "two" / "history.json").read_text())
    assert [h["epoch"] for h in two] == [1, 2, 3]
    for a, b in zip(one, two):
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-4)
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
    assert load_editor(tmp_path / "two" / "editor.safetensors")[1]["card"]["processes"] == 2
