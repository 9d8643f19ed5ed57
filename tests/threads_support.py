"""Helpers shared by the assistants/threads/runs tests: contract-checked clients for any server,
the official `openai` package pointed at a local server with every exchange checked, a local
language model that breaks on purpose (registered through the server's public resolver hook), and
an IPython shell whose cells are run and captured as in a notebook (`Shell`)."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import uuid
from dataclasses import dataclass

import pytest
import requests

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city", "unit"]}}}


def tag() -> str:
    return uuid.uuid4().hex[:8]


def recording_client(server, recorder):
    """Our client on `server`, every exchange checked against the contract by `recorder`."""
    from jupyter_api_kit.client import Client

    c = Client(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    c.transport.session.hooks["response"].append(recorder)
    return c


def openai_for(server, contract, violations: list):
    """The official `openai` client on `server`; request and response of every non-streamed
    exchange are validated against the contract (violations are collected in `violations`)."""
    import openai

    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key, http_client=checking_http(contract, violations),
                         max_retries=0)


def checking_http(contract, violations: list):
    """An httpx client (of the http library the installed openai package is built on) that validates
    request and response of every non-streamed exchange against the contract, for the official `openai`
    package and the libraries built on it that take an `http_client`."""
    try:  # the http library the installed openai package is built on
        import httpx2 as httpx
    except ImportError:
        import httpx

    def check(response: httpx.Response) -> None:
        if contract is None:
            return
        request = response.request
        media = request.headers.get("content-type", "application/json")
        try:
            if not media.startswith("multipart/"):  # an upload's body is streamed, not kept to be read again
                contract.validate_request(requests.Request(request.method, str(request.url),
                                                           data=request.content or None,
                                                           headers={"Content-Type": media}).prepare())
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return
            response.read()
            contract.validate_body(request.method, str(request.url), json.loads(response.content or b"null"),
                                   response.status_code)
        except AssertionError as exc:
            violations.append(exc)

    return httpx.Client(event_hooks={"response": [check]}, timeout=30)


@pytest.fixture()
def openai_client(server, contract_or_none):
    violations: list = []
    client = openai_for(server, contract_or_none, violations)
    yield client
    client.close()
    assert not violations, "\n".join(str(v) for v in violations)


class BrokenModel:
    """A local model that fails after two tokens, as a corrupt model file would."""

    id = "local-broken"

    def __init__(self, base):
        self.base = base

    def count_tokens(self, text: str) -> int:
        return self.base.count_tokens(text)

    def generate(self, context, **kwargs):
        def tokens():
            yield from itertools.islice(self.base.generate(context, **kwargs), 2)
            raise RuntimeError("the model file is damaged")

        return tokens()


def install_broken_model(app) -> str:
    from jupyter_api_kit.local.models.language import get_language_model

    broken = BrokenModel(get_language_model("local-ngram"))
    app.state.models.resolvers.append(lambda _app, name: broken if name == broken.id else None)
    return broken.id


def stream_events(stream) -> list:
    """(event name, data) of every event of a RunStream."""
    return [(e.event, e.data) for e in stream]


@dataclass
class Cell:
    """What running one cell in a `Shell` gave: its error, result, printed text and displays."""

    error: BaseException | None
    result: object
    stdout: str
    published: list

    def data(self, mime: str) -> list:
        return [p["data"][mime] for p in self.published if mime in p["data"]]


class Shell:
    """A real IPython shell whose cells are run the way a notebook runs them, capturing what they show."""

    def __init__(self, shell):
        self.shell = shell

    @property
    def magics(self):
        return self.shell.magics_manager.registry["ThreadsMagics"]

    def run(self, cell: str) -> Cell:
        from IPython.core.displaypub import CapturingDisplayPublisher

        saved, self.shell.display_pub = self.shell.display_pub, CapturingDisplayPublisher()
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                result = self.shell.run_cell(cell, store_history=False)
            published = list(self.shell.display_pub.outputs)
        finally:
            self.shell.display_pub = saved
        return Cell(result.error_in_exec or result.error_before_exec, result.result, out.getvalue(), published)
