"""The transport against a real server that misbehaves on purpose: retries, backoff, timeouts, ids."""

from __future__ import annotations

import time

import pytest

from jupyter_api_kit.client import Client
from jupyter_api_kit.client.transport import backoff_seconds, retry_after_seconds
from jupyter_api_kit.errors import (APIConnectionError, APITimeoutError, BadRequestError, InternalServerError,
                                    NotFoundError, RateLimitError)
from tests.fault_server import FaultServer

ERROR = {"error": {"message": "slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}


@pytest.fixture()
def fault():
    server = FaultServer()
    yield server
    server.stop()


def make_client(fault, **kwargs):
    return Client(base_url=fault.base_url, api_key="sk-secret-value-123", **kwargs)


def test_retries_429_and_500_then_succeeds_keeping_one_idempotency_key(fault):
    fault.script = [(429, {"retry-after-ms": "30"}, ERROR), (500, {"retry-after-ms": "10"}, ERROR),
                    (200, {}, {"id": "chatcmpl-1", "object": "chat.completion", "metadata": {"a": "b"}})]
    result = make_client(fault, max_retries=2).chat.completions.update("chatcmpl-1", metadata={"a": "b"})
    assert result.id == "chatcmpl-1"
    assert result.request_id == "req_fault_3"
    keys = {r["headers"]["Idempotency-Key"] for r in fault.requests}
    assert len(fault.requests) == 3 and len(keys) == 1


def test_each_call_gets_its_own_idempotency_key(fault):
    client = make_client(fault)
    client.chat.completions.update("a", metadata={})
    client.chat.completions.update("b", metadata={})
    assert fault.requests[0]["headers"]["Idempotency-Key"] != fault.requests[1]["headers"]["Idempotency-Key"]


def test_retry_after_is_honoured(fault):
    fault.script = [(429, {"Retry-After": "1"}, ERROR), (200, {}, {"object": "list", "data": []})]
    started = time.monotonic()
    make_client(fault).models.list()
    assert time.monotonic() - started >= 0.95
    assert len(fault.requests) == 2


def test_gives_up_after_max_retries_with_the_servers_error(fault):
    fault.script = [(429, {"retry-after-ms": "1"}, ERROR)] * 3
    with pytest.raises(RateLimitError) as info:
        make_client(fault, max_retries=2).models.list()
    assert len(fault.requests) == 3
    err = info.value
    assert (err.status, err.code, err.type, err.request_id) == (429, "rate_limit_exceeded", "requests", "req_fault_3")
    assert "slow down" in str(err)


def test_4xx_is_not_retried(fault):
    fault.script = [(404, {}, {"error": {"message": "No such thing", "type": "invalid_request_error",
                                         "param": "completion_id", "code": None}})]
    with pytest.raises(NotFoundError) as info:
        make_client(fault).chat.completions.retrieve("nope")
    assert len(fault.requests) == 1 and info.value.param == "completion_id"


def test_5xx_bursts_map_to_internal_server_error(fault):
    fault.script = [(503, {"retry-after-ms": "1"}, {"error": {"message": "down"}})] * 2
    with pytest.raises(InternalServerError) as info:
        make_client(fault, max_retries=1).models.list()
    assert info.value.status == 503


def test_dropped_connection_is_retried(fault):
    fault.script = [("drop",), (200, {}, {"object": "list", "data": []})]
    assert make_client(fault, max_retries=1).models.list().data == []
    assert len(fault.requests) == 2


def test_dropped_connection_every_time_raises_connection_error(fault):
    fault.script = [("drop",)] * 2
    with pytest.raises(APIConnectionError):
        make_client(fault, max_retries=1).models.list()


def test_read_timeout(fault):
    fault.script = [("sleep", 1.5, 200, {"object": "list", "data": []})]
    with pytest.raises(APITimeoutError):
        make_client(fault, max_retries=0, timeout=(1, 0.3)).models.list()


def test_the_key_never_shows(fault):
    fault.script = [(400, {}, {"error": {"message": "bad", "type": "invalid_request_error"}})]
    client = make_client(fault)
    assert "sk-secret-value-123" not in repr(client) + repr(client.transport) + repr(client.settings)
    with pytest.raises(BadRequestError) as info:
        client.models.list()
    assert "sk-secret-value-123" not in str(info.value) + info.value.one_line()
    assert fault.requests[0]["headers"]["Authorization"] == "Bearer sk-secret-value-123"


def test_unreachable_server():
    with pytest.raises(APIConnectionError) as info:
        Client(base_url="http://127.0.0.1:9/v1", max_retries=0).models.list()
    assert "could not reach" in str(info.value)


def test_backoff_is_capped_with_jitter_and_reads_headers():
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({}) is None
    waits = [backoff_seconds(n) for n in range(10)]
    assert all(0 < w <= 8.0 for w in waits)
    assert waits[0] <= 0.5 and waits[9] >= 6.0
    assert backoff_seconds(0, {"retry-after-ms": "20"}) == 0.02
