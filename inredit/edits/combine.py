"""`inredit combine A B --op union|intersection|difference`: two INR files -> one, exactly.

The result lives in the normalized cube both INRs share. INRs fitted from different meshes were
each normalized to their own mesh (centre and scale differ), so their combination is taken in
that common cube: a warning names both files when their normalizations differ.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from inredit.errors import InreditError
from inredit.files import file_sha256
from inredit.inr import ops
from inredit.inr.io import load_inr, save_inr
from inredit.inr.spec import INRSpec

OPS = {"union": ops.union, "intersection": ops.intersection, "difference": ops.difference}


def combine_files(first: Path, second: Path, op: str, out: Path) -> tuple[Path, INRSpec]:
    if op not in OPS:
        raise InreditError(f"unknown op {op!r}: use {', '.join(OPS)}")
    if out.suffix != ".safetensors":
        raise InreditError("the output must be a .safetensors file", out)
    (a, meta_a), (b, meta_b) = load_inr(first), load_inr(second)
    frame_a, frame_b = meta_a.get("normalization"), meta_b.get("normalization")
    if frame_a and frame_b and frame_a != frame_b:
        warnings.warn(f"{first.name} and {second.name} were normalized from different meshes (centre/scale differ): "
                      "they are combined in the shared unit cube, not in their source meshes' frames")
    result = OPS[op](a, b)
    result.check_finite(out)
    metadata = {"normalization": frame_a or frame_b,
                "edit": {"name": op, "kind": "exact",
                         "inputs": [{"path": str(p), "sha256": file_sha256(p)} for p in (first, second)]}}
    return save_inr(out, result, {k: v for k, v in metadata.items() if v is not None}), result.spec
