"""The registry of editors by name: identity, the exact (closed-form) editors and every trained
editor in the zoo. Where a learned editor's edit also has an exact editor (dilate), the exact one
keeps the plain name (it measures better: README, Editors) and the learned one is `<edit>-learned`."""

from __future__ import annotations

from pathlib import Path

from inredit.edits.base import Editor, IdentityEditor, RemoveOnlyEditor
from inredit.edits.exact import ExactEditor, exact_editors
from inredit.edits.learned import LearnedEditor
from inredit.errors import InreditError

__all__ = ["ZOO", "Editor", "IdentityEditor", "available_editors", "get_editor", "resolve_editor"]

ZOO = Path(__file__).resolve().parent / "learning" / "zoo"  # shipped pretrained editors: <edit>.safetensors


def available_editors() -> dict[str, Editor]:
    """Editors shipped with inredit, by name: identity plus every trained editor in the zoo."""
    editors: dict[str, Editor] = {"identity": IdentityEditor(), **exact_editors()}
    for path in sorted(ZOO.glob("*.safetensors")):
        learned = LearnedEditor(path)
        if learned.name in editors:
            learned.name += "-learned"
        editors[learned.name] = learned
    return editors


def get_editor(name: str, axis: str | None = None, radius: float | None = None) -> Editor:
    """Editor `name`; `axis` / `radius` set the options of an exact editor (others take none)."""
    editors = available_editors()
    if name not in editors:
        raise InreditError(f"unknown edit '{name}' (available: {', '.join(sorted(editors))})")
    editor = editors[name]
    if isinstance(editor, ExactEditor):
        return editor.with_options(axis, radius)
    if axis is not None or radius is not None:
        raise InreditError(f"'{name}' is a learned editor: --axis and --radius are options of the exact edits")
    return editor


def resolve_editor(name: str, editor_file: Path | None = None, axis: str | None = None,
                   radius: float | None = None, remove_only: bool = False) -> Editor:
    """The editor `name`, or the editor in `editor_file` (which must be trained for `name`);
    `remove_only`: intersected with its input (`RemoveOnlyEditor`)."""
    if editor_file is None:
        editor = get_editor(name, axis, radius)
    else:
        editor = LearnedEditor(editor_file)
        if editor.name != name.removesuffix("-learned"):
            raise InreditError(f"this editor was trained for '{editor.name}', not '{name}'", editor_file)
    return RemoveOnlyEditor(editor) if remove_only else editor
