"""A trained editor file (DWSNet or flat-MLP baseline) behind the common `Editor` interface."""

from __future__ import annotations

from pathlib import Path

import torch

from inredit.edits.base import Editor
from inredit.edits.learning.checkpoint import load_editor
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights


class LearnedEditor(Editor):
    kind = "learned"

    def __init__(self, path: str | Path) -> None:
        self.model, header = load_editor(path)
        self.path = Path(path)
        self.name = header["edit"]
        self.spec = self.model.spec
        self.card = header.get("card", {})
        self.description = f"{header['architecture'].get('kind', 'dwsnet')} editor from {self.path.name}"

    def output_spec(self, spec: INRSpec) -> INRSpec:
        return self.model.output_spec(spec)

    @torch.no_grad()
    def _edit(self, inr: INRWeights, strength: float) -> INRWeights:
        return self.model(inr.to("cpu"), strength)
