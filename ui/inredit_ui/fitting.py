"""Fit tab logic (no gradio here): uploaded meshes -> INR files, renders, GLBs, metrics, zip."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inredit.fitting.job import FitJob
from inredit.fitting.meshes import fit_meshes
from inredit.geometry.mesh_io import load_mesh
from inredit.inr.io import load_inr
from inredit_ui.bundle import named_copy, write_zip
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings, cached_preview
from inredit_ui.workspace import Workspace

Progress = Callable[[float, str], None]  # (fraction done, description)

FULL_STEPS = FitJob().fit.steps  # the benchmarked default: full quality


@dataclass
class FittedShape:
    name: str
    inr_path: Path
    render_path: Path
    glb_path: Path | None
    metrics: dict


@dataclass
class FitOutcome:
    shapes: list[FittedShape]
    zip_path: Path | None  # only when several shapes were fitted
    warnings: list[str]


def fit_uploads(
    mesh_paths: list[Path],
    steps: int,
    measure: bool,
    limits: Limits,
    workspace: Workspace,
    settings: PreviewSettings,
    progress: Progress = lambda fraction, text: None,
    device: str = "cpu",
) -> FitOutcome:
    limits.check_files(mesh_paths, limits.max_meshes, "meshes")
    steps = int(min(max(steps, limits.min_steps), limits.max_steps))
    # validate every mesh (and the face limit) before any training starts
    progress(0.0, "checking meshes")
    notes = []  # e.g. "not watertight": shown in the page (the server log gets the MeshWarning too)
    for path in mesh_paths:
        mesh = load_mesh(path, max_faces=limits.max_faces)
        notes += [note.replace(str(path), path.name) for note in mesh.warnings]

    job = FitJob(device=device, metrics=measure)
    job.fit = dataclasses.replace(job.fit, steps=steps)
    out_dir = workspace.new_request_dir("fit")

    def on_progress(text: str, done: int, total: int) -> None:
        if done % 25 == 0:  # gradio progress updates are messages: keep them few
            progress(0.05 + 0.8 * done / total, f"{text}: step {done}/{total}")
        if done == total:
            progress(0.85, "measuring fit quality and saving" if measure else "saving")

    progress(0.02, "sampling signed distances")
    records = fit_meshes(mesh_paths, out_dir, job, on_progress=on_progress)

    shapes = []
    for i, record in enumerate(records):
        progress(0.85 + 0.15 * i / len(records), f"rendering {record.name}")
        inr, _ = load_inr(record.path)
        png = cached_preview(workspace, record.path, inr, settings, "png")
        glb = cached_preview(workspace, record.path, inr, settings, "glb")
        render, glb = named_copy(png, out_dir / f"{record.name}.png"), named_copy(glb, out_dir / f"{record.name}.glb")
        shapes.append(FittedShape(record.name, record.path, render, glb, record.metrics))
    zip_path = None
    if len(shapes) > 1:
        files = [f for s in shapes for f in (s.inr_path, s.glb_path, s.render_path) if f is not None]
        zip_path = write_zip(out_dir / "fitted_inrs.zip", {f.name: f for f in files})
    return FitOutcome(shapes, zip_path, notes)
