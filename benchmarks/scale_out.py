"""Scale-out benchmark: the same small pair dataset built by 1 local worker, 2 local workers, and
Ray with 2 CPUs; wall-clock times and speed-ups over 1 single-threaded worker (one run each: a ratio, not a law).

    .venv/bin/python benchmarks/scale_out.py [--pairs 16] [--steps 4000] [--out benchmarks/results/scale-out.md]

Every run builds into a fresh folder with the same config, so all three write the same shards.
Run it on an otherwise idle machine: the point is how the work spreads over the cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from inredit.pairs.config import load_pair_config  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402

BASE = REPO / "configs" / "pairs" / "dilate.yaml"


def timed(args: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--shard-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=4000, help="original fit steps (targets: a quarter)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    config = dataclasses.replace(load_pair_config(BASE), n_pairs=args.pairs, shard_size=args.shard_size,
                                 original_steps=args.steps, target_steps=args.steps // 4)
    work = Path(tempfile.mkdtemp(prefix="scale-out-"))
    config_file = work / "pairs.yaml"
    data = config.to_dict()
    data["splits"] = list(data["splits"])
    config_file.write_text(yaml.safe_dump(data))
    inredit = [sys.executable, "-m", "inredit.cli", "make-pairs", "--config", str(config_file)]
    one_thread = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    runs = {"1 worker, 1 thread": (["--workers", "1"], one_thread),
            "1 worker, torch's default threads (2 here)": (["--workers", "1"], None),
            "2 local workers (1 thread each)": (["--workers", "2"], None),
            "Ray, local instance, 2 CPUs (1 per task)": (["--ray", "local"], None)}
    rows = []
    for k, (name, (extra, env)) in enumerate(runs.items()):
        seconds = timed([*inredit, "--out", str(work / f"run{k}"), *extra], env)
        rows.append({"run": name, "seconds": seconds})
        print(f"{name}: {seconds:.1f} s", flush=True)
    for row in rows:
        row["speed-up over 1 worker"] = rows[0]["seconds"] / row["seconds"]
    text = (f"# scale-out ({args.pairs} pairs in shards of {args.shard_size}, {args.steps} + {args.steps // 4} "
            f"fit steps; one run each)\n\n{markdown_table(rows)}\n")
    print(text)
    if args.out is not None:
        args.out.write_text(text)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
