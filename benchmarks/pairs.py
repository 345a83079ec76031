"""Pair-dataset benchmark: pairs per minute, fit quality and weight residuals per edit.

    .venv/bin/python benchmarks/pairs.py                  # table from the cards of built datasets
    .venv/bin/python benchmarks/pairs.py --measure-shard  # also time one full-size shard per edit now

Built datasets are read from data/pairs/<edit>/card.json (made by
`inredit make-pairs --config configs/pairs/<edit>.yaml --out data/pairs/<edit>`); their build
time is wall clock from the first shard's start to the last shard's end on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from torch_threads import add_threads_argument, apply_threads  # noqa: E402  (benchmarks/ is on sys.path)

from inredit.pairs.builder import build_shard  # noqa: E402
from inredit.pairs.config import load_pair_config  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

EDITS = ("remove-handle", "symmetrize", "dilate")
DATASETS = ("remove-handle", "remove-handle-extended", "symmetrize", "dilate")  # folders of data/pairs


def card_rows(data_dir: Path) -> list[dict]:
    rows = []
    for dataset in DATASETS:
        card_file = data_dir / dataset / "card.json"
        if not card_file.exists():
            continue
        card = json.loads(card_file.read_text())
        rows.append({
            "dataset": dataset, "pairs": card["pairs"], "accepted": card["accepted"], "rejected": card["rejected"],
            "build_min_wall": card["wall_seconds"] / 60, "pairs_per_min": card["pairs_per_minute"],
            "iou_orig_median": card["iou_original"]["median"], "iou_target_median": card["iou_target"]["median"],
            "residual_ratio_median": card["residual_ratio"]["median"],
        })
    return rows


def measure_shard(edit: str) -> dict:
    config = load_pair_config(REPO / "configs" / "pairs" / f"{edit}.yaml")
    start = time.perf_counter()
    _, header = build_shard(config, 0)
    seconds = time.perf_counter() - start
    per_minute = 60 * config.shard_size / seconds
    return {"edit": edit, "shard_pairs": config.shard_size, "seconds": seconds, "pairs_per_min": per_minute,
            "minutes_for_1000": 1000 / per_minute}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "pairs")
    parser.add_argument("--measure-shard", action="store_true", help="time one full-size shard per edit")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    print("## Built datasets (from their cards; build times as each card records them)\n")
    print(markdown_table(card_rows(args.data)))
    if args.measure_shard:
        print(f"\n## One full-size shard per edit, timed now ({setting})\n")
        print(markdown_table([measure_shard(edit) for edit in EDITS]))


if __name__ == "__main__":
    main()
