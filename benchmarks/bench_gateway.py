"""What gateway mode adds: a chat completion through the local server in front of a real engine
(LiteLLM's proxy with a mock model, in its own process) beside the same call made to the engine
directly, in one run; per whole call, and per streamed chunk (one token's worth of text) of a streamed
answer.

Calls are interleaved one by one in a rotating order (see `bench_client._median_call`) and timed
singly; the figures are medians. The gateway stores every completion (`store: true`), so the figure
includes the SQLite write, the usage record and the id rewriting that a user of gateway mode gets.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from benchmarks.bench_client import _median_call
from benchmarks.server_process import HEADERS, served

CALLS = 150
STREAMS = 60
WARMUP = 10
ASK = {"model": "mock-gpt", "messages": [{"role": "user", "content": "How many moons has Jupiter?"}]}


def _stream_chunks(client: httpx.Client, url: str, headers: dict, body: dict) -> int:
    """Read one streamed answer to its end; the number of content chunks it had."""
    chunks = 0
    with client.stream("POST", f"{url}/chat/completions", json=body, headers=headers) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("data: {") and '"content"' in line:
                chunks += 1
    return chunks


def run() -> list[dict]:
    from tests.upstream_engine import KEY_ENV, litellm_proxy

    with tempfile.TemporaryDirectory() as work, litellm_proxy(Path(work)) as engine, \
            served(args=("--upstream", engine.base_url, "--upstream-key-env", KEY_ENV),
                   env_extra={KEY_ENV: engine.key}) as url:
        http = httpx.Client(timeout=60, headers=HEADERS)  # the gateway's key; direct calls send the engine's
        direct_headers = {"Authorization": f"Bearer {engine.key}"}

        def gateway(i):
            http.post(f"{url}/chat/completions", json={**ASK, "store": True}).raise_for_status()

        def direct(i):
            http.post(f"{engine.base_url}/chat/completions", json=ASK, headers=direct_headers).raise_for_status()

        _median_call((gateway, direct), WARMUP)
        call = _median_call((gateway, direct), CALLS)

        streamed = {**ASK, "stream": True}
        counts = {}

        def gateway_stream(i):
            counts["gateway"] = _stream_chunks(http, url, {}, {**streamed, "store": True})

        def direct_stream(i):
            counts["direct"] = _stream_chunks(http, engine.base_url, direct_headers, streamed)

        _median_call((gateway_stream, direct_stream), WARMUP)
        stream = _median_call((gateway_stream, direct_stream), STREAMS)
        http.close()
    per_gateway, per_direct = stream["gateway_stream"] / counts["gateway"], stream["direct_stream"] / counts["direct"]
    return [
        {"benchmark": "gateway chat completion vs the engine directly", "subject_s": call["gateway"],
         "baseline_s": call["direct"], "ratio": call["direct"] / call["gateway"],
         "baseline": "the same POST to LiteLLM's proxy (mock model), no gateway",
         "note": f"added {1e3 * (call['gateway'] - call['direct']):.2f} ms per call"},
        {"benchmark": "gateway streamed chunk vs the engine directly", "subject_s": per_gateway,
         "baseline_s": per_direct, "ratio": per_direct / per_gateway,
         "baseline": f"a streamed answer of {counts['direct']} chunks from LiteLLM's proxy, per chunk",
         "note": f"added {1e3 * (per_gateway - per_direct):.3f} ms per chunk"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
