"""The editor interface the CLI and UI call, and the registry of shipped editors.

An editor maps a batch of INR weights to edited weights in one call. `spec` is the INR
architecture it was trained for (None: any spec); callers check it with `check_spec` so a
mismatch is a clear error instead of a shape error deep inside a forward pass.
"""

from __future__ import annotations

from pathlib import Path

from inredit.errors import InreditError
from inredit.inr.spec import INRSpec
from inredit.inr.weights import INRWeights


class Editor:
    """Base class: subclasses set `name`, `description`, `spec` and implement `_edit`."""

    name: str = "editor"
    description: str = ""
    spec: INRSpec | None = None  # None: works on any spec

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


ZOO = Path(__file__).resolve().parent / "zoo"  # shipped pretrained editors: <edit>.safetensors


def available_editors() -> dict[str, Editor]:
    """Editors shipped with inredit, by name: identity plus every trained editor in the zoo."""
    from inredit.editor.learned import LearnedEditor  # it subclasses Editor: import it late

    editors: dict[str, Editor] = {"identity": IdentityEditor()}
    for path in sorted(ZOO.glob("*.safetensors")):
        editors[path.stem] = LearnedEditor(path)
    return editors


def get_editor(name: str) -> Editor:
    editors = available_editors()
    if name not in editors:
        raise InreditError(f"unknown edit '{name}' (available: {', '.join(sorted(editors))})")
    return editors[name]


def resolve_editor(name: str, editor_file: Path | None = None) -> Editor:
    """The shipped editor `name`, or the editor in `editor_file` (which must be trained for `name`)."""
    if editor_file is None:
        return get_editor(name)
    from inredit.editor.learned import LearnedEditor

    editor = LearnedEditor(editor_file)
    if editor.name != name:
        raise InreditError(f"this editor was trained for '{editor.name}', not '{name}'", editor_file)
    return editor
