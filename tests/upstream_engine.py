"""A real OpenAI-compatible engine for the gateway tests: LiteLLM's proxy, run as its own process with
mock models (fixed answers, no network), behind a master key.

Models: `mock-gpt` answers MOCK_ANSWER (streamed in small pieces), `mock-embed` answers MOCK_VECTOR
for one input, `mock-rate-limited` and `mock-broken` fail with LiteLLM's own 429 and 500.

Example:
    >>> with litellm_proxy(tmp_path) as engine:     # doctest: +SKIP
    ...     engine.base_url
    'http://127.0.0.1:41234/v1'
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

MASTER_KEY = "sk-upstream-test-7f3a9c"
KEY_ENV = "JAK_TEST_UPSTREAM_KEY"
MOCK_ANSWER = "Jupiter has ninety-five known moons, and Ganymede is the largest of them."
MOCK_VECTOR = [0.6, 0.0, 0.8]

CONFIG = f"""\
model_list:
  - model_name: mock-gpt
    litellm_params:
      model: openai/mock-gpt
      api_key: not-used
      mock_response: "{MOCK_ANSWER}"
  - model_name: mock-embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_key: not-used
      mock_response: {MOCK_VECTOR}
    model_info:
      mode: embedding
  - model_name: mock-rate-limited
    litellm_params:
      model: openai/mock-rate-limited
      api_key: not-used
      mock_response: "litellm.RateLimitError"
  - model_name: mock-broken
    litellm_params:
      model: openai/mock-broken
      api_key: not-used
      mock_response: "litellm.InternalServerError"
general_settings:
  master_key: {MASTER_KEY}
litellm_settings:
  telemetry: false
  num_retries: 0
"""


@dataclass
class Engine:
    """A running engine: its `/v1` URL, its key, and where its log goes."""

    base_url: str
    key: str
    log: Path

    def post(self, path: str, body: dict, client: httpx.Client | None = None) -> httpx.Response:
        """POST straight to the engine (no gateway), with its key."""
        send = client.post if client else httpx.post
        return send(f"{self.base_url}{path}", json=body, headers={"Authorization": f"Bearer {self.key}"},
                    timeout=60)


def available() -> str | None:
    """The `litellm` command, if LiteLLM's proxy is installed (the `test` extra installs it)."""
    found = shutil.which("litellm", path=str(Path(sys.executable).parent)) or shutil.which("litellm")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def litellm_proxy(workdir: Path, timeout: float = 240.0):
    """Start LiteLLM's proxy on a free port with the mock models; yield an `Engine`; stop it."""
    command = available()
    if command is None:
        raise RuntimeError("LiteLLM's proxy is not installed: pip install 'litellm[proxy]'")
    config = workdir / "litellm.yaml"
    config.write_text(CONFIG)
    log = workdir / "litellm.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LITELLM_"))}
    # Offline: the price map bundled with the package, no telemetry, no update checks.
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False", LITELLM_LOG="ERROR",
               DISABLE_SCHEMA_UPDATE="True", NO_DOCS="True")
    with open(log, "w") as out:
        proc = subprocess.Popen([command, "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
                                 "--num_workers", "1"], stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=workdir, start_new_session=True)
    engine = Engine(f"http://127.0.0.1:{port}/v1", MASTER_KEY, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"LiteLLM's proxy exited at start: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{engine.base_url}/models", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                             timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"LiteLLM's proxy did not start in {timeout:g} s: {log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield engine
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
