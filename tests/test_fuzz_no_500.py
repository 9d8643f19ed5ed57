"""No input produces a 500: every operation the local server serves, fed malformed requests over real HTTP.

For each operation (of `jupyter_api_kit/spec/operations.tsv`) `tests/fuzz_inputs.py` derives, from the
operation's request schema in the shared OpenAPI file, a bounded and deterministic set of bad requests:
missing required fields, wrong types, out-of-range numbers, huge/empty/unicode strings, deep nesting,
unknown fields, non-JSON bodies, wrong content types, bad query parameters and odd or wrong-kind ids.
Every answer must be below 500, carry `x-request-id`, and, when it is an error, be the API's error
object with a one-line message. Afterwards the server must still be healthy.

Named regression cases pin what this fuzz found, one group per fix.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import traceback

import pytest
import requests

from jupyter_api_kit.spec.operations import operations
from tests.contract_source import contract_or_reason
from tests.fuzz_inputs import Case, cases_for, fuzz_operations
from tests.fuzz_world import ADMIN_KEY, MODEL, build_world
from tests.org_support import self_signed_pem

#: an error message is one readable line, not an echo of a 100k-character input
MAX_MESSAGE = 1000
TIMEOUT = (5, 30)


def _operation_ids() -> list[str]:
    return [op.operation_id for op in operations() if op.operation_id is not None]


class _Errors(logging.Handler):
    """Keeps the server's logged tracebacks, so a 500 names the line that raised."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.lines: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record):
        if record.exc_info:
            frames = traceback.extract_tb(record.exc_info[2])[-2:]
            where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
            with self._guard:
                self.lines.append(f"{record.exc_info[0].__name__}: {str(record.exc_info[1])[:120]} at {where}")

    def take(self) -> list[str]:
        with self._guard:
            lines, self.lines = self.lines, []
        return lines


class Fuzzer:
    """Sends cases to `server`; the operations to derive them from come from `contract` (None: no
    operations, only the named regressions can run)."""

    def __init__(self, server, world, contract):
        self.server, self.world, self.doc = server, world, contract.doc if contract else None
        self.root = server.base_url  # .../v1
        self.ops = {op.operation_id: op for op in fuzz_operations(contract)} if contract else {}
        self.session = requests.Session()
        self.errors = _Errors()
        self.sent = 0

    def send(self, case: Case) -> requests.Response:
        op_is_org = case.path.startswith("/organization/") or case.path.startswith("/fine_tuning/checkpoints/")
        headers = {}
        if case.content_type:
            headers["Content-Type"] = case.content_type
        key = ADMIN_KEY if case.auth == "admin-if-org" and op_is_org else (
            self.server.api_key if case.auth == "admin-if-org" else case.auth)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = self.root + case.path + (f"?{case.query}" if case.query else "")
        self.sent += 1
        return self.session.request(case.method, url, data=case.body, headers=headers, timeout=TIMEOUT)

    def problem(self, case: Case) -> str | None:
        """What is wrong with the server's answer to `case`, or None."""
        self.errors.take()
        started = time.monotonic()
        try:
            try:
                r = self.send(case)
            except requests.ConnectionError:
                # a kept-alive connection the server closed after an earlier answer: once more, afresh
                self.session.close()
                self.session = requests.Session()
                r = self.send(case)
        except requests.Timeout:
            return f"no answer within {TIMEOUT[1]} s"
        except requests.ConnectionError as exc:
            return f"connection failed: {exc}"
        took = time.monotonic() - started
        if r.status_code >= 500:
            return f"{r.status_code} {r.text[:160]!r} {self.errors.take()}"
        if "x-request-id" not in r.headers:
            return f"{r.status_code} without x-request-id"
        if took > 10:
            return f"{r.status_code} after {took:.1f} s"
        if r.status_code < 400:
            return None
        try:
            err = r.json()["error"]
        except (ValueError, KeyError, TypeError):
            return f"{r.status_code} error body is not the API's error object: {r.text[:160]!r}"
        if not isinstance(err, dict) or not {"message", "type", "param", "code"} <= set(err):
            return f"{r.status_code} error object lacks message/type/param/code: {err!r:.160}"
        message = err["message"]
        if not isinstance(message, str) or not message.strip():
            return f"{r.status_code} error without a message: {err!r:.160}"
        if "\n" in message or len(message) > MAX_MESSAGE:
            return f"{r.status_code} error message is not one short line ({len(message)} chars): {message[:160]!r}"
        return None


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    from jupyter_api_kit.local import start_local_server

    server = start_local_server(db=":memory:", admin_key=ADMIN_KEY, data_dir=tmp_path_factory.mktemp("fuzz"))
    state = server.app.state
    # background work (runs, evals, fine-tuning, file indexing) at test speed
    state.timing.run_step, state.timing.fine_tune_step, state.timing.vector_store_file = 0.001, 0.001, 0.0
    world = build_world(server.base_url, ADMIN_KEY, self_signed_pem("fuzz"), server.api_key)
    fuzzer = Fuzzer(server, world, contract_or_reason()[0])
    logger = logging.getLogger("jupyter_api_kit.local")
    logger.addHandler(fuzzer.errors)
    yield fuzzer
    logger.removeHandler(fuzzer.errors)
    fuzzer.session.close()
    server.stop()


@pytest.mark.parametrize("operation_id", _operation_ids())
def test_no_malformed_request_gets_a_500(contract, fuzz, operation_id):
    op = fuzz.ops[operation_id]
    cases = cases_for(op, fuzz.world, fuzz.doc)
    # an operation that takes no input at all (GET /models) only gets the generic cases
    least = 12 if op.spec.get("parameters") or op.spec.get("requestBody") else 4
    assert least <= len(cases) <= 60, f"{operation_id}: {len(cases)} cases is outside the fuzz's budget"
    failures = [f"{case.name} ({case.method} {case.path[:80]}{'?' + case.query[:60] if case.query else ''}): "
                f"{problem}" for case in cases if (problem := fuzz.problem(case))]
    assert not failures, f"{operation_id}: {len(failures)} of {len(cases)} bad answers:\n" + "\n".join(failures)


# -------------------------------------------------------------------------------------------------
# Named regressions: each pins one failure the fuzz found (a 500, or an error that was not one line)
# with the answer it gets now: the status and, for an error, the parameter it names.
# -------------------------------------------------------------------------------------------------

_JSON = "application/json"


def _chat_tools(parameters: str, tool_choice: str) -> bytes:
    """A chat completion body with one function tool (`parameters` and `tool_choice` as JSON text)."""
    return ('{"model": "local-ngram", "max_completion_tokens": 2, "messages": [{"role": "user", "content": "Paris?"}], '
            f'"tools": [{{"type": "function", "function": {{"name": "lookup", "parameters": {parameters}}}}}], '
            f'"tool_choice": {tool_choice}}}').encode()

REGRESSIONS: list[tuple[str, Case, int, str | None]] = [
    # params.Params.int: '--1' passed `lstrip("-").isdigit()` and '²' passes `isdigit()`; int() refused both
    ("limit=--1", Case("", "GET", "/assistants", query="limit=--1"), 400, "limit"),
    ("limit=superscript two", Case("", "GET", "/files", query="limit=%C2%B2"), 400, "limit"),
    ("limit with 5000 digits", Case("", "GET", "/vector_stores", query="limit=" + "9" * 5000), 400, "limit"),
    # params.json_body: Python's json takes NaN/Infinity (stored, they broke every later read of the
    # object), nesting past the recursion limit, and lone surrogates that SQLite cannot store
    ("NaN temperature", Case("", "POST", "/assistants", body=b'{"model": "local-ngram", "temperature": NaN}',
                             content_type=_JSON), 400, None),
    ("NaN temperature on a stored assistant", Case("", "POST", "/assistants/{assistant}", content_type=_JSON,
                                                   body=b'{"temperature": NaN, "top_p": -Infinity}'), 400, None),
    ("100k-deep body", Case("", "POST", "/threads", body=b'{"metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                            content_type=_JSON), 400, None),
    ("lone surrogate name", Case("", "POST", "/organization/projects", body=b'{"name": "a\\ud800b"}',
                                 content_type=_JSON), 400, None),
    # usage_buckets.parse_window: start/end times past 64 bits reached SQLite (OverflowError)
    ("usage start_time=2**70", Case("", "GET", "/organization/usage/completions", query=f"start_time={2 ** 70}"),
     400, "start_time"),
    ("costs end_time=2**70", Case("", "GET", "/organization/costs", query=f"start_time=0&end_time={2 ** 70}"),
     400, "end_time"),
    # audit._effective_at: the same overflow in the audit log's time filter
    ("audit effective_at[gt]=2**70", Case("", "GET", "/organization/audit_logs",
                                          query=f"effective_at%5Bgt%5D={2 ** 70}"), 400, "effective_at[gt]"),
    # errors.one_line: a value quoted in a message is cut when long, and line breaks in it are spaces
    ("3000-char thread id", Case("", "GET", "/threads/" + "i" * 3000), 404, "thread_id"),
    ("vector store id with a newline", Case("", "GET", "/vector_stores/a%0D%0Ab"), 404, "vector_store_id"),
    # chat_request._tools: a tool_choice naming its function with an array or object was looked up in a set
    ("tool_choice name as an array", Case("", "POST", "/chat/completions", content_type=_JSON, body=_chat_tools(
        '{"type": "object"}', '{"type": "function", "function": {"name": ["lookup"]}}')), 400, "tool_choice"),
    ("function parameters as a number", Case("", "POST", "/chat/completions", content_type=_JSON,
                                             body=_chat_tools("7", '"auto"')), 400, "tools[0].function.parameters"),
    # tool_calls.value_for: a forced call filled a schema whose keywords had the wrong types
    # (properties: 7 had no .items(); minItems: "x" and minimum: "a" went to int(); an empty integer range)
    ("forced call, malformed schema keywords", Case("", "POST", "/chat/completions", content_type=_JSON, body=_chat_tools(
        '{"type": "object", "properties": {"a": {"type": "object", "properties": 7}, "b": {"type": "array", '
        '"minItems": "x"}, "c": {"type": "integer", "minimum": "a"}, "d": {"type": "integer", "exclusiveMinimum": 0, '
        '"exclusiveMaximum": 1}, "e": {"enum": "abc"}, "f": {"anyOf": 7}}}',
        '{"type": "function", "function": {"name": "lookup"}}')), 200, None),
    # graders.check_criteria: a grader type given as an array or object was looked up in a dict
    ("grader type as an array", Case("", "POST", "/evals", content_type=_JSON, body=(
        b'{"data_source_config": {"type": "custom", "item_schema": {"type": "object"}}, "testing_criteria": '
        b'[{"type": ["string_check"], "name": "g", "input": "x", "reference": "x", "operation": "eq"}]}')),
     400, "testing_criteria[0].type"),
    # fine_tuning._hyperparameters: a null hyperparameter (read as absent, None) reached `None <= 0`;
    # null now means "auto", as an absent one does
    ("null learning_rate_multiplier", Case("", "POST", "/fine_tuning/jobs", content_type=_JSON, body=(
        b'{"model": "local-ngram", "training_file": "{training_file}", "method": {"type": "supervised", "supervised": '
        b'{"hyperparameters": {"learning_rate_multiplier": null, "n_epochs": 1, "batch_size": null}}}}')), 200, None),
]


@pytest.mark.parametrize("case, status, param", [pytest.param(c, s, p, id=n) for n, c, s, p in REGRESSIONS])
def test_regression(fuzz, case, status, param):
    body = case.body
    for kind, value in fuzz.world.items():  # "{assistant}" in a path or body: the world's assistant
        body = body.replace(f"{{{kind}}}".encode(), value.encode()) if body else body
    case = dataclasses.replace(case, path=case.path.format(**fuzz.world), body=body)
    r = fuzz.send(case)
    assert r.status_code == status, r.text
    if status < 400:
        return
    assert r.json()["error"]["param"] == param, r.text
    message = r.json()["error"]["message"]
    assert "\n" not in message and len(message) <= MAX_MESSAGE, message[:200]
    if case.path.startswith("/assistants/"):
        # refused, not stored: the object still reads back
        assert requests.get(fuzz.root + case.path, timeout=TIMEOUT, headers=fuzz.server.headers).status_code == 200


def test_the_server_is_healthy_after_the_fuzz(fuzz):
    """Runs last: the fuzz left the server answering, its objects readable and its models working."""
    root = fuzz.root.removesuffix("/v1")
    assert requests.get(f"{root}/health", timeout=TIMEOUT, headers=fuzz.server.headers).json() == {"status": "ok"}
    w = fuzz.world
    for path in (f"/assistants/{w['assistant']}", f"/threads/{w['thread']}", f"/files/{w['file']}",
                 f"/vector_stores/{w['vector_store']}", f"/evals/{w['eval']}"):
        assert requests.get(fuzz.root + path, timeout=TIMEOUT, headers=fuzz.server.headers).status_code == 200, path
    r = requests.post(f"{fuzz.root}/chat/completions", timeout=TIMEOUT, headers=fuzz.server.headers, json={
        "model": MODEL, "messages": [{"role": "user", "content": "Tell me about herons"}],
        "max_completion_tokens": 3})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["role"] == "assistant", r.text
    r = requests.get(f"{fuzz.root}/organization/projects", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                     timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert fuzz.server.store.one("PRAGMA integrity_check")[0] == "ok"
    assert fuzz.server._thread.is_alive()
