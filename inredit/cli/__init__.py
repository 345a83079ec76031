"""`inredit` command line: fit, render, info, demo, make-pairs, edit, train-editor, evaluate, ui, ns-edit.

Every user error is an `InreditError`: printed as one line on stderr, exit code 2, no traceback.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def progress_bar(first_text: str, every: int = 1) -> Iterator[Callable[[str, int, int], None]]:
    """A transient rich progress bar on stderr; yields `update(text, done, total)` (drawn every `every` steps)."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err_console,
                  transient=True) as progress:
        task = progress.add_task(first_text, total=None)

        def update(text: str, done: int, total: int) -> None:
            if done % every == 0 or done == total:
                progress.update(task, description=text, completed=done, total=total)

        yield update

SHIPPED_MUG = Path(__file__).resolve().parents[2] / "scenes" / "shapes" / "mug.obj"
SHIPPED_COMPOSITION = SHIPPED_MUG.with_name("composition.stl")  # asymmetric: the symmetrize demo


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
    job.device = _resolve_device(device)
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

    if mesh_format not in ("glb", "ply", "obj"):
        raise InreditError(f"unknown mesh format {mesh_format!r}: use glb, ply or obj")
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


@app.command("make-pairs")
def make_pairs(
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder (resumable: re-run to finish it).")],
    config: Annotated[Optional[Path], typer.Option(help="Pair config YAML (configs/pairs/<edit>.yaml); with --from-meshes, only its fit settings are used.")] = None,
    from_meshes: Annotated[Optional[Path], typer.Option("--from-meshes", help="CSV of your own mesh pairs: columns original, edited[, split]; paths relative to the CSV.")] = None,
    edit_name: Annotated[Optional[str], typer.Option("--edit", help="With --from-meshes: the name of the edit the pairs show (e.g. remove-logo).")] = None,
    shard_index: Annotated[int, typer.Option(help="This worker's index (0 .. num-shards - 1).")] = 0,
    num_shards: Annotated[int, typer.Option(help="Number of workers; worker i builds shards k with k % n == i.")] = 1,
    workers: Annotated[int, typer.Option(help="Run this many local single-threaded worker processes and merge.")] = 1,
    ray: Annotated[Optional[str], typer.Option("--ray", help="Run on Ray, one task per shard: a cluster address (auto, ray://host:10001) or nothing / 'local' for a local instance. OUT must be a shared path.")] = None,
    ray_cpus: Annotated[float, typer.Option(help="With --ray: CPUs per task.")] = 1.0,
    ray_gpus: Annotated[float, typer.Option(help="With --ray: GPUs per task.")] = 0.0,
) -> None:
    """Build (original, edited) INR pairs in shards, from a procedural config or from your own meshes
    (--from-meshes PAIRS.csv --edit NAME); the index and card are written when all shards exist."""
    from inredit.pairs.builder import SkippedPairWarning, build_pairs
    from inredit.pairs.config import PairConfig, load_pair_config, mesh_pairs_config

    if from_meshes is None:
        if config is None:
            raise InreditError("give --config (a procedural pair config) or --from-meshes PAIRS.csv --edit NAME")
        if edit_name is not None:
            raise InreditError("--edit names the edit of --from-meshes pairs; a pair config names its own edit")
        pair_config = load_pair_config(config)
    else:
        if edit_name is None:
            raise InreditError("--from-meshes needs --edit NAME: the edit your mesh pairs show")
        pair_config = mesh_pairs_config(from_meshes, edit_name, load_pair_config(config) if config else PairConfig())
    source_args = [*(["--config", str(config)] if config else []),
                   *(["--from-meshes", str(from_meshes), "--edit", edit_name] if from_meshes else [])]
    with progress_bar("sampling shapes") as update, warnings.catch_warnings():
        warnings.simplefilter("always", SkippedPairWarning)
        if ray is not None:
            from inredit.ray_tasks import RaySettings, build_pairs_on_ray

            card = build_pairs_on_ray(pair_config, out, RaySettings(ray, ray_cpus, ray_gpus), on_progress=update)
        elif workers > 1:
            from inredit.pairs.workers import run_workers

            card = run_workers(pair_config, source_args, out, workers, on_progress=update)
        else:
            card = build_pairs(pair_config, out, shard_index, num_shards, on_progress=update)
    if card is None:
        console.print(f"worker {shard_index}/{num_shards} done; run again (any worker, or one more time) to merge once all shards exist")
        return
    console.print((out / "CARD.md").read_text())


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Interface to bind (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the web page.")] = 7860,
    share: Annotated[bool, typer.Option(help="Also publish a temporary public gradio.live link.")] = False,
) -> None:
    """Start the web app: fit meshes and edit INRs with before/after previews."""
    try:
        from inredit_ui.app import (
            launch,  # gradio is an optional extra: import it only here
        )
    except ImportError as exc:
        raise InreditError(f"the UI needs the 'ui' extra (pip install 'inredit[ui]'): {exc}") from None
    launch(host=host, port=port, share=share)


@app.command()
def edit(
    inputs: Annotated[list[Path], typer.Argument(help="INR files (.safetensors) or meshes (fitted first).")],
    edit_name: Annotated[str, typer.Option("--edit", help="Edit to apply (see `inredit editors`): remove-handle, symmetrize, mirror, dilate, erode, ...")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    strength: Annotated[float, typer.Option(help="Scale of the edit: 0 = none, 1 = the trained edit.")] = 1.0,
    editor_file: Annotated[Optional[Path], typer.Option("--editor", help="Use this editor file instead of the shipped one.")] = None,
    axis: Annotated[Optional[str], typer.Option(help="Exact symmetrize / mirror: x, y or z (default x).")] = None,
    radius: Annotated[Optional[float], typer.Option(help="Exact dilate / erode: offset in the normalized cube (default 0.05).")] = None,
    mesh_format: Annotated[str, typer.Option(help="glb, ply or obj.")] = "glb",
) -> None:
    """Edit INRs in one batched call; writes edited INRs, meshes and before/after renders."""
    from inredit.edits.batch import edit_files
    from inredit.edits.registry import resolve_editor

    if mesh_format not in ("glb", "ply", "obj"):
        raise InreditError(f"unknown mesh format {mesh_format!r}: use glb, ply or obj")
    editor = resolve_editor(edit_name, editor_file, axis, radius)
    results = edit_files(inputs, editor, out, strength, mesh_format=mesh_format)
    table = Table(title=f"{editor.name} (strength {strength}) -> {out}")
    for column in ("input", "volume change", "IoU before/after", "symmetry before", "symmetry after"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r["name"], f"{r['volume_change']:+.3f}", f"{r['iou_before_after']:.3f}",
                      f"{r['symmetry_before']:.3f}", f"{r['symmetry_after']:.3f}")
    console.print(table)


@app.command()
def editors() -> None:
    """List the editors: kind (exact or learned), the INR spec each takes and returns, and its card."""
    from inredit.edits.registry import available_editors
    from inredit.inr.spec import DEFAULT_SPEC

    table = Table(title="editors (inredit edit --edit NAME)")
    for column in ("name", "kind", "input spec", "output spec (default-spec input)", "description"):
        table.add_column(column)
    for name, editor in available_editors().items():
        spec_in = editor.spec.describe().split(" ")[0] if editor.spec is not None else "any"
        spec_out = editor.output_spec(editor.spec or DEFAULT_SPEC).describe().split(" ")[0]
        table.add_row(name, editor.kind, spec_in, spec_out, editor.description)
    console.print(table)


@app.command()
def combine(
    first: Annotated[Path, typer.Argument(help="INR file A (.safetensors).")],
    second: Annotated[Path, typer.Argument(help="INR file B (.safetensors).")],
    op: Annotated[str, typer.Option(help="union (A or B), intersection (A and B), difference (A minus B).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output INR file (.safetensors).")],
) -> None:
    """Combine two INRs exactly in weight space (min / max of their SDFs); any specs with one encoding."""
    from inredit.edits.combine import combine_files

    result, spec = combine_files(first, second, op, out)
    console.print(f"{op} of {first.name} and {second.name} -> {result} ({spec.describe()})")


@app.command()
def distill(
    inputs: Annotated[list[Path], typer.Argument(help="INR files (.safetensors) of any spec.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one <name>.safetensors per input.")],
    spec: Annotated[str, typer.Option(help="Target spec: 'default' or freq<F>-w<W>-h<H>.")] = "default",
    steps: Annotated[Optional[int], typer.Option(help="Fit steps (default 3000).")] = None,
    init_from: Annotated[Optional[Path], typer.Option(help="Warm-start from this INR of the target spec (e.g. the unedited shape).")] = None,
) -> None:
    """Bring INRs to another spec by fitting their own function (no mesh). Re-running skips done files."""
    import dataclasses

    from inredit.fitting.distill import DistillConfig, distill_files, parse_spec

    config = DistillConfig()
    if steps is not None:
        config = dataclasses.replace(config, fit=dataclasses.replace(config.fit, steps=steps))
    target = parse_spec(spec)
    with progress_bar("loading INRs", every=50) as update:
        rows = distill_files(inputs, target, out, config, init_from, update)
    table = Table(title=f"distilled to {target.describe()} -> {out}")
    for column in ("input", "status", "IoU to the source (64^3)", "final loss"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["name"], "skipped (done)" if r["skipped"] else "distilled", f"{r['iou']:.4f}", f"{r['final_loss']:.5f}")
    console.print(table)


@app.command("train-editor")
def train_editor_command(
    config: Annotated[Path, typer.Option(help="Editor training config YAML (configs/editor/<edit>.yaml); only data and edit are required.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder (resumable: re-run to continue).")],
) -> None:
    """Train a DWSNet editor (or the flat-MLP baseline) on a pair dataset. Several processes:
    `torchrun --standalone --nproc-per-node N -m inredit.cli train-editor ...` (DistributedDataParallel)."""
    import os
    from contextlib import nullcontext

    from inredit.configs import build_dataclass, read_yaml_mapping
    from inredit.edits.learning.train import TrainConfig, train_editor

    main_process = os.environ.get("RANK", "0") == "0"  # under torchrun, rank 0 reports
    train_config = build_dataclass(TrainConfig, read_yaml_mapping(config, "training config"), config, "top level")
    with progress_bar("loading pairs") if main_process else nullcontext(None) as update:
        state = train_editor(train_config, out, on_progress=update)
    if main_process:
        best = min(state["history"], key=lambda h: h["val_loss"])
        console.print(f"best epoch {best['epoch']}: val function loss {best['val_loss']:.5f} -> {out / 'editor.safetensors'}"
                      f" ({state['seconds'] / 60:.1f} min of training)")


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="Pair dataset folder (its test split is used).")],
    editors: Annotated[list[Path], typer.Option("--editor", help="Editor files to evaluate (repeatable).")],
    resolution: Annotated[int, typer.Option(help="IoU grid resolution.")] = 64,
    max_pairs: Annotated[Optional[int], typer.Option(help="Evaluate at most this many test pairs.")] = None,
    finetune_steps: Annotated[str, typer.Option(help="Comma-separated step counts for the fine-tune baseline.")] = "25,50,100,200,400,800,1600",
) -> None:
    """Score editors and baselines (identity, fine-tuning, direct fit) on held-out test pairs."""
    from inredit.edits.learning.checkpoint import load_editor
    from inredit.edits.learning.evaluate import evaluate as run_evaluation
    from inredit.edits.learning.evaluate import finetune_time_to_match

    models = {}
    stems = [path.stem for path in editors]
    for path in editors:
        model, header = load_editor(path)
        # runs/editors/<name>/editor.safetensors: name editors by their folder when file names clash
        label = path.stem if stems.count(path.stem) == 1 else f"{path.parent.name}/{path.stem}"
        models[f"{header['architecture'].get('kind', 'dwsnet')} ({label})"] = model
    from inredit.tables import markdown_table

    steps = tuple(int(s) for s in finetune_steps.split(",") if s.strip())
    rows = run_evaluation(data, models, resolution=resolution, max_pairs=max_pairs, finetune_steps=steps)
    keys = ["method"] + [k for k in ("iou", "chamfer_l1", "handle_emptied", "body_iou", "symmetry_iou", "gap_closed",
                                     "seconds_per_inr", "latency_b1_ms", "latency_b256_s") if any(k in r for r in rows)]
    print(f"{rows[0]['edit']}: {rows[0]['test_pairs']} test pairs\n")
    print(markdown_table(rows, keys))
    if steps:  # `--finetune-steps ""` skips the fine-tune baseline and so this comparison
        print()
        print(markdown_table([finetune_time_to_match(rows, name) for name in models]))


def _is_editor_file(path: Path) -> bool:
    from inredit.edits.learning.checkpoint import EDITOR_FORMAT, read_editor_header

    try:
        return read_editor_header(path)["format"] == EDITOR_FORMAT
    except InreditError:
        return False


@app.command("make-scene")
def make_scene_command(
    spec: Annotated[Path, typer.Argument(help="Scene spec YAML (scenes/nerfstudio/*.yaml) or a mesh file (one part).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder to write (blender + nerfstudio format).")],
    train_views: Annotated[Optional[int], typer.Option(help="Training views (overrides the spec).")] = None,
    test_views: Annotated[Optional[int], typer.Option(help="Test (and val) views (overrides the spec).")] = None,
    resolution: Annotated[Optional[int], typer.Option(help="Image size in pixels (overrides the spec).")] = None,
    depth: Annotated[bool, typer.Option("--depth", help="Also write depth/ (16-bit PNG, millimetres).")] = False,
    normals: Annotated[bool, typer.Option("--normals", help="Also write normals/ (world normals as PNG).")] = False,
    masks: Annotated[bool, typer.Option("--masks", help="Also write masks/ (foreground, 0/255).")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output folder.")] = False,
) -> None:
    """Render a nerfstudio dataset (transforms.json + PNGs) of a mesh scene by ray casting, for ns-train."""
    from inredit.nerfstudio.scene import load_scene_spec, make_scene

    scene = load_scene_spec(spec, train_views=train_views, test_views=test_views, resolution=resolution,
                            depth=depth or None, normals=normals or None, masks=masks or None)
    make_scene(scene, out, overwrite=overwrite)
    console.print(f"wrote {out}: {scene.train_views} train + {scene.test_views} test views at "
                  f"{scene.resolution}x{scene.resolution} (train with: ns-train inredit-sdf --data {out})")


@app.command("ns-edit")
def ns_edit(
    load_config: Annotated[list[Path], typer.Option("--load-config", help="A trained inredit-sdf run's config.yml (repeatable; more runs may follow as arguments).")],
    edit_name: Annotated[str, typer.Option("--edit", help="Edit to apply (an editor name, e.g. remove-handle, identity).")],
    output_dir: Annotated[Path, typer.Option("--output-dir", help="Folder for the edited runs (<experiment>/inredit-sdf/<timestamp>/).")],
    runs: Annotated[Optional[list[Path]], typer.Argument(help="More runs' config.yml files.", show_default=False)] = None,
    strength: Annotated[float, typer.Option(help="Scale of the edit: 0 = none, 1 = the trained edit.")] = 1.0,
    editor_file: Annotated[Optional[Path], typer.Option("--editor", help="Use this editor file instead of the shipped one.")] = None,
    step: Annotated[Optional[int], typer.Option(help="Checkpoint step to edit (default: the latest, as nerfstudio loads).")] = None,
    axis: Annotated[Optional[str], typer.Option(help="Exact symmetrize / mirror: x, y or z (default x).")] = None,
    radius: Annotated[Optional[float], typer.Option(help="Exact dilate / erode: offset in the normalized cube (default 0.05).")] = None,
    mesh_format: Annotated[str, typer.Option(help="Mesh of the edited geometry: ply, glb, obj or none.")] = "ply",
    mesh_resolution: Annotated[int, typer.Option(help="Marching-cubes grid size for that mesh.")] = 128,
    renders: Annotated[bool, typer.Option(help="Write before_after.png (sphere-traced geometry) per run.")] = True,
    canonicalize: Annotated[str, typer.Option(help="Refit the geometry by the fit job before the edit: auto (learned edits of geometry that volume rendering trained, not a frozen mesh fit), always or never.")] = "auto",
) -> None:
    """Edit the geometry of trained inredit-sdf runs in one batched call; writes runs ns-render/ns-viewer load.
    An exact edit that widens the INR (symmetrize, dilate) is distilled back to the run's spec."""
    from inredit.edits.registry import resolve_editor
    from inredit.nerfstudio.edit_runs import edit_runs

    if mesh_format not in ("ply", "glb", "obj", "none"):
        raise InreditError(f"unknown mesh format {mesh_format!r}: use ply, glb, obj or none")
    editor = resolve_editor(edit_name, editor_file, axis, radius)
    results, timings = edit_runs(list(load_config) + list(runs or []), editor, output_dir, strength, step,
                                 None if mesh_format == "none" else mesh_format, mesh_resolution, renders,
                                 canonicalize=canonicalize)
    table = Table(title=f"ns-edit {editor.name} (strength {strength}): {len(results)} runs")
    for column in ("source run", "edited run (config.yml)", "volume change"):
        table.add_column(column)
    for r in results:
        change = r.metrics.get("volume_change")
        table.add_row(str(r.source.config_path), str(r.config_path), f"{change:+.3f}" if isinstance(change, float) else "")
    console.print(table)
    console.print(f"load {timings['load_seconds']:.2f} s, edit {timings['edit_seconds']:.3f} s "
                  f"({int(timings['editor_calls'])} batched editor call(s)), write {timings['write_seconds']:.2f} s, "
                  f"meshes/renders {timings['extras_seconds']:.2f} s")


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


def bare_ray_flag(argv: list[str]) -> list[str]:
    """`--ray` given without an address means a local Ray instance: `--ray local`."""
    result = list(argv)
    for k, arg in enumerate(argv):
        if arg == "--ray" and (k + 1 == len(argv) or argv[k + 1].startswith("-")):
            result[k] = "--ray=local"
    return result


def main() -> None:
    warnings.showwarning = _one_line_warning
    sys.argv = bare_ray_flag(sys.argv)
    try:
        app()
    except InreditError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
