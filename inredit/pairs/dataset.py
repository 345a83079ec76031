"""Read a built pair dataset (for editor training and evaluation)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file

from inredit.errors import InreditError
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights
from inredit.pairs.builder import shard_path


@dataclass
class PairSplit:
    original: INRWeights
    target: INRWeights
    target_points: torch.Tensor  # (N, K, 3)
    target_sdf: torch.Tensor  # (N, K)
    records: list[dict]


def load_pairs(out_dir: str | Path, split: str) -> PairSplit:
    """Accepted pairs of one split (train / val / test), in index order."""
    out_dir = Path(out_dir)
    index_file = out_dir / "index.json"
    if not index_file.exists():
        raise InreditError("no index.json: the dataset is incomplete (re-run make-pairs to finish it)", out_dir)
    index = json.loads(index_file.read_text())
    spec = INRSpec.from_dict(index["config"]["spec"])
    chosen = [p for p in index["pairs"] if p["accepted"] and p["split"] == split]
    if not chosen:
        raise InreditError(f"no accepted pairs in split {split!r}", out_dir)
    by_shard: dict[int, list[dict]] = {}
    for p in chosen:
        by_shard.setdefault(p["shard"], []).append(p)
    parts: dict[str, list[torch.Tensor]] = {}
    for shard, records in sorted(by_shard.items()):
        tensors = load_file(str(shard_path(out_dir, shard)))
        rows = torch.tensor([r["position"] for r in records])
        for key, value in tensors.items():
            parts.setdefault(key, []).append(value[rows])
    stacked = {k: torch.cat(v) for k, v in parts.items()}
    n_layers = len(spec.layer_shapes())
    original = INRWeights(spec, [stacked[f"original.weight.{l}"] for l in range(n_layers)])
    target = INRWeights(spec, [stacked[f"target.weight.{l}"] for l in range(n_layers)])
    original.validate(out_dir)
    target.validate(out_dir)
    records = [r for _, rs in sorted(by_shard.items()) for r in rs]
    return PairSplit(original, target, stacked["target_points"], stacked["target_sdf"], records)


def load_training_pairs(data_dir: str | Path, refit_dirs: list[str | Path] = (),
                        extra_dirs: list[str | Path] = ()) -> PairSplit:
    """The train split of `data_dir`, then the train splits of refits of it and of extra datasets.

    A refit has the same config but `refit` and `leak` (the same shapes, splits and edits, fitted
    again, maybe with a leaky start). An
    extra dataset has the same edit and spec but other shapes (another seed or family). Neither can
    bring a validation or test shape of `data_dir` into training: a refit splits its shapes the same
    way, and an extra dataset of the same family and seed, whose shapes would be `data_dir`'s, is refused.
    """
    splits = [load_pairs(out_dir, "train") for out_dir in [data_dir, *refit_dirs, *extra_dirs]]  # each complete
    main = _config_without_refit(data_dir)
    for refit_dir in refit_dirs:
        if _config_without_refit(refit_dir) != main:
            raise InreditError(f"not a refit of {data_dir}: its pair config differs in more than 'refit' and 'leak'", refit_dir)
    for extra_dir in extra_dirs:
        extra = _config_without_refit(extra_dir)
        for key in ("edit", "spec"):
            if extra[key] != main[key]:
                raise InreditError(f"extra pairs of another {key} than {data_dir}: {extra[key]} vs {main[key]}", extra_dir)
        if (extra["family"], extra["seed"]) == (main["family"], main["seed"]):
            raise InreditError(f"has the shapes of {data_dir} (same family and seed): use it as refit data, "
                               "or build the extra pairs with another seed", extra_dir)

    def stacked(side: str) -> INRWeights:
        layers = zip(*(getattr(split, side).weights for split in splits))
        return INRWeights(splits[0].original.spec, [torch.cat(layer) for layer in layers])

    return PairSplit(stacked("original"), stacked("target"),
                     torch.cat([x.target_points for x in splits]), torch.cat([x.target_sdf for x in splits]),
                     [r for x in splits for r in x.records])


def _config_without_refit(out_dir: str | Path) -> dict:
    config = json.loads((Path(out_dir) / "index.json").read_text())["config"]
    config.pop("refit", None)
    config.pop("leak", None)  # how the originals were fitted, as `refit`
    config.pop("originals", None)  # where they were fitted
    return config
