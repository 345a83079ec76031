"""Editor files: `.safetensors` of the DWSNet's tensors + a JSON card (edit, spec, architecture, metrics).

Loading checks the format, the spec and every tensor name and shape; a bad file is a one-line
`InreditError`. Nothing is unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from inredit.edits.learning.baselines import FlatMLPEditor
from inredit.edits.learning.dwsnet import DWSNet
from inredit.errors import InreditError
from inredit.files import atomic_write
from inredit.inr.spec import INRSpec

EDITOR_FORMAT = "inredit.editor/1"


def save_editor(path: str | Path, model: DWSNet | FlatMLPEditor, edit: str, card: dict) -> Path:
    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    header = {"format": EDITOR_FORMAT, "edit": edit, "spec": model.spec.to_dict(), "architecture": model.config, "card": card}
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={"inredit": json.dumps(header)}))
    return path


def read_editor_header(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise InreditError("editor file not found", path)
    try:
        with safe_open(str(path), framework="pt") as f:
            header = json.loads((f.metadata() or {})["inredit"])
    except Exception as exc:  # noqa: BLE001 - truncated, not safetensors, no header: same message
        raise InreditError(f"not a readable editor file ({type(exc).__name__})", path) from None
    if header.get("format") != EDITOR_FORMAT:
        raise InreditError(f"not an inredit editor (format {header.get('format')!r})", path)
    return header


def load_editor(path: str | Path) -> tuple[DWSNet | FlatMLPEditor, dict]:
    """The DWSNet (eval mode, CPU) and its header (edit, spec, architecture, card)."""
    header = read_editor_header(path)
    try:
        architecture = dict(header["architecture"])
        kind = {"dwsnet": DWSNet, "flat-mlp": FlatMLPEditor}[architecture.get("kind", "dwsnet")]
        if kind is DWSNet:
            architecture.setdefault("layer", "embedded")  # files from before the full-rank layer
        model = kind(INRSpec.from_dict(header["spec"]), **architecture)
        model.load_state_dict(load_file(str(path)), strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError, InreditError) as exc:
        raise InreditError(f"corrupt editor file ({str(exc).splitlines()[0][:160]})", path) from None
    if any(not torch.isfinite(p).all() for p in model.state_dict().values()):
        raise InreditError("corrupt editor file (non-finite parameters)", path)
    return model.eval(), header
