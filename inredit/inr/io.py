"""INR files: `.safetensors` tensors + JSON metadata in the safetensors header.

One file per INR (batch of 1), written atomically. Loading checks the metadata, the spec, every
shape and dtype and finiteness, and turns every failure into a one-line `InreditError` naming the
file. Nothing here unpickles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from inredit.errors import InreditError
from inredit.files import atomic_write
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights

FORMAT = "inredit.inr/1"
METADATA_KEY = "inredit"


def save_inr(path: str | Path, inr: INRWeights, metadata: dict[str, Any] | None = None) -> Path:
    """Save a single INR (batch size 1) with its spec and `metadata` (JSON-serializable)."""
    path = Path(path)
    if inr.batch_size != 1:
        raise InreditError(f"save_inr writes one INR per file, got a batch of {inr.batch_size}", path)
    inr.check_finite(path)
    tensors = {f"weight.{i}": w[0].detach().cpu().float().contiguous() for i, w in enumerate(inr.weights)}
    if inr.biases is not None:
        tensors.update({f"bias.{i}": b[0].detach().cpu().float().contiguous() for i, b in enumerate(inr.biases)})
    header = {"format": FORMAT, "spec": inr.spec.to_dict(), "metadata": metadata or {}}
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={METADATA_KEY: json.dumps(header)}))
    return path


def read_header(path: str | Path) -> dict[str, Any]:
    """The JSON header (format, spec, metadata) without loading tensors."""
    path = Path(path)
    if not path.exists():
        raise InreditError("file not found", path)
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(METADATA_KEY)
    except (SafetensorError, OSError, ValueError) as exc:
        raise InreditError(f"not a readable safetensors file ({_short(exc)})", path) from None
    if raw is None:
        raise InreditError("safetensors file has no inredit metadata (not an inredit INR)", path)
    try:
        header = json.loads(raw)
    except json.JSONDecodeError:
        raise InreditError("inredit metadata is not valid JSON", path) from None
    if header.get("format") != FORMAT:
        raise InreditError(f"unknown format {header.get('format')!r}, expected {FORMAT!r}", path)
    return header


def load_inr(path: str | Path, expected_spec: INRSpec | None = None) -> tuple[INRWeights, dict[str, Any]]:
    """Load one INR file -> (weights with batch size 1, metadata). Raises `InreditError`."""
    path = Path(path)
    header = read_header(path)
    try:
        spec = INRSpec.from_dict(header["spec"])
    except (InreditError, TypeError, KeyError) as exc:
        raise InreditError(f"bad spec in metadata ({exc})", path) from None
    if expected_spec is not None and spec != expected_spec:
        raise InreditError(
            f"INR spec {spec.describe()} does not match the expected spec {expected_spec.describe()}", path
        )
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise InreditError(f"cannot read tensors ({_short(exc)})", path) from None
    n = spec.n_layers
    missing = [f"weight.{i}" for i in range(n) if f"weight.{i}" not in tensors]
    if missing:
        raise InreditError(f"missing tensors {missing}", path)
    for name, t in tensors.items():
        if t.dtype not in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
            raise InreditError(f"tensor {name} has dtype {t.dtype}, expected a float type", path)
    weights = [tensors[f"weight.{i}"].float().unsqueeze(0) for i in range(n)]
    biases = None
    if "bias.0" in tensors:
        biases = [tensors[f"bias.{i}"].float().unsqueeze(0) for i in range(n)]
    _check_shapes(spec, weights, biases, path)
    inr = INRWeights(spec, weights, biases, [path.stem])
    inr.check_finite(path)
    return inr, header.get("metadata", {})


def _check_shapes(spec: INRSpec, weights, biases, path) -> None:
    for i, (w, shape) in enumerate(zip(weights, spec.layer_shapes())):
        if tuple(w.shape[1:]) != shape:
            raise InreditError(
                f"tensor weight.{i} has shape {tuple(w.shape[1:])} but the spec {spec.describe()} needs {shape}",
                path,
            )
    if biases is not None:
        for i, (b, shape) in enumerate(zip(biases, spec.layer_shapes())):
            if tuple(b.shape[1:]) != (shape[0],):
                raise InreditError(f"tensor bias.{i} has shape {tuple(b.shape[1:])}, expected ({shape[0]},)", path)


def load_inrs(paths: list[str | Path], expected_spec: INRSpec | None = None) -> tuple[INRWeights, list[dict]]:
    """Load many INR files of one spec into one batch."""
    loaded = [load_inr(p, expected_spec) for p in paths]
    spec = loaded[0][0].spec
    for (inr, _), p in zip(loaded, paths):
        if inr.spec != spec:
            raise InreditError(f"INR spec {inr.spec.describe()} differs from the first file's {spec.describe()}", p)
    return INRWeights.cat([inr for inr, _ in loaded]), [meta for _, meta in loaded]


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
