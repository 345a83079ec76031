"""Exact (closed-form) editors: the weight-space algebra of `inredit/inr/ops.py` behind the `Editor`
interface. They accept INRs of any spec and may return a wider/deeper spec (`output_spec`).

`strength` scales the radius of dilate/erode; symmetrize and mirror are all-or-nothing (strength 0
is no edit, 1 the edit; anything else is refused).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from inredit.edits.base import Editor
from inredit.errors import InreditError
from inredit.inr import ops
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights

DEFAULT_RADIUS = 0.05  # in the normalized cube, as the learned dilate editor's training pairs
MAX_RADIUS = 0.5  # the cube is 2 wide: a larger offset swallows or erases any shape


@dataclass
class ExactEditor(Editor):
    name: str = "symmetrize"
    axis: str = "x"
    radius: float = DEFAULT_RADIUS
    description: str = ""
    spec: INRSpec | None = None  # any spec
    kind = "exact"  # not a field: the same for every exact editor

    def __post_init__(self) -> None:
        if self.name not in EXACT_EDITS:
            raise InreditError(f"unknown exact edit '{self.name}' (available: {', '.join(EXACT_EDITS)})")
        ops.axis_index(self.axis)  # one-line error for an unknown axis
        if not 0 < self.radius <= MAX_RADIUS:
            raise InreditError(f"radius must be in (0, {MAX_RADIUS}] (the normalized cube is [-1, 1]^3), got {self.radius}")
        self.description = EXACT_EDITS[self.name].format(axis=self.axis, radius=self.radius)

    def with_options(self, axis: str | None = None, radius: float | None = None) -> ExactEditor:
        return replace(self, axis=self.axis if axis is None else axis, radius=self.radius if radius is None else radius)

    @property
    def card(self) -> dict:
        return {"kind": "exact", "edit": self.name, "axis": self.axis, "radius": self.radius}

    def output_spec(self, spec: INRSpec) -> INRSpec:
        """The spec the edit returns for inputs of `spec` (computed on a one-INR probe)."""
        from inredit.inr.weights import init_weights

        return self._edit(init_weights(spec, 1), 1.0).spec

    def _edit(self, inr: INRWeights, strength: float) -> INRWeights:
        if self.name in ("dilate", "erode"):
            sign = 1.0 if self.name == "dilate" else -1.0
            return ops.offset(inr, sign * self.radius * strength) if strength else inr.clone()
        if strength not in (0.0, 1.0):
            raise InreditError(f"'{self.name}' is exact and all-or-nothing: strength must be 0 or 1, got {strength}")
        if strength == 0.0:
            return inr.clone()
        return ops.symmetrize(inr, self.axis) if self.name == "symmetrize" else ops.mirror(inr, self.axis)


EXACT_EDITS = {
    "symmetrize": "exact: union with the mirror image across {axis} = 0",
    "mirror": "exact: mirror across {axis} = 0",
    "dilate": "exact: grow by {radius} (SDF - r)",
    "erode": "exact: shrink by {radius} (SDF + r)",
}


def exact_editors() -> dict[str, ExactEditor]:
    return {name: ExactEditor(name) for name in EXACT_EDITS}
