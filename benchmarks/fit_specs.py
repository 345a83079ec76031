"""Which default fit spec: fit quality on the third-party real meshes against fitting throughput.

    bash scripts/get_real_meshes.sh                       # once: the meshes of benchmarks/real.py
    .venv/bin/python benchmarks/fit_specs.py              # ~15 min on 2 CPU cores; fits are cached
    .venv/bin/python benchmarks/fit_specs.py --variants freq6-w64-h4 freq6-w64-h4:8000

Each variant is a spec, optionally with a step count (`SPEC:STEPS`); everything else is the
default fit job (sampling, loss, `up: auto`). Per variant: mean and min IoU (128^3) over the real
meshes of `benchmarks/real/meshes.yaml`, the worst mesh, the mean and largest share of inside voxels where
the INR is exactly 0, the weights an editor reads, and batched-fitting throughput at B = 64 (time
per step over `--timing-steps` steps, scaled to the variant's step count). The acceptance bars of
issue 15 are mean IoU >= 0.95, min >= 0.90 and >= 30 INRs/min at B = 64.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fit import throughput_table  # noqa: E402  (benchmarks/ is on sys.path)
from real import CATALOG, mesh_files  # noqa: E402
from torch_threads import add_threads_argument, apply_threads  # noqa: E402

from inredit.fitting.distill import parse_spec  # noqa: E402
from inredit.fitting.job import FitJob  # noqa: E402
from inredit.fitting.meshes import fit_meshes  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

DEFAULT_VARIANTS = ["freq6-w32-h3", "freq6-w64-h2", "freq6-w64-h3", "freq6-w64-h4", "freq6-w64-h4:8000"]


def variant_job(text: str) -> FitJob:
    spec_text, _, steps = text.partition(":")
    job = dataclasses.replace(FitJob(), spec=parse_spec(spec_text))
    return dataclasses.replace(job, fit=dataclasses.replace(job.fit, steps=int(steps))) if steps else job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=DEFAULT_VARIANTS, help="SPEC or SPEC:STEPS")
    parser.add_argument("--work", type=Path, default=REPO / "out" / "fit-specs", help="fitted INRs (cached; resumable)")
    parser.add_argument("--timing-steps", type=int, default=300)
    parser.add_argument("--json", type=Path, help="also write the tables as JSON")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*not watertight.*")

    files = mesh_files(yaml.safe_load(CATALOG.read_text()))
    rows, per_mesh = [], []
    for text in args.variants:
        job = variant_job(text)
        results = fit_meshes(list(files.values()), args.work / text.replace(":", "-steps") / "fitted", job)
        ious = {Path(r.path).stem: r.metrics["iou"] for r in results}
        worst = min(ious, key=ious.get)
        per_mesh += [{"variant": text, "mesh": k, "iou": v} for k, v in ious.items()]
        speed = throughput_table(job.spec, job.fit, job.sampling, [64], args.timing_steps)[0]
        rows.append({"variant": text, "params": job.spec.n_params(), "steps": job.fit.steps,
                     "mean_iou": float(np.mean(list(ious.values()))), "min_iou": ious[worst], "worst": worst,
                     "meshes_below_0.90": sum(v < 0.90 for v in ious.values()),
                     "mean_dead_inside": float(np.mean([r.metrics["dead_inside"] for r in results])),
                     "max_dead_inside": max(r.metrics["dead_inside"] for r in results),
                     "inrs_per_minute_b64": speed["inrs_per_minute"]})
        print(f"  {text}: mean IoU {rows[-1]['mean_iou']:.4f}, {speed['inrs_per_minute']:.1f} INRs/min", file=sys.stderr)

    print(f"# Fit spec on real meshes ({setting}; {len(files)} meshes of benchmarks/real/meshes.yaml, default fit job "
          "otherwise)\n")
    print(markdown_table(rows, ["variant", "params", "steps", "mean_iou", "min_iou", "worst", "meshes_below_0.90",
                                "mean_dead_inside", "max_dead_inside", "inrs_per_minute_b64"]))
    print("\n## IoU per mesh\n")
    meshes = list(dict.fromkeys(r["mesh"] for r in per_mesh))
    table = [{"mesh": m} | {r["variant"]: r["iou"] for r in per_mesh if r["mesh"] == m} for m in meshes]
    print(markdown_table(table, ["mesh", *args.variants]))
    if args.json:
        args.json.write_text(json.dumps({"threads": setting, "variants": rows, "per_mesh": per_mesh}, indent=2))


if __name__ == "__main__":
    main()
