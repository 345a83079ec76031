"""The registry of shipped editors: identity plus every trained editor in the zoo, by name."""

from __future__ import annotations

from pathlib import Path

from inredit.editor.base import Editor, IdentityEditor
from inredit.editor.learned import LearnedEditor
from inredit.errors import InreditError

__all__ = ["ZOO", "Editor", "IdentityEditor", "available_editors", "get_editor", "resolve_editor"]

ZOO = Path(__file__).resolve().parent / "zoo"  # shipped pretrained editors: <edit>.safetensors


def available_editors() -> dict[str, Editor]:
    """Editors shipped with inredit, by name: identity plus every trained editor in the zoo."""
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
    editor = LearnedEditor(editor_file)
    if editor.name != name:
        raise InreditError(f"this editor was trained for '{editor.name}', not '{name}'", editor_file)
    return editor
