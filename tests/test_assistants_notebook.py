"""notebooks/assistants_threads.ipynb runs top to bottom with no key and no network, in a real kernel.

The kernel (python3, this interpreter) starts its own embedded local server over a fresh database in
a temporary data directory; the test then checks what each section showed, and that the threads the
notebook made were remembered in that data directory.
"""

from __future__ import annotations

import json

import pytest

from tests.notebook_support import assert_ran_cleanly, code_cell, code_cell_containing, executed_once, shown

executed = executed_once("assistants_threads.ipynb")


@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_runs_offline_top_to_bottom(executed):
    nb, data_dir = executed
    assert_ran_cleanly(nb)

    assert "local-ngram" in shown(code_cell(nb, "weather_tool = "))
    assert "'completed'" in shown(code_cell(nb, "thread = client.threads.create("))
    messages = shown(code_cell(nb, "messages = client.threads.messages.list"))
    assert "assistant" in messages and "text/html" in messages
    transcript = shown(code_cell(nb, "print(frames.transcript(messages))"))
    assert transcript.count("user: ") == 2 and transcript.count("assistant: ") == 2
    replies = [line for line in transcript.splitlines() if line.startswith("assistant: ")]
    assert len(set(replies)) == 2 and any("moon" in r.lower() for r in replies), "a follow-up gets a new answer"
    assert all("planet" in r.lower() or "moon" in r.lower() for r in replies)

    streamed = code_cell(nb, "stream = client.threads.runs.stream(")
    assert "('completed', True)" in shown(streamed)  # the accumulated deltas are the stored reply
    counts = shown(code_cell(nb, "import pandas as pd"))
    for name in ("thread.run.created", "thread.message.delta", "thread.run.completed"):
        assert name in counts

    call = shown(code_cell(nb, "weather_thread = client.threads.create("))
    assert "requires_action" in call and "get_weather" in call and "city" in call
    answered = shown(code_cell(nb, "def get_weather("))
    assert "completed\n" in answered and "assistant: " in answered

    steps = shown(code_cell(nb, "steps = frames.run_steps("))
    assert "tool_calls" in steps and "message_creation" in steps and "get_weather(" in steps
    assert "image/png" in shown(code_cell(nb, "ax = runs.plot.bar("))

    known, both = [c for c in nb.cells if c.cell_type == "code" and c.source == "%threads"]
    assert "text/html" in shown(known) and "metadata.lesson" in shown(known)
    assert "Threads use Assistants threads" in shown(known)  # the local server has them: chosen by itself
    assert "is now the current thread" in shown(code_cell(nb, "%threads use"))
    first_run, conversation_run = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("%threads run")]
    assert " completed " in shown(first_run) and "prompt +" in shown(first_run)
    first_steps, conversation_steps = [c for c in nb.cells if c.source == "%threads steps last"]
    assert "message_creation" in shown(first_steps)
    assert "application/vnd.jupyter.widget-view+json" in shown(code_cell(nb, "from jupyter_api_kit.widgets"))

    # The same lesson over Conversations + Responses.
    today = shown(code_cell_containing(nb, "on_today = Client("))
    assert "AssistantsUnavailableError" in today and "client.conversations" in today
    assert "Threads use Conversations + Responses" in today and "2026-08-26" in today
    transcript = shown(code_cell(nb, "print(frames.conversation_transcript(items))"))
    assert transcript.count("user: ") == 2 and transcript.count("assistant: ") == 2
    assert "('completed', True)" in shown(code_cell(nb, "with client.responses.create("))
    call = shown(code_cell_containing(nb, "weather_conversation = client.conversations.create("))
    assert "function_call" in call and "get_weather" in call and "city" in call
    answered = shown(code_cell(nb, "answered = client.responses.create("))
    assert "get_weather(" in answered and "tool: light drizzle in" in answered
    assert "tool_calls" in shown(code_cell(nb, "frames.response_steps(called)"))
    new = shown(code_cell(nb, "%threads new --metadata lesson=2"))
    assert "Threads use Conversations + Responses" in new and "conv_" in new
    assert "input +" in shown(conversation_run) and "message_creation" in shown(conversation_steps)
    assert "conversations" in shown(both) and "assistants" in shown(both)
    assert "application/vnd.jupyter.widget-view+json" in shown(code_cell(nb, "conversations_panel = "))

    remembered = json.loads((data_dir / "threads.json").read_text())["servers"]["local"]
    kinds = sorted(entry["id"].split("_")[0] for entry in remembered)
    assert kinds == ["conv", "conv", "conv", "thread", "thread"]  # two threads, three conversations
