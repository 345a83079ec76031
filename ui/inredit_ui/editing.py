"""Edit tab logic (no gradio here): INR files -> edited INR files, before/after renders, metrics.

Split in two steps so the page can show the after-render as soon as it exists: `edit_uploads`
(edit + renders + metrics) and `add_meshes` (marching cubes for the 3D views, mesh files, zip).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from inredit.edits.base import Editor
from inredit.edits.batch import edit_metrics  # the same numbers `inredit edit` prints
from inredit.inr.io import load_inr, save_inr
from inredit.inr.weights import INRWeights
from inredit.render.images import image_grid, save_png
from inredit_ui.bundle import named_copy, write_zip
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings, cached_preview
from inredit_ui.workspace import Workspace, file_digest

Progress = Callable[[float, str], None]


@dataclass
class EditedShape:
    name: str
    source_path: Path  # the uploaded INR
    inr_path: Path  # the edited INR
    before_png: Path
    after_png: Path
    comparison_png: Path  # before above after, for the gallery
    metrics: dict
    before_glb: Path | None = None
    after_glb: Path | None = None


def unique_names(paths: list[Path]) -> list[str]:
    """File stems, numbered when repeated (two uploads may share a name)."""
    names, seen = [], {}
    for path in paths:
        count = seen.get(path.stem, 0)
        seen[path.stem] = count + 1
        names.append(path.stem if count == 0 else f"{path.stem}_{count + 1}")
    return names


def edit_uploads(
    paths: list[Path],
    editor: Editor,
    strength: float,
    limits: Limits,
    workspace: Workspace,
    settings: PreviewSettings,
    progress: Progress = lambda fraction, text: None,
) -> list[EditedShape]:
    limits.check_files(paths, limits.max_inrs, "INR files")
    progress(0.0, "loading INRs")
    loaded = [(path, *load_inr(path)) for path in paths]  # every file is checked before any work
    for path, inr, _ in loaded:
        editor.check_spec(inr, path)

    progress(0.1, f"editing ({editor.name})")
    edited: list[INRWeights | None] = [None] * len(loaded)
    metrics: list[dict | None] = [None] * len(loaded)
    for indices in _by_spec([inr for _, inr, _ in loaded]).values():
        batch = INRWeights.cat([loaded[i][1] for i in indices])
        result = editor.edit(batch, strength)  # one batched call per spec
        for j, (i, row) in enumerate(zip(indices, edit_metrics(batch, result))):
            edited[i], metrics[i] = result.select(j), row

    out_dir = workspace.new_request_dir("edit")
    shapes = []
    for k, ((path, inr, meta), name) in enumerate(zip(loaded, unique_names(paths))):
        progress(0.2 + 0.8 * k / len(loaded), f"rendering {name}")
        stem = f"{name}_{editor.name}"  # the names `inredit edit` writes
        target = save_inr(out_dir / f"{stem}.safetensors", edited[k],
                          _edit_metadata(meta, path, editor, strength, metrics[k]))
        before = cached_preview(workspace, path, inr, settings, "png")
        after = cached_preview(workspace, target, edited[k], settings, "png")
        comparison = save_png(image_grid([[read_rgb(before)], [read_rgb(after)]]), out_dir / f"{stem}_before_after.png")
        shapes.append(EditedShape(name, path, target, before, after, comparison, metrics[k]))
    return shapes


def add_meshes(shapes: list[EditedShape], workspace: Workspace, settings: PreviewSettings) -> Path | None:
    """Fill in before/after GLBs (named copies next to the edited INRs); zip everything if several."""
    for shape in shapes:
        before = cached_preview(workspace, shape.source_path, load_inr(shape.source_path)[0], settings, "glb")
        after = cached_preview(workspace, shape.inr_path, load_inr(shape.inr_path)[0], settings, "glb")
        shape.before_glb = named_copy(before, shape.inr_path.parent / f"{shape.name}_before.glb")
        shape.after_glb = named_copy(after, shape.inr_path.with_suffix(".glb"))
    if len(shapes) < 2:
        return None
    members = {}
    for shape in shapes:
        for path in (shape.inr_path, shape.after_glb, shape.comparison_png):
            if path is not None:
                members[path.name] = path
    return write_zip(shapes[0].inr_path.parent / "edited_inrs.zip", members)


def _by_spec(inrs: list[INRWeights]) -> dict:
    groups: dict = {}
    for i, inr in enumerate(inrs):
        groups.setdefault(inr.spec, []).append(i)
    return groups


def _edit_metadata(meta: dict, source: Path, editor: Editor, strength: float, metrics: dict) -> dict:
    """The source's provenance plus the edit, keyed like `inredit edit` (the fit metrics no longer apply)."""
    result = {k: v for k, v in meta.items() if k != "metrics"}
    result["edit"] = {
        "name": editor.name,
        "strength": strength,
        "input": source.name,
        "input_sha256": file_digest(source),
        "input_metrics": meta.get("metrics", {}),
        "editor": getattr(editor, "card", {}),
    }
    result["metrics"] = {k: round(v, 6) for k, v in metrics.items()}
    return result


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))

