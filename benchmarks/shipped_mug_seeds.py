"""The shipped mug's remove-handle score over several fits: how much of it is the fit, not the editor.

    .venv/bin/python benchmarks/shipped_mug_seeds.py                       # shipped editor, default fit job
    .venv/bin/python benchmarks/shipped_mug_seeds.py --config configs/fit/freq6-w32-h3.yaml \
        --editor FILE --work out/mug-seeds          # ~30 s per fit seed on 2 cores; fits kept in --work

Fits scenes/shapes/mug.obj once per fit seed (`fit.seed`, everything else from the fit job), edits
each fit with the editor and scores it as tests/test_shipped_editors.py does
(`inredit.edits.demo.shipped_mug_handle_scores`: handle emptied, body IoU).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from torch_threads import add_threads_argument, apply_threads  # noqa: E402  (benchmarks/ is on sys.path)

from inredit.edits.demo import shipped_mug_handle_scores  # noqa: E402
from inredit.edits.registry import resolve_editor  # noqa: E402
from inredit.fitting.job import load_fit_job  # noqa: E402
from inredit.fitting.meshes import fit_meshes  # noqa: E402
from inredit.inr.io import load_inr, save_inr  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

MUG = REPO / "scenes" / "shapes" / "mug.obj"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, help="fit config YAML (default: the default fit job)")
    parser.add_argument("--editor", type=Path, help="remove-handle editor file (default: the shipped one)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--work", type=Path, help="keep the fits here and reuse them on the next run (default: a temporary folder)")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)

    job = load_fit_job(args.config)
    editor = resolve_editor("remove-handle", args.editor)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        for seed in args.seeds:
            seeded = dataclasses.replace(job, fit=dataclasses.replace(job.fit, seed=seed))
            # fit_meshes skips a mesh whose fit of the same job is already in the folder
            record = fit_meshes([MUG], work / f"{job.spec.short_name}-seed{seed}", seeded)[0]
            with torch.no_grad():
                edited = save_inr(Path(tmp) / f"edited{seed}.safetensors", editor.edit(load_inr(record.path)[0]))
            rows.append({"fit_seed": seed, "fit_iou": record.metrics["iou"]} | shipped_mug_handle_scores(edited, MUG))
    print(f"# Shipped mug, remove-handle over fit seeds ({setting}; fit job {args.config or 'default'}, "
          f"spec {job.spec.describe()}; editor {args.editor or 'shipped'})\n")
    print(markdown_table(rows, ["fit_seed", "fit_iou", "handle_emptied", "body_iou"]))
    print(f"\nhandle emptied mean {np.mean([r['handle_emptied'] for r in rows]):.3f}, "
          f"min {min(r['handle_emptied'] for r in rows):.3f}")


if __name__ == "__main__":
    main()
