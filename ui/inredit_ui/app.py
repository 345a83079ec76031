"""The Gradio app: a Fit tab (meshes -> INRs) and an Edit tab (INRs -> edited INRs), with previews.

Thin shell over `inredit_ui.fitting` / `inredit_ui.editing`, which call the same library
functions as the CLI. Every user error (`InreditError`) becomes a `gr.Error` shown in the page;
the server keeps serving.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import gradio as gr
import pandas as pd

import inredit
from inredit.edits.combine import OPS
from inredit.edits.exact import DEFAULT_RADIUS, MAX_RADIUS, ExactEditor
from inredit.edits.learned import LearnedEditor
from inredit.edits.registry import Editor, available_editors
from inredit.errors import InreditError
from inredit_ui.combining import add_mesh, combine_uploads
from inredit_ui.editing import EditedShape, add_meshes, edit_uploads
from inredit_ui.fitting import FULL_STEPS, fit_uploads
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings
from inredit_ui.workspace import Workspace

log = logging.getLogger("inredit_ui")

SHIPPED_SHAPES = Path(inredit.__file__).resolve().parent.parent / "scenes" / "shapes"  # in a checkout
EXAMPLE_INRS = Path(__file__).resolve().parent / "examples"  # pre-fitted shipped shapes (package data)
# each example opens with the edit that suits its shape (when that editor is shipped)
EXAMPLE_EDITS = {"mug": "remove-handle", "composition": "symmetrize", "vase": "dilate", "ring_with_peg": "dilate"}
MESH_TYPES = [".obj", ".ply", ".stl", ".off", ".glb"]
QUICK_STEPS = 2000  # about IoU 0.98 on the shipped mug in a sixth of the time (rougher surface)
EDIT_COLUMNS = ["shape", "volume_before", "volume_after", "volume_change", "symmetry_before", "symmetry_after",
                "iou_before_after"]  # inredit.edits.batch.edit_metrics
CPU = "cpu-bound"  # one concurrency group: a fit and an edit never fight over the same cores

INTRO = """# inredit
Fit 3D shapes as small neural implicit functions (INRs), then edit them by rewriting their weights.
**Fit**: upload meshes (or click an example) → INR files, renders and a 3D view.
**Edit**: upload INR files (or use the ones just fitted) → before/after renders, 3D views and metrics.
**Combine**: two INR files → their union, intersection or difference, computed exactly in weight space."""


@contextlib.contextmanager
def user_errors():
    """Show problems in the page instead of a traceback; the app keeps serving."""
    try:
        yield
    except gr.Error:
        raise
    except InreditError as exc:
        raise gr.Error(short_message(exc), print_exception=False) from None
    except Exception as exc:  # a bug: say so plainly, keep the traceback in the server log
        log.exception("unexpected error")
        raise gr.Error(f"internal error ({type(exc).__name__}: {exc}); see the server log") from None


def short_message(exc: InreditError) -> str:
    """Drop gradio's upload folders from file paths: the user knows the file by its name."""
    text = str(exc)
    if exc.path is not None and text.startswith(f"{exc.path}: "):
        text = f"{Path(str(exc.path)).name}: {text[len(str(exc.path)) + 2:]}"
    return text


def as_paths(files) -> list[Path]:
    if files is None:
        return []
    if isinstance(files, (str, Path)):
        files = [files]
    return [Path(f) for f in files]


def metrics_table(rows: list[tuple[str, dict]]) -> pd.DataFrame:
    rounded = lambda m: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}  # noqa: E731
    return pd.DataFrame([{"shape": name, **rounded(m)} for name, m in rows])


def default_editor(editors: dict[str, Editor]) -> str:
    """The edit the page opens with: the headline edit when shipped."""
    return "remove-handle" if "remove-handle" in editors else next(iter(editors))


def editor_choices(editors: dict[str, Editor]) -> list[tuple[str, str]]:
    return [(f"{name} — {e.description}" if e.description else name, name) for name, e in editors.items()]


def build_app(
    editors: dict[str, Editor] | None = None,
    limits: Limits = Limits(),
    workspace: Workspace | None = None,
    settings: PreviewSettings = PreviewSettings(),
    device: str = "cpu",
) -> gr.Blocks:
    editors = available_editors() if editors is None else editors
    workspace = workspace or Workspace()

    def run_fit(files, steps, measure, progress=gr.Progress()):
        with user_errors():
            outcome = fit_uploads(as_paths(files), int(steps), bool(measure), limits, workspace, settings,
                                  lambda f, text: progress(f, desc=text), device)
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

    def run_edit(files, editor_name, strength, axis="x", radius=DEFAULT_RADIUS, editor_file=None,
                 progress=gr.Progress()):
        with user_errors():
            if editor_file:  # the user's own trained editor (e.g. from `inredit train-editor`) wins
                chosen = uploaded_editor(editor_file)
            elif editor_name not in editors:
                raise InreditError(f"unknown edit '{editor_name}' (available: {', '.join(editors)})")
            else:
                chosen = editors[editor_name]
            if isinstance(chosen, ExactEditor):  # axis and radius are the exact edits' options
                chosen = chosen.with_options(axis, float(radius))
            shapes = edit_uploads(as_paths(files), chosen, float(strength), limits, workspace,
                                  settings, lambda f, text: progress(f, desc=text))
            # first answer: renders and metrics (fast); the 3D views follow
            yield edit_outputs(shapes, None)
            progress(0.9, desc="extracting meshes for the 3D views")
            zip_path = add_meshes(shapes, workspace, settings)
            yield edit_outputs(shapes, zip_path)

    def run_combine(first, second, op, progress=gr.Progress()):
        with user_errors():
            a, b = (next(iter(as_paths(f)), None) for f in (first, second))
            shape = combine_uploads(a, b, op, limits, workspace, settings, lambda f, text: progress(f, desc=text))
            for note in shape.warnings:
                gr.Warning(note)
            progress(0.8, desc="extracting the mesh for the 3D view")
            add_mesh(shape, workspace, settings)
        downloads = [str(p) for p in (shape.inr_path, shape.glb, shape.render_png) if p is not None]
        return str(shape.render_png), metrics_table([(shape.name, shape.metrics)]), downloads, \
            str(shape.glb) if shape.glb else None

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

    with gr.Blocks(title="inredit", delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Fit", id="fit"):
                with gr.Row():
                    with gr.Column(scale=1):
                        mesh_files = gr.File(label=f"Meshes ({', '.join(MESH_TYPES)}; up to {limits.max_meshes}, "
                                             f"{limits.max_upload_mb:g} MB and {limits.max_faces:,} faces each)",
                                             file_count="multiple", file_types=MESH_TYPES, elem_id="fit-meshes")
                        quality = gr.Radio([("full quality", "full"), ("quick preview", "quick")], value="full",
                                           label="Quality", elem_id="fit-quality")
                        steps = gr.Slider(limits.min_steps, limits.max_steps, value=FULL_STEPS, step=100,
                                          label="Fit steps", elem_id="fit-steps",
                                          info=f"{FULL_STEPS:,} = full quality (the benchmarked default); "
                                               f"{QUICK_STEPS:,} = quick and rougher")
                        measure = gr.Checkbox(True, label="Measure fit quality against the mesh (IoU, Chamfer, "
                                                          "normal consistency; about 10 s per shape)")
                        fit_button = gr.Button("Fit", variant="primary", elem_id="fit-button")
                        fit_example = gr.Textbox(visible=False)
                        fit_examples = mesh_examples(fit_example)
                    with gr.Column(scale=2):
                        fit_render = gr.Image(label="INR renders (sphere tracing, 4 views)", type="filepath",
                                              interactive=False, elem_id="fit-render")
                        fit_model = gr.Model3D(label="Marching-cubes mesh (drag to rotate)", height=320,
                                               clear_color=(1, 1, 1, 1), elem_id="fit-model")
                        fit_gallery = gr.Gallery(label="All fitted shapes (click one to view it above)", columns=1,
                                                 visible=False, elem_id="fit-gallery")
                        fit_metrics = gr.Dataframe(headers=["shape", "final_loss", "iou", "chamfer_l1",
                                                            "normal_consistency"],
                                                   label="Fit metrics (IoU / Chamfer-L1 / normal consistency "
                                                         "against the source mesh)", elem_id="fit-metrics")
                        fit_files = gr.File(label="Downloads (INR .safetensors, mesh .glb)", file_count="multiple",
                                            interactive=False, height=140, elem_id="fit-downloads")
                fit_state = gr.State([])
            with gr.Tab("Edit", id="edit"):
                with gr.Row():
                    with gr.Column(scale=1):
                        inr_files = gr.File(label=f"INR files (.safetensors; up to {limits.max_inrs}) — "
                                                  "filled in by the Fit tab", file_count="multiple",
                                            file_types=[".safetensors"], elem_id="edit-inrs")
                        editor = gr.Dropdown(editor_choices(editors), value=default_editor(editors), label="Edit",
                                             elem_id="edit-editor")
                        strength = gr.Slider(0.0, 2.0, value=1.0, step=0.05, label="Strength",
                                             info="1 = the trained edit, 0 = no change (symmetrize, mirror: 0 or 1)",
                                             elem_id="edit-strength")
                        with gr.Row():
                            axis = gr.Radio(["x", "y", "z"], value="x", label="Axis (symmetrize, mirror)",
                                            elem_id="edit-axis")
                            radius = gr.Number(DEFAULT_RADIUS, minimum=0.001, maximum=MAX_RADIUS, step=0.01,
                                               label="Radius (dilate, erode)", elem_id="edit-radius")
                        with gr.Accordion("Your own editor (optional)", open=False):
                            editor_file = gr.File(label="Trained editor (.safetensors from `inredit train-editor`); "
                                                        "replaces the Edit choice above", file_types=[".safetensors"],
                                                  elem_id="edit-editor-file")
                            editor_card = gr.Markdown(elem_id="edit-editor-card")
                        edit_button = gr.Button("Edit", variant="primary", elem_id="edit-button")
                        edit_example = gr.Textbox(visible=False)
                        edit_examples = inr_examples(edit_example, editor, strength, editors)
                    with gr.Column(scale=2):
                        # before above after: each view's before and after line up in one column
                        before_img = gr.Image(label="Before (4 views)", type="filepath", interactive=False,
                                              elem_id="edit-before")
                        after_img = gr.Image(label="After (same views)", type="filepath", interactive=False,
                                             elem_id="edit-after")
                        with gr.Row():
                            before_model = gr.Model3D(label="Before (3D)", height=300, clear_color=(1, 1, 1, 1),
                                                      elem_id="edit-before-model")
                            after_model = gr.Model3D(label="After (3D)", height=300, clear_color=(1, 1, 1, 1),
                                                     elem_id="edit-after-model")
                        edit_gallery = gr.Gallery(label="All edited INRs (before above after; click one)",
                                                  columns=1, visible=False, elem_id="edit-gallery")
                        edit_metrics = gr.Dataframe(headers=EDIT_COLUMNS,
                                                    label="Edit metrics (volume in the normalized cube, relative "
                                                          "volume change, mirror symmetry IoU across x = 0, "
                                                          "IoU before vs after)",
                                                    elem_id="edit-metrics")
                        edit_files = gr.File(label="Downloads (edited INR .safetensors, mesh .glb)",
                                             file_count="multiple", interactive=False, height=140,
                                             elem_id="edit-downloads")
                edit_state = gr.State([])
            with gr.Tab("Combine", id="combine"):
                with gr.Row():
                    with gr.Column(scale=1):
                        combine_a = gr.File(label="Shape A (INR .safetensors)", file_types=[".safetensors"],
                                            elem_id="combine-a")
                        combine_b = gr.File(label="Shape B (INR .safetensors)", file_types=[".safetensors"],
                                            elem_id="combine-b")
                        combine_op = gr.Radio(list(OPS), value="union", label="Operation",
                                              info="union = A or B, intersection = A and B, difference = A minus B; "
                                                   "exact (min/max of the two SDFs), the result is a wider INR",
                                              elem_id="combine-op")
                        combine_button = gr.Button("Combine", variant="primary", elem_id="combine-button")
                    with gr.Column(scale=2):
                        combine_render = gr.Image(label="A, B and the result (rows; same 4 views)", type="filepath",
                                                  interactive=False, elem_id="combine-render")
                        combine_model = gr.Model3D(label="Result (3D)", height=300, clear_color=(1, 1, 1, 1),
                                                   elem_id="combine-model")
                        combine_metrics = gr.Dataframe(label="Volumes in the normalized cube; IoU of the result "
                                                             "with the same operation on A's and B's voxel grids",
                                                       elem_id="combine-metrics")
                        combine_files = gr.File(label="Downloads (combined INR .safetensors, mesh .glb, renders)",
                                                file_count="multiple", interactive=False, height=140,
                                                elem_id="combine-downloads")
                combine_glb = gr.State(None)

        fit_outputs = [fit_render, fit_model, fit_gallery, fit_metrics, fit_files, inr_files, fit_state]
        fit_event = dict(fn=run_fit, inputs=[mesh_files, steps, measure], outputs=fit_outputs,
                         concurrency_id=CPU, concurrency_limit=1)
        fit_button.click(api_name="fit", **fit_event)
        quality.change(lambda q: FULL_STEPS if q == "full" else QUICK_STEPS, quality, steps, api_visibility="private")
        fit_gallery.select(pick, fit_state, [fit_render, fit_model], api_visibility="private")

        # The 3D views get their files from a separate plain step after the edit: gradio 6's Model3D
        # never draws a model whose value is re-sent while its viewer code is still loading, and a
        # generator (renders first, meshes later) re-sends its last value when it completes.
        edit_outputs_list = [before_img, after_img, edit_gallery, edit_metrics, edit_files, edit_state]
        editor_file.change(show_editor_card, editor_file, editor_card, api_visibility="private")
        edit_event = dict(fn=run_edit, inputs=[inr_files, editor, strength, axis, radius, editor_file],
                          outputs=edit_outputs_list,
                          concurrency_id=CPU, concurrency_limit=1)
        models = [before_model, after_model]

        def run_edit_chain(start, api_name=None):
            """start(...) adds the first step (e.g. `edit_button.click`): clear the 3D views, edit, show them."""
            (start(lambda: (None, None), None, models, api_visibility="private")
             .then(api_name=api_name, api_visibility="public" if api_name else "private", **edit_event)
             .success(show_models, edit_state, models, api_visibility="private"))

        run_edit_chain(edit_button.click, api_name="edit")
        edit_gallery.select(pick_edit, edit_state, [before_img, after_img, before_model, after_model],
                            api_visibility="private")

        (combine_button.click(lambda: None, None, combine_model, api_visibility="private")
         .then(run_combine, [combine_a, combine_b, combine_op],
               [combine_render, combine_metrics, combine_files, combine_glb],
               api_name="combine", concurrency_id=CPU, concurrency_limit=1)
         .success(lambda glb: glb, combine_glb, combine_model, api_visibility="private"))

        # one click on an example fills the inputs and runs the fit / edit
        if fit_examples is not None:
            (fit_examples.load_input_event
             .then(example_files("mesh"), fit_example, mesh_files, api_visibility="private")
             .then(api_visibility="private", **fit_event))
        if edit_examples is not None:
            run_edit_chain(edit_examples.load_input_event
                           .then(example_files("inr"), edit_example, inr_files, api_visibility="private").then)
    return demo


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


def pick(state, evt: gr.SelectData):
    item = state[evt.index]
    return item["render"], item["glb"]


def show_models(state):
    return (state[0]["before_glb"], state[0]["after_glb"]) if state else (None, None)


def pick_edit(state, evt: gr.SelectData):
    item = state[evt.index]
    return item["before_png"], item["after_png"], item["before_glb"], item["after_glb"]


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


def launch(host: str = "127.0.0.1", port: int = 7860, share: bool = False, limits: Limits = Limits(),
           block: bool = True, torch_threads: int | None = 1, **build_kwargs) -> gr.Blocks:
    """Build and start the app (binds 127.0.0.1 unless told otherwise; `block=False` returns at once).

    `torch_threads` (process-wide): the app's work is small ops (sphere tracing, B <= 16 fits)
    where a second thread gains little, while on a busy machine two spinning threads made renders
    and fit steps 10-25x slower on the 2-core dev box. None leaves torch's default.
    """
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)
    demo = build_app(limits=limits, **build_kwargs)
    demo.queue(default_concurrency_limit=1)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=limits.max_upload_bytes,  # the server refuses bigger uploads before they land
        allowed_paths=allowed_paths(),
        show_error=True,
        ssr_mode=False,  # no Node.js server needed
        prevent_thread_lock=not block,
        quiet=not block,
    )
    return demo


def serve_in_background(port: int | None = None, **launch_kwargs) -> tuple[gr.Blocks, str]:
    """Start the app on a free local port without blocking (for tests and benchmarks): (app, url)."""
    import socket

    if port is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    demo = launch(host="127.0.0.1", port=port, block=False, **launch_kwargs)
    return demo, f"http://127.0.0.1:{port}/"
