"""Download files: zips for requests with several INRs, copies under readable names."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from inredit.files import atomic_write


def write_zip(path: Path, members: dict[str, Path]) -> Path:
    """Write `{name in the zip: file}` to `path` atomically (GLBs shrink well with deflate)."""

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, source in members.items():
                archive.write(source, arcname=name)

    atomic_write(path, write)
    return path


def named_copy(source: Path | None, target: Path) -> Path | None:
    """Copy a (hash-named) cache file to a name a user recognizes; None stays None."""
    if source is None:
        return None
    atomic_write(target, lambda tmp: shutil.copyfile(source, tmp))
    return target
