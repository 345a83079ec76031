"""Evaluate editors and baselines on a pair dataset's held-out test split.

Every method is scored against the exact ground-truth edited shape (rebuilt from the pair's seed):
IoU on a grid, Chamfer-L1 of the marching-cubes surface, an edit-specific score, the edit gap
closed = (IoU_method - IoU_identity) / (IoU_direct_fit - IoU_identity) both on the mean IoUs and
per pair (median, 10th and 90th percentile over the pairs whose own gap is at least
`MIN_PAIR_GAP`: a pair whose direct fit is no better than identity has no gap to close), and
latency. Fine-tuning (the oracle baseline) gets the pair's stored target samples, all of them;
its times are medians of 3 runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from inredit.edits.learning.baselines import finetune
from inredit.errors import InreditError
from inredit.geometry.edits import handle_region
from inredit.geometry.families import MugParams
from inredit.geometry.metrics import (
    chamfer_and_normal_consistency,
    grid_points,
    iou,
    mirror_occupancy,
)
from inredit.inr.torch_backend import sdf_function
from inredit.inr.weights import INRWeights
from inredit.pairs.config import PairConfig
from inredit.pairs.dataset import PairSplit, load_pairs
from inredit.pairs.sources import make_source, to_family_frame
from inredit.render.grids import extract_mesh, grid_to_mesh, inr_occupancy

MIN_PAIR_GAP = 0.005  # IoU the direct fit must gain over identity for a pair's own gap closed to mean anything
FINETUNE_TIMING_REPEATS = 3


@dataclass
class GroundTruth:
    occupancy: np.ndarray  # (N, R^3) exact edited shapes
    meshes: list  # exact edited surfaces (for Chamfer)
    handle: np.ndarray | None  # (N, R^3) handle regions (remove-handle only)


def pair_config_of(data_dir: Path) -> PairConfig:
    index = json.loads((Path(data_dir) / "index.json").read_text())
    config = dict(index["config"])
    from inredit.inr.spec import INRSpec

    config["spec"] = INRSpec.from_dict(config["spec"])
    config["splits"] = tuple(config["splits"])
    return PairConfig(**config)


def ground_truth(config: PairConfig, records: list[dict], resolution: int) -> GroundTruth:
    grid = grid_points(resolution)
    occupancy, meshes, handles = [], [], []
    for record in records:
        source = make_source(config, record["index"])
        occupancy.append(source.target.occupancy(grid))
        if hasattr(source.target, "mesh"):
            meshes.append(source.target.mesh)
        else:  # offset shapes have no mesh: marching cubes of the exact SDF
            sdf = source.target.signed_distance(_corner_grid(96)).reshape(96, 96, 96)
            meshes.append(grid_to_mesh(sdf))
        if config.edit == "remove-handle":
            handles.append(handle_region(MugParams(**record["params"]), to_family_frame(grid, source.normalization)))
    return GroundTruth(np.stack(occupancy), meshes, np.stack(handles) if handles else None)


def _corner_grid(resolution: int) -> np.ndarray:
    axis = np.linspace(-1, 1, resolution, dtype=np.float32)
    return np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)


def score(edit: str, inr: INRWeights, truth: GroundTruth, resolution: int, chamfer: bool) -> dict:
    occupancy = inr_occupancy(inr, resolution)
    ious = np.array([iou(o, t) for o, t in zip(occupancy, truth.occupancy)])
    result = {"iou": float(ious.mean()), "pair_ious": ious.tolist()}
    if chamfer:
        distances = []
        for i, mesh in enumerate(truth.meshes):
            try:
                distances.append(chamfer_and_normal_consistency(extract_mesh(sdf_function(inr, i), 96), mesh, count=20000)[0])
            except InreditError:
                distances.append(float("nan"))  # no surface at all
        result["chamfer_l1"] = float(np.nanmean(distances)) if not np.all(np.isnan(distances)) else float("nan")
    if edit == "remove-handle":
        handle = truth.handle
        emptied = [(~o[h]).mean() for o, h in zip(occupancy, handle)]
        body = [iou(o[~h], t[~h]) for o, t, h in zip(occupancy, truth.occupancy, handle)]
        result |= {"handle_emptied": float(np.mean(emptied)), "body_iou": float(np.mean(body))}
    elif edit == "symmetrize":
        mirrored = mirror_occupancy(occupancy, resolution)
        result["symmetry_iou"] = float(np.mean([iou(o, m) for o, m in zip(occupancy, mirrored)]))
    return result


def time_call(call: Callable[[], object], repeats: int = 5) -> float:
    """Median wall-clock seconds of `call()`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def edit_call(method) -> Callable[[INRWeights], INRWeights]:
    """The batched edit of a method: a DWSNet / flat-MLP module (put in eval mode) or an `Editor`."""
    if isinstance(method, torch.nn.Module):
        return method.eval()
    return method.edit


@torch.no_grad()
def editor_latency(model, test: PairSplit) -> dict:
    single = test.original.select([0])
    batch = INRWeights.cat([test.original] * (256 // test.original.batch_size + 1)).select(torch.arange(256))
    return {"latency_b1_ms": 1e3 * time_call(lambda: model(single), 20), "latency_b256_s": time_call(lambda: model(batch), 3)}


def evaluate(data_dir: str | Path, editors: dict[str, object], resolution: int = 64,
             finetune_steps: tuple[int, ...] = (25, 50, 100, 200, 400, 800, 1600), chamfer: bool = True,
             max_pairs: int | None = None) -> list[dict]:
    """Rows (one per method) scored on the test split; editors (DWSNet / flat-MLP modules, or any
    `Editor` such as the exact ones) are called with strength 1."""
    data_dir = Path(data_dir)
    config = pair_config_of(data_dir)
    if config.target == "removed":  # its targets are the removed solids, not the edited shapes the methods make
        raise InreditError(f"holds removed-solid targets: evaluate on the edited pairs of the same shapes ({config.originals})",
                           data_dir)
    test = load_pairs(data_dir, "test")
    if max_pairs is not None and test.original.batch_size > max_pairs:
        keep = torch.arange(max_pairs)
        test = PairSplit(test.original.select(keep), test.target.select(keep), test.target_points[keep],
                         test.target_sdf[keep], test.records[:max_pairs])
    truth = ground_truth(config, test.records, resolution)
    n = test.original.batch_size
    rows = [{"method": "identity", **score(config.edit, test.original, truth, resolution, chamfer)},
            {"method": "direct fit (upper bound)", **score(config.edit, test.target, truth, resolution, chamfer)}]
    for name, method in editors.items():
        latency = getattr(method, "measure_latency", True)
        model = edit_call(method)
        with torch.no_grad():
            edited = model(test.original)
            seconds = time_call(lambda: model(test.original), 3)  # warm: the first call pays one-off setup
        rows.append({"method": name, **score(config.edit, edited, truth, resolution, chamfer),
                     "seconds_per_inr": seconds / n, **(editor_latency(model, test) if latency else {})})
    finetune(test.original, test.target_points, test.target_sdf, 5)  # warm-up, as for the editors
    for steps in finetune_steps:
        results = []
        seconds = time_call(lambda: results.append(finetune(test.original, test.target_points, test.target_sdf, steps)),
                            FINETUNE_TIMING_REPEATS)
        rows.append({"method": f"fine-tune {steps} steps", **score(config.edit, results[0], truth, resolution, False),
                     "seconds_per_inr": seconds / n, "finetune_steps": steps,
                     "finetune_samples_per_pair": int(test.target_points.shape[1])})
    add_gap_closed(rows)
    for row in rows:
        row["edit"], row["test_pairs"] = config.edit, n
    return rows


def add_gap_closed(rows: list[dict]) -> None:
    """Gap closed on mean IoUs and per pair; rows[0] is identity, rows[1] the direct fit."""
    base, top = rows[0]["iou"], rows[1]["iou"]
    pair_base, pair_top = np.array(rows[0]["pair_ious"]), np.array(rows[1]["pair_ious"])
    has_gap = pair_top - pair_base >= MIN_PAIR_GAP
    for row in rows:
        row["gap_closed"] = (row["iou"] - base) / (top - base) if top > base else float("nan")
        per_pair = (np.array(row["pair_ious"]) - pair_base)[has_gap] / (pair_top - pair_base)[has_gap]
        row["pairs_with_gap"] = int(has_gap.sum())
        if has_gap.any():
            p10, median, p90 = np.percentile(per_pair, [10, 50, 90])
            row |= {"gap_closed_median": float(median), "gap_closed_p10": float(p10), "gap_closed_p90": float(p90)}


def finetune_time_to_match(rows: list[dict], method: str) -> dict:
    """Seconds per INR fine-tuning needs to reach `method`'s IoU, and the ratio to the method's time."""
    target = next(r for r in rows if r["method"] == method)
    tuned = sorted((r for r in rows if "finetune_steps" in r), key=lambda r: r["finetune_steps"])
    match = next((r for r in tuned if r["iou"] >= target["iou"]), None)
    if match is None:
        return {"method": method, "finetune_steps_to_match": None, "speedup": f">{tuned[-1]['seconds_per_inr'] / target['seconds_per_inr']:.0f}"}
    return {"method": method, "finetune_steps_to_match": match["finetune_steps"],
            "speedup": match["seconds_per_inr"] / target["seconds_per_inr"]}
