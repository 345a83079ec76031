"""How much a test-time vote over several fits would help remove-handle on real meshes.

    .venv/bin/python benchmarks/remove_handle_vote.py --fits 3 --threads 2   # ~10 min; fits cached in out/real-vote
    .venv/bin/python benchmarks/remove_handle_vote.py --editor FILE         # another editor on the same fits (~2 min)
    .venv/bin/python benchmarks/remove_handle_vote.py --remove-only         # the edit intersected with its input

Each real handled mesh of `benchmarks/real/meshes.yaml` is fitted `--fits` times by the default fit
job with seeds 0, 1, ... (other samples and minibatch order), each fit is edited by the shipped
remove-handle editor, and the edits are scored one by one and by their voxel majority (96^3 grid,
scores as in `benchmarks/real.py`). The majority is an upper-bound study, not a shipped edit: in
weight space it would be the median of the edited SDFs, an exact composition of min/max.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import real  # noqa: E402  (benchmarks/ is on sys.path: the real-mesh benchmark's catalog and scores)
from torch_threads import add_threads_argument, apply_threads  # noqa: E402

from inredit.edits.registry import resolve_editor  # noqa: E402
from inredit.geometry.metrics import grid_points, iou  # noqa: E402
from inredit.inr.io import load_inr  # noqa: E402
from inredit.render.grids import inr_occupancy  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fits", type=int, default=3, help="fits per mesh (seeds 0 .. fits - 1)")
    parser.add_argument("--work", type=Path, default=REPO / "out" / "real-vote", help="fitted INRs (cached)")
    parser.add_argument("--editor", type=Path, help="remove-handle editor file to score (default: the shipped one)")
    parser.add_argument("--remove-only", action="store_true",
                        help="score the edit intersected with its input, as `inredit edit --remove-only`")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*not watertight.*")

    catalog, files = real.handled_meshes()
    fitted = real.fits_by_seed(files, args.work, args.fits)

    editor = resolve_editor("remove-handle", args.editor, remove_only=args.remove_only)
    grid = grid_points(real.RESOLUTION)
    inside_of, handle_of = real.handled_masks(catalog, files, grid)
    rows = []
    for k in files:
        inside, handle = inside_of[k], handle_of[k]
        edits = [inr_occupancy(editor.edit(load_inr(fits[k])[0]), real.RESOLUTION)[0] for fits in fitted]
        majority = np.sum(edits, axis=0) * 2 > len(edits)
        emptied = [float((~e[inside & handle]).mean()) for e in edits]
        rows.append({"mesh": k} | {f"emptied_seed{s}": v for s, v in enumerate(emptied)}
                    | {"emptied_majority": float((~majority[inside & handle]).mean())}
                    | {f"body_iou_seed{s}": iou(e[~handle], inside[~handle]) for s, e in enumerate(edits)}
                    | {"body_iou_majority": iou(majority[~handle], inside[~handle])}
                    | {f"remnants_seed{s}": real.pieces(e, within=handle) for s, e in enumerate(edits)})
    print(f"# remove-handle: one fit against the majority of {args.fits} ({setting}; "
          f"{args.editor or 'shipped'} editor{', intersected with its input' if args.remove_only else ''}, "
          f"{real.RESOLUTION}^3)\n")
    print(markdown_table(rows))
    for key in [c for c in rows[0] if c != "mesh"]:
        values = [r[key] for r in rows]
        print(f"\n{key}: mean {np.mean(values):.3f}, min {min(values):.3f}", end="")
    print()


if __name__ == "__main__":
    main()
