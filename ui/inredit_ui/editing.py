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
from inredit.edits.batch import EditSource, edit_batch, edit_metrics, per_spec
from inredit.inr.io import load_inr, save_inr
from inredit.inr.weights import INRWeights
from inredit.render.images import image_grid, save_png
from inredit_ui.bundle import named_copy, write_zip
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings, cached_preview
from inredit_ui.workspace import Workspace

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
    loaded = [(path, *load_inr(path)) for path in paths]  # every file is read and checked before any work

    progress(0.1, f"editing ({editor.name})")
    names = unique_names(paths)
    outcomes = edit_batch([EditSource(name, inr, path, meta) for name, (path, inr, meta) in zip(names, loaded)],
                          editor, strength)  # one batched call per spec, as `inredit edit` and ns-edit
    metrics = per_spec([o.source.inr for o in outcomes],  # one grid evaluation per spec
                       lambda indices: edit_metrics(INRWeights.cat([outcomes[i].source.inr for i in indices]),
                                                    INRWeights.cat([outcomes[i].inr for i in indices])))

    out_dir = workspace.new_request_dir("edit")
    shapes = []
    for k, outcome in enumerate(outcomes):
        name, path, inr = outcome.source.name, outcome.source.path, outcome.source.inr
        progress(0.2 + 0.8 * k / len(outcomes), f"rendering {name}")
        stem = f"{name}_{editor.name}"  # the names `inredit edit` writes
        metadata = outcome.metadata | {"metrics": {key: round(v, 6) for key, v in metrics[k].items()}}
        target = save_inr(out_dir / f"{stem}.safetensors", outcome.inr, metadata)
        before = cached_preview(workspace, path, inr, settings, "png")
        after = cached_preview(workspace, target, outcome.inr, settings, "png")
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


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))

