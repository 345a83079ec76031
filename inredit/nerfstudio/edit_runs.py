"""`inredit ns-edit`: edit the geometry of trained `inredit-sdf` runs in one batched editor call.

For each run (`RUN/config.yml`): read the config (as YAML nodes: nothing is imported or built,
see `runs.py`) and its latest checkpoint
(`weights_only=True`), take the INR weights `_model.field.geometry.weight_i`; every run is checked
before anything is written. The INRs of all runs go through the editor in one call (one per spec,
if runs differ). Each run is written anew under `OUTPUT_DIR/<experiment>/inredit-sdf/<timestamp>/`:
`config.yml` (the source's, pointing at the new folder), `nerfstudio_models/step-N.ckpt` (the
source checkpoint with only the geometry weights replaced and the edit appended to the geometry's
recorded edits; numpy scalars become Python numbers), `inredit_edit.json` (what was done, from
what, the source checkpoint's SHA-256), and optionally `edited_geometry.<fmt>` (marching cubes of
the edited INR, in world coordinates: nerfstudio's `ns-export marching-cubes` needs CUDA) and
`before_after.png` (sphere-traced geometry, source above edited). Source runs are only read.
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from inredit.edits.base import Editor
from inredit.errors import InreditError
from inredit.files import atomic_write_text
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights
from inredit.nerfstudio.checkpoint import (
    GEOMETRY_STATE_FORMAT,
    file_sha256,
    find_checkpoint,
    geometry_prefix,
    load_checkpoint,
    save_checkpoint,
    to_plain,
)
from inredit.nerfstudio.runs import (
    RunConfig,
    absolute_data_path,
    check_method,
    load_run_config,
    run_dir_for,
)

EDIT_RECORD = "inredit_edit.json"
EDIT_FORMAT = "inredit.ns-edit/1"


@dataclass
class SourceRun:
    config_path: Path
    config: RunConfig
    checkpoint_path: Path
    step: int
    state: dict[str, Any]
    inr: INRWeights  # batch of one


@dataclass
class EditedRun:
    source: SourceRun
    run_dir: Path
    config_path: Path
    checkpoint_path: Path
    inr: INRWeights
    files: dict[str, Path] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


def config_spec(config: RunConfig) -> INRSpec:
    """The geometry spec an inredit-sdf config asks for (`InreditSDFModelConfig.inr_spec`)."""
    default = INRSpec()
    return INRSpec(n_frequencies=int(config.model("geometry_frequencies", default.n_frequencies)),
                   width=int(config.model("geometry_width", default.width)),
                   n_hidden_layers=int(config.model("geometry_hidden_layers", default.n_hidden_layers)))


def geometry_spec(state: dict[str, Any], config: RunConfig, path: Path) -> INRSpec:
    """The geometry spec recorded in the checkpoint; it must agree with the run's config."""
    key = geometry_prefix(state["pipeline"]) + "_extra_state"
    extra = state["pipeline"].get(key)
    if not isinstance(extra, dict) or extra.get("format") != GEOMETRY_STATE_FORMAT:
        raise InreditError(f"checkpoint has no inredit geometry (key '{key}' missing): not an inredit-sdf checkpoint",
                           path)
    try:
        spec = INRSpec.from_dict(extra["spec"])
    except (InreditError, TypeError, KeyError) as exc:
        raise InreditError(f"bad geometry spec in checkpoint ({exc})", path) from None
    try:
        expected = config_spec(config)
    except (InreditError, TypeError, ValueError) as exc:
        raise InreditError(f"bad geometry settings in the run config ({exc})", config.path) from None
    if expected != spec:
        raise InreditError(f"checkpoint geometry spec {spec.describe()} differs from the config's "
                           f"{expected.describe()}", path)
    return spec


def geometry_from_state(state: dict[str, Any], spec: INRSpec, path: Path) -> INRWeights:
    pipeline = state["pipeline"]
    prefix = geometry_prefix(pipeline)
    weights = []
    for i, shape in enumerate(spec.layer_shapes()):
        key = f"{prefix}weight_{i}"
        tensor = pipeline.get(key)
        if not isinstance(tensor, torch.Tensor):
            raise InreditError(f"checkpoint lacks the geometry tensor '{key}'", path)
        if tuple(tensor.shape) != shape:
            raise InreditError(f"geometry tensor '{key}' has shape {tuple(tensor.shape)}, spec "
                               f"{spec.describe()} needs {shape}", path)
        weights.append(tensor.detach().float().unsqueeze(0).clone())
    inr = INRWeights(spec, weights, names=[str(path)])
    inr.check_finite(path)
    return inr


def open_run(config_path: str | Path, step: int | None = None) -> SourceRun:
    """Load and check one run: method, checkpoint, geometry tensors and spec."""
    config_path = Path(config_path)
    config = load_run_config(config_path)
    check_method(config)
    found_step, ckpt = find_checkpoint(config.checkpoint_dir(), step, config_path)
    state = load_checkpoint(ckpt)
    spec = geometry_spec(state, config, ckpt)
    return SourceRun(config_path, config, ckpt, found_step, state, geometry_from_state(state, spec, ckpt))


def edited_state(source: SourceRun, edited: INRWeights, record: dict[str, Any]) -> dict[str, Any]:
    """The source checkpoint with the geometry weights replaced (same dtype) and the edit recorded."""
    state = to_plain(source.state)
    pipeline = state["pipeline"]
    prefix = geometry_prefix(pipeline)
    for i, w in enumerate(edited.weights):
        key = f"{prefix}weight_{i}"
        pipeline[key] = w[0].detach().to(dtype=pipeline[key].dtype).contiguous().clone()
    extra = copy.deepcopy(pipeline[prefix + "_extra_state"])
    extra["edits"] = list(extra.get("edits", [])) + [record]
    pipeline[prefix + "_extra_state"] = extra
    return state


def _new_run_dirs(sources: Sequence[SourceRun], output_dir: Path) -> list[Path]:
    """`OUTPUT/<experiment>/inredit-sdf/<timestamp>` per run; `_2`, `_3`… on collisions."""
    taken: set[Path] = set()
    source_dirs = [s.config_path.resolve().parent for s in sources]
    dirs = []
    for source in sources:
        base = run_dir_for(output_dir, source.config)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = base.with_name(f"{base.name}_{n}")
        if candidate.exists():
            raise InreditError("output run folder already exists (choose another --output-dir)", candidate)
        for src in source_dirs:
            if candidate == src or src in candidate.parents or candidate in src.parents:
                raise InreditError(f"output run folder would overlap the source run {src}", candidate)
        taken.add(candidate)
        dirs.append(candidate)
    return dirs


def _to_world(mesh, config: RunConfig):
    """INR frame -> world: x = inr_center + inr_half_extent * u."""
    mesh = mesh.copy()
    mesh.apply_scale(float(config.model("inr_half_extent", 1.0)))
    mesh.apply_translation([float(v) for v in config.model("inr_center", [0.0, 0.0, 0.0])])
    return mesh


CANONICALIZE = ("auto", "always", "never")


def check_canonicalize_policy(policy: str) -> None:
    if policy not in CANONICALIZE:
        raise InreditError(f"unknown canonicalize policy {policy!r}: use {', '.join(CANONICALIZE)}")


def trained_by_rendering(source: SourceRun) -> bool:
    """True when the run's geometry is not a frozen mesh fit: it started from a sphere or the
    training views' visual hull (no `geometry_init`), or volume rendering trained it (`freeze_geometry` off)."""
    return source.config.model("geometry_init") in (None, "") or not bool(source.config.model("freeze_geometry", False))


def should_canonicalize(source: SourceRun, editor: Editor, policy: str) -> bool:
    """auto: before a learned edit of a geometry trained by volume rendering, whose weights are not of
    the kind the editors learned from (mesh fits of the fit job); exact edits need no canonical form."""
    check_canonicalize_policy(policy)
    if policy == "auto":
        return editor.kind == "learned" and trained_by_rendering(source)
    return policy == "always"


def edit_runs(
    config_paths: Sequence[str | Path],
    editor: Editor,
    output_dir: str | Path,
    strength: float = 1.0,
    step: int | None = None,
    mesh_format: str | None = "ply",
    mesh_resolution: int = 128,
    renders: bool = True,
    render_resolution: int = 128,
    canonicalize: str = "auto",
) -> tuple[list[EditedRun], dict[str, float]]:
    """Edit every run; returns the new runs and timings (seconds: load, edit, write).

    `canonicalize` (auto, always, never): refit a run's geometry by the fit job from the shared
    initialization before the edit (`inredit.fitting.distill.canonicalize`); auto does it for learned edits
    of geometry trained by volume rendering. The edited run records whether it was done and the refit's IoU
    with the run's own geometry."""
    if not config_paths:
        raise InreditError("no runs given (pass --load-config RUN/config.yml, repeatable)")
    check_canonicalize_policy(canonicalize)  # before any run is read
    if mesh_format not in (None, "ply", "glb", "obj"):
        raise InreditError(f"unknown mesh format {mesh_format!r}: use ply, glb or obj")
    output_dir = Path(output_dir).resolve()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    sources = [open_run(p, step) for p in config_paths]
    for source in sources:
        editor.check_spec(source.inr, source.config_path)
    targets = _new_run_dirs(sources, output_dir)
    timings["load_seconds"] = time.perf_counter() - start

    # one batched editor call per spec (all runs, when they share one)
    start = time.perf_counter()
    edited: list[INRWeights | None] = [None] * len(sources)
    distilled: dict[int, dict] = {}
    canonical = [should_canonicalize(source, editor, canonicalize) for source in sources]
    extras: list[dict] = [{"canonicalized": c} for c in canonical]
    groups: dict[INRSpec, list[int]] = {}
    for i, source in enumerate(sources):
        groups.setdefault(source.inr.spec, []).append(i)
    for indices in groups.values():
        batch = INRWeights.cat([sources[i].inr for i in indices])
        refit = [j for j, i in enumerate(indices) if canonical[i]]
        if refit:
            from inredit.fitting.distill import canonicalize as canonical_fit

            refitted, ious = canonical_fit(batch.select(torch.tensor(refit)))
            batch = INRWeights.cat([refitted.select(refit.index(j)) if j in refit else batch.select(j)
                                    for j in range(len(indices))])
            for k, j in enumerate(refit):
                extras[indices[j]]["canonical_iou_to_run_geometry"] = ious[k]
        out = editor.edit(batch, strength)
        if out.spec != batch.spec:  # the edit widened it (exact edits, a constant unit): the field keeps its spec
            out, agreement = distill_back(out, batch)
            distilled |= {i: {"from_spec": agreement["from_spec"], "iou": agreement["iou"][j]} for j, i in enumerate(indices)}
        for j, i in enumerate(indices):
            edited[i] = out.select(j)
    timings["edit_seconds"] = time.perf_counter() - start
    timings["editor_calls"] = len(groups)

    start = time.perf_counter()
    results = []
    for i, (source, inr, run_dir) in enumerate(zip(sources, edited, targets)):
        assert inr is not None
        extra = extras[i] | ({"distilled_from_spec": distilled[i]["from_spec"],
                              "distilled_iou_to_exact_edit": distilled[i]["iou"]} if i in distilled else {})
        results.append(_write_run(source, inr, run_dir, editor, strength, extra))
    timings["write_seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    for result in results:
        _write_extras(result, mesh_format, mesh_resolution, renders, render_resolution)
    timings["extras_seconds"] = time.perf_counter() - start
    return results, timings


def distill_back(edited: INRWeights, original: INRWeights) -> tuple[INRWeights, dict]:
    """The edited geometry refitted at the run's spec (warm-started from the run's own geometry),
    and its agreement with the exact edit: IoU per run."""
    from inredit.fitting.distill import distill_with_agreement

    result, ious = distill_with_agreement(edited, original.spec, init=original)
    return result.inr, {"from_spec": edited.spec.describe().split(" ")[0], "iou": ious}


def _write_run(source: SourceRun, inr: INRWeights, run_dir: Path, editor: Editor, strength: float,
               metrics: dict | None = None) -> EditedRun:
    source_sha = file_sha256(source.checkpoint_path)
    record = {"edit": editor.name, "strength": float(strength), "by": "inredit ns-edit",
              "source_config": str(source.config_path.resolve()), "source_checkpoint_sha256": source_sha}
    state = edited_state(source, inr, record)
    config = load_run_config(source.config_path)  # a fresh node graph to rewrite
    config.set_run_dir(run_dir)
    for key in ("load_dir", "load_checkpoint"):
        if config.get(key) is not None:
            config.set_str(None, key)
    for keys in (("data",), ("pipeline", "datamanager", "data"), ("pipeline", "datamanager", "dataparser", "data")):
        absolute_data_path(config, *keys)
    assert config.base_dir() == run_dir, (config.base_dir(), run_dir)
    ckpt_path = run_dir / config.relative_model_dir / source.checkpoint_path.name
    save_checkpoint(state, ckpt_path)
    config_path = run_dir / "config.yml"
    atomic_write_text(config_path, config.dump())
    extra = source.config_path.resolve().parent / "dataparser_transforms.json"
    if extra.exists():
        shutil.copy2(extra, run_dir / extra.name)
    result = EditedRun(source, run_dir, config_path, ckpt_path, inr, {"config": config_path, "checkpoint": ckpt_path},
                       dict(metrics or {}))
    _write_record(result, editor, strength, source_sha)
    return result


def _write_record(result: EditedRun, editor: Editor, strength: float, source_sha: str) -> None:
    source = result.source
    record = {
        "format": EDIT_FORMAT,
        "edit": editor.name,
        "strength": float(strength),
        "editor": {"name": editor.name, "description": editor.description,
                   "spec": editor.spec.to_dict() if editor.spec is not None else None,
                   "card": getattr(editor, "card", None)},
        "geometry_spec": result.inr.spec.to_dict(),
        "source": {"config": str(source.config_path.resolve()), "checkpoint": str(source.checkpoint_path.resolve()),
                   "checkpoint_sha256": source_sha, "step": source.step},
        "files": {k: str(v) for k, v in result.files.items()},
        "metrics": result.metrics,
    }
    atomic_write_text(result.run_dir / EDIT_RECORD, json.dumps(record, indent=1, default=str))


def _write_extras(result: EditedRun, mesh_format: str | None, mesh_resolution: int, renders: bool,
                  render_resolution: int) -> None:
    """Mesh of the edited geometry (world coordinates) and a before/after render; volume change."""
    if mesh_format is None and not renders:
        return  # (their imports alone cost seconds: trimesh, open3d)
    from inredit.edits.batch import edit_metrics
    from inredit.geometry.mesh_io import save_mesh
    from inredit.inr.torch_backend import sdf_function
    from inredit.render.cameras import orbit_cameras
    from inredit.render.grids import inr_mesh
    from inredit.render.images import image_grid, save_png
    from inredit.render.views import render_sdf_views

    before, after = result.source.inr, result.inr
    if mesh_format is not None:
        try:
            mesh = _to_world(inr_mesh(after, mesh_resolution), result.source.config)
            result.files["mesh"] = save_mesh(mesh, result.run_dir / f"edited_geometry.{mesh_format}")
        except InreditError as exc:  # e.g. an edit that empties the cube: report, keep the run
            result.metrics["mesh_error"] = str(exc)  # type: ignore[assignment]
    if renders:
        cameras = orbit_cameras(4)
        grid = image_grid([render_sdf_views(sdf_function(before), cameras, render_resolution),
                           render_sdf_views(sdf_function(after), cameras, render_resolution)])
        result.files["renders"] = save_png(grid, result.run_dir / "before_after.png")
    metrics = edit_metrics(before, after)[0]
    result.metrics.update({k: metrics[k] for k in ("volume_before", "volume_after", "volume_change", "iou_before_after")})
    record_path = result.run_dir / EDIT_RECORD
    record = json.loads(record_path.read_text())
    record["files"] = {k: str(v) for k, v in result.files.items()}
    record["metrics"] = result.metrics
    atomic_write_text(record_path, json.dumps(record, indent=1, default=str))
