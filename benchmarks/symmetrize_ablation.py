"""Where symmetrize editors go wrong: per-region scores of trained editor variants on the test pairs.

    .venv/bin/python benchmarks/symmetrize_ablation.py runs/editors/symmetrize runs/editors/symmetrize-mirror ...

For each editor run folder (train-editor output: editor.safetensors, history.json, train_config.json)
prints its training choices that differ from the first run, the epochs it ran (a stopped run counts
its best checkpoint so far), its best validation and last training function loss (comparable only at
equal truncation), and,
against the exact shapes on a 64^3 grid: IoU to the target, the share of the original shape the edit
keeps, the share of the mirrored part (target minus original) it fills, and its volume outside the
target. A perfect symmetrize keeps 1, fills 1 and adds 0. Writes benchmarks/results/symmetrize-ablation.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch_threads import add_threads_argument, apply_threads  # noqa: E402  (benchmarks/ is on sys.path)

from inredit.edits.learning.checkpoint import load_editor  # noqa: E402
from inredit.edits.learning.evaluate import pair_config_of  # noqa: E402
from inredit.edits.learning.train_config import read_run_config  # noqa: E402
from inredit.files import atomic_write_text  # noqa: E402
from inredit.geometry.metrics import grid_points  # noqa: E402
from inredit.pairs.dataset import load_pairs  # noqa: E402
from inredit.pairs.sources import make_source  # noqa: E402
from inredit.render.grids import inr_occupancy  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402


def region_scores(occupancy: np.ndarray, original: np.ndarray, target: np.ndarray) -> dict:
    """Means over pairs of IoU to the target, original kept, mirrored part filled, volume added."""
    mirrored_part = target & ~original
    return {"iou": float(np.mean((occupancy & target).sum(1) / (occupancy | target).sum(1))),
            "original_kept": float(np.mean((occupancy & original).sum(1) / original.sum(1))),
            "mirrored_part_filled": float(np.mean((occupancy & mirrored_part).sum(1) / np.maximum(mirrored_part.sum(1), 1))),
            "added_outside_target": float(np.mean((occupancy & ~target).sum(1) / target.sum(1)))}


def changed_choices(config: dict, reference: dict) -> str:
    keys = [k for k in config if k != "data" and config[k] != reference[k]]
    return ", ".join(f"{k}={config[k]}" for k in keys) or "(reference)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="train-editor output folders")
    parser.add_argument("--data", type=Path, default=REPO / "data" / "pairs" / "symmetrize")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "symmetrize-ablation.md")
    add_threads_argument(parser)
    args = parser.parse_args()
    print(f"# symmetrize ablation ({apply_threads(args.threads)})")

    config = pair_config_of(args.data)
    test = load_pairs(args.data, "test")
    grid = grid_points(args.resolution)
    sources = [make_source(config, r["index"]) for r in test.records]
    original = np.stack([s.original.occupancy(grid) for s in sources])
    target = np.stack([s.target.occupancy(grid) for s in sources])
    rows = [{"method": "identity", "choices": "", **region_scores(inr_occupancy(test.original, args.resolution), original, target)},
            {"method": "direct fit", "choices": "", **region_scores(inr_occupancy(test.target, args.resolution), original, target)}]
    reference = None
    for run in args.runs:
        train_config = read_run_config(run)
        reference = reference or train_config
        history = json.loads((run / "history.json").read_text())
        model, _ = load_editor(run / "editor.safetensors")
        with torch.no_grad():
            occupancy = inr_occupancy(model(test.original), args.resolution)
        rows.append({"method": run.name, "choices": changed_choices(train_config, reference),
                     "epochs_run": len(history),
                     "best_val_loss": min(h["val_loss"] for h in history),
                     "last_train_loss": history[-1]["train_loss"], **region_scores(occupancy, original, target)})
    keys = ["method", "choices", "epochs_run", "best_val_loss", "last_train_loss", "iou", "original_kept", "mirrored_part_filled", "added_outside_target"]
    table = (f"symmetrize editor variants on {len(sources)} test pairs ({args.resolution}^3 grid, exact shapes)\n\n"
             + markdown_table(rows, keys) + "\n")
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, table)


if __name__ == "__main__":
    main()
