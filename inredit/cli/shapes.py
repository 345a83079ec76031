"""Commands of the shape stage: fit meshes to INRs, render them, show a file, and the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from inredit.cli.app import (
    app,
    console,
    print_metrics_table,
    progress_bar,
    resolve_device,
)
from inredit.errors import InreditError

SHIPPED_MUG = Path(__file__).resolve().parents[2] / "scenes" / "shapes" / "mug.obj"

SHIPPED_COMPOSITION = SHIPPED_MUG.with_name("composition.stl")  # asymmetric: the symmetrize demo

@app.command()
def fit(
    meshes: Annotated[list[Path], typer.Argument(help="Mesh files (obj, ply, stl, off, glb).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one <mesh>.safetensors per shape.")],
    config: Annotated[Optional[Path], typer.Option(help="Fit config YAML (default: configs/fit/default.yaml values).")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Optimizer steps per batch (overrides the config).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="INRs trained together in one batched call.")] = None,
    init_from: Annotated[Optional[Path], typer.Option(help="Warm-start every shape from this INR file (same spec).")] = None,
    up: Annotated[Optional[str], typer.Option(help="The meshes' up axis, turned onto +y: x, y, z, or auto (the axis with the largest flat base; default).")] = None,
    metrics: Annotated[bool, typer.Option(help="Measure IoU / Chamfer / normal consistency against each mesh.")] = True,
    device: Annotated[str, typer.Option(help="cpu, cuda, or auto (cuda when available).")] = "auto",
    ray: Annotated[Optional[str], typer.Option("--ray", help="Run on Ray, one task per batch: a cluster address (auto, ray://host:10001) or nothing / 'local' for a local instance. OUT must be a shared path.")] = None,
    ray_cpus: Annotated[float, typer.Option(help="With --ray: CPUs per task.")] = 1.0,
    ray_gpus: Annotated[float, typer.Option(help="With --ray: GPUs per task.")] = 0.0,
) -> None:
    """Fit one INR per mesh, many at once. Re-running skips shapes already fitted (resumable)."""
    import dataclasses

    from inredit.fitting.job import load_fit_job
    from inredit.fitting.meshes import fit_meshes
    from inredit.geometry.mesh_io import check_up_axis
    from inredit.inr.io import load_inr

    job = load_fit_job(config)
    if steps is not None:
        job.fit = dataclasses.replace(job.fit, steps=steps)
    if batch_size is not None:
        job.batch_size = batch_size
    if up is not None:
        job.up = check_up_axis(up, "--up")
    job.metrics = metrics
    job.device = resolve_device(device)
    init = load_inr(init_from, expected_spec=job.spec)[0] if init_from is not None else None

    with progress_bar("loading meshes", every=50) as on_progress:
        if ray is not None:
            from inredit.ray_tasks import RaySettings, fit_meshes_on_ray

            records = fit_meshes_on_ray(meshes, out, job, RaySettings(ray, ray_cpus, ray_gpus), init, on_progress)
        else:
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
    from inredit.render.files import render_inr_files

    written = render_inr_files(inrs, out, resolution, views, mesh_format if mesh else None, mesh_resolution)
    for path in written:
        console.print(f"wrote {path}")

@app.command()
def info(inr: Annotated[Path, typer.Argument(help="An INR file (.safetensors).")]) -> None:
    """Show an INR file's spec, source and metrics (or an editor file's card)."""
    from inredit.inr.io import load_inr

    if inr.suffix == ".safetensors" and _is_editor_file(inr):
        from inredit.edits.learning.checkpoint import read_editor_header

        console.print_json(json.dumps(read_editor_header(inr)))
        return
    weights, metadata = load_inr(inr)
    console.print(f"[bold]{inr}[/bold]")
    console.print(f"spec: {weights.spec.describe()}")
    console.print_json(json.dumps({"spec": weights.spec.to_dict(), **metadata}))

def _is_editor_file(path: Path) -> bool:
    from inredit.edits.learning.checkpoint import EDITOR_FORMAT, read_editor_header

    try:
        return read_editor_header(path)["format"] == EDITOR_FORMAT
    except InreditError:
        return False

@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out/demo"),
    steps: Annotated[Optional[int], typer.Option(help="Fit steps (default: the default config).")] = None,
) -> None:
    """Fit the shipped mug (and composition), render the mug, export its mesh, remove its handle,
    symmetrize the composition, and print the metrics."""
    from inredit.geometry.mesh_io import load_mesh
    from inredit.inr.io import load_inr
    from inredit.render.files import render_inr_vs_mesh
    from inredit.render.images import save_png

    if not SHIPPED_MUG.exists():
        raise InreditError("shipped mug not found (run from a checkout of the repo)", SHIPPED_MUG)
    # the mug and the composition in one batched fit (about the time of one)
    fit(meshes=[SHIPPED_MUG, SHIPPED_COMPOSITION], out=out, config=None, steps=steps, batch_size=None, init_from=None,
        metrics=True, device="auto")
    render(inrs=[out / "mug.safetensors"], out=out, mesh=True, mesh_format="glb", resolution=256, views=4, mesh_resolution=192)
    comparison = render_inr_vs_mesh(load_inr(out / "mug.safetensors")[0], load_mesh(SHIPPED_MUG).mesh)
    console.print(f"wrote {save_png(comparison, out / 'mug_vs_source.png')} (top: source mesh, bottom: INR)")

    from inredit.edits.demo import remove_handle_demo, symmetrize_demo

    sym = symmetrize_demo(out / "composition.safetensors", out)
    console.print(f"symmetrize composition (exact, x = 0): wrote {sym['inr']}, {sym['mesh']}, {sym['render']}; "
                  f"mirror symmetry IoU {sym['symmetry_before']:.3f} -> {sym['symmetry_after']:.3f}")
    result = remove_handle_demo(out / "mug.safetensors", SHIPPED_MUG, out)
    if result is None:
        console.print("no remove-handle editor is shipped yet (scripts/train_editors.sh makes it): edit step skipped")
        return
    console.print(f"remove-handle: wrote {result['inr']}, {result['mesh']}, {result['render']} (top: before, bottom: after)")
    console.print(f"handle region emptied {result['handle_emptied']:.3f}, body IoU {result['body_iou']:.3f}, "
                  f"volume change {result['volume_change']:+.3f}")
