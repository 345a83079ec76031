"""The Gradio app: `build_app` assembles the page; `launch` / `serve_in_background` start it.

Each tab is its own module (`fit_tab`, `edit_tab`, `combine_tab`): its components and events, over
the logic modules `inredit_ui.fitting` / `editing` / `combining`, which call the same library
functions as the CLI. Every user error (`InreditError`) becomes a `gr.Error` shown in the page;
the server keeps serving.
"""

from __future__ import annotations

import gradio as gr

from inredit.edits.registry import Editor, available_editors
from inredit_ui.combine_tab import CombineTab
from inredit_ui.edit_tab import EditTab
from inredit_ui.editor_choice import default_editor, editor_card_markdown, uploaded_editor
from inredit_ui.fit_tab import FitTab
from inredit_ui.limits import Limits
from inredit_ui.preview import PreviewSettings
from inredit_ui.shipped_examples import EXAMPLE_INRS, allowed_paths
from inredit_ui.workspace import Workspace

# tests, benchmarks/ui.py and the CLI import these from here
__all__ = ["EXAMPLE_INRS", "build_app", "default_editor", "editor_card_markdown", "launch", "serve_in_background",
           "uploaded_editor"]

INTRO = """# inredit
Fit 3D shapes as small neural implicit functions (INRs), then edit them by rewriting their weights.
**Fit**: upload meshes (or click an example) → INR files, renders and a 3D view.
**Edit**: upload INR files (or use the ones just fitted) → before/after renders, 3D views and metrics.
**Combine**: two INR files → their union, intersection or difference, computed exactly in weight space."""


def build_app(
    editors: dict[str, Editor] | None = None,
    limits: Limits = Limits(),
    workspace: Workspace | None = None,
    settings: PreviewSettings = PreviewSettings(),
    device: str = "cpu",
) -> gr.Blocks:
    editors = available_editors() if editors is None else editors
    workspace = workspace or Workspace()
    with gr.Blocks(title="inredit", delete_cache=(3600, 24 * 3600)) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            fit = FitTab(limits, workspace, settings, device)
            edit = EditTab(editors, limits, workspace, settings)
            combine = CombineTab(limits, workspace, settings)
        # events after all tabs exist: a fit also fills the Edit tab's INR files ("take the one just fitted")
        fit.wire(fitted_inrs=edit.inr_files)
        edit.wire()
        combine.wire()
    return demo


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
