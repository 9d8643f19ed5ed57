"""`jupyter-api-kit serve` as its own process for tests, and the official `openai` package pointed at
it with every exchange (request and JSON response) checked against the contract."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from typing import NamedTuple

import httpx
import requests


class Served(NamedTuple):
    """A `jupyter-api-kit serve` process: where it answers and the key it takes."""

    base_url: str
    api_key: str


@contextlib.contextmanager
def serve_process(data_dir, *args: str, db: str | os.PathLike = ":memory:", log: os.PathLike | None = None):
    """Run `jupyter-api-kit serve --port 0 --db DB ARGS` with its files under `data_dir` (and its log, with
    the tracebacks of failed requests, in the file `log` if given) and a new key in
    `JUPYTER_API_KIT_LOCAL_KEY` (as `make lab` gives it); yields `Served(base_url, api_key)` once it
    answers, and stops it (SIGTERM to its process group) after."""
    key = f"sk-local-{secrets.token_urlsafe(32)}"
    env = {**os.environ, "JUPYTER_API_KIT_DATA_DIR": str(data_dir), "JUPYTER_API_KIT_LOCAL_KEY": key}
    stderr = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_api_kit.cli", "serve", "--port", "0", "--db", str(db),
                             *args], stdout=subprocess.PIPE, stderr=stderr, text=True, env=env,
                            start_new_session=True)
    if log:
        stderr.close()  # the child has its own copy
    try:
        url = proc.stdout.readline().strip()
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/models", headers={"Authorization": f"Bearer {key}"}, timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield Served(url, key)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def checked_http(contract, checked: list, *, requests_too: bool = True) -> httpx.Client:
    """An httpx client for `openai.OpenAI(http_client=...)` whose every exchange is validated against
    the contract: the request (path, query, JSON body) and the JSON response, errors included.
    Each checked exchange is appended to `checked` as (method, path, status)."""

    def check(response: httpx.Response):
        response.read()
        request = response.request
        if requests_too:
            prepared = requests.Request(request.method, str(request.url), headers=dict(request.headers),
                                        data=request.content or None).prepare()
            contract.validate_request(prepared)
        if response.headers.get("content-type", "").startswith("application/json"):
            contract.validate_body(request.method, request.url.path, response.json(), response.status_code)
        checked.append((request.method, request.url.path, response.status_code))

    return httpx.Client(event_hooks={"response": [check]})
