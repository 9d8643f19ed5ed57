"""Responses, all seven operations: create (plain, chained, streamed, background, with tools),
retrieve, delete, cancel, input items, input-token counts and compaction, over real HTTP."""

from __future__ import annotations

import json
import time

import pytest

from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError

ASK = "Tell me about the planets and their moons."


def text_of(response) -> str:
    return "".join(p.text for item in response.output if item.type == "message" for p in item.content)


def test_create_shape_usage_and_retrieve(client):
    r = client.responses.create(model="local-ngram", input=ASK, instructions="Answer briefly.",
                                metadata={"lesson": "1"}, temperature=0.8, max_output_tokens=40)
    assert r.object == "response" and r.id.startswith("resp_") and r.model == "local-ngram"
    assert r.status in ("completed", "incomplete") and r.error is None
    assert r.instructions == "Answer briefly." and r.metadata == {"lesson": "1"} and r.temperature == 0.8
    message = r.output[0]
    assert message.type == "message" and message.role == "assistant" and message.content[0].type == "output_text"
    assert r.output_text == text_of(r) and r.output_text
    assert 0 < r.usage.output_tokens <= 40
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    if r.status == "incomplete":
        assert r.incomplete_details.reason == "max_output_tokens" and message.status == "incomplete"
    assert client.responses.retrieve(r.id) == r


def test_input_token_count_matches_usage(client, server):
    import requests

    items = [{"role": "user", "content": "What is the red planet?"},
             {"role": "assistant", "content": "Mars."},
             {"role": "user", "content": "And its moons?"}]
    counted = client.responses.input_tokens.count(model="local-ngram", input=items, instructions="Be brief.")
    assert counted.object == "response.input_tokens"
    r = client.responses.create(model="local-ngram", input=items, instructions="Be brief.", max_output_tokens=16)
    assert r.usage.input_tokens == counted.input_tokens > 0
    # Content as a list of parts reads the same. (Sent without the recorder: the description's InputItem
    # matches such a message both as EasyInputMessage and as InputMessage, and only its discriminator,
    # which names no mapping, would tell them apart.)
    parts = items[:2] + [{"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": "And its moons?"}]}]
    same = requests.post(f"{server.base_url}/responses/input_tokens",
                         json={"model": "local-ngram", "input": parts, "instructions": "Be brief."}, headers=server.headers)
    assert same.json()["input_tokens"] == counted.input_tokens


def test_chaining_with_previous_response_id(client):
    first = client.responses.create(model="local-ngram", input="My favourite planet is Zorblax.", max_output_tokens=20)
    alone = client.responses.input_tokens.count(model="local-ngram", input="Which planet do I like?")
    chained = client.responses.input_tokens.count(model="local-ngram", input="Which planet do I like?",
                                                  previous_response_id=first.id)
    assert chained.input_tokens > alone.input_tokens  # the earlier turn is part of the context
    second = client.responses.create(model="local-ngram", input="Which planet do I like?",
                                     previous_response_id=first.id, max_output_tokens=20)
    assert second.previous_response_id == first.id and second.usage.input_tokens == chained.input_tokens
    third = client.responses.create(model="local-ngram", input="Say it again.", previous_response_id=second.id,
                                    max_output_tokens=16)
    assert third.usage.input_tokens > second.usage.input_tokens
    # only this response's own input is listed as its input items
    assert [i.content[0].text for i in client.responses.input_items.list(third.id)] == ["Say it again."]


def test_input_items_paging_and_references(client):
    items = [{"role": "user", "content": f"note {i}"} for i in range(5)]
    r = client.responses.create(model="local-ngram", input=items, max_output_tokens=16)
    page = client.responses.input_items.list(r.id, limit=2)
    assert len(page) == 2 and page.has_more and page.data[0].content[0].text == "note 4"  # newest first
    assert [i.content[0].text for i in client.responses.input_items.list(r.id, order="asc")] == \
        [f"note {i}" for i in range(5)]
    listed = client.responses.input_items.list(r.id, order="asc").data
    assert all(i.type == "message" and i.role == "user" and i.id.startswith("msg_") for i in listed)
    again = client.responses.create(model="local-ngram", max_output_tokens=16,
                                    input=[{"type": "item_reference", "id": listed[0].id},
                                           {"type": "item_reference", "id": r.output[0].id}])
    refs = client.responses.input_items.list(again.id, order="asc").data
    assert refs[0].content[0].text == "note 0" and refs[1].role == "assistant"


def test_store_false_and_delete(client):
    unstored = client.responses.create(model="local-ngram", input="Hi", store=False, max_output_tokens=16)
    assert unstored.store is False
    with pytest.raises(NotFoundError):
        client.responses.retrieve(unstored.id)
    with pytest.raises(NotFoundError):
        client.responses.create(model="local-ngram", input="x", previous_response_id=unstored.id)
    kept = client.responses.create(model="local-ngram", input="Hi", max_output_tokens=16)
    assert client.responses.delete(kept.id) == {"id": kept.id, "object": "response", "deleted": True}
    with pytest.raises(NotFoundError):
        client.responses.retrieve(kept.id)
    with pytest.raises(NotFoundError):
        client.responses.input_items.list(kept.id)


SCHEMA_OF_EVENT = {
    "response.created": "ResponseCreatedEvent", "response.in_progress": "ResponseInProgressEvent",
    "response.queued": "ResponseQueuedEvent",
    "response.output_item.added": "ResponseOutputItemAddedEvent",
    "response.content_part.added": "ResponseContentPartAddedEvent",
    "response.output_text.delta": "ResponseTextDeltaEvent", "response.output_text.done": "ResponseTextDoneEvent",
    "response.content_part.done": "ResponseContentPartDoneEvent",
    "response.output_item.done": "ResponseOutputItemDoneEvent", "response.completed": "ResponseCompletedEvent",
    "response.incomplete": "ResponseIncompleteEvent",
    "response.file_search_call.in_progress": "ResponseFileSearchCallInProgressEvent",
    "response.file_search_call.searching": "ResponseFileSearchCallSearchingEvent",
    "response.file_search_call.completed": "ResponseFileSearchCallCompletedEvent",
    "response.function_call_arguments.delta": "ResponseFunctionCallArgumentsDeltaEvent",
    "response.function_call_arguments.done": "ResponseFunctionCallArgumentsDoneEvent",
}


def test_streaming_events_follow_the_documented_sequence(client, contract):
    with client.responses.create(model="local-ngram", input=ASK, stream=True, max_output_tokens=30,
                                 include=["message.output_text.logprobs"], top_logprobs=2) as events:
        seen = list(events)
    kinds = [e.type for e in seen]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:-1] == ["response.output_text.done", "response.content_part.done", "response.output_item.done"]
    assert kinds[-1] in ("response.completed", "response.incomplete")
    assert set(kinds[4:-4]) == {"response.output_text.delta"}
    assert [e.sequence_number for e in seen] == list(range(len(seen)))
    assert all(e.event == e.type for e in seen)
    for event in seen:
        contract.validate_schema(SCHEMA_OF_EVENT[event.type], event)
    deltas = "".join(e.delta for e in seen if e.type == "response.output_text.delta")
    final = events.response
    assert deltas == events.text == final.output_text
    assert len(final.output[0].content[0].logprobs) == final.usage.output_tokens
    assert client.responses.retrieve(final.id).output_text == deltas


def test_background_runs_queued_to_completed(client):
    r = client.responses.create(model="local-ngram", input=ASK, background=True, max_output_tokens=20)
    assert r.status == "queued" and r.background is True and r.output == []
    done = client.responses.poll(r.id)
    assert done.status in ("completed", "incomplete") and done.output_text
    with pytest.raises(BadRequestError):
        client.responses.cancel(r.id)  # already finished
    plain = client.responses.create(model="local-ngram", input="Hi", max_output_tokens=16)
    with pytest.raises(BadRequestError) as err:
        client.responses.cancel(plain.id)
    assert "background" in str(err.value)


def test_cancel_a_background_response(fresh_server):
    from jupyter_api_kit.client import Client

    fresh_server.app.state.timing.response_step = 0.3
    with Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0) as c:
        r = c.responses.create(model="local-ngram", input=ASK, background=True)
        cancelled = c.responses.cancel(r.id)
        assert cancelled.status == "cancelled"
        assert c.responses.cancel(r.id).status == "cancelled"  # cancelling twice is harmless
        time.sleep(0.8)
        assert c.responses.retrieve(r.id).status == "cancelled"


def test_json_output_formats(client):
    r = client.responses.create(model="local-ngram", input=ASK, text={"format": {"type": "json_object"}},
                                max_output_tokens=20)
    assert isinstance(json.loads(r.output_text)["answer"], str)
    schema = {"type": "object", "properties": {"planet": {"type": "string"}, "moons": {"type": "integer"}},
              "required": ["planet", "moons"], "additionalProperties": False}
    s = client.responses.create(model="local-ngram", input=ASK, max_output_tokens=20,
                                text={"format": {"type": "json_schema", "name": "fact", "schema": schema}})
    value = json.loads(s.output_text)
    assert set(value) == {"planet", "moons"} and isinstance(value["moons"], int)
    assert s.text.format.type == "json_schema"


def test_function_tools(client):
    tool = {"type": "function", "name": "get_moons", "description": "Moons of a planet", "strict": True,
            "parameters": {"type": "object", "properties": {"planet": {"type": "string"}}, "required": ["planet"]}}
    called = client.responses.create(model="local-ngram", input="How many moons has Mars?", tools=[tool],
                                     tool_choice="required")
    call = called.output[0]
    assert call.type == "function_call" and call.name == "get_moons" and call.status == "completed"
    assert isinstance(json.loads(call.arguments)["planet"], str) and called.output_text == ""
    answer = client.responses.create(model="local-ngram", previous_response_id=called.id, tools=[tool],
                                     max_output_tokens=20,
                                     input=[{"type": "function_call_output", "call_id": call.call_id,
                                             "output": "Mars has two moons: Phobos and Deimos."}])
    assert answer.output[0].type == "message" and answer.output_text
    auto = client.responses.create(model="local-ngram", input="Hi", tools=[tool], max_output_tokens=16)
    assert auto.output[0].type == "message"


def test_file_search_tool_uses_vector_stores(client, server):
    files = [client.files.create(file=text.encode(), filename=name, purpose="assistants") for name, text in (
        ("phobos.md", "Phobos is the larger moon of Mars and orbits very close to the planet."),
        ("bread.md", "Bread needs flour, water, salt and yeast."))]
    vs = client.vector_stores.create(name="moons", file_ids=[f.id for f in files])
    while client.vector_stores.retrieve(vs.id).status == "in_progress":
        time.sleep(0.05)
    tool = {"type": "file_search", "vector_store_ids": [vs.id], "max_num_results": 1}
    searches = server.store.one("SELECT count(*) FROM usage_records WHERE kind = 'file_search_calls'")[0]
    r = client.responses.create(model="local-ngram", input="What is Phobos?", tools=[tool], max_output_tokens=30,
                                include=["file_search_call.results"])
    search, message = r.output
    assert search.type == "file_search_call" and search.status == "completed" and search.queries == ["phobos"]
    assert [x.filename for x in search.results] == ["phobos.md"] and "Mars" in search.results[0].text
    assert server.store.one("SELECT count(*) FROM usage_records WHERE kind = 'file_search_calls'")[0] == searches + 1
    citation = message.content[0].annotations[0]
    assert citation.type == "file_citation" and citation.file_id == files[0].id
    assert client.responses.retrieve(r.id).output[0].results is None  # results only when included
    assert client.responses.retrieve(r.id, include=["file_search_call.results"]).output[0].results
    with pytest.raises(NotFoundError):
        client.responses.create(model="local-ngram", input="x",
                                tools=[{"type": "file_search", "vector_store_ids": ["vs_nope"]}])


def test_compact_then_continue(client):
    first = client.responses.create(model="local-ngram", input="Remember the word Zorblax.", max_output_tokens=30)
    compacted = client.responses.compact(model="local-ngram", previous_response_id=first.id)
    assert compacted.object == "response.compaction" and compacted.id.startswith("cmp_")
    kinds = [item.type for item in compacted.output]
    assert kinds == ["message", "compaction"] and compacted.output[0].content[0].text == "Remember the word Zorblax."
    assert compacted.usage.output_tokens > 0
    # Kept messages go back as plain {"role", "content"} messages: echoed with content parts they would
    # match two InputItem branches of the description at once (the SDK test below sends them as they are).
    kept = [{"role": m.role, "content": m.content[0].text} for m in compacted.output if m.type == "message"]
    follow = client.responses.create(model="local-ngram", max_output_tokens=16,
                                     input=[*kept, compacted.output[-1], {"role": "user", "content": "What was it?"}])
    direct = client.responses.input_tokens.count(model="local-ngram", input="What was it?",
                                                 previous_response_id=first.id)
    assert follow.usage.input_tokens == direct.input_tokens  # the compaction stands for the same conversation
    with pytest.raises(BadRequestError):
        client.responses.create(model="local-ngram", input=[{"type": "compaction", "encrypted_content": "forged"}])


@pytest.mark.parametrize("body, param", [
    ({"model": "local-ngram"}, "input"),
    ({"input": "x"}, "model"),
    ({"model": "local-ngram", "input": "x", "max_output_tokens": 5}, "max_output_tokens"),
    ({"model": "local-ngram", "input": "x", "tools": [{"type": "web_search"}]}, "tools[0].type"),
    ({"model": "local-ngram", "input": "x", "tool_choice": "required"}, "tool_choice"),
    ({"model": "local-ngram", "input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]},
     "input[0].content[0].type"),
    ({"model": "local-ngram", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
    ({"model": "local-ngram", "input": [{"type": "reasoning"}]}, "input[0].type"),
    ({"model": "local-ngram", "input": "x", "conversation": 5}, "conversation"),
    ({"model": "local-ngram", "input": "x", "conversation": "conv_1", "previous_response_id": "resp_1"},
     "conversation"),
    ({"model": "local-ngram", "input": "x", "background": True, "store": False}, "background"),
    ({"model": "local-ngram", "input": "x", "text": {"format": {"type": "yaml"}}}, "text.format.type"),
    ({"model": "local-ngram", "input": "x", "colour": 1}, "colour"),
    ({"model": "local-ngram", "input": "x", "include": ["everything"]}, "include[0]"),
])
def test_bad_requests_are_clear_400s(server, body, param):
    import requests

    r = requests.post(f"{server.base_url}/responses", json=body, headers=server.headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_unknown_ids_and_client_checks(client, server):
    import requests

    r = requests.post(f"{server.base_url}/responses", json={"model": "local-ngram", "input": "x",
                                                            "previous_response_id": "resp_nope"}, headers=server.headers)
    assert r.status_code == 404 and r.json()["error"]["param"] == "previous_response_id"
    with pytest.raises(NotFoundError):
        client.responses.retrieve("resp_nope")
    with pytest.raises(InvalidInputError):
        client.responses.create(model="local-ngram")
    with pytest.raises(InvalidInputError):
        client.responses.compact(model="local-ngram")


def test_usage_is_recorded(server, client):
    before = server.store.one("SELECT coalesce(sum(output_tokens), 0) FROM usage_records WHERE kind = 'completions'")[0]
    r = client.responses.create(model="local-ngram", input="Hi", max_output_tokens=16)
    after = server.store.one("SELECT coalesce(sum(output_tokens), 0) FROM usage_records WHERE kind = 'completions'")[0]
    assert after - before == r.usage.output_tokens


def test_official_openai_package(server, contract):
    openai = pytest.importorskip("openai")
    oc = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    r = oc.responses.create(model="local-ngram", input=ASK, instructions="Be brief.", max_output_tokens=30)
    contract.validate_body("POST", "/responses", json.loads(r.model_dump_json(exclude_unset=True)))
    assert r.output_text
    chained = oc.responses.create(model="local-ngram", input="More please.", previous_response_id=r.id,
                                  max_output_tokens=20)
    assert chained.previous_response_id == r.id
    types = []
    with oc.responses.stream(model="local-ngram", input=ASK) as stream:  # no limit: it ends "completed"
        for event in stream:
            types.append(event.type)
        final = stream.get_final_response()
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert final.output_text
    bg = oc.responses.create(model="local-ngram", input=ASK, background=True, max_output_tokens=20)
    while bg.status in ("queued", "in_progress"):
        time.sleep(0.05)
        bg = oc.responses.retrieve(bg.id)
    assert bg.status in ("completed", "incomplete")
    items = oc.responses.input_items.list(chained.id)
    assert [i.type for i in items.data] == ["message"]
    assert oc.responses.input_tokens.count(model="local-ngram", input="Hello").input_tokens > 0
    compacted = oc.responses.compact(model="local-ngram", previous_response_id=chained.id)
    assert compacted.output[-1].type == "compaction"
    resumed = oc.responses.create(model="local-ngram", max_output_tokens=16,
                                  input=[*[i.model_dump(exclude_none=True, warnings=False) for i in compacted.output],
                                         {"role": "user", "content": "Go on."}])
    assert resumed.usage.input_tokens == oc.responses.input_tokens.count(
        model="local-ngram", input="Go on.", previous_response_id=chained.id).input_tokens
    oc.responses.delete(r.id)
    with pytest.raises(openai.NotFoundError):
        oc.responses.retrieve(r.id)


# --- %%chat --api responses ---------------------------------------------------------------------------

@pytest.fixture()
def shell(server, recorder, monkeypatch):
    """An IPython shell with the extension loaded, pointed at the test server; every exchange the
    magics make is checked against the contract."""
    import contextlib
    import io

    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_api_kit.magics import load_ipython_extension

    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
    sh = InteractiveShell.instance()
    sh.config.pop("ChatMagics", None)
    with contextlib.redirect_stdout(io.StringIO()):
        load_ipython_extension(sh)
    sh.magics_manager.registry["ChatMagics"].connection.client.transport.session.hooks["response"].append(recorder)
    yield sh
    sh.config.pop("ChatMagics", None)


def run_cell(sh, cell: str):
    import contextlib
    import io

    from IPython.core.displaypub import CapturingDisplayPublisher

    saved, sh.display_pub = sh.display_pub, CapturingDisplayPublisher()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = sh.run_cell(cell, store_history=False)
        return result.error_in_exec or result.error_before_exec, list(sh.display_pub.outputs)
    finally:
        sh.display_pub = saved


def test_chat_magic_through_the_responses_api(shell, client):
    error, shown = run_cell(shell, '%%chat --api responses --new -s "Answer briefly." --store -o r\n'
                                   'Tell me about the planets.\n')
    assert error is None
    r = shell.user_ns["r"]
    assert r.object == "response" and r.instructions == "Answer briefly." and r.output_text
    assert any(r.output_text in p["data"].get("text/markdown", "") for p in shown)
    assert any("stored as " + r.id in p["data"].get("text/plain", "") for p in shown)
    error, _ = run_cell(shell, "%%chat --api responses --store -o again\nAnd the moon?\n")
    assert error is None
    items = client.responses.input_items.list(shell.user_ns["again"].id, order="asc").data
    assert [(i.role, i.content[0].text) for i in items] == [
        ("user", "Tell me about the planets."), ("assistant", r.output_text), ("user", "And the moon?")]
    # the conversation is shared with plain %%chat: the next Chat Completions cell continues it
    chat = shell.magics_manager.registry["ChatMagics"]
    assert chat.messages[-1] == {"role": "assistant", "content": shell.user_ns["again"].output_text}


def test_chat_magic_responses_without_streaming_and_with_logprobs(shell):
    run_cell(shell, "%config ChatMagics.stream = False")
    error, shown = run_cell(shell, "%%chat --api responses --new --top-logprobs 2 --max-tokens 16 -o r\nHi\n")
    assert error is None and shell.user_ns["r"].store is False
    assert any("text/html" in p["data"] and "logprob" in p["data"]["text/html"] for p in shown)


@pytest.mark.parametrize("line, words", [
    ("--api responses -n 2", "-n is not available"),
    ("--api responses --seed 3", "--seed and --stop"),
    ("--api responses --max-tokens 5", "at least 16"),
    ("--api assistants", "invalid choice"),
])
def test_chat_magic_responses_refuses_options_it_cannot_honour(shell, line, words):
    from IPython.core.error import UsageError

    error, _ = run_cell(shell, f"%%chat {line}\nHi\n")
    assert isinstance(error, UsageError) and words in str(error)
