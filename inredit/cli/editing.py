"""Commands of the edit stage: edit (learned or exact, one batched call), list editors, combine, distill, the web UI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from inredit.cli.app import (
    app,
    console,
    progress_bar,
)
from inredit.errors import InreditError


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
    mesh_resolution: Annotated[int, typer.Option(help="Marching-cubes grid size (the metrics use a 64^3 subgrid of it).")] = 192,
    render_size: Annotated[int, typer.Option(help="Pixels per view of the before/after renders.")] = 256,
    remove_only: Annotated[bool, typer.Option("--remove-only", help="Intersect the edit with its input (exact): it "
                                              "can only remove material. The INR grows to twice the width, one more layer.")] = False,
) -> None:
    """Edit INRs in one batched call; writes edited INRs, meshes and before/after renders."""
    from inredit.edits.outputs import edit_files
    from inredit.edits.registry import resolve_editor

    editor = resolve_editor(edit_name, editor_file, axis, radius, remove_only)
    results = edit_files(inputs, editor, out, strength, mesh_resolution, mesh_format, render_size=render_size)
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
        spec_in = editor.spec.short_name if editor.spec is not None else "any"
        spec_out = editor.output_spec(editor.spec or DEFAULT_SPEC).short_name
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
