"""Metadata updates of stored chat completions from 8 concurrent clients: what checking every request
at the boundary (JSON parsing, the declared request model, the metadata limits) and storing it costs.

The subject is the local server (`jupyter-api-kit serve`, its own process): 8 threads, each with its
own `requests.Session`, send `POST /v1/chat/completions/{id}` with a new metadata object for one of 8
stored completions, over and over for a fixed number of requests. The baseline is the same clients
against a bare FastAPI app run by uvicorn in a subprocess, with one route of the same path that
answers a fixed JSON body: HTTP, uvicorn and FastAPI with nothing of ours. The ratio compares
throughput (baseline time / subject time: 0.8 means the server does 80% of the bare app's updates
per second); the note gives the server's p50/p99 latency and the bare app's.

Run ``python -m benchmarks metadata_updates`` to print the table.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from contextlib import contextmanager

import requests

from benchmarks.server_process import HEADERS, served, wait_until_up

CLIENTS = 8
PER_CLIENT = 150
WARMUP = 20

BARE_APP = textwrap.dedent('''
    from fastapi import FastAPI, Request

    app = FastAPI()
    FIXED = {"object": "chat.completion", "id": "chatcmpl-bench", "metadata": {"topic": "moons"}}

    @app.post("/v1/chat/completions/{completion_id}")
    async def update(completion_id: str, request: Request):
        await request.body()
        return FIXED

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": []}
''')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def bare_app():
    """The bare FastAPI app under uvicorn in a subprocess; yields its base URL."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "bare_app.py"), "w") as f:
            f.write(BARE_APP)
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port),
                                 "--log-level", "warning", "--no-access-log"], cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            wait_until_up(url, "bare app")
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=20)


def stored_completions(url: str) -> list[str]:
    """Eight stored completions to update (short answers: making them is not what is measured)."""
    ids = []
    for i in range(CLIENTS):
        r = requests.post(f"{url}/chat/completions", json={
            "model": "local-ngram", "messages": [{"role": "user", "content": f"Name moon {i}."}],
            "max_tokens": 4, "store": True, "metadata": {"run": "bench"}}, headers=HEADERS, timeout=60)
        r.raise_for_status()
        ids.append(r.json()["id"])
    return ids


def hammer(url: str, ids: list[str]) -> tuple[float, list[float]]:
    """Wall time for CLIENTS x PER_CLIENT updates, and every request's latency (seconds)."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def client(n: int):
        session = requests.Session()
        session.headers.update(HEADERS)  # the server's key (the bare app ignores it)
        target = f"{url}/chat/completions/{ids[n]}"
        for i in range(WARMUP):
            session.post(target, json={"metadata": {"topic": "warm", "n": str(i)}}, timeout=30).raise_for_status()
        start.wait()
        mine = []
        for i in range(PER_CLIENT):
            t = time.perf_counter()
            r = session.post(target, json={"metadata": {"topic": "moons", "client": str(n), "n": str(i)}},
                             timeout=30)
            mine.append(time.perf_counter() - t)
            r.raise_for_status()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began, latencies


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 99)
        (2.0, 4.0)
    """
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp, served(data_dir=tmp) as url:
        ids = stored_completions(url)
        subject_s, subject_lat = hammer(url, ids)
        check = requests.get(f"{url}/chat/completions/{ids[0]}", headers=HEADERS, timeout=10).json()["metadata"]
        assert check == {"topic": "moons", "client": "0", "n": str(PER_CLIENT - 1)}, check
    with bare_app() as url:
        baseline_s, baseline_lat = hammer(url, ["chatcmpl-bench"] * CLIENTS)
    total = CLIENTS * PER_CLIENT

    def ms(lat, q):
        return f"{percentile(lat, q) * 1e3:.1f}"

    note = (f"{total} updates, {CLIENTS} clients: server {total / subject_s:.0f}/s p50 {ms(subject_lat, 50)} ms "
            f"p99 {ms(subject_lat, 99)} ms; bare app {total / baseline_s:.0f}/s p50 {ms(baseline_lat, 50)} ms "
            f"p99 {ms(baseline_lat, 99)} ms")
    return [{"benchmark": "metadata updates, 8 concurrent clients (per update)", "subject_s": subject_s / total,
             "baseline_s": baseline_s / total, "ratio": baseline_s / subject_s,
             "baseline": "bare FastAPI app (uvicorn) answering a fixed body", "note": note}]
