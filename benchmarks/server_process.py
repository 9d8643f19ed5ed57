"""`jupyter-api-kit serve` in a process of its own, so a benchmark's client and the server do not
share one interpreter.

Every server started here takes `KEY` (random per run), sent as `HEADERS` or `api_key=KEY`.

Example:
    >>> with served(data_dir="/tmp/bench") as url:    # doctest: +SKIP
    ...     requests.get(f"{url}/models", headers=HEADERS)
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import requests

#: the key of the servers benchmarks start (given through the environment, as `make lab` does)
KEY = f"sk-local-{secrets.token_urlsafe(32)}"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def wait_until_up(url: str, what: str, timeout: float = 30) -> None:
    """Return once `url`/models answers at all (any status); raise if nothing listens by `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(f"{url}/models", headers=HEADERS, timeout=1)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)


@contextmanager
def served(data_dir: str | None = None, args: tuple = (), env_extra: dict | None = None):
    """Start the server on a free port with an in-memory database (and `args`, with `env_extra` in its
    environment); yield its base URL; stop it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(env_extra or {}, JUPYTER_API_KIT_LOCAL_KEY=KEY)
    if data_dir:
        env["JUPYTER_API_KIT_DATA_DIR"] = data_dir
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_api_kit.cli", "serve", "--port", "0", "--db", ":memory:",
                             *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                            start_new_session=True)
    try:
        url = proc.stdout.readline().strip()
        wait_until_up(url, "benchmark server")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=20)
