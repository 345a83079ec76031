"""Every benchmark sets torch's thread count explicitly (`--threads`, default 2: this machine's
cores) and prints it with its tables, so a figure always says what it was measured with."""

from __future__ import annotations

import argparse

DEFAULT_THREADS = 2


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="torch threads (default %(default)s)")


def apply_threads(threads: int) -> str:
    """Set torch's intra-op threads; returns the line the benchmark prints."""
    import torch

    torch.set_num_threads(threads)
    return f"torch {torch.__version__}, {torch.get_num_threads()} threads"
