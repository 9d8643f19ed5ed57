"""Helpers for the real-browser tests: JupyterLab in its own process group, Debian's Chromium through Playwright.

Typical use::

    lab = start_jupyterlab(root_dir, env=lab_env(tmp_path, local_url, local_key), log_path=tmp_path / "lab.log")
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_page()
            page.goto(lab.notebook_url("quickstart.ipynb"))
            run_all_cells(page)
    finally:
        lab.stop()          # JupyterLab and its kernels

Nothing here downloads a browser: Chromium is the system one (`CHROMIUM_PATH`, else
`/usr/bin/chromium`, else `chromium` on PATH), and a missing one is a reason to skip.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

CHROMIUM_ENV = "CHROMIUM_PATH"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Headless, and quiet: no sandbox (containers run as root), no GPU, no calls home while the test runs.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when there is none.

    Example:
        >>> path = chromium_path()
        >>> path is None or os.access(path, os.X_OK)
        True
    """
    for candidate in (os.environ.get(CHROMIUM_ENV), DEFAULT_CHROMIUM, shutil.which("chromium")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_env(tmp_path: Path, local_url: str, local_key: str | None = None) -> dict:
    """The environment for JupyterLab and its kernels: the test's local server, and every Jupyter,
    IPython and toolkit directory inside `tmp_path`, so the user's own settings neither leak in nor change."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    dirs = {name: tmp_path / sub for name, sub in (
        ("JUPYTER_API_KIT_DATA_DIR", "jak-data"), ("JUPYTER_CONFIG_DIR", "jupyter-config"),
        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"), ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"), ("IPYTHONDIR", "ipython"))}
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    # No "receive Jupyter news?" toast over the notebook, and no fetch of that news.
    notification = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env["JUPYTER_API_KIT_LOCAL_URL"] = local_url
    if local_key:
        env["JUPYTER_API_KIT_LOCAL_KEY"] = local_key  # as `make lab` gives its kernels the server's key
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("JUPYTER_API_KIT_DB", None)
    return env


@dataclass
class LabProcess:
    """A running JupyterLab: its process (leader of its own process group), port and token."""

    process: subprocess.Popen
    port: int
    token: str
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def notebook_url(self, name: str) -> str:
        return f"{self.base_url}lab/tree/{name}?token={self.token}"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> list[int]:
        """Stop JupyterLab and every kernel it started; return the ids of the processes that were stopped.

        Kernels lead process groups of their own (jupyter_client starts them in a new session), so
        they are first shut down through the REST API, then JupyterLab's group is ended, and any
        kernel group still alive after that is killed.
        """
        stopped = [self.process.pid, *_descendants(self.process.pid)]
        kernel_groups = {pgid for pgid in map(_pgid, stopped[1:]) if pgid}
        kernel_groups.discard(_pgid(self.process.pid))
        try:
            api = f"{self.base_url}api/kernels"
            for kernel in requests.get(api, params={"token": self.token}, timeout=5).json():
                requests.delete(f"{api}/{kernel['id']}", params={"token": self.token}, timeout=timeout)
        except (requests.RequestException, ValueError, KeyError, TypeError):
            pass  # the server is already gone or broken; the signals below still apply
        stop_process_group(self.process, timeout)
        for pgid in kernel_groups:
            if _group_alive(pgid):
                os.killpg(pgid, signal.SIGKILL)
        return stopped


def process_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (read from /proc; empty where there is no /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def stop_process_group(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the group `process` leads, then SIGKILL whatever is left after `timeout` seconds."""
    pgid = _pgid(process.pid)
    if pgid is None:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.1)
        if not _group_alive(pgid):
            break


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def start_jupyterlab(root_dir: Path, env: dict, log_path: Path, timeout: float = 60.0) -> LabProcess:
    """Start JupyterLab on a free loopback port with a random token and wait until it answers.

    Example:
        >>> lab = start_jupyterlab(tmp_path / "nb", lab_env(tmp_path, url), tmp_path / "lab.log")  # doctest: +SKIP
        >>> requests.get(lab.base_url + "api/status", params={"token": lab.token}).ok            # doctest: +SKIP
        True
    """
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
               "--ServerApp.open_browser=False", "--ServerApp.port_retries=0", "--LabApp.news_url=None"]
    if os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")  # CI containers run as root
    log = open(log_path, "wb")
    # A new session makes JupyterLab lead a process group that its kernels join, so one killpg ends all.
    process = subprocess.Popen(command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    lab = LabProcess(process, port, token, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{lab.log_tail()}")
        try:
            if requests.get(f"{lab.base_url}api/status", params={"token": token}, timeout=2).ok:
                return lab
        except requests.RequestException:
            pass
        time.sleep(0.25)
    lab.stop()
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{lab.log_tail()}")


def launch_chromium(playwright, executable: str | None = None):
    """The system Chromium, headless, through Playwright (no browser download)."""
    return playwright.chromium.launch(executable_path=executable or chromium_path(), args=CHROMIUM_ARGS)


def run_all_cells(page, timeout: float = 180.0, attempts: int = 3) -> None:
    """Run every cell from the Run menu, then wait until each code cell has run and the kernel is idle.

    A notebook that has just opened can show an idle indicator before its kernel is connected, and a
    Run All in that moment clears the prompts and runs nothing; so when no cell starts, it is asked again.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=60_000)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            page.wait_for_function(_ANY_CELL_STARTED, timeout=15_000, polling=250)
            break
        except PlaywrightTimeout:  # nothing ran: ask again
            if attempt == attempts - 1:
                raise
    wait_until_executed(page, timeout)


# A cell that was sent to the kernel shows [*]: while it waits or runs, then [n]: when done.
_ANY_CELL_STARTED = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
    .some(p => /^\\[(\\*|\\d+)\\]:$/.test(p.textContent.trim()))"""


def wait_until_executed(page, timeout: float) -> None:
    """Wait until every code cell shows an execution count and the kernel indicator says idle."""
    script = """() => {
        const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
            .map(p => p.textContent.trim());
        const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
        return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t))
            && indicator !== null && indicator.dataset.status === 'idle';
    }"""
    page.wait_for_function(script, timeout=timeout * 1000, polling=250)


def notebook_errors(page) -> list[str]:
    """The text of every error output (a traceback) in the open notebook."""
    return page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
