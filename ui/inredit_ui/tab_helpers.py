"""What every tab of the app shares: error display, upload paths, metrics tables, the CPU queue.

Gradio code; the tabs' work itself lives in the logic modules (fitting, editing, combining).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import gradio as gr
import pandas as pd

from inredit.errors import InreditError

log = logging.getLogger("inredit_ui")

MESH_TYPES = [".obj", ".ply", ".stl", ".off", ".glb"]  # what the Fit tab and its examples read
CPU = "cpu-bound"  # one concurrency group: a fit and an edit never fight over the same cores


@contextlib.contextmanager
def user_errors():
    """Show problems in the page instead of a traceback; the app keeps serving."""
    try:
        yield
    except gr.Error:
        raise
    except InreditError as exc:
        raise gr.Error(short_message(exc), print_exception=False) from None
    except Exception as exc:  # a bug: say so plainly, keep the traceback in the server log
        log.exception("unexpected error")
        raise gr.Error(f"internal error ({type(exc).__name__}: {exc}); see the server log") from None


def short_message(exc: InreditError) -> str:
    """Drop gradio's upload folders from file paths: the user knows the file by its name."""
    text = str(exc)
    if exc.path is not None and text.startswith(f"{exc.path}: "):
        text = f"{Path(str(exc.path)).name}: {text[len(str(exc.path)) + 2:]}"
    return text


def as_paths(files) -> list[Path]:
    if files is None:
        return []
    if isinstance(files, (str, Path)):
        files = [files]
    return [Path(f) for f in files]


def metrics_table(rows: list[tuple[str, dict]]) -> pd.DataFrame:
    rounded = lambda m: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}  # noqa: E731
    return pd.DataFrame([{"shape": name, **rounded(m)} for name, m in rows])
