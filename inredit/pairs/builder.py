"""Build a paired dataset in shards: fit originals (or reuse another dataset's), fit edited targets warm-started from them.

Layout of DIR:
    config.json                    the resolved config (a re-run with another config is refused)
    shards/shard-00000.safetensors original.weight.{l}, target.weight.{l}: (S, out, in);
                                   target_points (S, K, 3), target_sdf (S, K); JSON records
    index.json, card.json, CARD.md written by `merge` once every shard exists

Each shard is built from seeds alone and written atomically, so a killed run loses at most the
shard in flight and a re-run produces exactly what an uninterrupted run would. Worker i of n
builds shards k with k % n == i; any worker (or `--merge`) merges the index.
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from inredit.errors import InreditError
from inredit.files import atomic_write, atomic_write_text
from inredit.fitting.optimize import FitConfig, fit_batch, stack_samples
from inredit.geometry.metrics import grid_points, iou
from inredit.geometry.sampling import SamplingConfig, sample_shape_sdf
from inredit.inr.io import load_inr
from inredit.inr.weights import INRWeights
from inredit.pairs.card import write_card
from inredit.pairs.config import ORIGINAL_KEYS, PairConfig
from inredit.pairs.sources import make_source
from inredit.render.grids import inr_occupancy

SHARD_FORMAT = "inredit.pairs/1"
REFIT_SEED_STRIDE = 10_000_000  # seeds of refit k: the refit-0 seed + k * stride (more than any n_pairs)


class SkippedPairWarning(UserWarning):
    """A row of a user's pairs CSV that cannot become a pair (the build goes on without it)."""

Progress = Callable[[str, int, int], None]


def shard_path(out_dir: Path, shard: int) -> Path:
    return Path(out_dir) / "shards" / f"shard-{shard:05d}.safetensors"


def read_shard_header(path: Path) -> dict:
    try:
        with safe_open(str(path), framework="pt") as f:
            header = json.loads((f.metadata() or {})["inredit"])
    except Exception as exc:  # noqa: BLE001 - any unreadable shard is reported the same way
        raise InreditError(f"not a readable pair shard ({type(exc).__name__})", path) from None
    if header.get("format") != SHARD_FORMAT:
        raise InreditError(f"not a pair shard (format {header.get('format')!r})", path)
    return header


def shard_is_done(path: Path, config: PairConfig) -> bool:
    if not path.exists():
        return False
    try:
        return read_shard_header(path)["config_digest"] == config.digest()
    except InreditError:
        return False  # half-written or foreign leftovers are rebuilt


def residual_ratio(original: INRWeights, target: INRWeights) -> np.ndarray:
    """||theta_target - theta_original|| / ||theta_original|| per pair."""
    diff = sum((t - o).flatten(1).pow(2).sum(1) for o, t in zip(original.weights, target.weights))
    norm = sum(o.flatten(1).pow(2).sum(1) for o in original.weights)
    return (diff.sqrt() / norm.sqrt()).numpy()


def stored_target_samples(config: PairConfig, shard: int, sources, originals, targets) -> tuple[np.ndarray, np.ndarray]:
    """Exact target SDF samples kept for editor training, `(S, K, 3)` and `(S, K)`.

    Part come from the target's own samples (around the edited surface), part are the original's
    sample points with the target's SDF: that is where the shape changes (e.g. the handle that
    must disappear), which the target's samples alone barely cover.
    """
    rng = np.random.default_rng([config.seed, shard, 1] + ([config.refit] if config.refit else []))
    n_original = int(round(config.stored_target_samples * config.stored_original_fraction))
    n_target = config.stored_target_samples - n_original
    points, sdf = [], []
    for source, original, target in zip(sources, originals, targets):
        at_original = original.points[rng.choice(len(original.points), n_original, replace=False)]
        keep = rng.choice(len(target.sdf), n_target, replace=False)
        points.append(np.concatenate([target.points[keep], at_original]))
        sdf.append(np.concatenate([target.sdf[keep], source.target.signed_distance(at_original)]).astype(np.float32))
    return np.stack(points).astype(np.float32), np.stack(sdf)


def build_shard(config: PairConfig, shard: int, on_step: Callable[[int], None] | None = None) -> tuple[dict, dict]:
    """Fit one shard's originals and targets; returns (tensors, header)."""
    start_time = time.perf_counter()
    indices = range(shard * config.shard_size, min((shard + 1) * config.shard_size, config.n_pairs))
    sources, skipped = [], []
    for i in indices:
        try:
            sources.append(make_source(config, i))
        except InreditError as exc:  # a user's unusable mesh pair: one line, counted in the card
            warnings.warn(f"pair {i} skipped: {exc}", SkippedPairWarning, stacklevel=2)
            skipped.append({"index": i, "accepted": False, "skipped": str(exc), "position": None})
    if not sources:  # every row of this shard was unusable: a shard of records only
        return {"empty": torch.zeros(1)}, _shard_header(config, shard, start_time, skipped)
    sampling = dataclasses.replace(SamplingConfig(), n_points=config.n_samples, surface_fraction=config.surface_fraction,
                                   near_fraction=config.near_fraction)
    seed_offset = REFIT_SEED_STRIDE * config.refit
    originals = [sample_shape_sdf(s.original, sampling, seed=s.index + seed_offset) for s in sources]
    targets = [sample_shape_sdf(s.target, sampling, seed=s.index + seed_offset) for s in sources]

    fit_original = FitConfig(steps=config.original_steps, points_per_step=config.points_per_step, seed=shard + seed_offset,
                             leak=config.leak)
    fit_target = FitConfig(steps=config.target_steps, points_per_step=config.points_per_step, lr=config.target_lr,
                           seed=shard + seed_offset)
    if config.originals:
        original = reused_originals(config, shard)
    else:
        points, sdf = stack_samples([s.points for s in originals], [s.sdf for s in originals])
        template = load_inr(config.template, expected_spec=config.spec)[0] if config.template else None
        original = fit_batch(points, sdf, config.spec, fit_original, init=template, on_step=on_step).inr
    points, sdf = stack_samples([s.points for s in targets], [s.sdf for s in targets])
    offset = original_fit_steps(config)
    target = fit_batch(points, sdf, config.spec, fit_target, init=original,
                       on_step=(lambda step: on_step(offset + step)) if on_step else None).inr

    grid = grid_points(config.iou_resolution)
    occupancy_original, occupancy_target = inr_occupancy(original, config.iou_resolution), inr_occupancy(target, config.iou_resolution)
    ratios = residual_ratio(original, target)
    stored_points, stored_sdf = stored_target_samples(config, shard, sources, originals, targets)

    records = []
    for j, s in enumerate(sources):
        iou_original = iou(occupancy_original[j], s.original.occupancy(grid))
        iou_target = iou(occupancy_target[j], s.target.occupancy(grid))
        records.append({
            "index": s.index, "seed": s.seed, "split": s.split, "family": s.family, "params": s.params,
            "normalization": s.normalization,
            "iou_original": iou_original, "iou_target": iou_target, "residual_ratio": float(ratios[j]),
            "accepted": bool(min(iou_original, iou_target) >= config.quality_floor), "position": j,
        })
    records += skipped
    tensors = {f"original.weight.{l}": w.contiguous() for l, w in enumerate(original.weights)}
    tensors |= {f"target.weight.{l}": w.contiguous() for l, w in enumerate(target.weights)}
    tensors["target_points"], tensors["target_sdf"] = torch.from_numpy(stored_points), torch.from_numpy(stored_sdf)
    return tensors, _shard_header(config, shard, start_time, records)


def original_fit_steps(config: PairConfig) -> int:
    return 0 if config.originals else config.original_steps


def check_reusable_originals(config: PairConfig) -> None:
    """The dataset `config.originals` is complete and has this config's shapes and fits (raises otherwise)."""
    source_dir = Path(config.originals)
    index_file = source_dir / "index.json"
    if not index_file.exists():
        raise InreditError("no index.json: originals can only be reused from a complete dataset", source_dir)
    theirs, mine = json.loads(index_file.read_text())["config"], config.to_dict()
    differing = [key for key in ORIGINAL_KEYS if theirs.get(key) != mine.get(key)]
    if differing:
        raise InreditError(f"its originals are not this config's: they differ in {', '.join(differing)}", source_dir)


def reused_originals(config: PairConfig, shard: int) -> INRWeights:
    """Shard `shard`'s originals from the dataset `config.originals` (checked by `prepare_output`)."""
    tensors = load_file(str(shard_path(Path(config.originals), shard)))
    return INRWeights(config.spec, [tensors[f"original.weight.{l}"] for l in range(len(config.spec.layer_shapes()))])


def _shard_header(config: PairConfig, shard: int, start_time: float, records: list[dict]) -> dict:
    return {"format": SHARD_FORMAT, "config_digest": config.digest(), "shard": shard, "spec": config.spec.to_dict(),
            "seconds": time.perf_counter() - start_time, "finished": time.time(), "records": records}


def write_shard(config: PairConfig, out_dir: Path, shard: int, on_step: Callable[[int], None] | None = None) -> Path:
    """Build one shard and write it atomically (what a local worker or a Ray task does)."""
    tensors, header = build_shard(config, shard, on_step)
    path = shard_path(out_dir, shard)
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={"inredit": json.dumps(header)}))
    return path


def prepare_output(out_dir: Path, config: PairConfig) -> None:
    """Create DIR or check it holds a dataset of this very config; check reused originals once, up front."""
    if config.originals:
        check_reusable_originals(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    config_file = out_dir / "config.json"
    if config_file.exists():
        try:
            previous = json.loads(config_file.read_text()).get("digest")
        except json.JSONDecodeError:
            previous = None
        if previous != config.digest():
            raise InreditError("holds a dataset built with another config: use a new --out folder", out_dir)
    else:
        atomic_write_text(config_file, json.dumps({"digest": config.digest(), "config": config.to_dict()}, indent=2))


def build_pairs(config: PairConfig, out_dir: str | Path, shard_index: int = 0, num_shards: int = 1,
                on_progress: Progress | None = None, max_shards: int | None = None) -> dict | None:
    """Build this worker's missing shards; merge the index when all shards exist.

    `max_shards` stops after building that many shards (used to test resuming).
    Returns the card when the dataset is complete, else None.
    """
    out_dir = Path(out_dir)
    if not 0 <= shard_index < num_shards:
        raise InreditError(f"--shard-index {shard_index} must be in [0, {num_shards})")
    prepare_output(out_dir, config)
    mine = [k for k in range(config.n_shards) if k % num_shards == shard_index]
    todo = [k for k in mine if not shard_is_done(shard_path(out_dir, k), config)]
    steps_per_shard = original_fit_steps(config) + config.target_steps
    total = len(todo) * steps_per_shard
    for n, shard in enumerate(todo[:max_shards] if max_shards is not None else todo):
        def on_step(step: int, n: int = n, shard: int = shard) -> None:
            if on_progress is not None and (step % 100 == 0):
                on_progress(f"shard {shard} ({len(mine) - len(todo) + n}/{len(mine)} done)", n * steps_per_shard + step, total)
        write_shard(config, out_dir, shard, on_step)
    if on_progress is not None:
        on_progress("merging", total, total)
    return merge(out_dir, config)


def merge(out_dir: Path, config: PairConfig) -> dict | None:
    """Write index.json and the dataset card if every shard is present (else None)."""
    paths = [shard_path(out_dir, k) for k in range(config.n_shards)]
    if not all(shard_is_done(p, config) for p in paths):
        return None
    headers = [read_shard_header(p) for p in paths]
    # "position": the pair's row in its shard's tensors (older shards: the record's order)
    pairs = [{"position": j} | r | {"shard": h["shard"]} for h in headers for j, r in enumerate(h["records"])]
    index = {"format": SHARD_FORMAT, "config": config.to_dict(), "digest": config.digest(),
             "shards": [p.name for p in paths], "pairs": pairs}
    atomic_write_text(out_dir / "index.json", json.dumps(index, indent=1))
    # wall clock from the first shard's start to the last shard's end (workers run in parallel)
    wall = max(h["finished"] for h in headers) - min(h["finished"] - h["seconds"] for h in headers)
    return write_card(out_dir, config, pairs, sum(h["seconds"] for h in headers), wall)
