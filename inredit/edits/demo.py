"""The editing half of `inredit demo`: remove the shipped mug's handle (learned) and score it
exactly, and symmetrize the shipped composition across x = 0 (exact).

The shipped mug is `primitives.mug()`; its handle-free body is `primitives.mug(with_handle=False)`
in the same coordinates, so the ground-truth handle region of the normalized mug is known.
"""

from __future__ import annotations

from pathlib import Path

from inredit.edits.outputs import edit_files
from inredit.edits.registry import available_editors
from inredit.geometry import primitives
from inredit.geometry.mesh_io import load_mesh
from inredit.geometry.metrics import grid_points, iou
from inredit.geometry.shapes import MeshShape
from inredit.inr.io import load_inr
from inredit.render.grids import inr_occupancy

RESOLUTION = 64


def shipped_mug_handle_scores(edited_inr_file: Path, shipped_mug: Path) -> dict:
    """Fraction of the handle region the edit emptied, and IoU of the body outside it."""
    transform = load_mesh(shipped_mug).transform
    grid = grid_points(RESOLUTION)
    mug = MeshShape(primitives.mug().apply_transform(transform)).occupancy(grid)
    body = MeshShape(primitives.mug(with_handle=False).apply_transform(transform)).occupancy(grid)
    handle = mug & ~body
    edited = inr_occupancy(load_inr(edited_inr_file)[0], RESOLUTION)[0]
    return {"handle_emptied": float((~edited[handle]).mean()), "body_iou": iou(edited[~handle], body[~handle])}


def remove_handle_demo(mug_inr_file: Path, shipped_mug: Path, out_dir: Path) -> dict | None:
    """Edit the fitted mug with the shipped remove-handle editor; None if no editor is shipped yet."""
    editor = available_editors().get("remove-handle")
    if editor is None:
        return None
    result = edit_files([mug_inr_file], editor, out_dir)[0]
    return result | shipped_mug_handle_scores(result["inr"], shipped_mug)


def symmetrize_demo(inr_file: Path, out_dir: Path) -> dict:
    """The exact symmetrize edit of a fitted shape across x = 0."""
    from inredit.edits.registry import get_editor

    return edit_files([inr_file], get_editor("symmetrize", axis="x"), out_dir)[0]
