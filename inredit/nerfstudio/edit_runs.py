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

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inredit.edits.base import Editor
from inredit.edits.batch import EditSource, edit_batch, group_by_spec, per_spec
from inredit.errors import InreditError
from inredit.files import atomic_write_text
from inredit.geometry.mesh_io import check_mesh_format
from inredit.inr.weights import INRWeights
from inredit.nerfstudio.checkpoint import save_checkpoint
from inredit.nerfstudio.run_geometry import SourceRun, edited_state, open_run
from inredit.nerfstudio.runs import (
    RunConfig,
    absolute_data_path,
    load_run_config,
    run_dir_for,
)

EDIT_RECORD = "inredit_edit.json"
EDIT_FORMAT = "inredit.ns-edit/1"


@dataclass
class EditedRun:
    source: SourceRun
    run_dir: Path
    config_path: Path
    checkpoint_path: Path
    inr: INRWeights
    files: dict[str, Path] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


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
    if mesh_format is not None:
        check_mesh_format(mesh_format)
    output_dir = Path(output_dir).resolve()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    sources = [open_run(p, step) for p in config_paths]
    for source in sources:
        editor.check_spec(source.inr, source.config_path)
    targets = _new_run_dirs(sources, output_dir)
    timings["load_seconds"] = time.perf_counter() - start

    # one batched editor call per spec (all runs, when they share one): the call every front end makes
    start = time.perf_counter()
    canonical = [should_canonicalize(source, editor, canonicalize) for source in sources]
    extras: list[dict] = [{"canonicalized": c} for c in canonical]
    inrs = _canonical_inputs(sources, canonical, extras)
    outcomes = edit_batch([EditSource(source.config_path.parent.name, inr, source.checkpoint_path)
                           for source, inr in zip(sources, inrs)], editor, strength)
    edited = _distill_widened([o.inr for o in outcomes], inrs, extras)
    timings["edit_seconds"] = time.perf_counter() - start
    timings["editor_calls"] = len(group_by_spec(inrs))

    start = time.perf_counter()
    results = []
    for i, (source, inr, run_dir) in enumerate(zip(sources, edited, targets)):
        source_sha = outcomes[i].metadata["edit"]["input_sha256"]
        results.append(_write_run(source, inr, run_dir, editor, strength, source_sha, extras[i]))
    timings["write_seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    for result in results:
        _write_extras(result, mesh_format, mesh_resolution, renders, render_resolution)
    timings["extras_seconds"] = time.perf_counter() - start
    return results, timings


def _canonical_inputs(sources: Sequence[SourceRun], canonical: list[bool], extras: list[dict]) -> list[INRWeights]:
    """Each run's geometry, refitted by the fit job where `canonical` says so (one refit per spec)."""
    inrs = [source.inr for source in sources]
    todo = [i for i, flag in enumerate(canonical) if flag]
    if todo:
        from inredit.fitting.distill import canonicalize as canonical_fit

        def refit(indices: list[int]) -> list[tuple[INRWeights, float]]:
            refitted, ious = canonical_fit(INRWeights.cat([inrs[todo[k]] for k in indices]))
            return list(zip(refitted.split(), ious))

        for i, (inr, fit_iou) in zip(todo, per_spec([inrs[i] for i in todo], refit)):
            inrs[i], extras[i]["canonical_iou_to_run_geometry"] = inr, fit_iou
    return inrs


def _distill_widened(edited: list[INRWeights], inputs: list[INRWeights], extras: list[dict]) -> list[INRWeights]:
    """Edits that widened the INR (exact edits add a constant unit) refitted at the run's spec: the
    field keeps its spec. The refit's agreement with the exact edit goes into `extras`."""
    edited = list(edited)
    widened = [i for i, (out, inr) in enumerate(zip(edited, inputs)) if out.spec != inr.spec]

    def distill(indices: list[int]) -> list[tuple[INRWeights, dict]]:
        runs = [widened[k] for k in indices]
        out, agreement = distill_back(INRWeights.cat([edited[i] for i in runs]), INRWeights.cat([inputs[i] for i in runs]))
        return [(inr, {"distilled_from_spec": agreement["from_spec"], "distilled_iou_to_exact_edit": fit_iou})
                for inr, fit_iou in zip(out.split(), agreement["iou"])]

    for i, (inr, record) in zip(widened, per_spec([inputs[i] for i in widened], distill)):
        edited[i] = inr
        extras[i] |= record
    return edited


def distill_back(edited: INRWeights, original: INRWeights) -> tuple[INRWeights, dict]:
    """The edited geometry refitted at the run's spec (warm-started from the run's own geometry),
    and its agreement with the exact edit: IoU per run."""
    from inredit.fitting.distill import distill_with_agreement

    result, ious = distill_with_agreement(edited, original.spec, init=original)
    return result.inr, {"from_spec": edited.spec.short_name, "iou": ious}


def _write_run(source: SourceRun, inr: INRWeights, run_dir: Path, editor: Editor, strength: float,
               source_sha: str, metrics: dict | None = None) -> EditedRun:
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
    from inredit.edits.outputs import grid_values_and_metrics
    from inredit.geometry.mesh_io import save_mesh
    from inredit.inr.torch_backend import sdf_function
    from inredit.render.cameras import orbit_cameras
    from inredit.render.grids import grid_to_mesh
    from inredit.render.images import image_grid, save_png
    from inredit.render.views import render_sdf_views

    before, after = result.source.inr, result.inr
    if mesh_format is not None:  # the mesh grid's values give the metrics too (one evaluation)
        values, metrics = grid_values_and_metrics(before, after, mesh_resolution)
        try:
            mesh = _to_world(grid_to_mesh(values), result.source.config)
            result.files["mesh"] = save_mesh(mesh, result.run_dir / f"edited_geometry.{mesh_format}")
        except InreditError as exc:  # e.g. an edit that empties the cube: report, keep the run
            result.metrics["mesh_error"] = str(exc)  # type: ignore[assignment]
    else:
        metrics = edit_metrics(before, after)[0]
    if renders:
        cameras = orbit_cameras(4)
        grid = image_grid([render_sdf_views(sdf_function(before), cameras, render_resolution),
                           render_sdf_views(sdf_function(after), cameras, render_resolution)])
        result.files["renders"] = save_png(grid, result.run_dir / "before_after.png")
    result.metrics.update({k: metrics[k] for k in ("volume_before", "volume_after", "volume_change", "iou_before_after")})
    record_path = result.run_dir / EDIT_RECORD
    record = json.loads(record_path.read_text())
    record["files"] = {k: str(v) for k, v in result.files.items()}
    record["metrics"] = result.metrics
    atomic_write_text(record_path, json.dumps(record, indent=1, default=str))
