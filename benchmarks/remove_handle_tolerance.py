"""How much of remove-handle's body loss on real meshes is a small change of the input's value.

    .venv/bin/python benchmarks/remove_handle_tolerance.py [--editor FILE] [--fits 3]   # ~3 min with the fits of remove_handle_vote.py

For each real handled mesh of `benchmarks/real/meshes.yaml` and each fit seed (the fits of
`benchmarks/remove_handle_vote.py`, cached in out/real-vote), the edit g of the input f is scored, on the
96^3 grid as in `benchmarks/real.py`, as it is and with a tolerance t: a voxel of the input's shape
leaves it only where the edit moves it outside (g > 0) by a change g - f above t, i.e. the shape of
max(f, g - relu(f + t)). t = 0 is `--remove-only` (max(f, g)). This is a pointwise study of where the
body is lost, not a shipped edit: the tolerance needs a constant neuron, and the composition of two
width-64 INRs already fills tiny-cuda-nn's widest fully fused layer (128).
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
from inredit.geometry.metrics import grid_points, iou  # noqa: E402
from inredit.inr.io import load_inr  # noqa: E402
from inredit.inr.torch_backend import evaluate_chunked  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

TOLERANCES = (None, 0.0, 0.002, 0.005, 0.01, 0.02)  # None: the edit as it is


def inside_after(f: np.ndarray, g: np.ndarray, tolerance: float | None) -> np.ndarray:
    """Inside of the edited shape: g < 0, or with a tolerance, f < 0 unless g > 0 and g - f > tolerance."""
    if tolerance is None:
        return g < 0
    return (f < 0) & ~((g > 0) & (g - f > tolerance))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fits", type=int, default=3, help="fit seeds 0 .. fits - 1")
    parser.add_argument("--work", type=Path, default=REPO / "out" / "real-vote", help="fitted INRs (cached, as remove_handle_vote.py)")
    parser.add_argument("--editor", type=Path, help="remove-handle editor file (default: the shipped one)")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*not watertight.*")

    catalog, files = real.handled_meshes()
    editor = resolve_editor("remove-handle", args.editor)
    grid = grid_points(real.RESOLUTION)
    points = torch.from_numpy(grid)
    inside, handle = real.handled_masks(catalog, files, grid)
    rows = []
    for seed, fits in enumerate(real.fits_by_seed(files, args.work, args.fits)):
        scores = {t: [] for t in TOLERANCES}
        for k, path in files.items():
            inr, metadata = load_inr(fits[k])
            with torch.no_grad():
                f, g = (evaluate_chunked(x, points)[0].numpy() for x in (inr, editor.edit(inr)))
            for t in TOLERANCES:
                after = inside_after(f, g, t)
                scores[t].append((float((~after[inside[k] & handle[k]]).mean()), iou(after[~handle[k]], inside[k][~handle[k]]),
                                  real.pieces(after, within=handle[k]), real.fit_start(metadata)))
        for t, per_mesh in scores.items():
            emptied, body, remnants, kind = zip(*per_mesh)
            rows.append({"seed": seed, "tolerance": "edit as it is" if t is None else t,
                         "handle_emptied": np.mean(emptied), "handle_emptied_min": min(emptied), "body_iou": np.mean(body),
                         "body_iou_plain": np.mean([b for b, s in zip(body, kind) if s == "plain"]),
                         "body_iou_leaky": np.mean([b for b, s in zip(body, kind) if s == "leaky"]),
                         "remnants": sum(remnants)})
    print(f"# remove-handle: the edit with a tolerance on the change, pointwise ({setting}; {args.editor or 'shipped'} "
          f"editor, {len(files)} real handled meshes, {real.RESOLUTION}^3)\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
