"""Time from running a `%%chat` cell to its first visible token, on the local server.

The server runs in a process of its own (`jupyter-api-kit serve`). The subject is a real IPython shell
with the extension loaded, running `%%chat --new --seed N` cells; the clock starts when the cell is
run and stops when the first display message showing answer text (not just the typing cursor) is
published, which is when a frontend would draw it. The baseline, measured in the same run and
interleaved call by call, is the same request sent straight with `requests` (the body `%%chat`
sends, streamed), stopped at the first content delta: what no notebook front can beat. The ratio
(baseline / subject) is the share of the wait that is the model's, the rest being the magic's own
work (parsing, the request, the display).

Run ``python -m benchmarks chat_first_token`` for the table.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import tempfile
import time

import requests

from benchmarks.server_process import HEADERS, KEY, served

ROUNDS = 15
QUESTION = "Why is the sky blue?"


class FirstText:
    """A display publisher that notes when the first message showing answer text is published."""

    def __init__(self):
        from IPython.core.displaypub import CapturingDisplayPublisher

        class Publisher(CapturingDisplayPublisher):
            def publish(inner, data, *args, **kwargs):  # noqa: N805 - inner is the publisher
                text = data.get("text/markdown") or data.get("text/plain") or ""
                if self.at is None and text.strip("\u258c").strip():
                    self.at = time.perf_counter()
                super().publish(data, *args, **kwargs)

        self.at = None
        self.publisher = Publisher()


def _cell_first_token(shell, seed: int) -> float:
    watch = FirstText()
    saved, shell.display_pub = shell.display_pub, watch.publisher
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            started = time.perf_counter()
            result = shell.run_cell(f"%%chat --new --seed {seed}\n{QUESTION}\n", store_history=False)
    finally:
        shell.display_pub = saved
    if result.error_in_exec is not None or watch.at is None:
        raise RuntimeError(f"the %%chat cell failed: {result.error_in_exec!r}")
    return watch.at - started


def _raw_first_token(session: requests.Session, url: str, seed: int) -> float:
    body = {"model": "local-ngram", "messages": [{"role": "user", "content": QUESTION}], "seed": seed,
            "stream": True, "stream_options": {"include_usage": True}}
    started = time.perf_counter()
    with session.post(f"{url}/chat/completions", json=body, stream=True, timeout=60) as response:
        for line in response.iter_lines():
            if line.startswith(b"data: {"):
                choices = json.loads(line[6:]).get("choices") or []
                if choices and (choices[0].get("delta") or {}).get("content"):
                    return time.perf_counter() - started
    raise RuntimeError("the stream ended without content")


def run(rounds: int = ROUNDS) -> list[dict]:
    """One row: median time to the first visible token of a `%%chat` cell vs a raw streamed request."""
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_api_kit.magics import load_ipython_extension, unload_ipython_extension

    with tempfile.TemporaryDirectory() as data_dir, served(data_dir=data_dir) as url:
        saved_env = {k: os.environ.get(k) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "JUPYTER_API_KIT_DATA_DIR")}
        os.environ.update(OPENAI_BASE_URL=url, OPENAI_API_KEY=KEY, JUPYTER_API_KIT_DATA_DIR=data_dir)
        shell = InteractiveShell.instance()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                load_ipython_extension(shell)
            session = requests.Session()
            session.headers.update(HEADERS)
            _cell_first_token(shell, 0)  # warm both paths: model loading is not what is measured
            _raw_first_token(session, url, 0)
            subject, baseline = [], []
            for seed in range(1, rounds + 1):  # interleaved, alternating which goes first
                pair = [lambda: subject.append(_cell_first_token(shell, seed)),
                        lambda: baseline.append(_raw_first_token(session, url, seed))]
                for measure in (pair if seed % 2 else pair[::-1]):
                    measure()
        finally:
            unload_ipython_extension(shell)
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    subject_s, baseline_s = statistics.median(subject), statistics.median(baseline)
    return [{"benchmark": "%%chat cell to first visible token (local)", "subject_s": subject_s,
             "baseline_s": baseline_s, "ratio": baseline_s / subject_s,
             "baseline": "the same streamed request with requests, to its first content delta",
             "note": f"median of {rounds}, interleaved; subject p90 "
                     f"{sorted(subject)[int(0.9 * (rounds - 1))] * 1e3:.1f} ms"}]


if __name__ == "__main__":
    for row in run():
        print(f"{row['benchmark']}: {row['subject_s'] * 1e3:.1f} ms vs {row['baseline_s'] * 1e3:.1f} ms "
              f"({row['ratio']:.2f}x); {row['note']}")
