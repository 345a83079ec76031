"""The Combine tab: two INR files and an operation in; the combined INR, renders, a 3D view and volumes out.

Components and events only; the combination itself is `inredit_ui.combining` (no gradio code).
"""

from __future__ import annotations

import gradio as gr

from inredit.edits.combine import OPS
from inredit_ui.combining import add_mesh, combine_uploads
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings
from inredit_ui.tab_helpers import CPU, as_paths, metrics_table, user_errors
from inredit_ui.workspace import Workspace


class CombineTab:
    """Builds the tab where it is created (inside the page's gr.Tabs); `wire` adds its events."""

    def __init__(self, limits: Limits, workspace: Workspace, settings: PreviewSettings):
        self.limits, self.workspace, self.settings = limits, workspace, settings
        with gr.Tab("Combine", id="combine"):
            with gr.Row():
                with gr.Column(scale=1):
                    self.shape_a = gr.File(label="Shape A (INR .safetensors)", file_types=[".safetensors"],
                                           elem_id="combine-a")
                    self.shape_b = gr.File(label="Shape B (INR .safetensors)", file_types=[".safetensors"],
                                           elem_id="combine-b")
                    self.op = gr.Radio(list(OPS), value="union", label="Operation",
                                       info="union = A or B, intersection = A and B, difference = A minus B; "
                                            "exact (min/max of the two SDFs), the result is a wider INR",
                                       elem_id="combine-op")
                    self.button = gr.Button("Combine", variant="primary", elem_id="combine-button")
                with gr.Column(scale=2):
                    self.render = gr.Image(label="A, B and the result (rows; same 4 views)", type="filepath",
                                           interactive=False, elem_id="combine-render")
                    self.model = gr.Model3D(label="Result (3D)", height=300, clear_color=(1, 1, 1, 1),
                                            elem_id="combine-model")
                    self.metrics = gr.Dataframe(label="Volumes in the normalized cube; IoU of the result "
                                                      "with the same operation on A's and B's voxel grids",
                                                elem_id="combine-metrics")
                    self.files = gr.File(label="Downloads (combined INR .safetensors, mesh .glb, renders)",
                                         file_count="multiple", interactive=False, height=140,
                                         elem_id="combine-downloads")
            self.glb = gr.State(None)

    def wire(self) -> None:
        # clear the 3D view, combine, then show the result's mesh (see EditTab.wire for why a separate step)
        (self.button.click(lambda: None, None, self.model, api_visibility="private")
         .then(self.run_combine, [self.shape_a, self.shape_b, self.op],
               [self.render, self.metrics, self.files, self.glb],
               api_name="combine", concurrency_id=CPU, concurrency_limit=1)
         .success(lambda glb: glb, self.glb, self.model, api_visibility="private"))

    def run_combine(self, first, second, op, progress=gr.Progress()):
        with user_errors():
            a, b = (next(iter(as_paths(f)), None) for f in (first, second))
            shape = combine_uploads(a, b, op, self.limits, self.workspace, self.settings,
                                    lambda f, text: progress(f, desc=text))
            for note in shape.warnings:
                gr.Warning(note)
            progress(0.8, desc="extracting the mesh for the 3D view")
            add_mesh(shape, self.workspace, self.settings)
        downloads = [str(p) for p in (shape.inr_path, shape.glb, shape.render_png) if p is not None]
        return str(shape.render_png), metrics_table([(shape.name, shape.metrics)]), downloads, \
            str(shape.glb) if shape.glb else None
