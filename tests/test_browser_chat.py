"""The notebook front in a real browser: JupyterLab started as `make lab` starts it (with the project's own
page config and nothing else to hide the news popup), the quickstart run top to bottom in Debian's
Chromium through Playwright, then:

- a token of the logprobs view is hovered, and the element under the pointer carries its alternatives;
- a message is sent from the chat panel, and the transcript is seen to grow piece by piece;
- the notebook is saved, the page reloaded, and every `%%chat` output of the reopened notebook carries
  its provenance (read from JupyterLab's own notebook model), and its tokens still carry their tooltips.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
import requests

from tests.browser_support import (chromium_path, lab_env, launch_chromium, notebook_errors, run_all_cells,
                                   start_jupyterlab)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
QUICKSTART = "quickstart.ipynb"
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture()
def chromium():
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium not found (set CHROMIUM_PATH, or install Debian's `chromium`)")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    return path


@pytest.fixture()
def local_server(tmp_path):
    from jupyter_api_kit.local import start_local_server

    handle = start_local_server(db=tmp_path / "local.db", data_dir=tmp_path)
    yield handle
    handle.stop()


def make_lab_env(tmp_path: Path, local_url: str, local_key: str) -> dict:
    """The test environment, but with the news settings the suite usually writes taken away and the
    project's page config on `JUPYTER_CONFIG_PATH`, as `make lab` sets it; the copy also exposes the
    application object to the page, so the test can read the notebook model."""
    env = lab_env(tmp_path, local_url, local_key)
    (Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension" /
     "notification.jupyterlab-settings").unlink()
    config = tmp_path / "project-jupyter-config"
    shutil.copytree(ROOT / "jupyter-config", config)
    page_config = config / "labconfig" / "page_config.json"
    page_config.write_text(json.dumps({**json.loads(page_config.read_text()), "exposeAppInBrowser": True}))
    env["JUPYTER_CONFIG_PATH"] = str(config)
    return env


def test_make_lab_uses_the_page_config_that_turns_the_news_off():
    makefile = (ROOT / "Makefile").read_text()
    assert "LAB_CONFIG_PATH := $(CURDIR)/jupyter-config" in makefile
    assert "JUPYTER_CONFIG_PATH=$(LAB_CONFIG_PATH)" in makefile
    page_config = json.loads((ROOT / "jupyter-config" / "labconfig" / "page_config.json").read_text())
    assert page_config["disabledExtensions"] == {ANNOUNCEMENTS: True}


HOVERED = """() => { const all = [...document.querySelectorAll(':hover')]; const el = all[all.length - 1];
    return {title: el.getAttribute('title'), text: el.textContent, inView: !!el.closest('.jak-logprobs')}; }"""

WATCH_TRANSCRIPT = """() => { const t = document.querySelector('.jak-chat-transcript'); window.__seen = [];
    new MutationObserver(() => window.__seen.push(t.innerText))
        .observe(t, {subtree: true, childList: true, characterData: true}); }"""

PROVENANCE = """async () => { const panel = window.jupyterapp.shell.currentWidget; await panel.context.ready;
    const found = []; const cells = panel.content.model.cells;
    for (let i = 0; i < cells.length; i++) { const cell = cells.get(i); if (cell.type !== 'code') continue;
        for (let j = 0; j < cell.outputs.length; j++) { const meta = cell.outputs.get(j).metadata || {};
            if (meta.jupyter_api_kit) found.push({source: cell.sharedModel.getSource(), p: meta.jupyter_api_kit}); } }
    return found; }"""


def test_hover_stream_save_reopen(chromium, local_server, tmp_path):
    from playwright.sync_api import sync_playwright

    root = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    lab = start_jupyterlab(root, make_lab_env(tmp_path, local_server.base_url, local_server.api_key), log_path=tmp_path / "lab.log")
    page = None
    try:
        page_html = requests.get(f"{lab.base_url}lab", params={"token": lab.token}, timeout=30).text
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                      page_html, re.S).group(1))
        assert ANNOUNCEMENTS in config["disabledExtensions"]  # a list of names, as the page receives it
        with sync_playwright() as pw:
            browser = launch_chromium(pw, chromium)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(60_000)
                page.goto(lab.notebook_url(QUICKSTART))
                run_all_cells(page, timeout=240)

                # 1. hover a token of the logprobs view: the element under the pointer lists its alternatives
                token = page.locator(".jak-logprobs span[title]:not([style*='flex'])").nth(2)
                token.scroll_into_view_if_needed()
                token.hover()
                hovered = page.evaluate(HOVERED)
                lines = hovered["title"].split("\n")
                assert hovered["inView"] and hovered["text"] and 5 <= len(lines) <= 6, hovered
                assert all(re.search(r"^'.*' (<0\.1|\d+\.\d)%", line) for line in lines)
                assert sum("\u2190" in line for line in lines) == 1  # the chosen token is marked

                # 2. the chat panel: send a message and watch the answer stream into the transcript
                page.locator(".jak-chat-transcript").scroll_into_view_if_needed()
                page.evaluate(WATCH_TRANSCRIPT)
                page.locator(".jak-chat-composer textarea").fill("Tell me about the planets and their moons.")
                page.locator("button.jak-chat-send").click()
                page.locator(".jak-chat-panel .jak-status", has_text="completion tokens").wait_for()
                seen = page.evaluate("window.__seen")
                partial = {s for s in seen if "\u258c" in s and s.strip().split("assistant:")[-1].strip("\u258c ")}
                final = page.locator(".jak-chat-transcript").inner_text()
                assert len(partial) >= 2, seen  # several growing states, each with the typing cursor
                assert "\u258c" not in final and "user: Tell me about the planets" in final.replace("\n", " ")
                answer = final.split("assistant:")[-1].strip()
                assert answer and all(answer.startswith(s.split("assistant:")[-1].strip("\u258c ").strip()[:20])
                                      for s in partial)

                # no news popup, with only the project's page config to prevent it
                assert page.get_by_text("official Jupyter news").count() == 0

                # 3. save, reopen, and find the provenance
                page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
                page.keyboard.press("Control+s")
                page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
                saved = json.loads((root / QUICKSTART).read_text())
                assert any("jupyter_api_kit" in o.get("metadata", {}) for c in saved["cells"]
                           for o in c.get("outputs", []))
                page.reload()
                page.locator(".jak-logprobs").first.wait_for()
                found = page.evaluate(PROVENANCE)
                chats = [f for f in found if f["source"].startswith("%%chat")]
                assert len(chats) >= 5, found
                for item in chats:
                    p = item["p"]
                    assert p["model"] == "local-ngram" and p["request_id"].startswith("req_") and p["usage"]
                    assert p["server"]["kind"] in ("local", "other") and p["replayed"] is False
                    assert set(p["parameters"]) >= ({"logprobs", "top_logprobs"} if "--logprobs" in item["source"]
                                                    else set())
                reopened = page.locator(".jak-logprobs span[title]:not([style*='flex'])").nth(2)
                reopened.scroll_into_view_if_needed()
                reopened.hover()
                assert page.evaluate(HOVERED)["title"] == hovered["title"]
            except BaseException:
                if page is not None:
                    page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
                    print(f"screenshot: {tmp_path / 'failure.png'}\nnotebook errors:\n" + "\n".join(
                        notebook_errors(page)))
                print("JupyterLab log tail:\n" + lab.log_tail())
                raise
            finally:
                browser.close()
    finally:
        lab.stop()
    time.sleep(0.2)
