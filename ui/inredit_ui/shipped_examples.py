"""The example files a click can load: shipped meshes (Fit tab) and pre-fitted INRs (Edit tab)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

import inredit
from inredit_ui.editor_choice import default_editor
from inredit_ui.tab_helpers import MESH_TYPES

SHIPPED_SHAPES = Path(inredit.__file__).resolve().parent.parent / "scenes" / "shapes"  # in a checkout
EXAMPLE_INRS = Path(__file__).resolve().parent / "examples"  # pre-fitted shipped shapes (package data)
# each example opens with the edit that suits its shape (when that editor is shipped)
EXAMPLE_EDITS = {"mug": "remove-handle", "composition": "symmetrize", "vase": "dilate", "ring_with_peg": "dilate"}


def shipped_files() -> dict[str, dict[str, Path]]:
    """Example files by kind and name: the only files an example click can reach."""
    meshes = sorted(SHIPPED_SHAPES.glob("*")) if SHIPPED_SHAPES.is_dir() else []  # absent in a wheel
    return {
        "mesh": {p.name: p for p in meshes if p.suffix in MESH_TYPES},
        "inr": {p.stem: p for p in sorted(EXAMPLE_INRS.glob("*.safetensors"))},
    }


# gradio 6 hands a multi-file gr.File filled by an example back as one file, which its own input
# check then refuses; so an example only fills a hidden name box, and the file list is set from it.
def mesh_examples(key: gr.Textbox) -> gr.Examples | None:
    names = list(shipped_files()["mesh"])
    if not names:
        return None
    return gr.Examples([[n] for n in names], inputs=[key], label="Shipped meshes: click one to fit it",
                       example_labels=names)


def inr_examples(key: gr.Textbox, editor: gr.Dropdown, strength: gr.Slider, editors: dict) -> gr.Examples | None:
    names = list(shipped_files()["inr"])
    if not names or not editors:
        return None
    edits = [EXAMPLE_EDITS[n] if EXAMPLE_EDITS.get(n) in editors else default_editor(editors) for n in names]
    return gr.Examples([[n, e, 1.0] for n, e in zip(names, edits)], inputs=[key, editor, strength],
                       label="Pre-fitted shipped shapes: click one to edit it",
                       example_labels=[f"{n} ({e})" for n, e in zip(names, edits)])


def example_files(kind: str):
    def files_for(name: str) -> list[str]:
        path = shipped_files()[kind].get(name)
        if path is None:
            raise gr.Error(f"unknown example {name!r}")
        return [str(path)]

    return files_for


def allowed_paths() -> list[str]:
    """Example files live outside gradio's temp folder: allow exactly those folders."""
    return [str(p) for p in (SHIPPED_SHAPES, EXAMPLE_INRS) if p.is_dir()]
