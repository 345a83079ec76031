"""Run a pair build as N local worker processes (one thread each) and merge the result.

On a small CPU, N single-threaded processes keep every core busy without the thread
over-subscription that makes several multi-threaded torch processes crawl. For other machines,
launch `inredit make-pairs --shard-index i --num-shards n` with any launcher instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from inredit.errors import InreditError
from inredit.pairs.builder import merge, prepare_output, shard_is_done, shard_path
from inredit.pairs.config import PairConfig


def run_workers(config: PairConfig, source_args: list[str], out_dir: Path, workers: int,
                on_progress: Callable[[str, int, int], None] | None = None) -> dict | None:
    """`source_args`: the make-pairs options that define the dataset (--config, --from-meshes, --edit)."""
    prepare_output(out_dir, config)  # refuse a folder of another config before starting anything
    env = os.environ | {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    logs = [out_dir / f"worker-{i}.log" for i in range(workers)]
    procs = [subprocess.Popen([sys.executable, "-m", "inredit.cli", "make-pairs", *source_args,
                               "--out", str(out_dir), "--shard-index", str(i), "--num-shards", str(workers)],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(logs[i], "w"))
             for i in range(workers)]
    try:
        while any(p.poll() is None for p in procs):
            if on_progress is not None:
                done = sum(shard_is_done(shard_path(out_dir, k), config) for k in range(config.n_shards))
                on_progress(f"{workers} workers: {done}/{config.n_shards} shards", done, config.n_shards)
            time.sleep(2)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
    for i, p in enumerate(procs):
        if p.returncode != 0:
            lines = [line for line in logs[i].read_text().splitlines() if line.strip()]
            raise InreditError(f"worker {i} failed: {lines[-1] if lines else 'no output'} (see {logs[i]})", out_dir)
    return merge(out_dir, config)
