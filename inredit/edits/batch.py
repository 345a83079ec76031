"""One batched edit behind every front end (`inredit edit`, the UI's Edit tab, `inredit ns-edit`).

INRs are grouped by spec and each group goes through the editor in one call; every edited INR
gets the same provenance record: the source's own metadata (its fit metrics dropped: they no
longer apply) plus `edit` = {name, strength, input, input_sha256, input_metrics, editor card}.
Front ends only load their inputs and write their outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from inredit.edits.base import Editor
from inredit.files import file_sha256
from inredit.geometry.metrics import iou, mirror_occupancy
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights

METRIC_RESOLUTION = 64
T = TypeVar("T")


@dataclass
class EditSource:
    name: str
    inr: INRWeights  # one INR (a batch of one)
    path: Path  # the file the user gave (its SHA-256 goes into the provenance)
    metadata: dict = field(default_factory=dict)  # the INR file's own metadata (normalization, source, metrics)


@dataclass
class EditOutcome:
    source: EditSource
    inr: INRWeights  # the edited INR (a batch of one)
    metadata: dict  # what to store with it: the source's metadata + the `edit` record


def group_by_spec(inrs: Sequence[INRWeights]) -> dict[INRSpec, list[int]]:
    """Indices of the INRs of each spec, in input order."""
    groups: dict[INRSpec, list[int]] = {}
    for i, inr in enumerate(inrs):
        groups.setdefault(inr.spec, []).append(i)
    return groups


def per_spec(inrs: Sequence[INRWeights], compute: Callable[[list[int]], Sequence[T]]) -> list[T]:
    """Batched work over INRs of mixed specs: `compute(indices)` runs once per spec (the indices of
    that spec's INRs, in input order) and returns one result per index; results come back in input order."""
    results: list = [None] * len(inrs)
    for indices in group_by_spec(inrs).values():
        for i, value in zip(indices, compute(indices), strict=True):
            results[i] = value
    return results


def edit_batch(sources: Sequence[EditSource], editor: Editor, strength: float = 1.0) -> list[EditOutcome]:
    """Check every input, then edit them with one editor call per spec; outcomes in input order."""
    for source in sources:
        editor.check_spec(source.inr, source.path)
    edited = per_spec([s.inr for s in sources],
                      lambda indices: editor.edit(INRWeights.cat([sources[i].inr for i in indices]), strength).split())
    return [EditOutcome(source, inr, provenance(source, editor, strength)) for source, inr in zip(sources, edited)]


def provenance(source: EditSource, editor: Editor, strength: float) -> dict:
    metadata = {k: v for k, v in source.metadata.items() if k != "metrics"}
    metadata["edit"] = {"name": editor.name, "strength": strength, "input": source.path.name,
                        "input_sha256": file_sha256(source.path), "input_metrics": source.metadata.get("metrics", {}),
                        "editor": getattr(editor, "card", {})}
    return metadata


def occupancy_metrics(before: np.ndarray, after: np.ndarray, resolution: int) -> list[dict]:
    """Volume change and mirror symmetry (x = 0) before and after, from occupancy `(B, R^3)` on a grid
    symmetric about x = 0 with x the slowest axis (the metric grid, or a subgrid of the mesh grid)."""
    rows = []
    for b, a, mb, ma in zip(before, after, mirror_occupancy(before, resolution), mirror_occupancy(after, resolution)):
        rows.append({"volume_before": float(b.mean() * 8), "volume_after": float(a.mean() * 8),
                     "volume_change": float(a.sum() / max(b.sum(), 1) - 1), "iou_before_after": iou(b, a),
                     "symmetry_before": iou(b, mb), "symmetry_after": iou(a, ma)})
    return rows


def edit_metrics(before: INRWeights, after: INRWeights) -> list[dict]:
    """`occupancy_metrics` of each INR on the 64^3 metric grid."""
    from inredit.render.grids import inr_occupancy

    r = METRIC_RESOLUTION
    return occupancy_metrics(inr_occupancy(before, r), inr_occupancy(after, r), r)
