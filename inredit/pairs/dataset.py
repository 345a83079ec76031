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
