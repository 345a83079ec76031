"""Images side by side or stacked, and PNG files written atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from inredit.files import atomic_write


def image_row(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Images of equal height side by side, separated by a white gap."""
    height = images[0].shape[0]
    spacer = np.full((height, gap, 3), 255, np.uint8)
    parts = [part for image in images for part in (image, spacer)][:-1]
    return np.concatenate(parts, axis=1)


def image_grid(rows: Sequence[Sequence[np.ndarray]], gap: int = 4) -> np.ndarray:
    """Rows of images stacked vertically (e.g. before above after)."""
    strips = [image_row(row, gap) for row in rows]
    width = max(strip.shape[1] for strip in strips)
    strips = [np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0)), constant_values=255) for s in strips]
    spacer = np.full((gap, width, 3), 255, np.uint8)
    parts = [part for strip in strips for part in (strip, spacer)][:-1]
    return np.concatenate(parts, axis=0)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    path = Path(path)
    atomic_write(path, lambda tmp: Image.fromarray(image).save(tmp, format="PNG"))
    return path
