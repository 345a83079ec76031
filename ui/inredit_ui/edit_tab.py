"""The Edit tab: INR files and an edit in; before/after renders, 3D views, metrics and edited INRs out.

Components and events only; the edit itself is `inredit_ui.editing` (no gradio code).
"""

from __future__ import annotations

import gradio as gr

from inredit.edits.exact import DEFAULT_RADIUS, MAX_RADIUS, ExactEditor
from inredit.edits.registry import Editor
from inredit.errors import InreditError
from inredit_ui.editing import EditedShape, add_meshes, edit_uploads
from inredit_ui.editor_choice import default_editor, editor_choices, show_editor_card, uploaded_editor
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings
from inredit_ui.shipped_examples import example_files, inr_examples
from inredit_ui.tab_helpers import CPU, as_paths, metrics_table, user_errors
from inredit_ui.workspace import Workspace

EDIT_COLUMNS = ["shape", "volume_before", "volume_after", "volume_change", "symmetry_before", "symmetry_after",
                "iou_before_after"]  # inredit.edits.batch.edit_metrics


class EditTab:
    """Builds the tab where it is created (inside the page's gr.Tabs); `wire` adds its events."""

    def __init__(self, editors: dict[str, Editor], limits: Limits, workspace: Workspace, settings: PreviewSettings):
        self.editors, self.limits, self.workspace, self.settings = editors, limits, workspace, settings
        with gr.Tab("Edit", id="edit"):
            with gr.Row():
                with gr.Column(scale=1):
                    self.inr_files = gr.File(label=f"INR files (.safetensors; up to {limits.max_inrs}) — "
                                                   "filled in by the Fit tab", file_count="multiple",
                                             file_types=[".safetensors"], elem_id="edit-inrs")
                    self.editor = gr.Dropdown(editor_choices(editors), value=default_editor(editors), label="Edit",
                                              elem_id="edit-editor")
                    self.strength = gr.Slider(0.0, 2.0, value=1.0, step=0.05, label="Strength",
                                              info="1 = the trained edit, 0 = no change (symmetrize, mirror: 0 or 1)",
                                              elem_id="edit-strength")
                    with gr.Row():
                        self.axis = gr.Radio(["x", "y", "z"], value="x", label="Axis (symmetrize, mirror)",
                                             elem_id="edit-axis")
                        self.radius = gr.Number(DEFAULT_RADIUS, minimum=0.001, maximum=MAX_RADIUS, step=0.01,
                                                label="Radius (dilate, erode)", elem_id="edit-radius")
                    with gr.Accordion("Your own editor (optional)", open=False):
                        self.editor_file = gr.File(label="Trained editor (.safetensors from `inredit train-editor`); "
                                                         "replaces the Edit choice above",
                                                   file_types=[".safetensors"], elem_id="edit-editor-file")
                        self.editor_card = gr.Markdown(elem_id="edit-editor-card")
                    self.button = gr.Button("Edit", variant="primary", elem_id="edit-button")
                    self.example = gr.Textbox(visible=False)
                    self.examples = inr_examples(self.example, self.editor, self.strength, editors)
                with gr.Column(scale=2):
                    # before above after: each view's before and after line up in one column
                    self.before_img = gr.Image(label="Before (4 views)", type="filepath", interactive=False,
                                               elem_id="edit-before")
                    self.after_img = gr.Image(label="After (same views)", type="filepath", interactive=False,
                                              elem_id="edit-after")
                    with gr.Row():
                        self.before_model = gr.Model3D(label="Before (3D)", height=300, clear_color=(1, 1, 1, 1),
                                                       elem_id="edit-before-model")
                        self.after_model = gr.Model3D(label="After (3D)", height=300, clear_color=(1, 1, 1, 1),
                                                      elem_id="edit-after-model")
                    self.gallery = gr.Gallery(label="All edited INRs (before above after; click one)",
                                              columns=1, visible=False, elem_id="edit-gallery")
                    self.metrics = gr.Dataframe(headers=EDIT_COLUMNS,
                                                label="Edit metrics (volume in the normalized cube, relative "
                                                      "volume change, mirror symmetry IoU across x = 0, "
                                                      "IoU before vs after)",
                                                elem_id="edit-metrics")
                    self.files = gr.File(label="Downloads (edited INR .safetensors, mesh .glb)",
                                         file_count="multiple", interactive=False, height=140,
                                         elem_id="edit-downloads")
            self.state = gr.State([])

    def wire(self) -> None:
        # The 3D views get their files from a separate plain step after the edit: gradio 6's Model3D
        # never draws a model whose value is re-sent while its viewer code is still loading, and a
        # generator (renders first, meshes later) re-sends its last value when it completes.
        outputs = [self.before_img, self.after_img, self.gallery, self.metrics, self.files, self.state]
        self.editor_file.change(show_editor_card, self.editor_file, self.editor_card, api_visibility="private")
        edit_event = dict(fn=self.run_edit,
                          inputs=[self.inr_files, self.editor, self.strength, self.axis, self.radius, self.editor_file],
                          outputs=outputs, concurrency_id=CPU, concurrency_limit=1)
        models = [self.before_model, self.after_model]

        def run_edit_chain(start, api_name=None):
            """start(...) adds the first step (e.g. `edit_button.click`): clear the 3D views, edit, show them."""
            (start(lambda: (None, None), None, models, api_visibility="private")
             .then(api_name=api_name, api_visibility="public" if api_name else "private", **edit_event)
             .success(show_models, self.state, models, api_visibility="private"))

        run_edit_chain(self.button.click, api_name="edit")
        self.gallery.select(pick_edit, self.state, [self.before_img, self.after_img, *models],
                            api_visibility="private")
        if self.examples is not None:  # one click on an example fills the INRs and the edit, and runs it
            run_edit_chain(self.examples.load_input_event
                           .then(example_files("inr"), self.example, self.inr_files, api_visibility="private").then)

    def run_edit(self, files, editor_name, strength, axis="x", radius=DEFAULT_RADIUS, editor_file=None,
                 progress=gr.Progress()):
        with user_errors():
            if editor_file:  # the user's own trained editor (e.g. from `inredit train-editor`) wins
                chosen = uploaded_editor(editor_file)
            elif editor_name not in self.editors:
                raise InreditError(f"unknown edit '{editor_name}' (available: {', '.join(self.editors)})")
            else:
                chosen = self.editors[editor_name]
            if isinstance(chosen, ExactEditor):  # axis and radius are the exact edits' options
                chosen = chosen.with_options(axis, float(radius))
            shapes = edit_uploads(as_paths(files), chosen, float(strength), self.limits, self.workspace,
                                  self.settings, lambda f, text: progress(f, desc=text))
            # first answer: renders and metrics (fast); the 3D views follow
            yield edit_outputs(shapes, None)
            progress(0.9, desc="extracting meshes for the 3D views")
            zip_path = add_meshes(shapes, self.workspace, self.settings)
            yield edit_outputs(shapes, zip_path)


def edit_outputs(shapes: list[EditedShape], zip_path):
    first = shapes[0]
    downloads = [str(p) for s in shapes for p in (s.inr_path, s.after_glb) if p is not None]
    if zip_path is not None:
        downloads.insert(0, str(zip_path))
    keys = ("before_png", "after_png", "before_glb", "after_glb")
    state = [{k: str(getattr(s, k)) if getattr(s, k) else None for k in keys} for s in shapes]
    return (
        str(first.before_png),
        str(first.after_png),
        gr.update(value=[(str(s.comparison_png), s.name) for s in shapes], visible=len(shapes) > 1),
        metrics_table([(s.name, s.metrics) for s in shapes]),
        downloads,
        state,
    )


def show_models(state):
    return (state[0]["before_glb"], state[0]["after_glb"]) if state else (None, None)


def pick_edit(state, evt: gr.SelectData):
    item = state[evt.index]
    return item["before_png"], item["after_png"], item["before_glb"], item["after_glb"]
