"""Whether remove-handle's misses on real meshes are noise that averaging removes: the edit of exactly
transformed inputs, and a second editor.

    .venv/bin/python benchmarks/remove_handle_test_time.py [--second-editor FILE] [--fits 3]   # ~15 min with the fits of remove_handle_vote.py

For each real handled mesh of `benchmarks/real/meshes.yaml` and each fit seed (the fits of
`benchmarks/remove_handle_vote.py`, cached in out/real-vote), the shipped editor edits the fit as it is
and moved by exact weight-space maps the editor was trained to commute with (mirror x, exchange x and z,
translate by 0.04 along x or y); each edit is mapped back and scored on the 96^3 grid as in
`benchmarks/real.py`, alone and as the mean of the edited SDFs. With `--second-editor`, the mean of the
two editors' edits of the fit as it is is scored too. Every mean is an exact INR (a width-64k composition),
but this is a study of where the errors come from, not a shipped edit.
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
from inredit.inr import ops  # noqa: E402
from inredit.inr.io import load_inr  # noqa: E402
from inredit.inr.torch_backend import evaluate_chunked  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

SHIFT = 0.04  # within the editor's training translations (translation_range 0.05)
# name: (map applied to the input, its inverse applied to the edit)
TRANSFORMS = {
    "as it is": (lambda f: f, lambda g: g),
    "mirror x": (lambda f: ops.mirror(f, "x"), lambda g: ops.mirror(g, "x")),
    "exchange x, z": (lambda f: ops.swap_axes(f, "x", "z"), lambda g: ops.swap_axes(g, "x", "z")),
    "translate x": (lambda f: ops.translate(f, [SHIFT, 0, 0]), lambda g: ops.translate(g, [-SHIFT, 0, 0])),
    "translate y": (lambda f: ops.translate(f, [0, SHIFT, 0]), lambda g: ops.translate(g, [0, -SHIFT, 0])),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fits", type=int, default=3, help="fit seeds 0 .. fits - 1")
    parser.add_argument("--work", type=Path, default=REPO / "out" / "real-vote", help="fitted INRs (cached, as remove_handle_vote.py)")
    parser.add_argument("--second-editor", type=Path, help="another remove-handle editor file, averaged with the shipped one")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*not watertight.*")

    catalog, files = real.handled_meshes()
    editor = resolve_editor("remove-handle", None)
    second = resolve_editor("remove-handle", args.second_editor) if args.second_editor else None
    grid = grid_points(real.RESOLUTION)
    points = torch.from_numpy(grid)
    inside, handle = real.handled_masks(catalog, files, grid)
    rows = []
    for seed, fits in enumerate(real.fits_by_seed(files, args.work, args.fits)):
        scores: dict[str, list] = {}
        for k in files:
            inr = load_inr(fits[k])[0]
            with torch.no_grad():
                edits = {name: evaluate_chunked(back(editor.edit(forward(inr))), points)[0].numpy()
                         for name, (forward, back) in TRANSFORMS.items()}
                edits["mean of the above"] = np.mean(list(edits.values()), axis=0)
                if second is not None:
                    edits["second editor"] = evaluate_chunked(second.edit(inr), points)[0].numpy()
                    edits["mean of both editors"] = (edits["as it is"] + edits["second editor"]) / 2
            for name, g in edits.items():
                after = g < 0
                scores.setdefault(name, []).append((float((~after[inside[k] & handle[k]]).mean()),
                                                    iou(after[~handle[k]], inside[k][~handle[k]]),
                                                    real.pieces(after, within=handle[k])))
        for name, per_mesh in scores.items():
            emptied, body, remnants = zip(*per_mesh)
            rows.append({"seed": seed, "edit": name, "handle_emptied": np.mean(emptied), "handle_emptied_min": min(emptied),
                         "body_iou": np.mean(body), "remnants": sum(remnants),
                         "emptied_per_mesh": " ".join(f"{e:.2f}" for e in emptied)})
    print(f"# remove-handle: edits of transformed inputs and of two editors ({setting}; second editor "
          f"{args.second_editor or 'none'}; {len(files)} real handled meshes, {real.RESOLUTION}^3)\n")
    print(f"meshes, in the per-mesh column: {' '.join(files)}\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
