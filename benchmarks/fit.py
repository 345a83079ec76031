"""Fitting benchmark: quality per spec on the shipped shapes and on thin-walled vessels, SDF
sampling on thin walls, and batched-fitting throughput.

    .venv/bin/python benchmarks/fit.py            # full run (~10 min on 2 CPU cores)
    .venv/bin/python benchmarks/fit.py --quick    # smoke run with few steps

Prints markdown tables (and writes them as JSON with --json FILE). README quotes the output.
Throughput: the same fit (same steps, same points per step) at B = 1, 16, 64 INRs per batched
call; time per step is constant over a fit, so it is timed over `--timing-steps` steps and
scaled to the full step count.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from torch_threads import add_threads_argument, apply_threads  # noqa: E402  (benchmarks/ is on sys.path)

from inredit.fitting.job import FitJob  # noqa: E402
from inredit.fitting.optimize import FitConfig, fit_batch, stack_samples  # noqa: E402
from inredit.fitting.quality import inr_vs_mesh_metrics  # noqa: E402
from inredit.geometry.families import make_mug, sample_mug_params  # noqa: E402
from inredit.geometry.mesh_io import from_trimesh, load_mesh  # noqa: E402
from inredit.geometry.sampling import sample_sdf  # noqa: E402
from inredit.inr.spec import INRSpec  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

SHAPES = sorted(p for p in (REPO / "scenes" / "shapes").iterdir() if p.suffix in (".obj", ".ply", ".stl", ".off"))
THIN_SEEDS = range(4)  # procedural thin-walled vessels (walls 0.015-0.06, as real cups): seeds 9000 + i
SPECS = [
    INRSpec(width=32, n_hidden_layers=2),
    INRSpec(width=32, n_hidden_layers=3),
    INRSpec(width=64, n_hidden_layers=2),
    INRSpec(width=64, n_hidden_layers=3),
]


def benchmark_meshes() -> list:
    """The shipped shapes and a few thin-walled vessels (in memory, seeded)."""
    thin = []
    for i in THIN_SEEDS:
        params = sample_mug_params(np.random.default_rng(9000 + i), "thin")
        thin.append(from_trimesh(make_mug(params, with_handle=i % 2 == 0), f"thin-{params.kind}-{i}.ply"))
    return [load_mesh(p) for p in SHAPES] + thin


def quality_table(meshes: list, specs: list[INRSpec], fit_config: FitConfig, sampling, label: str = "") -> list[dict]:
    samples = [sample_sdf(m, sampling, seed=0) for m in meshes]
    points, sdf = stack_samples([s.points for s in samples], [s.sdf for s in samples])
    rows = []
    for spec in specs:
        t0 = time.perf_counter()
        result = fit_batch(points, sdf, spec, fit_config)
        seconds = time.perf_counter() - t0
        for i, mesh in enumerate(meshes):
            m = inr_vs_mesh_metrics(result.inr.select(i), mesh)
            rows.append({"sampling": label, "spec": spec.short_name, "params": spec.n_params(),
                         "shape": mesh.path.name, "iou": m["iou"], "chamfer_l1": m["chamfer_l1"],
                         "normal_consistency": m["normal_consistency"], "dead_inside": m["dead_inside"],
                         "batch_fit_seconds": seconds})
        print(f"  {spec.describe()} {label}: {seconds:.1f} s for {len(meshes)} shapes", file=sys.stderr)
    return rows


def throughput_table(spec: INRSpec, fit_config: FitConfig, sampling, batch_sizes, timing_steps: int) -> list[dict]:
    mesh = load_mesh(REPO / "scenes" / "shapes" / "mug.obj")
    s = sample_sdf(mesh, sampling, seed=0)
    rows = []
    for batch in batch_sizes:
        points, sdf = stack_samples([s.points] * batch, [s.sdf] * batch)
        config = dataclasses.replace(fit_config, steps=timing_steps)
        fit_batch(points, sdf, spec, dataclasses.replace(config, steps=10))  # warm-up
        t0 = time.perf_counter()
        fit_batch(points, sdf, spec, config)
        per_step = (time.perf_counter() - t0) / timing_steps
        seconds_per_batch = per_step * fit_config.steps
        rows.append({"batch": batch, "ms_per_step": per_step * 1e3, "seconds_per_batch": seconds_per_batch,
                     "inrs_per_minute": 60 * batch / seconds_per_batch})
    base = rows[0]["inrs_per_minute"]
    for row in rows:
        row["speedup_vs_b1"] = row["inrs_per_minute"] / base
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few steps, small batches (smoke test)")
    parser.add_argument("--timing-steps", type=int, default=500)
    parser.add_argument("--skip-throughput", action="store_true", help="quality tables only (e.g. on a busy machine)")
    parser.add_argument("--default-spec-only", action="store_true", help="quality of the default spec only (not all four)")
    parser.add_argument("--json", type=Path, help="also write the tables as JSON")
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)

    job = FitJob()
    fit_config = dataclasses.replace(job.fit, steps=200) if args.quick else job.fit
    batch_sizes = [1, 4] if args.quick else [1, 16, 64]
    timing_steps = 20 if args.quick else args.timing_steps

    print(f"# Fitting benchmark ({setting})\n")
    print(f"Fit: {fit_config.steps} steps x {fit_config.points_per_step} points per INR per step, "
          f"{job.sampling.n_points} SDF samples per shape; default spec {job.spec.describe()}\n")
    meshes = benchmark_meshes()
    quality = quality_table(meshes, [job.spec] if args.default_spec_only else SPECS, fit_config, job.sampling)
    print("## Quality against the source mesh (IoU on a 128^3 grid; Chamfer-L1 and NC from a 160^3 marching-cubes mesh;")
    print("dead_inside = share of the mesh's inside voxels where the INR is exactly 0)\n")
    print(markdown_table(quality, ["spec", "params", "shape", "iou", "chamfer_l1", "normal_consistency", "dead_inside"]))
    print()
    exact_surface = dataclasses.replace(job.sampling, surface_fraction=0.2, near_fraction=0.35)
    sampling = quality_table(meshes, [job.spec], fit_config, exact_surface, "20 % on the surface, 35 % near (before)")
    sampling += [row | {"sampling": "no exact-surface, 55 % near (default)"} for row in quality if row["spec"] == job.spec.short_name]
    print("## SDF sampling at the default spec: exact-surface samples (target 0) against near-surface ones\n")
    print(markdown_table(sampling, ["sampling", "shape", "iou", "chamfer_l1", "dead_inside"]))
    for label in dict.fromkeys(row["sampling"] for row in sampling):
        ious = [row["iou"] for row in sampling if row["sampling"] == label]
        print(f"\n{label}: mean IoU {np.mean(ious):.4f}, min {min(ious):.4f}")
    print()
    throughput = []
    if not args.skip_throughput:
        throughput = throughput_table(job.spec, fit_config, job.sampling, batch_sizes, timing_steps)
        print(f"## Throughput of batched fitting, default spec ({fit_config.steps} steps; time per step measured over "
              f"{timing_steps} steps)\n")
        print(markdown_table(throughput, ["batch", "ms_per_step", "seconds_per_batch", "inrs_per_minute", "speedup_vs_b1"]))
    if args.json:
        args.json.write_text(json.dumps({"quality": quality, "sampling": sampling, "throughput": throughput}, indent=2))


if __name__ == "__main__":
    main()
