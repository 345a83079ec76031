"""The `inredit` typer app and what its commands share: consoles, progress bars, tables, one-line
errors and warnings, `main`. The commands live in the modules beside this one, one per stage."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table

from inredit.errors import InreditError

app = typer.Typer(
    help="Edit 3D shapes stored as neural implicit functions (INRs) by rewriting their weights.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


@contextmanager
def progress_bar(first_text: str, every: int = 1) -> Iterator[Callable[[str, int, int], None]]:
    """A transient rich progress bar on stderr; yields `update(text, done, total)` (drawn every `every` steps)."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err_console,
                  transient=True) as progress:
        task = progress.add_task(first_text, total=None)

        def update(text: str, done: int, total: int) -> None:
            if done % every == 0 or done == total:
                progress.update(task, description=text, completed=done, total=total)

        yield update

def _format_metric(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)

def print_metrics_table(title: str, rows: list[tuple[str, str, dict]]) -> None:
    """rows: (name, status, metrics)."""
    keys = [k for k in ("iou", "chamfer_l1", "normal_consistency", "final_loss") if any(k in r[2] for r in rows)]
    table = Table(title=title)
    table.add_column("shape")
    table.add_column("status")
    for key in keys:
        table.add_column(key, justify="right")
    for name, status, metrics in rows:
        table.add_row(name, status, *[_format_metric(metrics.get(k, "")) for k in keys])
    console.print(table)

def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise InreditError(f"unknown device {device!r}: use cpu, cuda or auto")
    if device == "cuda" and not torch.cuda.is_available():
        raise InreditError("--device cuda was asked for but CUDA is not available")
    return device

def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False, soft_wrap=True)

def bare_ray_flag(argv: list[str]) -> list[str]:
    """`--ray` given without an address means a local Ray instance: `--ray local`."""
    result = list(argv)
    for k, arg in enumerate(argv):
        if arg == "--ray" and (k + 1 == len(argv) or argv[k + 1].startswith("-")):
            result[k] = "--ray=local"
    return result

def main() -> None:
    warnings.showwarning = _one_line_warning
    sys.argv = bare_ray_flag(sys.argv)
    try:
        app()
    except InreditError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
