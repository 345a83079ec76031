"""How much a remove-handle editor's result moves when the input INR's neurons are rescaled.

    .venv/bin/python benchmarks/rescaling.py --threads 2 [--editor FILE ...]   # ~2 min per editor; fits cached in out/real-vote

A ReLU network's hidden neuron can be scaled by any a > 0 with its outgoing weights divided by a
(`ops.scale_neurons`): other weights, the same function, the same shape. An editor that only reads
the shape would give the same edit for all of them; a DWSNet is equivariant to neuron permutations,
not to these rescalings. For each real handled mesh of `benchmarks/real/meshes.yaml` (the default
fit job, seed 0), the handle emptied of the INR as fitted and of `--draws` rescalings by factors
exp(U(-0.7, 0.7)) per neuron, scored as in `benchmarks/real.py` (96^3 grid).
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

from inredit.edits.learning.augment import random_neuron_scales  # noqa: E402
from inredit.edits.registry import resolve_editor  # noqa: E402
from inredit.fitting.job import load_fit_job  # noqa: E402
from inredit.fitting.meshes import fit_meshes  # noqa: E402
from inredit.geometry.mesh_io import load_mesh  # noqa: E402
from inredit.geometry.metrics import grid_points  # noqa: E402
from inredit.geometry.shapes import MeshShape  # noqa: E402
from inredit.inr import ops  # noqa: E402
from inredit.inr.io import load_inr  # noqa: E402
from inredit.render.grids import inr_occupancy  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

MAX_LOG_SCALE = 0.7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--editor", type=Path, nargs="*", default=[None], help="editor files (default: the shipped one)")
    parser.add_argument("--draws", type=int, default=6, help="random rescalings per mesh")
    parser.add_argument("--work", type=Path, default=REPO / "out" / "real-vote" / "seed0", help="fitted INRs (cached)")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*not watertight.*")

    catalog, files = real.handled_meshes()
    handled = list(files)
    job = load_fit_job(None)
    fitted = {Path(r.path).stem: r.path for r in fit_meshes([files[k] for k in handled], args.work, job)}
    grid = grid_points(real.RESOLUTION)
    generator = torch.Generator().manual_seed(0)
    cases = {}  # per mesh: its handle's voxels, the INR as fitted and its rescaled copies (the same for every editor)
    for k in handled:
        inside = MeshShape(load_mesh(files[k], up=job.up).mesh).occupancy(grid)
        inr = load_inr(fitted[files[k].stem])[0]
        scaled = [ops.scale_neurons(inr, random_neuron_scales(inr, MAX_LOG_SCALE, generator)) for _ in range(args.draws)]
        cases[k] = (inside & real.box_mask(grid, catalog["meshes"][k]["handle"]), [inr, *scaled])
    rows = []
    for editor_file in args.editor:
        editor = resolve_editor("remove-handle", editor_file)
        for k, (handle_voxels, inrs) in cases.items():
            emptied = [float((~inr_occupancy(editor.edit(x), real.RESOLUTION)[0][handle_voxels]).mean()) for x in inrs]
            rows.append({"editor": editor_file.parent.name if editor_file else "shipped", "mesh": k, "emptied_as_fitted": emptied[0],
                         "emptied_rescaled_min": min(emptied[1:]), "emptied_rescaled_max": max(emptied[1:]),
                         "emptied_rescaled_mean": float(np.mean(emptied[1:]))})
    print(f"# remove-handle under neuron rescalings ({setting}; {args.draws} draws, factors e^±{MAX_LOG_SCALE}, {real.RESOLUTION}^3)\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
