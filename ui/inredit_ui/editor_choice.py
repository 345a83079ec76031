"""Which editor an edit uses: the Edit tab's choices and default, and an editor file the user uploads."""

from __future__ import annotations

from pathlib import Path

from inredit.edits.learned import LearnedEditor
from inredit.edits.registry import Editor
from inredit_ui.tab_helpers import user_errors


def default_editor(editors: dict[str, Editor]) -> str:
    """The edit the page opens with: the headline edit when shipped."""
    return "remove-handle" if "remove-handle" in editors else next(iter(editors))


def editor_choices(editors: dict[str, Editor]) -> list[tuple[str, str]]:
    return [(f"{name} — {e.description}" if e.description else name, name) for name, e in editors.items()]


def uploaded_editor(path) -> LearnedEditor:
    """A trained editor file the user uploaded (safetensors: tensors and JSON only, no pickle)."""
    return LearnedEditor(Path(path))


def editor_card_markdown(editor: LearnedEditor) -> str:
    card = editor.card
    lines = [f"**{editor.name}** — {editor.description}", f"- input spec: `{editor.spec.describe()}`"]
    if "train_pairs" in card:
        lines.append(f"- trained on {card['train_pairs']} pairs of `{card.get('data', '?')}` "
                     f"({card.get('val_pairs', '?')} validation pairs), best epoch {card.get('epoch', '?')}")
    if "val_function_loss" in card:
        lines.append(f"- validation function loss {card['val_function_loss']:.5f}")
    return "\n".join(lines)


def show_editor_card(path) -> str:
    if not path:
        return ""
    with user_errors():
        return editor_card_markdown(uploaded_editor(path))
