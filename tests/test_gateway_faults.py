"""Gateway mode in front of an engine that misbehaves on purpose (a real HTTP server, `FaultServer`):
429 bursts with Retry-After, 500s, timeouts, dropped streams, an engine that is not there. The client
sees the API's error object with the upstream's status, on one line; nothing is stored or recorded
for a failed call; a streamed answer cut off mid-way ends with an error event.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fault_server import FaultServer

ANSWER = {"id": "chatcmpl-upstream", "object": "chat.completion", "created": 1700000000, "model": "m",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "Fine."}, "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}}
ASK = {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "store": True, "metadata": {"t": "1"}}


def chunk(content=None, finish=None):
    delta = {"content": content} if content is not None else {}
    return {"id": "chatcmpl-upstream", "object": "chat.completion.chunk", "created": 1700000000, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


@pytest.fixture()
def fault():
    server = FaultServer()
    yield server
    server.stop()


@pytest.fixture()
def gateway(fault):
    from jupyter_api_kit.local import start_local_server
    from jupyter_api_kit.local.gateway import open_gateway

    handle = start_local_server(db=":memory:", upstream=open_gateway(fault.base_url, read_timeout=0.5))
    yield handle
    handle.stop()


def kept(server) -> tuple[int, int]:
    """(stored completions, usage records)."""
    return (server.store.one("SELECT count(*) AS n FROM chat_completions")["n"],
            server.store.one("SELECT count(*) AS n FROM usage_records")["n"])


def test_a_429_reaches_the_client_with_its_retry_after_and_nothing_is_kept(gateway, fault):
    fault.script = [(429, {"Retry-After": "7"}, {"error": {"message": "Rate limit reached\nfor requests",
                                                           "type": "requests", "code": "rate_limit_exceeded"}})]
    r = httpx.post(f"{gateway.base_url}/chat/completions", json=ASK, headers=gateway.headers)
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert r.json() == {"error": {"message": "Rate limit reached for requests", "type": "requests", "param": None,
                                  "code": "rate_limit_exceeded"}}
    assert kept(gateway) == (0, 0)


def test_a_429_burst_is_retried_by_the_client_and_the_answer_is_stored_once(gateway, fault):
    from jupyter_api_kit.client import Client

    busy = (429, {"Retry-After": "0"}, {"error": {"message": "Busy", "type": "requests"}})
    fault.script = [busy, busy, busy, (200, {}, ANSWER)]
    with Client(base_url=gateway.base_url, api_key=gateway.api_key, max_retries=4) as client:
        made = client.chat.completions.create(**ASK)
    assert made.choices[0].message.content == "Fine." and made.id != "chatcmpl-upstream"
    assert [r["path"] for r in fault.requests] == ["/v1/chat/completions"] * 4
    assert kept(gateway) == (1, 1)


def test_a_500_and_an_answer_that_is_not_json_are_server_errors(gateway, fault):
    fault.script = [(500, {}, {"error": {"message": "CUDA out of memory", "type": "server_error"}})]
    r = httpx.post(f"{gateway.base_url}/chat/completions", json=ASK, headers=gateway.headers)
    assert r.status_code == 500 and r.json()["error"]["message"] == "CUDA out of memory"
    fault.script = [(503, {}, "<html>upstream overloaded</html>")]
    r = httpx.post(f"{gateway.base_url}/chat/completions", json=ASK, headers=gateway.headers)
    assert r.status_code == 503 and "upstream overloaded" in r.json()["error"]["message"]
    assert kept(gateway) == (0, 0)


def test_an_upstream_that_does_not_answer_in_time_is_a_504(gateway, fault):
    fault.script = [("sleep", 2, 200, ANSWER)]
    r = httpx.post(f"{gateway.base_url}/chat/completions", json=ASK, timeout=10, headers=gateway.headers)
    assert r.status_code == 504 and "timed out" in r.json()["error"]["message"]
    assert kept(gateway) == (0, 0)


def test_an_upstream_that_is_not_there_is_a_502_and_the_local_models_still_answer():
    from jupyter_api_kit.local import start_local_server
    from jupyter_api_kit.local.gateway import open_gateway

    with start_local_server(db=":memory:", upstream=open_gateway("http://127.0.0.1:9/v1")) as server:
        r = httpx.post(f"{server.base_url}/chat/completions", json=ASK, headers=server.headers)
        assert r.status_code == 502 and "cannot be reached" in r.json()["error"]["message"]
        local = httpx.post(f"{server.base_url}/chat/completions", json={**ASK, "model": "local-ngram"}, headers=server.headers)
        assert local.status_code == 200
        models = [m["id"] for m in httpx.get(f"{server.base_url}/models", headers=server.headers).json()["data"]]
        assert "local-ngram" in models


def test_a_stream_refused_before_its_first_chunk_has_the_upstreams_status(gateway, fault):
    fault.script = [(429, {"retry-after-ms": "250"}, {"error": {"message": "Slow down", "type": "requests"}})]
    r = httpx.post(f"{gateway.base_url}/chat/completions", json={**ASK, "stream": True}, headers=gateway.headers)
    assert r.status_code == 429 and r.headers["retry-after-ms"] == "250"


def test_a_stream_dropped_mid_way_ends_with_an_error_event_and_nothing_is_kept(gateway, fault):
    import openai

    fault.script = [("stream", [chunk("One"), chunk(" two"), chunk(" three"), chunk(finish="stop"), "[DONE]"],
                     {"drop_after": 2})]
    sdk = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.api_key, max_retries=0)
    received = []
    with pytest.raises(openai.APIError, match="broke off"):
        for part in sdk.chat.completions.create(**{**ASK, "stream": True}):
            received.append(part.choices[0].delta.content)
    assert received == ["One", " two"]
    assert kept(gateway) == (0, 0)


def test_a_stream_passes_each_chunk_on_as_it_arrives(gateway, fault):
    import time

    fault.script = [("stream", [chunk("One"), chunk(" two"), chunk(finish="stop"), "[DONE]"], {"pause": 0.3})]
    arrivals = []
    with httpx.stream("POST", f"{gateway.base_url}/chat/completions", json={**ASK, "stream": True}, headers=gateway.headers) as r:
        started = time.monotonic()
        for line in r.iter_lines():
            if line.startswith("data:"):
                arrivals.append(time.monotonic() - started)
    # Four events, the first three each after its own pause: none waited for the whole answer.
    assert len(arrivals) == 4 and arrivals[0] < arrivals[1] - 0.15 < arrivals[2] - 0.3
    assert kept(gateway) == (1, 1)


def test_a_failed_response_is_not_kept(gateway, fault):
    fault.script = [(429, {"Retry-After": "1"}, {"error": {"message": "Busy", "type": "requests"}})]
    r = httpx.post(f"{gateway.base_url}/responses", json={"model": "m", "input": "Hi"}, headers=gateway.headers)
    assert r.status_code == 429 and r.json()["error"]["message"] == "Busy"
    assert gateway.store.one("SELECT count(*) AS n FROM responses")["n"] == 0


def test_the_engines_logprobs_reach_a_response(gateway, fault):
    def scored(token, logprob):
        part = chunk(token)
        part["choices"][0]["logprobs"] = {"content": [{"token": token, "logprob": logprob, "bytes": list(token.encode()),
                                                       "top_logprobs": [{"token": token, "logprob": logprob,
                                                                         "bytes": list(token.encode())}]}]}
        return part

    fault.script = [("stream", [scored("Fine", -0.25), scored(".", -0.5), chunk(finish="stop"), "[DONE]"])]
    r = httpx.post(f"{gateway.base_url}/responses", json={"model": "m", "input": "Hi", "top_logprobs": 1,
                                                          "include": ["message.output_text.logprobs"]}, headers=gateway.headers)
    part = r.json()["output"][0]["content"][0]
    assert part["text"] == "Fine." and [(e["token"], e["logprob"]) for e in part["logprobs"]] == [
        ("Fine", -0.25), (".", -0.5)]
    sent = json.loads(fault.requests[-1]["body"])
    assert sent["logprobs"] is True and sent["top_logprobs"] == 1 and sent["stream"] is True
