"""Where the app writes its files: one fresh folder per request under a root, pruned by age.

Gradio copies every output file into its own cache before serving it, so request folders are
only needed while a request runs (and as the render cache); old ones are deleted.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

MAX_AGE_SECONDS = 6 * 3600


class Workspace:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else Path(tempfile.gettempdir()) / "inredit-ui"
        self.cache = self.root / "cache"
        self.cache.mkdir(parents=True, exist_ok=True)

    def new_request_dir(self, kind: str) -> Path:
        self.prune()
        return Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=self.root))

    def prune(self, max_age: float = MAX_AGE_SECONDS) -> None:
        cutoff = time.time() - max_age
        for path in self.root.iterdir():
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
                if path.is_dir() and path != self.cache:
                    shutil.rmtree(path, ignore_errors=True)
                elif path.is_file():
                    path.unlink(missing_ok=True)
            except FileNotFoundError:  # another request pruned it first
                pass
        for path in self.cache.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                pass

    def cached(self, key: str, suffix: str) -> Path:
        """Path of a cache entry (may not exist yet); keys are content hashes."""
        return self.cache / f"{key}{suffix}"
