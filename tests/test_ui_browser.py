"""The Gradio app in a real browser: Debian chromium driven by playwright (sync API).

Opens the app, uploads a mesh, fits it (few steps), edits it, checks the renders and the 3D
viewers, runs the exact symmetrize example and the Combine tab, shows that each bad upload puts
a clear message in the page while the app keeps serving, and saves a screenshot of the Edit tab
to docs/ui_edit_tab.png.
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from inredit_ui.browser import (
    CHROMIUM,
    image_at,
    image_src,
    open_page,
    upload,
    wait_for_new_image,
)
from PIL import Image

if not CHROMIUM.exists():
    pytest.skip("Debian chromium is not installed at /usr/bin/chromium (scripts/setup.sh installs it)",
                allow_module_level=True)
pytest.importorskip("gradio")
pytest.importorskip("playwright.sync_api")

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # the server must not phone home during tests
REPO = Path(__file__).resolve().parent.parent
MUG = REPO / "scenes" / "shapes" / "mug.obj"
SCREENSHOT = REPO / "docs" / "ui_edit_tab.png"
FIT_STEPS = 300
SLOW = 600_000  # ms: a fit on a shared 2-core CPU (other jobs may be running)
FAST = 180_000


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from inredit_ui.app import serve_in_background
    from inredit_ui.limits import Limits
    from inredit_ui.preview import PreviewSettings
    from inredit_ui.workspace import Workspace

    from inredit.edits.registry import IdentityEditor, available_editors
    from inredit.inr.spec import DEFAULT_SPEC

    editors = {**available_editors(), "identity-default-spec": IdentityEditor(DEFAULT_SPEC)}
    threads = torch.get_num_threads()
    demo, url = serve_in_background(limits=Limits(max_upload_mb=1.0, max_faces=6000), editors=editors,
                                    workspace=Workspace(tmp_path_factory.mktemp("ui-work")),
                                    settings=PreviewSettings(resolution=128, mesh_resolution=96))  # a bit faster
    yield url
    demo.close()
    torch.set_num_threads(threads)  # launch() set one thread for the whole process


@pytest.fixture(scope="module")
def page(app_url):
    with open_page(app_url, FAST) as page:
        yield page


def model_file(page, selector: str) -> trimesh.Trimesh:
    """The mesh a gr.Model3D received: its canvas exists and its download link serves a real GLB."""
    page.wait_for_selector(f"{selector} canvas", timeout=FAST)
    link = page.locator(f"{selector} [data-testid=model3d-download-link]")
    link.wait_for(timeout=FAST)
    href = link.get_attribute("href")
    assert href.endswith(".glb"), href
    mesh = trimesh.load(io.BytesIO(page.request.get(href).body()), file_type="glb", force="mesh")
    assert len(mesh.faces) > 100
    return mesh


def expect_error(page, text: str) -> None:
    toast = page.locator("[data-testid=toast-text]", has_text=text)
    toast.first.wait_for(timeout=FAST)
    assert "Traceback" not in toast.first.inner_text()
    for close in page.locator("[data-testid=toast-close]").all():  # toasts must not hide the next clicks
        if close.is_visible():
            close.click()


def test_fit_then_edit_in_browser(page):
    page.get_by_role("tab", name="Fit").click()
    page.fill("#fit-steps input[type=number]", str(FIT_STEPS))
    page.press("#fit-steps input[type=number]", "Enter")
    page.get_by_label("Measure fit quality").uncheck()
    upload(page, "#fit-meshes", MUG)
    page.click("#fit-button")
    wait_for_new_image(page, "#fit-render", None, SLOW)
    _, render = image_at(page, "#fit-render")
    assert render.shape[1] > 3 * render.shape[0]  # 4 views side by side
    model_file(page, "#fit-model")
    assert page.locator("#fit-downloads td.filename[aria-label='mug.safetensors']").count() == 1

    page.get_by_role("tab", name="Edit").click()
    page.locator("#edit-inrs td.filename[aria-label='mug.safetensors']").wait_for(timeout=FAST)  # handed over
    start = time.perf_counter()
    page.click("#edit-button")
    wait_for_new_image(page, "#edit-after", None, FAST)
    print(f"\nclick Edit -> after-render shown: {time.perf_counter() - start:.2f} s")
    wait_for_new_image(page, "#edit-before", None, FAST)
    _, before = image_at(page, "#edit-before")
    _, after = image_at(page, "#edit-after")
    assert before.shape == after.shape == render.shape  # same cameras and resolution as the fit preview
    assert np.array_equal(before, render)
    assert page.locator("#edit-editor input").input_value().startswith("remove-handle")  # the page's default
    assert not np.array_equal(before, after)  # the shipped editor changed the shape
    model_file(page, "#edit-before-model")
    model_file(page, "#edit-after-model")


def test_one_click_example_and_screenshot(page):
    """Clicking a pre-fitted example fills the Edit tab and runs the edit; the screenshot goes to docs/."""
    page.get_by_role("tab", name="Edit").click()
    old_src = image_src(page, "#edit-after")
    example_button(page, "mug").click()
    wait_for_new_image(page, "#edit-after", old_src, FAST)
    page.locator("#edit-inrs td.filename[aria-label='mug.safetensors']").wait_for(timeout=FAST)
    _, before = image_at(page, "#edit-before")
    _, after = image_at(page, "#edit-after")
    assert before.shape == after.shape and before.min() < 200  # a shape is drawn
    from test_ui_api import assert_handle_pixels_gone

    assert_handle_pixels_gone(before.min(axis=2) < 250, after.min(axis=2) < 250)  # the mug lost its handle
    model_file(page, "#edit-after-model")
    page.wait_for_timeout(1500)  # let the 3D viewers draw a frame or two
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert Image.open(SCREENSHOT).size[0] >= 1000


def table_row(page, selector: str, first_cell: str) -> dict[str, str]:
    """The first data row of a gr.Dataframe as {header: cell text}, once its first cell reads `first_cell`."""
    page.locator(f"{selector} [data-testid=cell-0-0]", has_text=first_cell).wait_for(timeout=FAST)
    headers = page.locator(f"{selector} th[data-testid^=header-]").all()
    return {h.get_attribute("title"): page.locator(f"{selector} [data-testid=cell-0-{k}]").inner_text().strip()
            for k, h in enumerate(headers)}


def test_symmetrize_example_in_browser(page):
    """The composition example opens with the exact symmetrize: the after-shape is mirror-symmetric."""
    page.get_by_role("tab", name="Edit").click()
    old_src = image_src(page, "#edit-after")
    example_button(page, "composition").click()
    wait_for_new_image(page, "#edit-after", old_src, FAST)
    assert page.locator("#edit-editor input").input_value().startswith("symmetrize")
    row = table_row(page, "#edit-metrics", "composition")
    assert float(row["symmetry_after"]) > 0.99 > float(row["symmetry_before"]) + 0.05, row
    _, before = image_at(page, "#edit-before")
    _, after = image_at(page, "#edit-after")
    drawn_before, drawn_after = before.min(axis=2) < 250, after.min(axis=2) < 250
    assert (drawn_after & ~drawn_before).sum() > 0.05 * drawn_before.sum()  # the mirror image was added
    assert (drawn_before & ~drawn_after).sum() < 0.01 * drawn_before.sum()  # and nothing taken away (union)


def test_combine_in_browser(page):
    """Combine tab: upload two INRs, union them; the result row's silhouette is the union of A's and B's."""
    from inredit_ui.app import EXAMPLE_INRS

    page.get_by_role("tab", name="Combine").click()
    upload(page, "#combine-a", EXAMPLE_INRS / "mug.safetensors")
    upload(page, "#combine-b", EXAMPLE_INRS / "ring_with_peg.safetensors")
    page.get_by_label("union").check()
    page.click("#combine-button")
    wait_for_new_image(page, "#combine-render", None, FAST)
    _, grid = image_at(page, "#combine-render")
    from test_ui_api import assert_union_silhouette

    assert_union_silhouette(grid.min(axis=2) < 250)
    assert float(table_row(page, "#combine-metrics", "mug_union_ring_with_peg")["iou_vs_union_of_grids"]) > 0.99
    model_file(page, "#combine-model")
    link = page.locator("#combine-downloads td.filename[aria-label='mug_union_ring_with_peg.safetensors']")
    assert link.count() == 1


def example_button(page, shape: str):
    """The Edit tab's example for a pre-fitted shape (e.g. "mug (remove-handle)")."""
    return page.get_by_role("button", name=re.compile(rf"^{shape} \("))


def good_edit(page, example: str) -> None:
    """One valid request (a pre-fitted example): proves the app still serves after an error.

    Callers alternate examples, so the after-render always changes (an error leaves it as it was).
    """
    page.get_by_role("tab", name="Edit").click()
    old_src = image_src(page, "#edit-after")
    example_button(page, example).click()
    wait_for_new_image(page, "#edit-after", old_src, FAST)


def test_bad_uploads_show_errors_and_app_keeps_serving(page, tmp_path):
    from test_ui_api import bad_files

    garbage, dense, huge, other_spec, nan = bad_files(tmp_path)

    cases = [  # (tab, upload component, file, editor or None, expected message part)
        ("Fit", "#fit-meshes", garbage, None, "notamesh.obj: mesh is empty"),
        ("Fit", "#fit-meshes", dense, None, "more than the limit of 6000"),
        ("Fit", "#fit-meshes", huge, None, "exceed the maximum allowed size"),  # refused by gradio at upload
        ("Edit", "#edit-inrs", other_spec, "identity-default-spec", "needs INRs of spec"),
        ("Edit", "#edit-inrs", nan, "identity", "weights contain NaN or inf"),
    ]
    for k, (tab, component, path, editor, expected) in enumerate(cases):
        page.get_by_role("tab", name=tab).click()
        if expected.startswith("exceed"):
            clear = page.locator(f"{component} button[aria-label=Clear]")
            if clear.count():
                clear.first.click()
            page.set_input_files(f"{component} input[type=file]", str(path))
        else:
            upload(page, component, path)
            if editor is not None:
                page.locator("#edit-editor input").fill(editor)
                page.get_by_role("option", name=editor).first.click()
            page.click("#fit-button" if tab == "Fit" else "#edit-button")
        expect_error(page, expected)
        good_edit(page, ["vase", "mug"][k % 2])  # the previous test left the mug on show
