"""The Fit tab: meshes in; INR files, renders, a 3D view and fit metrics out.

Components and events only; the fit itself is `inredit_ui.fitting.fit_uploads` (no gradio code).
"""

from __future__ import annotations

import gradio as gr

from inredit_ui.fitting import FULL_STEPS, fit_uploads
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings
from inredit_ui.shipped_examples import example_files, mesh_examples
from inredit_ui.tab_helpers import CPU, MESH_TYPES, as_paths, metrics_table, user_errors
from inredit_ui.workspace import Workspace

QUICK_STEPS = 2000  # about IoU 0.98 on the shipped mug in a sixth of the time (rougher surface)


class FitTab:
    """Builds the tab where it is created (inside the page's gr.Tabs); `wire` adds its events."""

    def __init__(self, limits: Limits, workspace: Workspace, settings: PreviewSettings, device: str):
        self.limits, self.workspace, self.settings, self.device = limits, workspace, settings, device
        with gr.Tab("Fit", id="fit"):
            with gr.Row():
                with gr.Column(scale=1):
                    self.mesh_files = gr.File(label=f"Meshes ({', '.join(MESH_TYPES)}; up to {limits.max_meshes}, "
                                                    f"{limits.max_upload_mb:g} MB and {limits.max_faces:,} faces each)",
                                              file_count="multiple", file_types=MESH_TYPES, elem_id="fit-meshes")
                    self.quality = gr.Radio([("full quality", "full"), ("quick preview", "quick")], value="full",
                                            label="Quality", elem_id="fit-quality")
                    self.steps = gr.Slider(limits.min_steps, limits.max_steps, value=FULL_STEPS, step=100,
                                           label="Fit steps", elem_id="fit-steps",
                                           info=f"{FULL_STEPS:,} = full quality (the benchmarked default); "
                                                f"{QUICK_STEPS:,} = quick and rougher")
                    self.measure = gr.Checkbox(True, label="Measure fit quality against the mesh (IoU, Chamfer, "
                                                           "normal consistency; about 10 s per shape)")
                    self.button = gr.Button("Fit", variant="primary", elem_id="fit-button")
                    self.example = gr.Textbox(visible=False)
                    self.examples = mesh_examples(self.example)
                with gr.Column(scale=2):
                    self.render = gr.Image(label="INR renders (sphere tracing, 4 views)", type="filepath",
                                           interactive=False, elem_id="fit-render")
                    self.model = gr.Model3D(label="Marching-cubes mesh (drag to rotate)", height=320,
                                            clear_color=(1, 1, 1, 1), elem_id="fit-model")
                    self.gallery = gr.Gallery(label="All fitted shapes (click one to view it above)", columns=1,
                                              visible=False, elem_id="fit-gallery")
                    self.metrics = gr.Dataframe(headers=["shape", "final_loss", "iou", "chamfer_l1",
                                                         "normal_consistency"],
                                                label="Fit metrics (IoU / Chamfer-L1 / normal consistency "
                                                      "against the source mesh)", elem_id="fit-metrics")
                    self.files = gr.File(label="Downloads (INR .safetensors, mesh .glb)", file_count="multiple",
                                         interactive=False, height=140, elem_id="fit-downloads")
            self.state = gr.State([])

    def wire(self, fitted_inrs: gr.File) -> None:
        """Add the events; the fitted INR files also fill `fitted_inrs` (the Edit tab's input)."""
        outputs = [self.render, self.model, self.gallery, self.metrics, self.files, fitted_inrs, self.state]
        fit_event = dict(fn=self.run_fit, inputs=[self.mesh_files, self.steps, self.measure], outputs=outputs,
                         concurrency_id=CPU, concurrency_limit=1)
        self.button.click(api_name="fit", **fit_event)
        self.quality.change(lambda q: FULL_STEPS if q == "full" else QUICK_STEPS, self.quality, self.steps,
                            api_visibility="private")
        self.gallery.select(pick, self.state, [self.render, self.model], api_visibility="private")
        if self.examples is not None:  # one click on an example fills the meshes and runs the fit
            (self.examples.load_input_event
             .then(example_files("mesh"), self.example, self.mesh_files, api_visibility="private")
             .then(api_visibility="private", **fit_event))

    def run_fit(self, files, steps, measure, progress=gr.Progress()):
        with user_errors():
            outcome = fit_uploads(as_paths(files), int(steps), bool(measure), self.limits, self.workspace,
                                  self.settings, lambda f, text: progress(f, desc=text), self.device)
        for note in outcome.warnings:
            gr.Warning(note)
        shapes = outcome.shapes
        downloads = [str(p) for s in shapes for p in (s.inr_path, s.glb_path) if p is not None]
        if outcome.zip_path is not None:
            downloads.insert(0, str(outcome.zip_path))
        state = [{"render": str(s.render_path), "glb": str(s.glb_path) if s.glb_path else None} for s in shapes]
        return (
            str(shapes[0].render_path),
            state[0]["glb"],
            gr.update(value=[(str(s.render_path), s.name) for s in shapes], visible=len(shapes) > 1),
            metrics_table([(s.name, s.metrics) for s in shapes]),
            downloads,
            [str(s.inr_path) for s in shapes],  # -> the Edit tab's input: "take the one just fitted"
            state,
        )


def pick(state, evt: gr.SelectData):
    item = state[evt.index]
    return item["render"], item["glb"]
