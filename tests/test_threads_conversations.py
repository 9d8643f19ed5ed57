"""`%threads`, `%assistants` and `ThreadsPanel` over Conversations + Responses: on a local server with
the Assistants routes switched off (as OpenAI's API is since 2026-08-26) the whole flow runs, chosen
automatically with one line saying so; forced on a server that has Assistants, an assistant lends its
model and instructions; the remembered threads hold both kinds. Every exchange is checked against the
shared OpenAPI file."""

from __future__ import annotations

import contextlib
import io

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_api_kit.client import Client
from jupyter_api_kit.client.thread_backends import known_threads
from jupyter_api_kit.local import start_local_server
from jupyter_api_kit.magics import load_ipython_extension
from jupyter_api_kit.magics.common import APIErrorLine
from jupyter_api_kit.magics.threads import ThreadView
from tests.threads_support import Shell


@pytest.fixture(scope="module")
def bare():
    """A local server without the Assistants API."""
    with start_local_server(db=":memory:", assistants=False) as handle:
        yield handle


def shell_on(server, contract, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
    shell = InteractiveShell.instance()
    shell.config.pop("ThreadsMagics", None)
    with contextlib.redirect_stdout(io.StringIO()):
        load_ipython_extension(shell)
    wrapped = Shell(shell)
    wrapped.recorder = contract.recorder()
    wrapped.magics.connection.client.transport.session.hooks["response"].append(wrapped.recorder)
    return wrapped


@pytest.fixture()
def sh(bare, contract, monkeypatch):
    wrapped = shell_on(bare, contract, monkeypatch)
    yield wrapped
    wrapped.shell.config.pop("ThreadsMagics", None)
    wrapped.recorder.assert_clean()


def test_the_whole_threads_flow_over_conversations_without_assistants(sh, bare):
    made = sh.run('%assistants create --name Tutor --instructions "You explain astronomy." -o tutor')
    assert made.error is None and "No Assistants API here" in made.stdout
    assert sh.magics.instructions == "You explain astronomy." and sh.magics.model == "local-ngram"

    new = sh.run("%threads new --metadata lesson=3 -o thread")
    conv_id = sh.magics.current
    assert new.error is None and conv_id.startswith("conv_") and conv_id in new.stdout
    assert new.stdout.startswith("Threads use Conversations + Responses")
    assert sh.shell.user_ns["thread"]["metadata"] == {"lesson": "3"}

    sh.shell.user_ns["body"] = "comets"
    said = sh.run("%%threads say\nWhat are {body} made of?")
    assert said.error is None and said.result.loc[0, "text"] == "What are comets made of?"

    ran = sh.run("%threads run --stream -o run")
    assert ran.error is None, ran.error
    first = sh.shell.user_ns["run"]
    assert first["status"] in ("completed", "incomplete") and first["id"] in ran.stdout and "tokens" in ran.stdout
    assert first["conversation"]["id"] == conv_id and first["instructions"] == "You explain astronomy."
    assert [p for p in ran.published if "text/markdown" in p["data"]]  # the live answer

    ran = sh.run("%%threads run --no-stream -o second\nAnd what about meteors?")
    assert ran.error is None and ran.data("text/markdown")
    second = sh.shell.user_ns["second"]
    assert second["usage"]["input_tokens"] > first["usage"]["input_tokens"]  # it read the earlier turns

    view = sh.run("%threads show").result
    assert isinstance(view, ThreadView)
    assert list(view.frame["role"]) == ["user", "assistant", "user", "assistant"]
    assert "user: What are comets made of?" in view.text and "<b>assistant</b>" in view._repr_html_()

    steps = sh.run("%threads steps last").result
    assert list(steps["type"]) == ["message_creation"] and steps.loc[0, "total_tokens"] == second["usage"][
        "total_tokens"]
    runs = sh.run("%threads runs").result
    assert list(runs["id"]) == [first["id"], second["id"]] and set(runs["conversation_id"]) == {conv_id}

    known = sh.run("%threads").result
    row = known[known["id"] == conv_id]
    assert bool(row["current"].iloc[0]) and row["metadata.lesson"].iloc[0] == "3"
    assert row["kind"].iloc[0] == "conversations"

    # A conversation made elsewhere can be picked up; an Assistants thread cannot be here.
    other = Client(base_url=bare.base_url, api_key=bare.api_key).conversations.create(items="Hello from elsewhere")
    assert sh.run(f"%threads use {other.id}").error is None and sh.magics.current == other.id
    assert repr(sh.run("%threads show").result).endswith("user: Hello from elsewhere")
    gone = sh.run("%threads show thread_abc").error
    assert isinstance(gone, APIErrorLine) and "client.conversations" in str(gone)
    assert isinstance(sh.run("%assistants").error, APIErrorLine)

    deleted = sh.run(f"%threads delete {conv_id}")
    assert deleted.error is None and conv_id not in list(sh.run("%threads").result["id"])

    # One line said which backend is used, and the server was asked once.
    probes = [op for op, _status in sh.recorder.exchanges if op == "listAssistants"]
    assert len(probes) == 2  # the one probe, and the `%assistants` listing asked for above


def test_the_backend_line_is_shown_once(sh):
    outputs = [sh.run(cell).stdout for cell in ("%threads", "%threads new", "%threads")]
    lines = [line for out in outputs for line in out.splitlines() if line.startswith("Threads use")]
    assert lines == [lines[0]] and "Conversations + Responses" in lines[0] and "2026-08-26" in lines[0]


def test_forced_conversations_where_assistants_exist(server, contract, monkeypatch):
    sh = shell_on(server, contract, monkeypatch)
    try:
        assert "Assistants threads" in sh.run("%threads").stdout  # auto: this server has them
        sh.run('%assistants create --name Poet --instructions "Answer in rhyme." -o poet')
        sh.run("%threads new -o t")
        assistant_thread = sh.shell.user_ns["t"]["id"]
        assert assistant_thread.startswith("thread_")
        sh.run("%config ThreadsMagics.backend = 'conversations'")
        new = sh.run("%threads new")
        assert "Conversations + Responses" in new.stdout and sh.magics.current.startswith("conv_")
        ran = sh.run("%%threads run --no-stream -o answer\nTell me about the moon.")
        assert ran.error is None
        answer = sh.shell.user_ns["answer"]
        # The assistant lends its model and instructions to the response.
        assert answer["instructions"] == "Answer in rhyme." and answer["model"] == "local-ngram"
        kinds = dict(zip(sh.run("%threads").result["id"], sh.run("%threads").result["kind"]))
        assert kinds[sh.magics.current] == "conversations" and kinds[assistant_thread] == "assistants"
        sh.run("%config ThreadsMagics.backend = 'bogus'")  # refused: the setting stays
        assert sh.magics.backend == "conversations"
    finally:
        sh.shell.config.pop("ThreadsMagics", None)
        sh.recorder.assert_clean()


def test_the_registry_remembers_both_kinds(client):
    thread = client.threads.create()
    conv = client.conversations.create(metadata={"k": "v"})
    listed = {t["id"]: t["kind"] for t in known_threads(client)}
    assert listed[thread.id] == "assistants" and listed[conv.id] == "conversations"
    assert conv.id not in [t.id for t in client.threads.known()]
    assert thread.id not in [c.id for c in client.conversations.known()]
    client.conversations.delete(conv.id)
    assert conv.id not in {t["id"] for t in known_threads(client)}


def test_the_panel_over_conversations_without_assistants(bare, contract):
    from jupyter_api_kit.widgets.threads_panel import ThreadsPanel

    rec = contract.recorder()
    with Client(base_url=bare.base_url, api_key=bare.api_key, max_retries=0) as c:
        c.transport.session.hooks["response"].append(rec)
        panel = ThreadsPanel(client=c, instructions="Be brief.")
        assert panel.kind == "conversations" and "Conversations + Responses" in panel.status
        assert panel._assistants.description == "model" and panel.model == panel._assistants.value
        conv_id = panel.new_thread(metadata={"from": "panel"})
        assert conv_id.startswith("conv_") and conv_id in panel.thread_ids
        assert c.conversations.retrieve(conv_id).metadata == {"from": "panel"}

        panel._composer.value = "What is a nebula?"
        panel._send_button.click()
        assert panel.wait(30)
        assert panel.run_status in ("completed", "incomplete") and panel.run_id.startswith("resp_")
        assert [role for role, _ in panel.transcript] == ["user", "assistant"]
        assert panel.transcript[0][1] == "What is a nebula?" and panel.live_text == ""
        response = c.responses.retrieve(panel.run_id)
        assert response.instructions == "Be brief." and response.conversation.id == conv_id
        assert list(panel.steps_frame["type"]) == ["message_creation"]
        assert int(panel.steps_frame["total_tokens"].sum()) == response.usage.total_tokens
        assert panel.status == f"response {response.id} {response.status}"
        panel.cancel()
        assert panel.status == "no run to cancel"

        c.conversations.items.create(conv_id, items=[{"role": "user", "content": f"m{i}"} for i in range(20)])
        panel._reload_after_run()  # what the panel does after an answer: the latest page again
        assert len(panel.transcript) == 20 and panel.has_older
        panel.load_older()
        assert len(panel.transcript) == 22 and not panel.has_older
        assert isinstance(panel.steps_frame, pd.DataFrame)
    rec.assert_clean()
