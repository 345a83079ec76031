"""Upload limits: the app is meant to be shared, so one request must not eat the machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inredit.errors import InreditError


@dataclass(frozen=True)
class Limits:
    max_upload_mb: float = 25.0  # per file; also passed to gradio so the server refuses bigger uploads
    max_faces: int = 300_000  # SDF sampling and ray-parity voting grow with the face count
    max_meshes: int = 16  # per fit request: the batch shares one training run
    max_inrs: int = 64  # per edit request
    min_steps: int = 100
    max_steps: int = 20_000

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def check_files(self, paths: list[Path], limit: int, what: str) -> None:
        """Raise for an empty, too long or too heavy list of uploads (before parsing anything)."""
        if not paths:
            raise InreditError(f"no {what} given: upload one or pick an example")
        if len(paths) > limit:
            raise InreditError(f"{len(paths)} {what} uploaded, the limit is {limit} per request")
        for path in paths:
            size = path.stat().st_size
            if size > self.max_upload_bytes:
                raise InreditError(
                    f"file is too large ({size / 1024**2:.1f} MB, the limit is {self.max_upload_mb:g} MB)", path
                )
