"""Renders (PNG) and viewer meshes (GLB) of INRs, cached by file content.

Before/after pictures must use the same cameras and resolution, and the "before" of an edit is
usually the render the Fit tab just made: caching by the INR file's hash makes that free.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inredit.errors import InreditError
from inredit.files import file_sha256
from inredit.geometry.mesh_io import save_mesh
from inredit.inr.weights import INRWeights
from inredit.render.files import render_inr
from inredit.render.grids import inr_mesh
from inredit.render.images import save_png
from inredit_ui.workspace import Workspace

MAX_VIEWER_FACES = 250_000  # a browser viewer (often software GL) stalls on bigger meshes


@dataclass(frozen=True)
class PreviewSettings:
    resolution: int = 160  # pixels per view; 4 views of 160 px render in about 2 s on 2 CPU cores
    views: int = 4
    mesh_resolution: int = 128  # marching-cubes grid of the 3D view / mesh download

    def key(self, kind: str) -> str:
        if kind == "png":
            return f"r{self.resolution}v{self.views}"
        return f"m{self.mesh_resolution}"


def render_png(inr: INRWeights, path: Path, settings: PreviewSettings) -> Path:
    return save_png(render_inr(inr, settings.resolution, settings.views), path)


def mesh_glb(inr: INRWeights, path: Path, settings: PreviewSettings) -> Path | None:
    """Marching-cubes GLB, or None when the INR has no surface (e.g. edited away entirely)."""
    resolution = settings.mesh_resolution
    while True:
        try:
            mesh = inr_mesh(inr, resolution)
        except InreditError:
            return None
        # a rough (quick) fit can be a cloud of tiny blobs: coarsen until the viewer can cope
        if len(mesh.faces) <= MAX_VIEWER_FACES or resolution <= 48:
            return save_mesh(mesh, path)
        resolution = resolution * 2 // 3


def cached_preview(
    workspace: Workspace, inr_file: Path, inr: INRWeights, settings: PreviewSettings, kind: str
) -> Path | None:
    """`kind` "png" (render) or "glb" (mesh) of the INR stored in `inr_file`, made once per content."""
    key = f"{file_sha256(inr_file)[:24]}-{settings.key(kind)}"
    target = workspace.cached(key, f".{kind}")
    if target.exists():
        return target
    missing = workspace.cached(key, ".nosurface")
    if missing.exists():
        return None
    if kind == "png":
        return render_png(inr, target, settings)
    result = mesh_glb(inr, target, settings)
    if result is None:
        missing.touch()
    return result
