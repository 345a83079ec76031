"""Pairs from a user's own meshes: a CSV of (original, edited) mesh files teaches any edit.

    original,edited,split          <- header; split (train / val / test) is optional
    mugs/a.obj,mugs/a_nologo.obj,train

Paths are relative to the CSV. Both meshes of a row are put in the ORIGINAL's normalized frame
(its up axis, centre and scale): the edited mesh is never re-centred or re-scaled, or the pair
would no longer describe the edit. A row whose files are missing or unreadable, or whose edited
mesh leaves the original's frame, is skipped by the builder with a one-line reason (counted in
the dataset card); a CSV without the two columns is refused before anything is built.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inredit.errors import InreditError
from inredit.geometry.mesh_io import Mesh, load_mesh
from inredit.geometry.shapes import MeshShape

COLUMNS = ("original", "edited")
SPLIT_NAMES = ("train", "val", "test")
FRAME_LIMIT = 1.0  # the INR's domain: an edited mesh reaching beyond [-1, 1]^3 cannot be represented


@dataclass(frozen=True)
class MeshPairRow:
    original: Path
    edited: Path
    split: str | None  # None: the seeded split of the pair config


def read_pairs_csv(path: str | Path) -> list[MeshPairRow]:
    """The rows of a pairs CSV; one-line errors for a missing file, header or column, a bad split."""
    path = Path(path)
    if not path.is_file():
        raise InreditError("pairs CSV not found", path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InreditError(f"not a readable CSV ({exc})", path) from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InreditError(f"missing column(s) {', '.join(missing)} (the header must name {', '.join(COLUMNS)}"
                           f"[, split]; found {', '.join(header) or 'none'})", path)
    result = []
    for line, row in enumerate(rows, start=2):
        split = row.get("split") or None
        if split is not None and split not in SPLIT_NAMES:
            raise InreditError(f"line {line}: split {split!r} is not one of {', '.join(SPLIT_NAMES)}", path)
        if not row["original"] or not row["edited"]:
            raise InreditError(f"line {line}: empty original or edited path", path)
        result.append(MeshPairRow(path.parent / row["original"], path.parent / row["edited"], split))
    if not result:
        raise InreditError("no pairs (the CSV has a header but no rows)", path)
    return result


def load_mesh_pair(row: MeshPairRow, up: str = "auto") -> tuple[Mesh, MeshShape]:
    """(original normalized as `inredit fit` would, edited mesh moved by the same transform)."""
    original = load_mesh(row.original, up=up)
    edited = load_mesh(row.edited, normalize=False)
    moved = edited.mesh.copy()
    moved.apply_transform(original.transform)
    lo, hi = moved.bounds
    if np.any(lo < -FRAME_LIMIT) or np.any(hi > FRAME_LIMIT):
        raise InreditError(f"edited mesh leaves the original's frame (bounds {np.round(lo, 2).tolist()} .. "
                           f"{np.round(hi, 2).tolist()} after the original's normalization, the INR covers [-1, 1]); "
                           f"was it re-centred or re-scaled?", row.edited)
    a_lo, a_hi = original.mesh.bounds
    if np.any(np.minimum(hi, a_hi) <= np.maximum(lo, a_lo)):
        raise InreditError("edited mesh does not overlap the original (different frames?)", row.edited)
    return original, MeshShape(moved, edited.watertight)
