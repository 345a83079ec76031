"""Drive the app in Debian's chromium with playwright (sync API): shared by the browser test and
`benchmarks/ui.py`. playwright's own browser download is not used (no downloads on this machine).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def open_page(url: str, timeout_ms: int = 180_000) -> Iterator:
    """A chromium page showing the app at `url` (the Fit button is on screen when this yields)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                             env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector("#fit-button", timeout=timeout_ms)
            yield page
        finally:
            browser.close()


def image_src(page, selector: str) -> str | None:
    shown = page.locator(f"{selector} img")
    return shown.first.get_attribute("src") if shown.count() else None


def image_at(page, selector: str) -> tuple[str, np.ndarray]:
    """(src, pixels) of the image shown in a gr.Image, fetched through the page's own session."""
    src = page.locator(f"{selector} img").first.get_attribute("src")
    response = page.request.get(src)
    if not response.ok:
        raise RuntimeError(f"{selector}: could not fetch {src}")
    return src, np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB"))


def wait_for_new_image(page, selector: str, old_src: str | None, timeout: int) -> None:
    page.wait_for_function(
        "([sel, old]) => { const img = document.querySelector(sel + ' img');"
        " return img && img.getAttribute('src') && img.getAttribute('src') !== old; }",
        arg=[selector, old_src or ""], timeout=timeout,
    )


def upload(page, component: str, path: Path, timeout: int = 180_000) -> None:
    """Replace a gr.File's files with `path` (clear first, so files never accumulate)."""
    clear = page.locator(f"{component} button[aria-label=Clear]")
    if clear.count():
        clear.first.click()
    page.set_input_files(f"{component} input[type=file]", str(path))
    page.locator(f"{component} td.filename[aria-label='{path.name}']").wait_for(timeout=timeout)
