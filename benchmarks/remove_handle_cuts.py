"""Where remove-handle cuts into the bodies of real meshes: next to the handle, or across from it.

    .venv/bin/python benchmarks/remove_handle_cuts.py [--editor FILE] [--threads 2]   # ~1 min; fits of benchmarks/real.py

For each real handled mesh of `benchmarks/real/meshes.yaml` (its seed-0 fit, cached by
`benchmarks/real.py` in out/real/default), the body voxels (f < 0 outside the handle box, 96^3 grid)
that the edit empties are split into those within 0.3 of the box and those farther (`far`, as
`body_cut_far` in real.py); of the far ones, `across` is the share lying across the body's centre
from the handle (horizontally: x and z, y is up), where spouts are. `f_median` is the median |f| of
the input at the far cut voxels (thin walls and spouts: small).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import real  # noqa: E402  (benchmarks/ is on sys.path: the real-mesh benchmark's catalog and scores)
from torch_threads import add_threads_argument, apply_threads  # noqa: E402

from inredit.edits.registry import resolve_editor  # noqa: E402
from inredit.fitting.job import load_fit_job  # noqa: E402
from inredit.fitting.meshes import fit_meshes  # noqa: E402
from inredit.geometry.metrics import grid_points  # noqa: E402
from inredit.inr.io import load_inr  # noqa: E402
from inredit.inr.torch_backend import evaluate_chunked  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402


@torch.no_grad()
def cut_row(editor, inr, metadata: dict, box: list, grid: np.ndarray) -> dict:
    points = torch.from_numpy(grid)
    f, edited = (evaluate_chunked(x, points)[0].numpy() for x in (inr, editor.edit(inr)))
    body = (f < 0) & ~real.box_mask(grid, box)
    cut = body & (edited >= 0)
    far = cut & (real.distance_to_box(grid, box) > real.BODY_CUT_FAR)
    horizontal = [0, 2]
    centre = grid[body][:, horizontal].mean(0)
    towards_handle = np.asarray(box, dtype=float)[horizontal].mean(1) - centre
    across = ((grid[far][:, horizontal] - centre) @ towards_handle) < 0
    return {"fit": real.fit_start(metadata), "body_voxels": int(body.sum()), "cut": float(cut.sum() / body.sum()),
            "far": float(far.sum() / max(1, cut.sum())), "across": float(across.mean()) if far.any() else 0.0,
            "f_median": float(np.median(np.abs(f[far]))) if far.any() else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=REPO / "out" / "real" / "default", help="benchmarks/real.py's fits")
    parser.add_argument("--editor", type=Path, help="remove-handle editor file (default: the shipped one)")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*not watertight.*")

    catalog, files = real.handled_meshes()
    records = {Path(r.path).stem: r for r in fit_meshes(list(files.values()), args.work / "fitted", load_fit_job(None))}
    editor = resolve_editor("remove-handle", args.editor)
    grid = grid_points(real.RESOLUTION)
    rows = []
    for k, path in files.items():
        inr, metadata = load_inr(records[path.stem].path)
        rows.append({"mesh": k} | cut_row(editor, inr, metadata, catalog["meshes"][k]["handle"], grid))
    print(f"# remove-handle: where the edit cuts into the body ({setting}; {args.editor or 'shipped'} editor, "
          f"{real.RESOLUTION}^3)\n")
    print(markdown_table(rows, ["mesh", "fit", "body_voxels", "cut", "far", "across", "f_median"]))
    for start in ("plain", "leaky"):
        chosen = [r for r in rows if r["fit"] == start]
        if chosen:
            print(f"\n{start} fits ({len(chosen)}): body cut {np.mean([r['cut'] for r in chosen]):.3f}, of it far from the "
                  f"handle {np.mean([r['far'] for r in chosen]):.3f}, of that across from it {np.mean([r['across'] for r in chosen]):.3f}")


if __name__ == "__main__":
    main()
