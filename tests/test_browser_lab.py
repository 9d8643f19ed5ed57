"""The quickstart in a real browser: JupyterLab started here, driven by Playwright with Debian's Chromium.

The notebook runs top to bottom, the CompletionsBrowser renders, a metadata value is changed in the
editor and saved with a click, and the new value is read back from the local server through the client.
The local server runs in this test process over a database file, and the kernel reaches it through
`JUPYTER_API_KIT_LOCAL_URL`, so what the browser saved is what the server holds.
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import pytest

from tests.browser_support import (chromium_path, lab_env, launch_chromium, notebook_errors, process_alive,
                                   run_all_cells, start_jupyterlab)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
QUICKSTART = "quickstart.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture()
def chromium():
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium not found (set CHROMIUM_PATH, or install Debian's `chromium`, as .ci/run does)")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    return path


@pytest.fixture()
def local_server(tmp_path):
    from jupyter_api_kit.local import start_local_server

    handle = start_local_server(db=tmp_path / "local.db", data_dir=tmp_path)
    yield handle
    handle.stop()


def _pick_option_with_topic(page) -> tuple[str, str]:
    """(option value, completion id) of the first row in the panel's list whose metadata has `topic`."""
    for value in page.locator(".jak-completions-list select option").evaluate_all(
            "options => options.map(o => o.value)"):
        if "topic=" in value:
            return value, value.split()[0]
    raise AssertionError("no stored completion with `topic` metadata is listed in the panel")


def test_quickstart_panel_saves_metadata_from_the_browser(chromium, local_server, tmp_path):
    from playwright.sync_api import sync_playwright

    from jupyter_api_kit.client import Client

    started = time.monotonic()
    root = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    assert (root / QUICKSTART).exists(), "notebooks/quickstart.ipynb is missing"
    lab = start_jupyterlab(root, lab_env(tmp_path, local_server.base_url, local_server.api_key), log_path=tmp_path / "jupyterlab.log")
    new_value = f"retagged-{uuid.uuid4().hex[:6]}"
    page = None
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw, chromium)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(60_000)
                page.goto(lab.notebook_url(QUICKSTART))
                run_all_cells(page, timeout=240)

                page.locator(".jak-completions-list select").first.wait_for()  # the panel rendered
                # Options inside a list box never count as visible for Playwright; attached is enough.
                page.locator(".jak-completions-list select option").first.wait_for(state="attached")
                option, completion_id = _pick_option_with_topic(page)
                page.locator(".jak-completions-list select").first.select_option(value=option)

                keys = page.locator(".jak-meta-key input")
                keys.first.wait_for()
                row = keys.evaluate_all("inputs => inputs.map(i => i.value)").index("topic")
                value_box = page.locator(".jak-meta-value input").nth(row)
                value_box.fill(new_value)
                page.locator("button.jak-save").first.click()  # the class is on the <button> itself

                with Client(base_url=local_server.base_url, api_key=local_server.api_key, max_retries=0) as client:
                    stored, deadline = None, time.monotonic() + 20
                    while time.monotonic() < deadline:
                        stored = client.chat.completions.retrieve(completion_id).metadata
                        if stored.get("topic") == new_value:
                            break
                        time.sleep(0.25)
                assert stored.get("topic") == new_value, f"the server still holds {stored!r}"
                status = page.locator(".jak-status").first
                status.filter(has_text="Saved metadata").wait_for(timeout=10_000)
            except BaseException:
                if page is not None:
                    page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
                    errors = notebook_errors(page)
                    print(f"screenshot: {tmp_path / 'failure.png'}\nnotebook errors:\n" + "\n".join(errors))
                print("JupyterLab log tail:\n" + lab.log_tail())
                raise
            finally:
                browser.close()
    finally:
        stopped = lab.stop()
    assert len(stopped) > 1, "the kernel should have run under JupyterLab"
    time.sleep(0.5)
    assert not [pid for pid in stopped if process_alive(pid)], "JupyterLab or its kernel outlived the test"
    print(f"browser test took {time.monotonic() - started:.1f} s")
