"""Scale-out benchmark: the same small pair dataset built by 1 local worker, 2 local workers, and
Ray with 2 CPUs; wall-clock times and speed-ups over 1 worker (one run each: a ratio, not a law).

    .venv/bin/python benchmarks/scale_out.py [--pairs 8] [--steps 2000] [--out benchmarks/results/scale-out.md]

Every run builds into a fresh folder with the same config, so all three write the same shards.
Run it on an otherwise idle machine: the point is how the work spreads over the cores.
"""

from __future__ import annotations

import argparse
import dataclasses
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


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--shard-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2000, help="original fit steps (targets: a quarter)")
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
    runs = {"1 local worker": ["--workers", "1"], "2 local workers": ["--workers", "2"],
            "Ray, local instance, 2 CPUs (1 per task)": ["--ray", "local"]}
    rows = []
    for name, extra in runs.items():
        seconds = timed([*inredit, "--out", str(work / name.split(",")[0].replace(" ", "-")), *extra])
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
