import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from inredit.errors import InreditError
from inredit.fitting.optimize import fit_batch
from inredit.pairs.builder import build_pairs, shard_path
from inredit.pairs.config import PairConfig, load_pair_config
from inredit.pairs.dataset import load_pairs, load_training_pairs

CONFIGS = Path(__file__).resolve().parent.parent / "configs" / "pairs"


def tiny(edit="remove-handle", **changes):
    config = load_pair_config(CONFIGS / f"{edit}-tiny.yaml")
    return PairConfig(**(config.__dict__ | changes))


@pytest.mark.parametrize("edit", ["remove-handle", "symmetrize", "dilate"])
def test_tiny_config_builds_a_complete_dataset(edit, tmp_path):
    config = tiny(edit)
    card = build_pairs(config, tmp_path)
    assert card is not None and card["pairs"] == config.n_pairs
    index = json.loads((tmp_path / "index.json").read_text())
    assert [p["index"] for p in index["pairs"]] == list(range(config.n_pairs))
    for p in index["pairs"]:
        assert 0 <= p["iou_original"] <= 1 and 0 <= p["iou_target"] <= 1 and p["residual_ratio"] > 0
    assert "CARD.md" in {f.name for f in tmp_path.iterdir()}
    tensors = load_file(str(shard_path(tmp_path, 0)))
    assert tensors["original.weight.0"].shape == (config.shard_size, config.spec.width, config.spec.n_padded_input_dims)
    assert tensors["target_points"].shape == (config.shard_size, config.stored_target_samples, 3)
    # targets are warm-started: they stay close to their original, far from other shapes' weights
    original, target = tensors["original.weight.1"], tensors["target.weight.1"]
    assert (target[0] - original[0]).norm() < (target[0] - original[1]).norm()


def test_splits_are_by_shape_and_loadable(tmp_path):
    config = tiny(n_pairs=12, shard_size=4, splits=(0.5, 0.25, 0.25), quality_floor=0.0)
    build_pairs(config, tmp_path)
    index = json.loads((tmp_path / "index.json").read_text())
    expected = {split: {p["index"] for p in index["pairs"] if p["split"] == split} for split in ("train", "val", "test")}
    assert all(expected.values())  # seeded: these 12 pairs fall in all three splits
    for split, indices in expected.items():
        data = load_pairs(tmp_path, split)
        assert data.original.batch_size == data.target.batch_size == len(data.records)
        assert {r["index"] for r in data.records} == indices
    assert set().union(*expected.values()) == set(range(12)) and not set.intersection(*expected.values())
    with pytest.raises(InreditError, match="no accepted pairs in split 'holdout'"):
        load_pairs(tmp_path, "holdout")


def test_refits_and_extra_pairs_of_other_shapes_join_only_training(tmp_path):
    config = tiny(n_pairs=12, shard_size=4, splits=(0.5, 0.25, 0.25))
    assert "refit" not in config.to_dict()  # datasets built before refits keep their digest
    refit = PairConfig(**(config.__dict__ | {"refit": 1}))
    assert refit.digest() != config.digest()
    build_pairs(config, tmp_path / "fit0")
    build_pairs(refit, tmp_path / "fit1")
    index0, index1 = (json.loads((tmp_path / d / "index.json").read_text())["pairs"] for d in ("fit0", "fit1"))
    for a, b in zip(index0, index1):  # same shapes, params and splits
        assert (a["index"], a["split"], a["params"]) == (b["index"], b["split"], b["params"])
    w0, w1 = load_file(str(shard_path(tmp_path / "fit0", 0))), load_file(str(shard_path(tmp_path / "fit1", 0)))
    assert not torch.equal(w0["original.weight.1"], w1["original.weight.1"])  # other samples, another fit
    train = load_training_pairs(tmp_path / "fit0", [tmp_path / "fit1"])
    alone = load_pairs(tmp_path / "fit0", "train")
    assert train.original.batch_size == 2 * alone.original.batch_size == len(train.records)
    assert torch.equal(train.original.weights[0][: alone.original.batch_size], alone.original.weights[0])
    assert {r["split"] for r in train.records} == {"train"}
    other = PairConfig(**(config.__dict__ | {"refit": 1, "seed": 5}))  # other shapes: refused
    build_pairs(other, tmp_path / "other")
    with pytest.raises(InreditError, match="not a refit of"):
        load_training_pairs(tmp_path / "fit0", [tmp_path / "other"])
    extra = load_training_pairs(tmp_path / "fit0", extra_dirs=[tmp_path / "other"])  # other shapes: extra data
    assert extra.original.batch_size == alone.original.batch_size + len(load_pairs(tmp_path / "other", "train").records)
    assert {r["split"] for r in extra.records} == {"train"}
    with pytest.raises(InreditError, match="same family and seed"):  # a refit is not extra data
        load_training_pairs(tmp_path / "fit0", extra_dirs=[tmp_path / "fit1"])


def test_a_leaky_refit_fits_its_originals_with_a_leaky_start_and_joins_training(tmp_path, monkeypatch):
    from inredit.pairs import builder

    config = tiny(n_pairs=8, shard_size=8, splits=(0.5, 0.25, 0.25), quality_floor=0.0)
    assert "leak" not in config.to_dict()  # datasets built before leaky refits keep their digest
    leaky = PairConfig(**(config.__dict__ | {"refit": 1, "leak": 0.3}))
    assert leaky.digest() != PairConfig(**(config.__dict__ | {"refit": 1})).digest()
    fits = []
    monkeypatch.setattr(builder, "fit_batch", lambda *a, **k: fits.append(a[3]) or fit_batch(*a, **k))
    build_pairs(config, tmp_path / "fit0")
    build_pairs(leaky, tmp_path / "leaky1")
    assert [fit.leak for fit in fits] == [0.0, 0.0, 0.3, 0.0]  # original, target; leaky original, target
    train = load_training_pairs(tmp_path / "fit0", [tmp_path / "leaky1"])
    assert train.original.batch_size == 2 * load_pairs(tmp_path / "fit0", "train").original.batch_size
    with pytest.raises(ValueError, match="leak"):
        PairConfig(**(config.__dict__ | {"leak": 1.0}))


def test_a_template_is_where_the_originals_start(tmp_path, monkeypatch):
    from inredit.inr.io import save_inr
    from inredit.inr.weights import init_weights
    from inredit.pairs import builder

    config = tiny(n_pairs=4, shard_size=4, splits=(0.5, 0.25, 0.25), quality_floor=0.0)
    assert "template" not in config.to_dict()  # datasets built before templates keep their digest
    start = init_weights(config.spec, 1)
    start.weights[0].mul_(1.7)  # not the shared initialization
    template = save_inr(tmp_path / "template.safetensors", start)
    from_template = PairConfig(**(config.__dict__ | {"template": str(template)}))
    assert from_template.digest() != config.digest()
    starts = []
    monkeypatch.setattr(builder, "fit_batch", lambda *a, **k: starts.append(k.get("init")) or fit_batch(*a, **k))
    build_pairs(from_template, tmp_path / "pairs")
    original_start, target_start = starts
    assert torch.equal(original_start.weights[0][0], start.weights[0][0])
    assert target_start.batch_size == 4  # targets start from their originals, as always


class Killed(Exception):
    pass


def test_killed_build_resumes_to_the_same_content(tmp_path):
    config = tiny(n_pairs=6, shard_size=2)
    build_pairs(config, tmp_path / "straight")

    def kill_in_second_shard(text, done, total):
        if "shard 1" in text:
            raise Killed  # like Ctrl-C in the middle of fitting shard 1

    with pytest.raises(Killed):
        build_pairs(config, tmp_path / "resumed", on_progress=kill_in_second_shard)
    assert shard_path(tmp_path / "resumed", 0).exists() and not shard_path(tmp_path / "resumed", 1).exists()
    assert not list((tmp_path / "resumed" / "shards").glob("*.tmp"))  # no half-written shard left
    build_pairs(config, tmp_path / "resumed")

    for k in range(config.n_shards):
        a, b = load_file(str(shard_path(tmp_path / "straight", k))), load_file(str(shard_path(tmp_path / "resumed", k)))
        assert a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)
    index_a = json.loads((tmp_path / "straight" / "index.json").read_text())["pairs"]
    index_b = json.loads((tmp_path / "resumed" / "index.json").read_text())["pairs"]
    assert index_a == index_b


def test_workers_build_disjoint_shards_and_merge(tmp_path):
    config = tiny(n_pairs=6, shard_size=2)
    assert build_pairs(config, tmp_path, shard_index=0, num_shards=2) is None  # shard 1 still missing
    assert sorted(p.name for p in (tmp_path / "shards").iterdir()) == ["shard-00000.safetensors", "shard-00002.safetensors"]
    card = build_pairs(config, tmp_path, shard_index=1, num_shards=2)
    assert card is not None and card["pairs"] == 6


def test_quality_floor_rejects_and_reports(tmp_path):
    card = build_pairs(tiny(quality_floor=1.01), tmp_path)
    assert card["rejected"] == card["pairs"] and card["accepted"] == 0
    with pytest.raises(InreditError, match="no accepted pairs"):
        load_pairs(tmp_path, "train")


def test_output_folder_of_another_config_is_refused(tmp_path):
    build_pairs(tiny(), tmp_path)
    with pytest.raises(InreditError, match="another config"):
        build_pairs(tiny(seed=5), tmp_path)


def test_cli_make_pairs_and_config_errors(tmp_path, run_cli):
    code, out, err = run_cli("make-pairs", "--config", CONFIGS / "dilate-tiny.yaml", "--out", tmp_path / "d")
    assert code == 0, err
    assert "Pair dataset: dilate" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("edit: paint-it-red\n")
    code, _, err = run_cli("make-pairs", "--config", bad, "--out", tmp_path / "x")
    assert code == 2 and "bad.yaml" in err and "paint-it-red" in err and len(err.strip().splitlines()) == 1
    bad.write_text("edit: dilate\nn_pairz: 3\n")
    code, _, err = run_cli("make-pairs", "--config", bad, "--out", tmp_path / "x")
    assert code == 2 and "n_pairz" in err


def test_cli_local_workers_build_and_merge(tmp_path, run_cli):
    code, out, err = run_cli("make-pairs", "--config", CONFIGS / "symmetrize-tiny.yaml", "--out", tmp_path, "--workers", "2")
    assert code == 0, err
    assert "Pair dataset: symmetrize" in out
    assert len(list((tmp_path / "shards").iterdir())) == 2 and (tmp_path / "index.json").exists()


def test_max_parts_truncates_compositions_without_changing_the_stream():
    from inredit.pairs.config import PairConfig
    from inredit.pairs.sources import make_source

    full = make_source(PairConfig(edit="symmetrize", family="composition"), 3)
    short = make_source(PairConfig(edit="symmetrize", family="composition", max_parts=2), 3)
    assert len(short.params["parts"]) == 2 and short.params["parts"] == full.params["parts"][:2]
    assert short.split == full.split


def test_removed_targets_reuse_the_originals_and_train_a_subtract_editor(tmp_path, monkeypatch):
    from inredit.edits.learning.checkpoint import load_editor
    from inredit.edits.learning.train import train_editor
    from inredit.edits.learning.train_config import TrainConfig
    from inredit.inr.torch_backend import forward
    from inredit.pairs import builder
    from inredit.pairs.sources import make_source

    config = tiny(n_pairs=8, shard_size=4, splits=(0.5, 0.25, 0.25))
    assert not {"target", "removed_margin", "originals"} & set(config.to_dict())  # older datasets keep their digest
    removed = PairConfig(**(config.__dict__ | {"target": "removed", "originals": str(tmp_path / "fit0")}))
    build_pairs(config, tmp_path / "fit0")
    fits = []
    monkeypatch.setattr(builder, "fit_batch", lambda *a, **k: fits.append(a[3]) or fit_batch(*a, **k))
    build_pairs(removed, tmp_path / "removed")
    assert [fit.steps for fit in fits] == [removed.target_steps] * 2  # the originals are reused, not fitted
    for shard in range(2):
        reused, fitted = (load_file(str(shard_path(tmp_path / d, shard))) for d in ("removed", "fit0"))
        assert all(torch.equal(reused[f"original.weight.{l}"], fitted[f"original.weight.{l}"]) for l in range(4))

    # the removed solid holds what the edit removes (the mug outside its body) and nothing of the body
    source, edited = make_source(removed, 0), make_source(config, 0)
    points = np.random.default_rng(0).uniform(-1, 1, (20_000, 3))
    inside, body, mug = source.target.occupancy(points), edited.target.occupancy(points), source.original.occupancy(points)
    handle = mug & ~body
    assert handle.sum() > 50 and inside[handle].all() and not (inside & body).any()
    assert inside.sum() > handle.sum()  # grown by removed_margin
    surface, _ = source.target.surface(2000, seed=0)
    assert np.median(np.abs(source.target.signed_distance(surface))) < 2e-3

    with pytest.raises(InreditError, match="differ in seed"):
        build_pairs(PairConfig(**(removed.__dict__ | {"seed": 5})), tmp_path / "other")
    with pytest.raises(ValueError, match="remove-handle pairs only"):
        PairConfig(edit="dilate", family="mug", target="removed")

    small = {"edit": "remove-handle", "channels": 8, "n_layers": 3, "epochs": 2, "batch_size": 2, "points_per_pair": 256}
    train_editor(TrainConfig(data=str(tmp_path / "removed"), subtract=True, **small), tmp_path / "editor")
    model, header = load_editor(tmp_path / "editor" / "editor.safetensors")
    assert header["architecture"]["subtract"] is True and model.subtract
    inr = load_pairs(tmp_path / "removed", "val").original
    with torch.no_grad():
        edited, solid = model(inr), model(inr, composed=False)
        x = torch.rand(inr.batch_size, 500, 3) * 2 - 1
        assert edited.spec.width == 128 and solid.spec == inr.spec
        f, full = forward(inr, x), forward(edited, x)
        assert torch.allclose(full, torch.maximum(f, -forward(solid, x)), atol=1e-5)
        assert torch.allclose(forward(model(inr, 0.0), x), f, atol=1e-5)  # strength blends the input and the edit
        assert torch.allclose(forward(model(inr, 0.5), x), (f + full) / 2, atol=1e-5)
    with pytest.raises(ValueError, match="subtract"):
        TrainConfig(data=str(tmp_path / "removed"), subtract=True, cut=True, **small)
    from inredit.edits.learning.evaluate import evaluate

    with pytest.raises(InreditError, match="removed-solid targets"):  # scored on the edited pairs of its shapes
        evaluate(tmp_path / "removed", {"subtract": model})
    for data, subtract in (("removed", False), ("fit0", True)):  # a subtract editor needs removed-solid pairs, and only it
        with pytest.raises(InreditError, match="subtract editor"):
            train_editor(TrainConfig(data=str(tmp_path / data), subtract=subtract, **small), tmp_path / f"bad-{data}")
