"""Per-call time of `client.chat.completions.update` against the local server, beside a bare
`requests.Session` making the same call and the official `openai` package making it, in one run.

The server runs in its own process so that its work does not share the benchmark's interpreter.
Calls are interleaved in rounds (subject, bare, openai, ...) so that drift affects all three alike;
the per-call figure is the median of the round times.
"""

from __future__ import annotations

import statistics
import time

import requests

from benchmarks.server_process import served

ROUNDS = 15
CALLS_PER_ROUND = 40


def _time_calls(fn) -> float:
    started = time.perf_counter()
    for i in range(CALLS_PER_ROUND):
        fn(i)
    return (time.perf_counter() - started) / CALLS_PER_ROUND


def run() -> list[dict]:
    import openai

    from jupyter_api_kit.client import Client

    with served() as url:
        client = Client(base_url=url, max_retries=0)
        created = client.chat.completions.create(model="local-ngram", store=True, max_completion_tokens=2,
                                                 messages=[{"role": "user", "content": "benchmark"}])
        cid = created.id
        session = requests.Session()
        official = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)

        def subject(i):
            client.chat.completions.update(cid, metadata={"i": str(i)})

        def bare(i):
            r = session.post(f"{url}/chat/completions/{cid}", json={"metadata": {"i": str(i)}})
            r.raise_for_status()
            r.json()

        def sdk(i):
            official.chat.completions.update(cid, metadata={"i": str(i)})

        for fn in (subject, bare, sdk):  # warm connections and caches
            _time_calls(fn)
        times = {"subject": [], "bare": [], "sdk": []}
        for _ in range(ROUNDS):
            times["subject"].append(_time_calls(subject))
            times["bare"].append(_time_calls(bare))
            times["sdk"].append(_time_calls(sdk))
        med = {k: statistics.median(v) for k, v in times.items()}
    name = "client.chat.completions.update"
    return [
        {"benchmark": f"{name} vs bare requests", "subject_s": med["subject"], "baseline_s": med["bare"],
         "ratio": med["bare"] / med["subject"], "baseline": "requests.Session().post(...).json()"},
        {"benchmark": f"{name} vs openai package", "subject_s": med["subject"], "baseline_s": med["sdk"],
         "ratio": med["sdk"] / med["subject"], "baseline": f"openai {openai.__version__} chat.completions.update"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
