"""The chat panel in Python: set its traits, call what its buttons call, and check what reached the real
local server (request bodies from the HTTP exchanges, stored completions read back with a client)."""

from __future__ import annotations

import contextlib
import io
import json
import time

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets import TraitError

from jupyter_api_kit.client import Client
from jupyter_api_kit.widgets import ChatPanel


@pytest.fixture()
def sent_client(server, recorder):
    client = Client(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    client.sent = []

    def remember(response, *args, **kwargs):
        if response.request.body:
            client.sent.append(json.loads(response.request.body))

    client.transport.session.hooks["response"].extend([recorder, remember])
    yield client
    client.close()


def test_models_come_from_the_server(sent_client):
    panel = ChatPanel(client=sent_client)
    listed = [m.id for m in sent_client.models.list().data]
    assert sorted(panel.models) == sorted(listed) and panel.model == "local-ngram"
    assert list(panel._model_box.options) == panel.models


def test_an_answer_streams_into_the_transcript(sent_client):
    panel = ChatPanel(client=sent_client)
    panel.system, panel.temperature, panel.seed, panel.max_tokens = "You answer briefly.", 0.5, 7, 40
    partial, transcripts = [], []
    panel.observe(lambda c: partial.append(c["new"]), "live_text")
    panel._transcript.observe(lambda c: transcripts.append(c["new"]), "value")
    assert panel.send("Tell me about the planets.")
    assert panel.wait(30) and not panel.busy
    body = sent_client.sent[-1]
    assert body["messages"] == [{"role": "system", "content": "You answer briefly."},
                                {"role": "user", "content": "Tell me about the planets."}]
    assert (body["temperature"], body["seed"], body["max_completion_tokens"], body["stream"]) == (0.5, 7, 40, True)
    answer = panel.messages[-1]
    assert [m["role"] for m in panel.messages] == ["user", "assistant"] and answer["content"]
    growing = [t for t in partial if t]
    assert len(growing) >= 2 and all(answer["content"].startswith(t) for t in growing)  # it arrived piece by piece
    assert any("\u258c" in t for t in transcripts) and "\u258c" not in panel._transcript.value
    assert answer["content"] in panel._transcript.value.replace("&#x27;", "'")
    assert "completion tokens" in panel.status


def test_the_conversation_continues_and_starts_again(sent_client):
    panel = ChatPanel(client=sent_client)
    panel.send("What is a comet?", background=False)
    first_answer = panel.messages[-1]["content"]
    panel.send("And a meteor?", background=False)
    assert [m["role"] for m in sent_client.sent[-1]["messages"]] == ["user", "assistant", "user"]
    assert sent_client.sent[-1]["messages"][1]["content"] == first_answer
    frame = panel.to_frame()
    assert list(frame["role"]) == ["user", "assistant", "user", "assistant"]
    assert frame["completion_tokens"].notna().sum() == 2 and (frame["cost_usd"].dropna() > 0).all()
    assert "min-width:24em" in frame._repr_html_()
    panel.new_conversation()
    assert panel.messages == [] and len(panel.to_frame()) == 0
    panel.send("Hello again", background=False)
    assert [m["role"] for m in sent_client.sent[-1]["messages"]] == ["user"]


def test_store_with_metadata_and_the_logprobs_view(sent_client):
    panel = ChatPanel(client=sent_client)
    panel.store, panel.metadata, panel.logprobs, panel.top_logprobs = True, {"topic": "panel"}, True, 3
    panel.send("Why is the sky blue?", background=False)
    answer = panel.messages[-1]
    stored = sent_client.chat.completions.retrieve(answer["id"])
    assert stored.metadata == {"topic": "panel"} and stored.choices[0].message.content == answer["content"]
    assert sent_client.sent[-1]["top_logprobs"] == 3
    view = panel._logprobs_box.value
    assert "jak-logprobs" in view and view.count("<span title=") - view.count("flex:1") == len(
        panel.last_answer.choices[0].logprobs.content)
    panel.logprobs = False
    assert panel._logprobs_box.value == ""


def test_controls_check_their_values(sent_client):
    panel = ChatPanel(client=sent_client)
    for name, value in (("temperature", 2.5), ("max_tokens", 0), ("top_logprobs", 21),
                        ("metadata", {"k" * 65: "v"})):
        with pytest.raises(TraitError):
            setattr(panel, name, value)
    panel._seed_box.value = "seven"
    assert panel.seed is None and "seed must be a number" in panel.status
    panel._temperature_box.value = "0.3"
    assert panel.temperature == 0.3
    panel._metadata_box.value = "topic=space, level"
    assert "key=value" in panel.status
    assert not panel.send("   ") and panel.status == "write a message first"


def test_stop_keeps_what_arrived(sent_client):
    panel = ChatPanel(client=sent_client)
    panel.max_tokens = 400
    panel.send("Tell me everything about the planets and their moons.")
    panel.stop()
    assert panel.wait(30)
    assert "stopped" in panel.status and panel.messages[-1]["role"] == "assistant"
    assert len(panel.messages[-1]["content"].split()) < 400


def test_the_panel_shares_the_magics_connection_meter_and_budget(server, monkeypatch):
    from jupyter_api_kit.magics import load_ipython_extension

    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
    shell = InteractiveShell.instance()
    with contextlib.redirect_stdout(io.StringIO()):
        load_ipython_extension(shell)
    connection = shell.magics_manager.registry["ChatMagics"].connection
    panel = ChatPanel()
    assert panel.client is connection.client and panel.history is connection.history
    panel.send("Hi", background=False)
    assert connection.history.frame()["source"].iloc[-1] == "chat panel"
    connection.budget_usd = 0.0
    try:
        assert not panel.send("Again") and panel.status.startswith("budget reached")
    finally:
        connection.budget_usd = None
    started = time.monotonic()
    assert panel.send("Again") and panel.wait(30) and time.monotonic() - started < 30
