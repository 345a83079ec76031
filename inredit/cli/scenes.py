"""Commands for nerfstudio: render a scene dataset for ns-train, edit trained inredit-sdf runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from inredit.cli.app import (
    app,
    console,
)


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
