"""`inredit` command line: fit, render, info, demo.

Every user error is an `InreditError`: printed as one line on stderr, exit code 2, no traceback.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from inredit.errors import InreditError

app = typer.Typer(
    help="Edit 3D shapes stored as neural implicit functions (INRs) by rewriting their weights.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

SHIPPED_MUG = Path(__file__).resolve().parent.parent / "scenes" / "shapes" / "mug.obj"


def _format_metric(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def print_metrics_table(title: str, rows: list[tuple[str, str, dict]]) -> None:
    """rows: (name, status, metrics)."""
    keys = [k for k in ("iou", "chamfer_l1", "normal_consistency", "final_loss") if any(k in r[2] for r in rows)]
    table = Table(title=title)
    table.add_column("shape")
    table.add_column("status")
    for key in keys:
        table.add_column(key, justify="right")
    for name, status, metrics in rows:
        table.add_row(name, status, *[_format_metric(metrics.get(k, "")) for k in keys])
    console.print(table)


@app.command()
def fit(
    meshes: Annotated[list[Path], typer.Argument(help="Mesh files (obj, ply, stl, off, glb).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one <mesh>.safetensors per shape.")],
    config: Annotated[Optional[Path], typer.Option(help="Fit config YAML (default: configs/fit/default.yaml values).")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Optimizer steps per batch (overrides the config).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="INRs trained together in one batched call.")] = None,
    init_from: Annotated[Optional[Path], typer.Option(help="Warm-start every shape from this INR file (same spec).")] = None,
    metrics: Annotated[bool, typer.Option(help="Measure IoU / Chamfer / normal consistency against each mesh.")] = True,
    device: Annotated[str, typer.Option(help="cpu, cuda, or auto (cuda when available).")] = "auto",
) -> None:
    """Fit one INR per mesh, many at once. Re-running skips shapes already fitted (resumable)."""
    import dataclasses

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from inredit.config import load_fit_job
    from inredit.fit_meshes import fit_meshes
    from inredit.inr.io import load_inr

    job = load_fit_job(config)
    if steps is not None:
        job.fit = dataclasses.replace(job.fit, steps=steps)
    if batch_size is not None:
        job.batch_size = batch_size
    job.metrics = metrics
    job.device = _resolve_device(device)
    init = load_inr(init_from, expected_spec=job.spec)[0] if init_from is not None else None

    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=True,
    ) as progress:
        task = progress.add_task("loading meshes", total=None)

        def on_progress(text: str, done: int, total: int) -> None:
            if done % 50 == 0 or done == total:
                progress.update(task, description=text, completed=done, total=total)

        records = fit_meshes(meshes, out, job, init=init, on_progress=on_progress)

    rows = [(r.name, "skipped (done)" if r.skipped else "fitted", r.metrics) for r in records]
    print_metrics_table(f"INRs in {out} (spec {job.spec.describe()})", rows)


@app.command()
def render(
    inrs: Annotated[list[Path], typer.Argument(help="INR files (.safetensors).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    mesh: Annotated[bool, typer.Option("--mesh", help="Also extract a mesh with marching cubes.")] = False,
    mesh_format: Annotated[str, typer.Option(help="glb, ply or obj.")] = "glb",
    resolution: Annotated[int, typer.Option(help="Image size in pixels.")] = 256,
    views: Annotated[int, typer.Option(help="Number of views around the shape.")] = 4,
    mesh_resolution: Annotated[int, typer.Option(help="Marching-cubes grid size.")] = 192,
) -> None:
    """Render INRs by sphere tracing (PNG, several views side by side) and optionally export meshes."""
    from inredit.render_inr import render_inr_files

    if mesh_format not in ("glb", "ply", "obj"):
        raise InreditError(f"unknown mesh format {mesh_format!r}: use glb, ply or obj")
    written = render_inr_files(inrs, out, resolution, views, mesh_format if mesh else None, mesh_resolution)
    for path in written:
        console.print(f"wrote {path}")


@app.command()
def info(inr: Annotated[Path, typer.Argument(help="An INR file (.safetensors).")]) -> None:
    """Show an INR file's spec, source and metrics."""
    from inredit.inr.io import load_inr

    weights, metadata = load_inr(inr)
    console.print(f"[bold]{inr}[/bold]")
    console.print(f"spec: {weights.spec.describe()}")
    console.print_json(json.dumps({"spec": weights.spec.to_dict(), **metadata}))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out/demo"),
    steps: Annotated[Optional[int], typer.Option(help="Fit steps (default: the default config).")] = None,
) -> None:
    """Fit the shipped mug, render it, export its mesh, and print the metrics."""
    from inredit.geometry.mesh_io import load_mesh
    from inredit.geometry.render import save_png
    from inredit.inr.io import load_inr
    from inredit.render_inr import render_inr_vs_mesh

    if not SHIPPED_MUG.exists():
        raise InreditError("shipped mug not found (run from a checkout of the repo)", SHIPPED_MUG)
    fit(meshes=[SHIPPED_MUG], out=out, config=None, steps=steps, batch_size=None, init_from=None, metrics=True, device="auto")
    render(inrs=[out / "mug.safetensors"], out=out, mesh=True, mesh_format="glb", resolution=256, views=4, mesh_resolution=192)
    comparison = render_inr_vs_mesh(load_inr(out / "mug.safetensors")[0], load_mesh(SHIPPED_MUG).mesh)
    console.print(f"wrote {save_png(comparison, out / 'mug_vs_source.png')} (top: source mesh, bottom: INR)")


@app.command("make-pairs")
def make_pairs(
    config: Annotated[Path, typer.Option(help="Pair config YAML (configs/pairs/<edit>.yaml).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder (resumable: re-run to finish it).")],
    shard_index: Annotated[int, typer.Option(help="This worker's index (0 .. num-shards - 1).")] = 0,
    num_shards: Annotated[int, typer.Option(help="Number of workers; worker i builds shards k with k % n == i.")] = 1,
    workers: Annotated[int, typer.Option(help="Run this many local single-threaded worker processes and merge.")] = 1,
) -> None:
    """Build (original, edited) INR pairs in shards; the index and card are written when all shards exist."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from inredit.pairs.builder import build_pairs
    from inredit.pairs.config import load_pair_config

    pair_config = load_pair_config(config)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                  TimeRemainingColumn(), console=err_console, transient=True) as progress:
        task = progress.add_task("sampling shapes", total=None)
        update = lambda text, done, total: progress.update(task, description=text, completed=done, total=total)  # noqa: E731
        if workers > 1:
            from inredit.pairs.workers import run_workers

            card = run_workers(pair_config, config, out, workers, on_progress=update)
        else:
            card = build_pairs(pair_config, out, shard_index, num_shards, on_progress=update)
    if card is None:
        console.print(f"worker {shard_index}/{num_shards} done; run again (any worker, or one more time) to merge once all shards exist")
        return
    console.print((out / "CARD.md").read_text())


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise InreditError(f"unknown device {device!r}: use cpu, cuda or auto")
    if device == "cuda" and not torch.cuda.is_available():
        raise InreditError("--device cuda was asked for but CUDA is not available")
    return device


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False, soft_wrap=True)


def main() -> None:
    warnings.showwarning = _one_line_warning
    try:
        app()
    except InreditError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
