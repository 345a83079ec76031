"""Distill benchmark: fit steps vs fidelity when an exact edit's wider INR is brought back to the default spec.

    .venv/bin/python benchmarks/distill.py --data data/pairs-heldout/symmetrize \
        --out benchmarks/results/distill-symmetrize.md

On a symmetrize pair set's test split: exact symmetrize (freq6-w32-h3 -> freq6-w64-h4), then
`inredit.fitting.distill.distill` back to freq6-w32-h3 for several step counts, warm-started from the
unedited INR (what ns-edit and `inredit distill --init-from` do) or from the spec's shared
initialization. Columns: IoU to the wide exact INR (64^3, what distilling should preserve), IoU to
the exact symmetrized mesh, per-pair gap closed (median, 10th percentile; identity = 0, direct fit
of the target = 1), mirror symmetry IoU, and seconds per INR in one batch. Times are single runs
on this machine (the batch is the unit of work; see --threads).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from torch_threads import add_threads_argument, apply_threads  # noqa: E402  (benchmarks/ is on sys.path)

from inredit.edits.learning.evaluate import (  # noqa: E402
    add_gap_closed,
    ground_truth,
    pair_config_of,
    score,
)
from inredit.fitting.distill import DistillConfig, distill  # noqa: E402
from inredit.fitting.optimize import FitConfig  # noqa: E402
from inredit.geometry.metrics import iou  # noqa: E402
from inredit.inr import ops  # noqa: E402
from inredit.pairs.dataset import load_pairs  # noqa: E402
from inredit.render.grids import inr_occupancy  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

RESOLUTION = 64
COLUMNS = ["method", "steps", "iou_to_exact", "iou", "gap_closed_median", "gap_closed_p10", "symmetry_iou",
           "seconds_per_inr"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "pairs-heldout" / "symmetrize")
    parser.add_argument("--steps", type=int, nargs="+", default=[250, 500, 1000, 2000, 3000, 6000])
    parser.add_argument("--out", type=Path, default=None, help="markdown table (a .json with the rows beside it)")
    add_threads_argument(parser)
    args = parser.parse_args()
    header = f"# distill benchmark ({apply_threads(args.threads)})"
    print(header)

    config = pair_config_of(args.data)
    test = load_pairs(args.data, "test")
    n = test.original.batch_size
    truth = ground_truth(config, test.records, RESOLUTION)
    exact = ops.symmetrize(test.original, "x")
    exact_occupancy = inr_occupancy(exact, RESOLUTION)
    rows = [{"method": "identity", "steps": 0, **score(config.edit, test.original, truth, RESOLUTION, False)},
            {"method": "direct fit of the target (upper bound)", "steps": 12000,
             **score(config.edit, test.target, truth, RESOLUTION, False)},
            {"method": f"exact symmetrize ({exact.spec.short_name})", "steps": 0,
             **score(config.edit, exact, truth, RESOLUTION, False)}]
    for init_name, init in (("warm start from the input", test.original), ("shared initialization", None)):
        for steps in args.steps:
            distill_config = DistillConfig(fit=FitConfig(steps=steps, lr=2e-3, lr_final=2e-5))
            start = time.perf_counter()
            result = distill(exact, test.original.spec, distill_config, init=init).inr
            seconds = time.perf_counter() - start
            agreement = [iou(a, b) for a, b in zip(exact_occupancy, inr_occupancy(result, RESOLUTION))]
            rows.append({"method": f"distilled, {init_name}", "steps": steps, "iou_to_exact": float(np.mean(agreement)),
                         **score(config.edit, result, truth, RESOLUTION, False), "seconds_per_inr": seconds / n})
            print(f"{rows[-1]['method']}, {steps} steps: IoU to exact {rows[-1]['iou_to_exact']:.3f}, "
                  f"{seconds / n:.3f} s/INR", flush=True)
    add_gap_closed(rows)
    table = markdown_table(rows, COLUMNS)
    text = f"{header}\n\n{n} test pairs of {args.data}, batch of {n}\n\n{table}\n"
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(
            [{k: v for k, v in r.items() if k != "pair_ious"} for r in rows], indent=1))


if __name__ == "__main__":
    torch.manual_seed(0)
    main()
