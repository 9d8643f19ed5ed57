"""Runs and run steps (eight operations, plus create-and-run): every state transition of a run on
the local server, driven over real HTTP by our client and by the `openai` package, with every
request, response and streamed event checked against the shared OpenAPI file."""

from __future__ import annotations

import json
import time

import jsonschema
import pytest
import requests

from jupyter_api_kit.client.run_stream import MessageDeltaEvent, RunEvent, ThreadEvent
from jupyter_api_kit.client.runs import RunTimeoutError
from jupyter_api_kit.errors import BadRequestError, NotFoundError
from tests.threads_support import (WEATHER_TOOL, install_broken_model, openai_client,  # noqa: F401
                                   recording_client, stream_events)

PROMPT = "Tell me about the planets and the moon."
OPERATIONS = {"createRun", "getRun", "modifyRun", "listRuns", "cancelRun", "submitToolOuputsToRun", "listRunSteps",
              "getRunStep", "createThreadAndRun"}


@pytest.fixture()
def assistant(client):
    return client.assistants.create(model="local-ngram", name="Tutor", instructions="You explain astronomy.",
                                    tools=[WEATHER_TOOL])


def new_thread(client, text=PROMPT):
    return client.threads.create(messages=[{"role": "user", "content": text}])


def usage_sum(server) -> tuple:
    row = server.store.one("SELECT count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0) "
                           "FROM usage_records WHERE kind = 'completions'")
    return tuple(row)


def validate_events(contract, events):
    for name, data in events:
        contract.validate_schema("AssistantStreamEvent", {"event": name, "data": data})


def test_run_completes_with_reply_step_and_usage(client, server, assistant, contract, recorder):
    thread = new_thread(client)
    before = usage_sum(server)
    run = client.threads.runs.create_and_poll(thread.id, assistant_id=assistant.id, tool_choice="none",
                                              metadata={"case": "plain"}, timeout=30, progress=False)
    assert run.status == "completed" and run.started_at and run.completed_at and run.expires_at is None
    assert run.model == "local-ngram" and run.instructions == "You explain astronomy." and run.metadata["case"]
    assert run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens > 0
    contract.validate_schema("RunObject", run)

    reply = client.threads.messages.list(thread.id, run_id=run.id).data
    assert len(reply) == 1 and reply[0].role == "assistant" and reply[0].assistant_id == assistant.id
    assert reply[0].status == "completed" and reply[0].content[0].text.value

    steps = client.threads.runs.steps.list(run.id, thread_id=thread.id, include=[
        "step_details.tool_calls[*].file_search.results[*].content"])
    assert [s.type for s in steps.data] == ["message_creation"]
    step = steps.data[0]
    assert step.step_details.message_creation.message_id == reply[0].id and step.usage == run.usage
    assert client.threads.runs.steps.retrieve(step.id, thread_id=thread.id, run_id=run.id) == step

    after = usage_sum(server)
    assert after[0] == before[0] + 1
    assert (after[1] - before[1], after[2] - before[2]) == (run.usage.prompt_tokens, run.usage.completion_tokens)

    assert client.threads.runs.update(run.id, thread_id=thread.id, metadata={"case": "x"}).metadata == {"case": "x"}
    assert client.threads.runs.retrieve(run.id, thread_id=thread.id).metadata == {"case": "x"}
    assert [r.id for r in client.threads.runs.list(thread.id).data] == [run.id]


def test_streamed_run_sends_the_documented_sequence(client, assistant, contract):
    thread = new_thread(client)
    stream = client.threads.runs.stream(thread.id, assistant_id=assistant.id, tool_choice="none")
    events = stream_events(stream)
    names = [name for name, _ in events]
    validate_events(contract, events)
    deltas = names.count("thread.message.delta")
    assert deltas >= 1
    assert names == ["thread.run.created", "thread.run.queued", "thread.run.in_progress", "thread.run.step.created",
                     "thread.run.step.in_progress", "thread.message.created", "thread.message.in_progress",
                     *["thread.message.delta"] * deltas, "thread.message.completed", "thread.run.step.completed",
                     "thread.run.completed"]
    assert [d["status"] for n, d in events if n.startswith("thread.run.") and ".step." not in n] == [
        "queued", "queued", "in_progress", "completed"]
    # The accumulated deltas are the stored message, word for word.
    (message,) = stream.final_messages
    stored = client.threads.messages.retrieve(message.id, thread_id=thread.id)
    assert "".join(e.text for e in stream.events if isinstance(e, MessageDeltaEvent)) == \
        stored.content[0].text.value == stream.final_text
    assert stream.accumulated[message.id]["content"][0]["text"]["value"] == stored.content[0].text.value
    assert isinstance(stream.events[0], RunEvent) and stream.final_run.status == "completed"


def test_create_and_run_polled_and_streamed(client, assistant, contract):
    run = client.threads.create_and_run_poll(assistant_id=assistant.id, tool_choice="none", progress=False,
                                             thread={"messages": [{"role": "user", "content": PROMPT}],
                                                     "metadata": {"via": "create_and_run"}}, timeout=30)
    assert run.status == "completed"
    assert client.threads.retrieve(run.thread_id).metadata == {"via": "create_and_run"}
    assert run.thread_id in client.threads.registry.ids()

    stream = client.threads.create_and_run_stream(assistant_id=assistant.id, tool_choice="none",
                                                  thread={"messages": [{"role": "user", "content": PROMPT}]})
    events = stream_events(stream)
    validate_events(contract, events)
    assert [n for n, _ in events][:3] == ["thread.created", "thread.run.created", "thread.run.queued"]
    assert isinstance(stream.events[0], ThreadEvent) and stream.thread.id == stream.final_run.thread_id
    assert stream.thread.id in client.threads.registry.ids()
    assert events[-1][0] == "thread.run.completed"


def test_function_tool_round_trip(client, server, assistant, contract):
    thread = new_thread(client, "What is the weather in Paris today?")
    run = client.threads.runs.create_and_poll(
        thread.id, assistant_id=assistant.id, timeout=30, progress=False,
        tool_choice={"type": "function", "function": {"name": "get_weather"}})
    assert run.status == "requires_action" and run.required_action.type == "submit_tool_outputs"
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert call.function.name == "get_weather"
    arguments = json.loads(call.function.arguments)
    jsonschema.validate(arguments, WEATHER_TOOL["function"]["parameters"])
    assert arguments["city"] in "What is the weather in Paris today?"  # filled from the conversation

    with pytest.raises(BadRequestError) as err:  # a message cannot be added while the run waits
        client.threads.messages.create(thread.id, role="user", content="hello?")
    assert "active" in str(err.value)

    run = client.threads.runs.submit_tool_outputs_and_poll(
        run.id, thread_id=thread.id, timeout=30, progress=False,
        tool_outputs=[{"tool_call_id": call.id, "output": "sunny and warm, 24 degrees"}])
    assert run.status == "completed" and run.required_action is None
    steps = client.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].function.output == "sunny and warm, 24 degrees"
    assert steps[0].status == "completed"
    total = sum(s.usage.total_tokens for s in steps)
    assert run.usage.total_tokens == total
    for s in steps:
        contract.validate_schema("RunStepObject", s)
    reply = client.threads.messages.list(thread.id, run_id=run.id).data[0].content[0].text.value
    assert reply


def test_the_reply_is_conditioned_on_the_tool_outputs(client, server, assistant):
    from jupyter_api_kit.local.models.language import get_language_model
    from jupyter_api_kit.local.assistants.planning import build_context
    from jupyter_api_kit.local.assistants.store import get_run

    thread = new_thread(client, "What is the weather in Paris today?")
    run = client.threads.runs.create_and_poll(thread.id, assistant_id=assistant.id, tool_choice="required",
                                              timeout=30, progress=False)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    model = get_language_model("local-ngram")
    waiting = build_context(server.store, get_run(server.store, thread.id, run.id), model)
    run = client.threads.runs.submit_tool_outputs_and_poll(
        run.id, thread_id=thread.id, timeout=30, progress=False,
        tool_outputs=[{"tool_call_id": call.id, "output": "light drizzle over the harbour"}])
    # The reply's prompt holds the conversation, then the call and its output ...
    after = build_context(server.store, get_run(server.store, thread.id, run.id), model)
    assert after[:len(waiting)] == waiting and [m["role"] for m in after[-2:]] == ["assistant", "tool"]
    assert after[-2]["tool_calls"][0]["id"] == call.id and after[-1]["content"] == "light drizzle over the harbour"
    answered = waiting + after[-2:]
    steps = client.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert steps[1].usage.prompt_tokens > steps[0].usage.prompt_tokens
    # ... so the output's words become more probable in the answer (the model's exact probabilities).
    assert model.logprob(answered, "There is light drizzle.") > model.logprob(waiting, "There is light drizzle.")


def test_streamed_tool_call_then_streamed_outputs(client, assistant, contract):
    thread = new_thread(client, "Is it raining in Oslo? What is the weather?")
    stream = client.threads.runs.stream(thread.id, assistant_id=assistant.id)  # tool_choice auto: "weather"
    events = stream_events(stream)
    validate_events(contract, events)
    names = [n for n, _ in events]
    assert names[-4:] == ["thread.run.step.created", "thread.run.step.in_progress", "thread.run.step.delta",
                          "thread.run.requires_action"]
    (call,) = stream.required_tool_calls
    resumed = client.threads.runs.submit_tool_outputs(stream.run.id, thread_id=thread.id, stream=True,
                                                      tool_outputs=[{"tool_call_id": call.id, "output": "rain"}])
    events = stream_events(resumed)
    validate_events(contract, events)
    names = [n for n, _ in events]
    assert names[:3] == ["thread.run.step.completed", "thread.run.queued", "thread.run.in_progress"]
    assert names[-1] == "thread.run.completed" and resumed.final_text


@pytest.mark.parametrize("kwargs, param", [
    ({"tool_choice": {"type": "function", "function": {"name": "launch_rocket"}}}, "tool_choice.function.name"),
    ({"tool_choice": {"type": "code_interpreter"}}, "tool_choice.type"),
    ({"tools": [{"type": "code_interpreter"}]}, "tools[0].type"),
    ({"tool_choice": "required", "tools": []}, "tool_choice"),
])
def test_bad_tool_settings_are_400_and_start_nothing(client, assistant, kwargs, param):
    thread = new_thread(client)
    with pytest.raises(BadRequestError) as err:
        client.threads.runs.create(thread.id, assistant_id=assistant.id, **kwargs)
    assert err.value.param == param
    assert client.threads.runs.list(thread.id).data == []


def test_tool_output_errors(client, assistant):
    thread = new_thread(client, "weather in Rome?")
    run = client.threads.runs.create_and_poll(thread.id, assistant_id=assistant.id, tool_choice="required",
                                              timeout=30, progress=False)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    with pytest.raises(BadRequestError) as err:
        client.threads.runs.submit_tool_outputs(run.id, thread_id=thread.id,
                                                tool_outputs=[{"tool_call_id": "call_unknown", "output": "x"}])
    assert "call_unknown" in str(err.value) and call.id in str(err.value)
    assert err.value.param == "tool_outputs[0].tool_call_id"
    assert client.threads.runs.retrieve(run.id, thread_id=thread.id).status == "requires_action"  # unchanged
    done = client.threads.runs.submit_tool_outputs_and_poll(run.id, thread_id=thread.id, progress=False, timeout=30,
                                                            tool_outputs=[{"tool_call_id": call.id, "output": "ok"}])
    assert done.status == "completed"
    with pytest.raises(BadRequestError) as err:
        client.threads.runs.submit_tool_outputs(run.id, thread_id=thread.id,
                                                tool_outputs=[{"tool_call_id": call.id, "output": "again"}])
    assert "'completed'" in str(err.value)


def test_unknown_ids_and_other_threads(client, assistant):
    thread, other = new_thread(client), new_thread(client)
    with pytest.raises(NotFoundError):
        client.threads.runs.create(thread.id, assistant_id="asst_missing")
    with pytest.raises(NotFoundError):
        client.threads.runs.create("thread_missing", assistant_id=assistant.id)
    with pytest.raises(NotFoundError):
        client.threads.create_and_run(assistant_id="asst_missing")
    run = client.threads.runs.create_and_poll(thread.id, assistant_id=assistant.id, tool_choice="none", timeout=30,
                                              progress=False)
    for call in (lambda: client.threads.runs.retrieve(run.id, thread_id=other.id),
                 lambda: client.threads.runs.cancel(run.id, thread_id=other.id),
                 lambda: client.threads.runs.steps.list(run.id, thread_id=other.id),
                 lambda: client.threads.runs.steps.retrieve("step_missing", thread_id=thread.id, run_id=run.id)):
        with pytest.raises(NotFoundError):
            call()
    assert client.threads.runs.list(other.id).data == [] and len(client.threads.runs.list(thread.id).data) == 1


def test_second_run_on_a_busy_thread_is_refused(fresh_server, contract):
    rec = contract.recorder()
    c = recording_client(fresh_server, rec)
    fresh_server.app.state.timing.run_step = 0.3
    a = c.assistants.create(model="local-ngram")
    thread = new_thread(c)
    first = c.threads.runs.create(thread.id, assistant_id=a.id)
    with pytest.raises(BadRequestError) as err:
        c.threads.runs.create(thread.id, assistant_id=a.id, additional_messages=[{"role": "user", "content": "x"}])
    assert first.id in str(err.value)
    assert len(c.threads.messages.list(thread.id).data) == 1  # the additional message was not written
    rec.assert_clean()


def test_cancel_while_queued_and_mid_generation(fresh_server, contract):
    rec = contract.recorder()
    c = recording_client(fresh_server, rec)
    a = c.assistants.create(model="local-ngram", temperature=2.0)
    state = fresh_server.app.state

    state.timing.run_step = 0.3
    thread = new_thread(c)
    run = c.threads.runs.create(thread.id, assistant_id=a.id)
    cancelling = c.threads.runs.cancel(run.id, thread_id=thread.id)
    assert cancelling.status == "cancelling"
    run = c.threads.runs.poll(run.id, thread_id=thread.id, timeout=10, progress=False)
    assert run.status == "cancelled" and run.cancelled_at and run.completed_at is None
    assert c.threads.messages.list(thread.id, run_id=run.id).data == []
    with pytest.raises(BadRequestError) as err:
        c.threads.runs.cancel(run.id, thread_id=thread.id)
    assert "cancelled" in str(err.value)

    state.timing.run_step, state.timing.run_token = 0.0, 0.05
    thread = new_thread(c)
    stream = c.threads.runs.stream(thread.id, assistant_id=a.id, tool_choice="none")
    names = []
    for event in stream:
        names.append(event.event)
        if event.event == "thread.message.delta" and names.count("thread.message.delta") == 1:
            c.threads.runs.cancel(stream.run.id, thread_id=thread.id)
    validate_events(contract, [(e.event, e.data) for e in stream.events])
    assert names[-4:] == ["thread.run.cancelling", "thread.message.incomplete", "thread.run.step.cancelled",
                          "thread.run.cancelled"] or names[-3:] == ["thread.message.incomplete",
                                                                    "thread.run.step.cancelled", "thread.run.cancelled"]
    (message,) = c.threads.messages.list(thread.id, run_id=stream.run.id).data
    assert message.status == "incomplete" and message.incomplete_details.reason == "run_cancelled"
    steps = c.threads.runs.steps.list(stream.run.id, thread_id=thread.id).data
    assert [s.status for s in steps] == ["cancelled"] and steps[0].cancelled_at
    run = c.threads.runs.retrieve(stream.run.id, thread_id=thread.id)
    assert run.status == "cancelled" and run.usage.completion_tokens >= 1  # the tokens made were counted
    rec.assert_clean()


def test_cancel_a_run_waiting_for_outputs(client, assistant):
    thread = new_thread(client, "weather in Lima")
    run = client.threads.runs.create_and_poll(thread.id, assistant_id=assistant.id, tool_choice="required",
                                              timeout=30, progress=False)
    assert run.status == "requires_action"
    client.threads.runs.cancel(run.id, thread_id=thread.id)
    run = client.threads.runs.poll(run.id, thread_id=thread.id, timeout=10, progress=False)
    assert run.status == "cancelled" and run.required_action is None
    (step,) = client.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert step.type == "tool_calls" and step.status == "cancelled"


def test_a_failing_model_fails_the_run_with_last_error(fresh_server, contract):
    rec = contract.recorder()
    c = recording_client(fresh_server, rec)
    broken = install_broken_model(fresh_server.app)
    a = c.assistants.create(model=broken)
    thread = new_thread(c)
    run = c.threads.runs.create_and_poll(thread.id, assistant_id=a.id, timeout=10, progress=False)
    assert run.status == "failed" and run.failed_at and run.last_error.code == "server_error"
    assert "damaged" in run.last_error.message
    (step,) = c.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert step.status == "failed" and step.last_error.code == "server_error"
    (message,) = c.threads.messages.list(thread.id, run_id=run.id).data
    assert message.status == "incomplete" and message.incomplete_details.reason == "run_failed"
    # The thread is usable again.
    assert c.threads.messages.create(thread.id, role="user", content="try again").role == "user"
    stream = c.threads.runs.stream(thread.id, assistant_id=a.id)
    names = [e.event for e in stream]
    assert names[-3:] == ["thread.message.incomplete", "thread.run.step.failed", "thread.run.failed"]
    rec.assert_clean()


def test_a_run_not_given_outputs_in_time_expires(fresh_server, contract):
    rec = contract.recorder()
    c = recording_client(fresh_server, rec)
    fresh_server.app.state.timing.run_expiry = 0.4
    a = c.assistants.create(model="local-ngram", tools=[WEATHER_TOOL])
    thread = new_thread(c, "weather in Cairo")
    run = c.threads.runs.create_and_poll(thread.id, assistant_id=a.id, tool_choice="required", timeout=10,
                                         progress=False)
    assert run.status == "requires_action"
    time.sleep(0.6)
    run = c.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert run.status == "expired" and run.required_action is None
    (step,) = c.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert step.status == "expired" and step.expired_at
    call_id = "call_x"
    with pytest.raises(BadRequestError):
        c.threads.runs.submit_tool_outputs(run.id, thread_id=thread.id,
                                           tool_outputs=[{"tool_call_id": call_id, "output": "late"}])
    rec.assert_clean()


def test_token_limits_make_runs_incomplete(client, server):
    talkative = client.assistants.create(model="local-ngram", temperature=2.0, instructions="Talk a lot.")
    for _ in range(12):  # at temperature 2 most answers run past 256 tokens; a few stop earlier
        thread = new_thread(client, "Tell me everything about the planets, the moon, the sun and the stars.")
        run = client.threads.runs.create_and_poll(thread.id, assistant_id=talkative.id, max_completion_tokens=256,
                                                  timeout=30, progress=False)
        if run.status == "incomplete":
            break
    assert run.status == "incomplete" and run.incomplete_details.reason == "max_completion_tokens"
    assert run.usage.completion_tokens == 256
    (message,) = client.threads.messages.list(thread.id, run_id=run.id).data
    assert message.status == "incomplete" and message.incomplete_details.reason == "max_tokens"

    long_text = " ".join(["The rings of Saturn are made of ice and rock."] * 40)
    thread = new_thread(client, long_text)
    run = client.threads.runs.create_and_poll(thread.id, assistant_id=talkative.id, max_prompt_tokens=256,
                                              timeout=30, progress=False)
    assert run.status == "incomplete" and run.incomplete_details.reason == "max_prompt_tokens"
    assert client.threads.messages.list(thread.id, run_id=run.id).data == []


def test_truncation_instructions_and_additional_messages(client):
    a = client.assistants.create(model="local-ngram", instructions="Base instructions.")
    thread = client.threads.create(messages=[{"role": "user", "content": f"Fact number {i} about comets."}
                                             for i in range(6)])
    full = client.threads.runs.create_and_poll(thread.id, assistant_id=a.id, temperature=0, timeout=30,
                                               progress=False)
    cut = client.threads.runs.create_and_poll(thread.id, assistant_id=a.id, temperature=0, timeout=30,
                                              progress=False, truncation_strategy={"type": "last_messages",
                                                                                   "last_messages": 1})
    assert cut.truncation_strategy.type == "last_messages" and cut.truncation_strategy.last_messages == 1
    assert cut.usage.prompt_tokens < full.usage.prompt_tokens

    run = client.threads.runs.create_and_poll(
        thread.id, assistant_id=a.id, progress=False, timeout=30, instructions="Override.",
        additional_instructions="Mention comets.", top_p=0.5, temperature=0.3,
        additional_messages=[{"role": "user", "content": "One more question about tails."}])
    assert run.instructions == "Override.\n\nMention comets." and (run.temperature, run.top_p) == (0.3, 0.5)
    texts = [m.content[0].text.value for m in client.threads.messages.list(thread.id, limit=2).data]
    assert texts[1] == "One more question about tails."  # written before the reply


def test_temperature_zero_runs_are_reproducible(client):
    a = client.assistants.create(model="local-ngram")
    replies = []
    for _ in range(2):
        thread = new_thread(client)
        run = client.threads.runs.create_and_poll(thread.id, assistant_id=a.id, temperature=0, timeout=30,
                                                  progress=False)
        replies.append(client.threads.messages.list(thread.id, run_id=run.id).data[0].content[0].text.value)
    assert replies[0] == replies[1]


def test_poll_timeout_and_poll_hint(fresh_server, contract):
    rec = contract.recorder()
    c = recording_client(fresh_server, rec)
    fresh_server.app.state.timing.run_step = 1.0
    a = c.assistants.create(model="local-ngram")
    thread = new_thread(c)
    run = c.threads.runs.create(thread.id, assistant_id=a.id)
    hint = requests.get(f"{fresh_server.base_url}/threads/{thread.id}/runs/{run.id}", timeout=10, headers=fresh_server.headers)
    assert hint.headers["openai-poll-after-ms"] == "10"
    with pytest.raises(RunTimeoutError) as err:
        c.threads.runs.poll(run.id, thread_id=thread.id, timeout=0.2, progress=False)
    assert err.value.run.id == run.id and "still" in str(err.value)
    c.threads.runs.cancel(run.id, thread_id=thread.id)
    rec.assert_clean()


def test_bad_run_bodies(server, client, assistant):
    thread = new_thread(client)
    url = f"{server.base_url}/threads/{thread.id}/runs"
    for body, param in (({}, "assistant_id"), ({"assistant_id": assistant.id, "max_completion_tokens": 10},
                                               "max_completion_tokens"),
                        ({"assistant_id": assistant.id, "truncation_strategy": {"type": "last_messages"}},
                         "truncation_strategy.last_messages"),
                        ({"assistant_id": assistant.id, "tool_choice": "sometimes"}, "tool_choice"),
                        ({"assistant_id": assistant.id, "additional_messages": [{"role": "user"}]},
                         "additional_messages[0].content")):
        r = requests.post(url, json=body, timeout=10, headers=server.headers)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
    r = requests.post(url + "?include[]=everything", json={"assistant_id": assistant.id}, timeout=10, headers=server.headers)
    assert r.status_code == 400 and r.json()["error"]["param"] == "include[]"
    assert client.threads.runs.list(thread.id).data == []


def test_all_run_operations_are_covered(client, assistant, recorder):
    thread = new_thread(client, "weather in Quito")
    run = client.threads.create_and_run(assistant_id=assistant.id, tool_choice="required",
                                        thread={"messages": [{"role": "user", "content": "weather in Quito"}]})
    run = client.threads.runs.poll(run.id, thread_id=run.thread_id, progress=False, timeout=30)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    client.threads.runs.submit_tool_outputs(run.id, thread_id=run.thread_id,
                                            tool_outputs=[{"tool_call_id": call.id, "output": "cool"}])
    run = client.threads.runs.poll(run.id, thread_id=run.thread_id, progress=False, timeout=30)
    step = client.threads.runs.steps.list(run.id, thread_id=run.thread_id).data[0]
    client.threads.runs.steps.retrieve(step.id, thread_id=run.thread_id, run_id=run.id)
    client.threads.runs.update(run.id, thread_id=run.thread_id, metadata={"k": "v"})
    client.threads.runs.list(run.thread_id)
    second = client.threads.runs.create(thread.id, assistant_id=assistant.id, tool_choice="required")
    client.threads.runs.cancel(second.id, thread_id=thread.id)
    client.threads.runs.poll(second.id, thread_id=thread.id, progress=False, timeout=30)
    assert OPERATIONS <= recorder.operation_ids


def test_openai_package_runs_polled_streamed_and_with_tools(openai_client):
    from openai import AssistantEventHandler

    assistant = openai_client.beta.assistants.create(model="local-ngram", instructions="Explain simply.",
                                                     tools=[WEATHER_TOOL])
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": PROMPT}])
    run = openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                          tool_choice="none")
    assert run.status == "completed" and run.usage.total_tokens > 0
    steps = openai_client.beta.threads.runs.steps.list(run.id, thread_id=thread.id)
    assert steps.data[0].type == "message_creation"

    class Collect(AssistantEventHandler):
        def __init__(self):
            super().__init__()
            self.pieces = []

        def on_text_delta(self, delta, snapshot):
            self.pieces.append(delta.value)

    handler = Collect()
    with openai_client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id, tool_choice="none",
                                                event_handler=handler) as stream:
        stream.until_done()
        final = stream.get_final_messages()
    assert "".join(handler.pieces) == final[0].content[0].text.value
    assert stream.get_final_run().status == "completed"

    weather = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, tool_choice={"type": "function", "function": {"name": "get_weather"}},
        thread={"messages": [{"role": "user", "content": "Weather in Madrid?"}]})
    assert weather.status == "requires_action"
    call = weather.required_action.submit_tool_outputs.tool_calls[0]
    done = openai_client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=weather.id, thread_id=weather.thread_id,
        tool_outputs=[{"tool_call_id": call.id, "output": "sunny, 25 C"}])
    assert done.status == "completed"
    listed = openai_client.beta.threads.runs.list(thread_id=thread.id)
    assert len(listed.data) == 2


def test_a_run_cut_off_by_a_server_stop_fails_on_restart(tmp_path, contract):
    from jupyter_api_kit.local import start_local_server

    first = start_local_server(db=tmp_path / "local.db", data_dir=tmp_path)
    rec = contract.recorder()
    c = recording_client(first, rec)
    first.app.state.timing.run_step = 5.0
    a = c.assistants.create(model="local-ngram")
    thread = new_thread(c)
    run = c.threads.runs.create(thread.id, assistant_id=a.id)
    c.close()
    first.stop()  # the run was still queued

    second = start_local_server(db=tmp_path / "local.db", data_dir=tmp_path)
    try:
        c = recording_client(second, rec)
        run = c.threads.runs.retrieve(run.id, thread_id=thread.id)
        assert run.status == "failed" and "stopped" in run.last_error.message
        assert c.threads.messages.create(thread.id, role="user", content="again").role == "user"
        assert c.threads.runs.create_and_poll(thread.id, assistant_id=a.id, progress=False,
                                              timeout=30).status == "completed"
        rec.assert_clean()
    finally:
        second.stop()
