"""The editor interface the CLI, UI and nerfstudio call.

An editor maps a batch of INR weights to edited weights in one call. `spec` is the INR
architecture it was trained for (None: any spec); callers check it with `check_spec` so a
mismatch is a clear error instead of a shape error deep inside a forward pass.
"""

from __future__ import annotations

from inredit.errors import InreditError
from inredit.inr import ops
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights


class Editor:
    """Base class: subclasses set `name`, `description`, `spec` and implement `_edit`."""

    name: str = "editor"
    kind: str = "identity"  # "identity", "learned" or "exact"
    description: str = ""
    spec: INRSpec | None = None  # None: works on any spec

    def output_spec(self, spec: INRSpec) -> INRSpec:
        """The spec of the edited INRs for inputs of `spec` (editors that keep the spec)."""
        return spec

    def check_spec(self, inr: INRWeights, path: object | None = None) -> None:
        if self.spec is not None and inr.spec != self.spec:
            raise InreditError(
                f"edit '{self.name}' needs INRs of spec {self.spec.describe()}, got {inr.spec.describe()}", path
            )

    def edit(self, inr: INRWeights, strength: float = 1.0) -> INRWeights:
        """Edited copy of a batch of INRs; `strength` scales the edit (1 = the trained edit, 0 = none)."""
        self.check_spec(inr)
        edited = self._edit(inr, float(strength))
        edited.check_finite()  # a diverging editor must not hand out NaN weights
        return edited

    def _edit(self, inr: INRWeights, strength: float) -> INRWeights:
        raise NotImplementedError


class IdentityEditor(Editor):
    """Returns the weights unchanged: the no-edit baseline (and a stand-in until real editors ship)."""

    name = "identity"
    description = "no change (baseline)"

    def __init__(self, spec: INRSpec | None = None) -> None:
        self.spec = spec

    def _edit(self, inr: INRWeights, strength: float) -> INRWeights:
        return inr.clone()


class RemoveOnlyEditor(Editor):
    """Another editor's edit intersected with its input, max(f, edit(f)) (`ops.intersection`, exact): the
    result only removes material, never adds any. For a removal edit such as remove-handle, whatever
    the learned edit adds back to the shape is an error, and this drops it. The edited INR is twice
    as wide with one more hidden layer (freq6-w64-h3 -> freq6-w128-h4)."""

    def __init__(self, editor: Editor) -> None:
        self.editor = editor
        self.name, self.kind, self.spec = editor.name, editor.kind, editor.spec
        self.description = f"{editor.description}, intersected with its input (removes material only)"
        self.card = {**getattr(editor, "card", {}), "remove_only": True}  # recorded in the edited files' provenance

    def output_spec(self, spec: INRSpec) -> INRSpec:
        return ops.combination_spec(spec, self.editor.output_spec(spec), f"{self.name} --remove-only")

    def _edit(self, inr: INRWeights, strength: float) -> INRWeights:
        return ops.intersection(inr, self.editor.edit(inr, strength))
