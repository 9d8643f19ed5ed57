"""Per-call time of `client.chat.completions.update` against the local server, beside a bare
`requests.Session` making the same call and the official `openai` package making it, in one run.

The server runs in its own process so that its work does not share the benchmark's interpreter.
Calls are interleaved one by one, in a rotating order, so that drift, the other load on the machine
and the server's work after each answer affect all three alike, and each call is timed on its own: the per-call figure is
the median, which a stray slow call (a scheduler hiccup) cannot move.
"""

from __future__ import annotations

import statistics
import time

import requests

from benchmarks.server_process import HEADERS, KEY, served

CALLS = 3000
WARMUP = 100
LOOPBACK_FREE_CALLS = 20000


class CannedAdapter(requests.adapters.BaseAdapter):
    """Answers every request with one stored body, so that only the Python on each side is timed."""

    def __init__(self, body: bytes):
        super().__init__()
        self.body = body

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = 200
        response.headers["content-type"] = "application/json"
        response.headers["x-request-id"] = "req_canned"
        response._content = self.body
        response.request, response.url = request, request.url
        return response

    def close(self):
        pass


def _median_call(fns, calls: int) -> dict:
    """Median seconds per call of each function, calls interleaved one by one."""
    times = {fn.__name__: [] for fn in fns}
    clock = time.perf_counter
    for i in range(calls):
        # Rotate the order: a call that follows another pays for whatever the server still does after
        # answering it, so no function may always come after the same one.
        shift = i % len(fns)
        for fn in fns[shift:] + fns[:shift]:
            started = clock()
            fn(i)
            times[fn.__name__].append(clock() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def run() -> list[dict]:
    import openai

    from jupyter_api_kit.client import Client

    with served() as url:
        client = Client(base_url=url, api_key=KEY, max_retries=0)
        created = client.chat.completions.create(model="local-ngram", store=True, max_completion_tokens=2,
                                                 messages=[{"role": "user", "content": "benchmark"}])
        cid = created.id
        session = requests.Session()
        session.headers.update(HEADERS)
        official = openai.OpenAI(base_url=url, api_key=KEY, max_retries=0)

        def subject(i):
            client.chat.completions.update(cid, metadata={"i": str(i)})

        def bare(i):
            r = session.post(f"{url}/chat/completions/{cid}", json={"metadata": {"i": str(i)}})
            r.raise_for_status()
            r.json()

        def sdk(i):
            official.chat.completions.update(cid, metadata={"i": str(i)})

        _median_call((subject, bare, sdk), WARMUP)  # warm connections and caches
        med = _median_call((subject, bare, sdk), CALLS)
        body = session.post(f"{url}/chat/completions/{cid}", json={"metadata": {"i": "0"}}).content
    own = _own_overhead(url, cid, body)
    name = "client.chat.completions.update"
    return [
        {"benchmark": f"{name} vs bare requests", "subject_s": med["subject"], "baseline_s": med["bare"],
         "ratio": med["bare"] / med["subject"], "baseline": "requests.Session().post(...).json()"},
        {"benchmark": f"{name} vs openai package", "subject_s": med["subject"], "baseline_s": med["sdk"],
         "ratio": med["sdk"] / med["subject"], "baseline": f"openai {openai.__version__} chat.completions.update"},
        {"benchmark": f"{name} without the network", "subject_s": own["subject"], "baseline_s": own["bare"],
         "ratio": own["bare"] / own["subject"],
         "baseline": "the same bare requests call; both answered by an in-process canned adapter"},
    ]


def _own_overhead(url: str, cid: str, body: bytes) -> dict:
    """Per-call time of the client's and of bare requests' own Python, with the network taken away."""
    from jupyter_api_kit.client import Client

    client = Client(base_url=url, api_key=KEY, max_retries=0)
    session = requests.Session()
    for s in (client.transport.session, session):
        s.mount("http://", CannedAdapter(body))

    def subject(i):
        client.chat.completions.update(cid, metadata={"i": str(i)})

    def bare(i):
        r = session.post(f"{url}/chat/completions/{cid}", json={"metadata": {"i": str(i)}})
        r.raise_for_status()
        r.json()

    _median_call((subject, bare), WARMUP)
    return _median_call((subject, bare), LOOPBACK_FREE_CALLS)


if __name__ == "__main__":
    for row in run():
        print(row)
