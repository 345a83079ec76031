"""Copy a trained DWSNet editor into the zoo with its measured test metrics in its card.

    .venv/bin/python scripts/ship_editor.py remove-handle

Reads runs/editors/<edit>/editor.safetensors, data/pairs/<edit>/card.json (the training data) and
benchmarks/results/edit-<edit>.json (benchmarks/edit.py on the held-out test split, which must
have scored this very file) and writes inredit/edits/learning/zoo/<edit>.safetensors. An editor whose
per-pair median edit gap closed is below 80 % or that does not beat the flat-MLP baseline is not
shipped (--force ships it anyway; exit status 3), so scripts/train_editors.sh never puts a failed
editor in front of users. Nor is one trained for another spec than the default (the zoo edits what
`inredit fit` makes; exit status 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from inredit.edits.learning.checkpoint import load_editor, save_editor  # noqa: E402
from inredit.edits.registry import ZOO  # noqa: E402
from inredit.inr.spec import DEFAULT_SPEC  # noqa: E402

MIN_GAP_CLOSED = 0.8  # per-pair median; the shipping floor (the targets are higher: see README)
NOT_SHIPPED = 3  # exit status of an editor below the bar (other failures exit 1)

KEPT_METRICS = ("iou", "chamfer_l1", "handle_emptied", "body_iou", "symmetry_iou", "gap_closed",
                "gap_closed_median", "gap_closed_p10", "gap_closed_p90", "latency_b1_ms", "latency_b256_s", "test_pairs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("edit")
    parser.add_argument("--force", action="store_true", help="ship even if the editor misses the quality bar")
    args = parser.parse_args()
    source = REPO / "runs" / "editors" / args.edit / "editor.safetensors"
    results = json.loads((REPO / "benchmarks" / "results" / f"edit-{args.edit}.json").read_text())
    if results["editors"].get("DWSNet") != str(source.relative_to(REPO)):
        sys.exit(f"benchmarks/results/edit-{args.edit}.json scored {results['editors'].get('DWSNet')}, not {source}: "
                 f"re-run benchmarks/edit.py --edits {args.edit}")
    rows = {r["method"]: r for r in results["rows"]}
    gap, flat_gap = rows["DWSNet"]["gap_closed_median"], rows.get("flat MLP", {}).get("gap_closed_median", float("-inf"))
    if (gap < MIN_GAP_CLOSED or gap <= flat_gap) and not args.force:
        print(f"{source}: not shipped: closes {gap:.3f} of the edit gap per pair (median; bar {MIN_GAP_CLOSED}, flat MLP "
              f"{flat_gap:.3f}) in benchmarks/results/edit-{args.edit}.json; --force ships it anyway", file=sys.stderr)
        sys.exit(NOT_SHIPPED)
    data_card = json.loads((REPO / "data" / "pairs" / args.edit / "card.json").read_text())
    model, header = load_editor(source)
    if model.spec != DEFAULT_SPEC:  # the zoo edits the INRs `inredit fit` makes; others need --editor FILE
        sys.exit(f"{source}: not shipped: trained for {model.spec.describe()}, the default spec is {DEFAULT_SPEC.describe()}")
    card = {**header["card"],
            "data_card": data_card,
            "test_metrics": {m: {k: rows[m][k] for k in KEPT_METRICS if k in rows[m]}
                             for m in ("identity", "direct fit (upper bound)", "DWSNet")},
            "measured_by": f"benchmarks/edit.py --edits {args.edit}"}
    target = save_editor(ZOO / f"{args.edit}.safetensors", model, header["edit"], card)
    print(f"{target.relative_to(REPO)}: {target.stat().st_size / 1e6:.2f} MB, "
          f"gap closed {rows['DWSNet']['gap_closed']:.3f} (per pair: median {rows['DWSNet']['gap_closed_median']:.3f}) "
          f"on {rows['DWSNet']['test_pairs']} test pairs")


if __name__ == "__main__":
    main()
