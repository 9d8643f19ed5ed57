"""`%threads` and `%assistants` in a real IPython shell, against the local server over HTTP, with
every exchange the magics make checked against the shared OpenAPI file."""

from __future__ import annotations

import contextlib
import io

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from jupyter_api_kit.magics import load_ipython_extension
from jupyter_api_kit.magics.common import APIErrorLine
from jupyter_api_kit.magics.threads import ThreadView
from tests.contract_source import recorder_for
from tests.threads_support import Shell


@pytest.fixture()
def sh(server, contract_or_none, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
    shell = InteractiveShell.instance()
    shell.config.pop("ThreadsMagics", None)
    with contextlib.redirect_stdout(io.StringIO()):
        load_ipython_extension(shell)
    wrapped = Shell(shell)
    recorder = recorder_for(contract_or_none)
    wrapped.magics.connection.client.transport.session.hooks["response"].append(recorder)
    yield wrapped
    shell.config.pop("ThreadsMagics", None)
    recorder.assert_clean()


def test_a_lesson_from_assistant_to_steps(sh, server):
    made = sh.run('%assistants create --name Tutor --instructions "You explain astronomy." --metadata course=a1 '
                  '-o tutor')
    assert made.error is None and made.result is None and sh.shell.user_ns["tutor"]["object"] == "assistant"
    assistant_id = sh.shell.user_ns["tutor"]["id"]
    assert sh.magics.assistant == assistant_id and "now uses it" in made.stdout

    listed = sh.run("%assistants").result
    assert isinstance(listed, pd.DataFrame) and assistant_id in list(listed["id"])
    assert {"name", "model", "tools", "metadata.course"} <= set(listed.columns)

    new = sh.run("%threads new --metadata lesson=3 -o thread")
    assert new.error is None and sh.shell.user_ns["thread"]["metadata"] == {"lesson": "3"}
    thread_id = sh.magics.current
    assert thread_id == sh.shell.user_ns["thread"]["id"] and thread_id in new.stdout

    sh.shell.user_ns["body"] = "comets"
    said = sh.run("%%threads say\nWhat are {body} made of?")
    assert said.error is None and said.result.loc[0, "text"] == "What are comets made of?"

    ran = sh.run("%threads run --stream -o run")
    assert ran.error is None, ran.error
    run = sh.shell.user_ns["run"]
    assert run["status"] == "completed" and run["id"] in ran.stdout and "tokens" in ran.stdout
    streamed = [p for p in ran.published if "text/markdown" in p["data"]]
    assert len(streamed) >= 1  # the live answer, updated in place

    ran = sh.run("%%threads run --no-stream -o second\nAnd what about meteors?")
    assert ran.error is None and sh.shell.user_ns["second"]["status"] == "completed" and " completed " in ran.stdout
    assert ran.data("text/markdown")  # the reply, shown once it was written

    view = sh.run("%threads show").result
    assert isinstance(view, ThreadView)
    assert list(view.frame["role"]) == ["user", "assistant", "user", "assistant"]
    assert "user: What are comets made of?" in view.text and "<b>assistant</b>" in view._repr_html_()

    steps = sh.run("%threads steps last").result
    assert list(steps["type"]) == ["message_creation"] and steps.loc[0, "total_tokens"] > 0
    runs = sh.run("%threads runs").result
    assert len(runs) == 2 and set(runs["status"]) == {"completed"}

    known = sh.run("%threads").result
    row = known[known["id"] == thread_id]
    assert bool(row["current"].iloc[0]) and row["metadata.lesson"].iloc[0] == "3"

    deleted = sh.run(f"%threads delete {thread_id}")
    assert deleted.error is None and sh.magics.current == ""
    assert thread_id not in list(sh.run("%threads").result["id"])
    assert "deleted" in sh.run(f"%assistants delete {assistant_id}").stdout
    assert sh.magics.assistant == ""


def test_use_an_existing_thread_and_show_another(sh, server):
    import requests

    thread = requests.post(f"{server.base_url}/threads", json={"messages": [{"role": "user", "content": "Hi"}]},
                           timeout=10, headers=server.headers).json()
    used = sh.run(f"%threads use {thread['id']}")
    assert used.error is None and sh.magics.current == thread["id"]
    assert thread["id"] in list(sh.run("%threads").result["id"])
    assert repr(sh.run(f"%threads show {thread['id']}").result).endswith("user: Hi")


def test_a_function_call_is_reported_with_how_to_answer(sh):
    sh.run("%assistants create --name Weather -o weather")
    sh.run("%threads new")
    sh.magics.client.assistants.update(sh.shell.user_ns["weather"]["id"], tools=[{"type": "function", "function": {
        "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])
    ran = sh.run("%%threads run --no-stream -o waiting\nWhat is the weather in Oslo?")
    assert ran.error is None and sh.shell.user_ns["waiting"]["status"] == "requires_action"
    assert "waits for get_weather(" in ran.stdout and "submit_tool_outputs" in ran.stdout


@pytest.mark.parametrize("cell, fragment", [
    ("%threads fly", "unknown action"),
    ("%threads use", "needs a thread ID"),
    ("%threads steps", "RUN_ID"),
    ("%threads new --metadata nokey", "KEY=VALUE"),
    ("%threads new --metadata " + "k" * 65 + "=v", "64"),
    ("%threads new -o 3x", "variable name"),
    ("%%threads show\nsome text", "no cell text"),
    ("%assistants show", "one assistant ID"),
    ("%assistants bake", "unknown action"),
])
def test_mistakes_are_one_line_usage_errors(sh, cell, fragment):
    result = sh.run(cell)
    assert isinstance(result.error, UsageError) and fragment in str(result.error)


def test_no_current_thread_or_assistant_is_a_usage_error(sh):
    sh.magics.current = ""
    assert "no current thread" in str(sh.run("%threads show").error)
    sh.run("%threads new")
    sh.magics.assistant = ""
    assert "no assistant" in str(sh.run("%threads run").error)
    assert "cell's text" in str(sh.run("%%threads say\n   ").error)
    assert "'last' names nothing" in str(sh.run("%threads steps last").error)


def test_api_errors_are_one_line_with_the_request_id(sh):
    result = sh.run("%threads show thread_does_not_exist")
    assert isinstance(result.error, APIErrorLine)
    assert "NotFoundError" in str(result.error) and "request req_" in str(result.error)
    assert isinstance(sh.run("%threads run --assistant asst_nope").error, (APIErrorLine, UsageError))


def test_settings_are_configurable_and_checked(sh):
    sh.run("%config ThreadsMagics.limit = 5")
    assert sh.magics.limit == 5
    sh.run("%config ThreadsMagics.limit = 500")  # refused (IPython logs the one-line reason)
    assert sh.magics.limit == 5
    listing = sh.run("%config ThreadsMagics").stdout
    for name in ("assistant", "stream", "timeout", "limit"):
        assert f"ThreadsMagics.{name}=" in listing
