"""Pair sources: for pair i of a config, the seeded shape, its exact edit, and its split.

Originals are normalized exactly as `inredit fit` normalizes a user's mesh (bounding box centred,
longest side spanning [-0.9, 0.9]), so editors see INRs like the ones users fit; the edit is then
computed in that normalized frame (the mug body gets the same transform as its mug).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from inredit.geometry import edits
from inredit.geometry.compositions import (
    CompositionParams,
    make_composition,
    sample_composition_params,
)
from inredit.geometry.families import make_mug, sample_mug_params, sample_teapot_params, sample_vessel_params
from inredit.geometry.mesh_io import from_trimesh
from inredit.geometry.shapes import DifferenceShape, MeshShape, OffsetShape
from inredit.pairs.config import PairConfig

SPLITS = ("train", "val", "test")


@dataclass
class PairSource:
    index: int
    seed: list[int]
    split: str
    family: str
    params: dict
    normalization: dict  # center, scale: normalized = scale * (family - center)
    original: MeshShape
    target: MeshShape | OffsetShape | DifferenceShape


def pair_rng(config: PairConfig, index: int) -> np.random.Generator:
    """Independent stream per pair: the same (seed, index) always gives the same shape."""
    return np.random.default_rng([config.seed, index])


def make_source(config: PairConfig, index: int) -> PairSource:
    """Pair `index` of the config; for a user's mesh pairs, an unusable row raises InreditError."""
    rng = pair_rng(config, index)
    split = SPLITS[int(np.searchsorted(np.cumsum(config.splits), rng.random(), side="right").clip(0, 2))]
    if config.family == "meshes":
        return _user_source(config, index, split)
    family = config.family if config.family != "mixed" else ("mug" if rng.random() < 0.5 else "composition")
    if family == "teapot":
        params = sample_teapot_params(rng)
        mesh = make_mug(params)
    elif family in ("mug", "vessel", "vessel-extended"):
        params = sample_mug_params(rng) if family == "mug" else sample_vessel_params(rng, family == "vessel-extended")
        mesh = make_mug(params)
    else:
        params = sample_composition_params(rng)
        if config.max_parts:  # truncate after sampling: the random stream (and other pairs) stay the same
            params = CompositionParams(params.parts[: config.max_parts])
        mesh = make_composition(params)
    normalized = from_trimesh(mesh, name=f"pair-{index}")
    original = normalized.mesh
    if config.edit == "remove-handle":
        target = MeshShape(edits.remove_handle(params).apply_transform(normalized.transform))
        if config.target == "removed":  # the handles, grown by a margin, minus the body
            handles = MeshShape(edits.mug_handle(params).apply_transform(normalized.transform))
            target = DifferenceShape(OffsetShape(handles, config.removed_margin), target)
    elif config.edit == "symmetrize":
        target = MeshShape(edits.symmetrize(original))
    elif config.edit == "dilate":
        target = edits.dilate(original, config.radius)
    else:
        target = edits.erode(original, config.radius)
    normalization = {"center": normalized.center.tolist(), "scale": float(normalized.scale)}
    return PairSource(index, [config.seed, index], split, family, params.to_dict(), normalization, MeshShape(original), target)


def _user_source(config: PairConfig, index: int, seeded_split: str) -> PairSource:
    from inredit.pairs.user_meshes import load_mesh_pair

    row = _csv_rows(config.pairs_csv)[index]
    original, edited = load_mesh_pair(row, config.up)
    params = {"original": str(row.original), "edited": str(row.edited), "original_sha256": original.sha256}
    return PairSource(index, [config.seed, index], row.split or seeded_split, "meshes", params,
                      original.normalization_metadata(), MeshShape(original.mesh, original.watertight), edited)


@functools.lru_cache(maxsize=4)
def _csv_rows(path: str) -> list:
    from inredit.pairs.user_meshes import read_pairs_csv

    return read_pairs_csv(path)


def to_family_frame(points: np.ndarray, normalization: dict) -> np.ndarray:
    """Normalized points back to the procedural family's frame (e.g. to query the handle region)."""
    return points / normalization["scale"] + np.asarray(normalization["center"])
