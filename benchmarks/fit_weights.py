"""How the weights of the real meshes' fits compare with the editors' training originals.

    .venv/bin/python benchmarks/fit_weights.py                  # after benchmarks/real.py (its fits are cached)
    .venv/bin/python benchmarks/fit_weights.py --pairs data/pairs/remove-handle data/pairs/remove-handle-leaky1

Per-layer RMS of the weights, as fitted and on canonical scales (`ops.canonical_scales`: unit
incoming norm per hidden neuron, so only the output row still carries the function's scale), for
each real handled mesh (with the leaky start of its fit, if it was refitted) and for the train
split of each pair dataset (mean and 5-95 % range of the output row over its originals).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from real import handled_meshes  # noqa: E402  (benchmarks/ is on sys.path)
from torch_threads import add_threads_argument, apply_threads  # noqa: E402

from inredit.fitting.job import load_fit_job  # noqa: E402
from inredit.fitting.meshes import fit_meshes  # noqa: E402
from inredit.inr import ops  # noqa: E402
from inredit.inr.io import load_inr  # noqa: E402
from inredit.inr.weights import INRWeights  # noqa: E402
from inredit.pairs.dataset import load_pairs  # noqa: E402
from inredit.tables import markdown_table  # noqa: E402


def layer_rms(inr: INRWeights) -> torch.Tensor:
    """`(B, L)`: the RMS of each weight matrix of each INR."""
    return torch.stack([w.pow(2).mean(dim=(1, 2)).sqrt() for w in inr.weights], dim=1)


def row(name: str, inr: INRWeights, **extra) -> dict:
    raw, canonical = layer_rms(inr).mean(0), layer_rms(ops.canonical_scales(inr))
    out = {"inrs": name} | extra | {f"rms_{i}": float(v) for i, v in enumerate(raw)}
    out["output_row_canonical"] = float(canonical[:, -1].mean())
    if inr.batch_size > 1:
        low, high = np.percentile(canonical[:, -1].numpy(), [5, 95])
        out["output_row_canonical_5_95"] = f"{low:.3f}-{high:.3f}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=REPO / "out" / "real" / "default", help="benchmarks/real.py's fits")
    parser.add_argument("--pairs", nargs="*", type=Path, default=[REPO / "data" / "pairs" / "remove-handle"])
    add_threads_argument(parser)
    args = parser.parse_args()
    setting = apply_threads(args.threads)
    _, files = handled_meshes()
    fitted = {Path(r.path).stem: r for r in fit_meshes(list(files.values()), args.work / "fitted", load_fit_job(None))}
    rows = []
    for name, path in files.items():
        inr, header = load_inr(fitted[path.stem].path)
        rows.append(row(name, inr, leaky_start=header["fit"]["config"].get("leak", 0.0)))
    for folder in args.pairs:
        rows.append(row(f"{folder.name} (train originals)", load_pairs(folder, "train").original))
    print(f"# Weights of the real fits and of the training originals ({setting})\n")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    print(markdown_table(rows, columns))


if __name__ == "__main__":
    main()
