"""The ThreadsPanel through its methods, against the local server over HTTP: what each button does,
checked on the server's state, with every exchange held to the shared OpenAPI file."""

from __future__ import annotations

import requests

from jupyter_api_kit.widgets.threads_panel import ThreadsPanel
from tests.threads_support import WEATHER_TOOL


def test_compose_run_stream_and_steps(client, server):
    tutor = client.assistants.create(model="local-ngram", name="Tutor", instructions="You explain astronomy.")
    panel = ThreadsPanel(client=client, assistant_id=tutor.id)
    assert panel._assistants.value == tutor.id and tutor.id in [v for _, v in panel._assistants.options]

    thread_id = panel.new_thread(metadata={"from": "panel"})
    assert thread_id in panel.thread_ids and panel.selected_thread == thread_id
    assert (f"{thread_id} from=panel", thread_id) in panel._thread_list.options
    assert panel._thread_list.value == thread_id
    assert client.threads.retrieve(thread_id).metadata == {"from": "panel"}

    panel._composer.value = "What is a nebula?"
    panel._send_button.click()  # exactly what a click does: add the message and stream the run
    assert panel.wait(30)
    assert panel.run_status == "completed" and panel.run_id.startswith("run_")
    assert panel._composer.value == "" and panel.live_text == ""
    assert [role for role, _ in panel.transcript] == ["user", "assistant"]
    assert panel.transcript[0][1] == "What is a nebula?"
    server_side = client.threads.messages.list(thread_id, order="asc").data
    assert [m.id for m in server_side] == [m["id"] for m in panel._messages]
    assert "<b>assistant</b>" in panel._transcript.value

    assert list(panel.steps_frame["type"]) == ["message_creation"]
    run = client.threads.runs.retrieve(panel.run_id, thread_id=thread_id)
    assert int(panel.steps_frame["total_tokens"].sum()) == run.usage.total_tokens
    assert "tokens" in panel._steps.value and "message_creation" in panel._steps.value
    assert panel.status == f"run {run.id} completed"


def test_threads_list_select_and_paging(client, server):
    made = client.threads.create(messages=[{"role": "user", "content": f"m{i}"} for i in range(25)])
    panel = ThreadsPanel(client=client)
    assert made.id in panel.thread_ids
    panel.select(made.id)
    assert len(panel.transcript) == 20 and panel.has_older and not panel._older_button.disabled
    assert panel.transcript[-1][1] == "m24"
    panel._older_button.click()
    assert [t for _, t in panel.transcript] == [f"m{i}" for i in range(25)] and not panel.has_older

    # deleted elsewhere: Refresh drops it
    requests.delete(f"{client.base_url}/threads/{made.id}", timeout=10, headers=server.headers)
    panel._refresh_button.click()
    assert made.id not in panel.thread_ids


def test_live_status_cancel_and_errors(fresh_server, contract):
    from tests.threads_support import recording_client

    rec = contract.recorder()
    c = recording_client(fresh_server, rec)
    fresh_server.app.state.timing.run_token = 0.05
    talkative = c.assistants.create(model="local-ngram", temperature=2.0)
    panel = ThreadsPanel(client=c, assistant_id=talkative.id)
    panel.send("nothing selected")
    assert panel.status == "pick or create a thread first"
    panel.new_thread()
    panel.send("Tell me everything about the planets, the sun and the stars.")
    seen = set()
    for _ in range(200):
        seen.add(panel.run_status)
        if panel.live_text:
            break
        panel.wait(0.02)
    assert panel.live_text and not panel._cancel_button.disabled and panel._send_button.disabled
    panel._cancel_button.click()
    assert panel.wait(30)
    assert panel.run_status == "cancelled" and panel._send_button.disabled is False
    assert c.threads.runs.retrieve(panel.run_id, thread_id=panel.selected_thread).status == "cancelled"
    assert list(panel.steps_frame["status"]) == ["cancelled"]
    assert "in_progress" in seen or "queued" in seen
    panel.cancel()
    assert panel.status == "no run to cancel"

    panel.assistant_id = "asst_gone"
    panel.send("hello")
    assert panel.status.startswith("NotFoundError:") and "request req_" in panel.status
    rec.assert_clean()


def test_a_function_call_shows_in_the_steps(client):
    helper = client.assistants.create(model="local-ngram", tools=[WEATHER_TOOL])
    panel = ThreadsPanel(client=client, assistant_id=helper.id)
    panel.new_thread()
    panel.send("What is the weather in Oslo?", background=False)
    assert panel.run_status == "requires_action"
    assert panel.steps_frame.loc[0, "type"] == "tool_calls"
    assert panel.steps_frame.loc[0, "tool_calls"][0].startswith("get_weather(")
    panel.cancel()
    assert panel.run_status == "cancelling"
