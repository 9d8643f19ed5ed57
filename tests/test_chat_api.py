"""Chat completions, all six operations: the client against the local server over real HTTP.

The `client` fixture validates every request and response against the shared OpenAPI file.
"""

from __future__ import annotations

import math
import uuid

import pytest

from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError

USER = [{"role": "user", "content": "Tell me about the planets and the moon."}]


def tag() -> str:
    return uuid.uuid4().hex[:8]


def test_create_shape_usage_and_model(client):
    c = client.chat.completions.create(model="local-ngram", messages=USER, seed=7, max_completion_tokens=40)
    assert c.object == "chat.completion" and c.id.startswith("chatcmpl-")
    assert c.model == "local-ngram"
    assert c.request_id and c.request_id.startswith("req_")
    message = c.choices[0].message
    assert message.role == "assistant" and message.content
    assert c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens
    assert 0 < c.usage.completion_tokens <= 40


def test_unknown_model_is_answered_by_the_default_local_model(client):
    c = client.chat.completions.create(model="gpt-4o", messages=USER, max_completion_tokens=5)
    assert c.model == "local-ngram"


def test_seed_makes_output_reproducible_and_n_gives_distinct_choices(client):
    args = dict(model="local-ngram", messages=USER, seed=42, n=3, temperature=1.2, max_completion_tokens=30)
    first = client.chat.completions.create(**args)
    second = client.chat.completions.create(**args)
    texts = [ch.message.content for ch in first.choices]
    assert texts == [ch.message.content for ch in second.choices]
    assert [ch.index for ch in first.choices] == [0, 1, 2]
    assert len(set(texts)) > 1


def test_logprobs_are_real_probabilities(client):
    c = client.chat.completions.create(model="local-ngram", messages=USER, seed=3, logprobs=True, top_logprobs=5,
                                       max_completion_tokens=25)
    content = c.choices[0].logprobs.content
    assert "".join(t.token for t in content) == c.choices[0].message.content
    for entry in content:
        assert entry.logprob <= 0
        assert bytes(entry.bytes).decode("utf-8") == entry.token
        tops = [t.logprob for t in entry.top_logprobs]
        assert len(tops) == 5 and tops == sorted(tops, reverse=True)
        assert sum(math.exp(x) for x in tops) <= 1 + 1e-9
        if entry.token in [t.token for t in entry.top_logprobs]:
            match = next(t for t in entry.top_logprobs if t.token == entry.token)
            assert match.logprob == pytest.approx(entry.logprob)


def test_temperature_zero_is_greedy(client):
    a = client.chat.completions.create(model="local-ngram", messages=USER, temperature=0, max_completion_tokens=20,
                                       logprobs=True, top_logprobs=1)
    for entry in a.choices[0].logprobs.content:
        assert entry.token == entry.top_logprobs[0].token


def test_max_tokens_gives_length_and_stop_sequences_cut(client):
    c = client.chat.completions.create(model="local-ngram", messages=USER, seed=1, max_completion_tokens=3)
    assert c.choices[0].finish_reason == "length" and c.usage.completion_tokens == 3
    full = client.chat.completions.create(model="local-ngram", messages=USER, seed=5, max_completion_tokens=60)
    words = full.choices[0].message.content.split()
    stop = words[len(words) // 2]
    cut = client.chat.completions.create(model="local-ngram", messages=USER, seed=5, max_completion_tokens=60,
                                         stop=[stop])
    assert stop not in cut.choices[0].message.content
    assert cut.choices[0].finish_reason == "stop"
    assert full.choices[0].message.content.startswith(cut.choices[0].message.content)


def test_streaming_chunks_and_usage(client, contract):
    stream = client.chat.completions.create(model="local-ngram", messages=USER, seed=9, stream=True,
                                            stream_options={"include_usage": True}, logprobs=True)
    chunks = list(stream)
    for chunk in chunks:
        contract.validate_schema("CreateChatCompletionStreamResponse", chunk)
    text = "".join(ch.choices[0].delta.get("content") or "" for ch in chunks if ch.choices)
    plain = client.chat.completions.create(model="local-ngram", messages=USER, seed=9)
    assert text == plain.choices[0].message.content
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    assert stream.request_id.startswith("req_")


def test_store_retrieve_update_list_messages_delete(client):
    label = tag()
    c = client.chat.completions.create(model="local-ngram", messages=USER, store=True, max_completion_tokens=10,
                                       metadata={"run": label, "topic": "space"})
    got = client.chat.completions.retrieve(c.id)
    assert got.id == c.id and got.metadata == {"run": label, "topic": "space"}
    assert got.choices[0].message.content == c.choices[0].message.content

    updated = client.chat.completions.update(c.id, metadata={"run": label, "topic": "moon"})
    assert updated.metadata == {"run": label, "topic": "moon"}
    assert client.chat.completions.retrieve(c.id).metadata["topic"] == "moon"

    found = client.chat.completions.list(metadata={"run": label, "topic": "moon"})
    assert [x.id for x in found.data] == [c.id]
    assert client.chat.completions.list(metadata={"run": label, "topic": "space"}).data == []

    messages = client.chat.completions.messages.list(c.id)
    assert [(m.role, m.content) for m in messages.data] == [("user", USER[0]["content"])]
    assert messages.data[0].id

    deleted = client.chat.completions.delete(c.id)
    assert deleted.deleted is True and deleted.object == "chat.completion.deleted"
    with pytest.raises(NotFoundError):
        client.chat.completions.retrieve(c.id)


def test_list_pages_lazily_in_order_and_filters_by_model(client):
    label = tag()
    ids = [client.chat.completions.create(model="local-ngram", messages=USER, store=True, max_completion_tokens=2,
                                          metadata={"batch": label}).id for _ in range(5)]
    page = client.chat.completions.list(metadata={"batch": label}, limit=2)
    assert len(page.data) == 2 and page.has_more and page.first_id == ids[0] and page.last_id == ids[1]
    assert [x.id for x in page] == ids
    assert len(list(page.iter_pages())) == 3
    desc = client.chat.completions.list(metadata={"batch": label}, order="desc", limit=10)
    assert [x.id for x in desc.data] == ids[::-1]
    assert client.chat.completions.list(metadata={"batch": label}, model="no-such-model").data == []
    frame = page.to_frame(all_pages=True)
    assert list(frame["id"]) == ids and set(frame["metadata.batch"]) == {label}


@pytest.mark.parametrize("metadata, fragment", [
    ({f"k{i}": "v" for i in range(17)}, "17 pairs"),
    ({"k" * 65: "v"}, "65 characters"),
    ({"key": "v" * 513}, "513 characters"),
    ({"key": 5}, "values must be strings"),
])
def test_bad_metadata_is_refused_before_sending(client, metadata, fragment):
    sent = []
    client.transport.session.hooks["response"].append(lambda r, *a, **k: sent.append(r))
    with pytest.raises(InvalidInputError) as info:
        client.chat.completions.update("chatcmpl-any", metadata=metadata)
    assert fragment in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(InvalidInputError):
        client.chat.completions.create(model="local-ngram", messages=USER, store=True, metadata=metadata)
    assert sent == []


@pytest.mark.parametrize("metadata", [
    {f"k{i}": "v" for i in range(17)}, {"k" * 65: "v"}, {"key": "v" * 513}, {"key": 5}, ["not", "a", "map"],
])
def test_server_refuses_bad_metadata_with_400(server, metadata):
    import requests

    created = requests.post(f"{server.base_url}/chat/completions", json={
        "model": "local-ngram", "messages": USER, "store": True, "max_completion_tokens": 2}, headers=server.headers).json()
    for url, body in ((f"{server.base_url}/chat/completions/{created['id']}", {"metadata": metadata}),
                      (f"{server.base_url}/chat/completions", {"model": "local-ngram", "messages": USER,
                                                               "metadata": metadata})):
        r = requests.post(url, json=body, headers=server.headers)
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["type"] == "invalid_request_error" and err["param"].startswith("metadata") and err["message"]
    assert requests.get(f"{server.base_url}/chat/completions/{created['id']}", headers=server.headers).json()["metadata"] == {}


def test_unknown_ids_are_404(client):
    for call in (lambda: client.chat.completions.retrieve("chatcmpl-nope"),
                 lambda: client.chat.completions.update("chatcmpl-nope", metadata={"a": "b"}),
                 lambda: client.chat.completions.delete("chatcmpl-nope"),
                 lambda: client.chat.completions.messages.list("chatcmpl-nope")):
        with pytest.raises(NotFoundError) as info:
            call()
        assert info.value.request_id and "chatcmpl-nope" in info.value.message


@pytest.mark.parametrize("body, param", [
    ({"messages": USER}, "model"),
    ({"model": "local-ngram"}, "messages"),
    ({"model": "local-ngram", "messages": "hi"}, "messages"),
    ({"model": "local-ngram", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    ({"model": "local-ngram", "messages": USER, "n": 0}, "n"),
    ({"model": "local-ngram", "messages": USER, "temperature": 3}, "temperature"),
    ({"model": "local-ngram", "messages": USER, "top_logprobs": 3}, "top_logprobs"),
    ({"model": "local-ngram", "messages": USER, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ({"model": "local-ngram", "messages": USER, "stream_options": {"include_usage": True}}, "stream_options"),
    ({"model": "local-ngram", "messages": USER, "tool_choice": "sometimes"}, "tool_choice"),
])
def test_invalid_parameters_are_400_naming_the_parameter(server, body, param):
    import requests

    r = requests.post(f"{server.base_url}/chat/completions", json=body, headers=server.headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_garbage_bodies_never_500(server):
    import requests

    for raw in (b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"model": 1, "messages": [1]}'):
        r = requests.post(f"{server.base_url}/chat/completions", data=raw,
                          headers={**server.headers, "content-type": "application/json"})
        assert r.status_code == 400, (raw, r.text)
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}


def test_forced_tool_call_has_schema_valid_arguments(client):
    import json

    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1,
                                                                             "maximum": 7}},
        "required": ["city", "days"]}}}]
    c = client.chat.completions.create(model="local-ngram", tools=tools, seed=1,
                                       tool_choice={"type": "function", "function": {"name": "get_weather"}},
                                       messages=[{"role": "user", "content": "Weather in Lisbon please"}])
    call = c.choices[0].message.tool_calls[0]
    args = json.loads(call.function.arguments)
    assert call.function.name == "get_weather" and args["city"] == "Lisbon" and 1 <= args["days"] <= 7
    assert c.choices[0].finish_reason == "tool_calls"


def test_models_list_and_retrieve(client):
    ids = [m.id for m in client.models.list().data]
    assert "local-ngram" in ids
    assert client.models.retrieve("local-ngram").object == "model"
    with pytest.raises(NotFoundError):
        client.models.retrieve("nope")


def test_cached_tokens_on_a_follow_up_turn(client):
    first = client.chat.completions.create(model="local-ngram", messages=USER, seed=2, max_completion_tokens=8)
    follow = USER + [{"role": "assistant", "content": first.choices[0].message.content},
                     {"role": "user", "content": "And the sun?"}]
    second = client.chat.completions.create(model="local-ngram", messages=follow, seed=2, max_completion_tokens=8)
    assert 0 < second.usage.prompt_tokens_details.cached_tokens < second.usage.prompt_tokens


def test_bad_request_error_carries_param_and_request_id(client, recorder):
    with pytest.raises(BadRequestError) as info:
        client.chat.completions.create(model="local-ngram", messages=USER, n=0)
    # The request was invalid on purpose, so the contract check rightly flagged it.
    assert any("n: 0" in v for v in map(str, recorder.violations))
    recorder.clear()
    err = info.value
    assert err.param == "n" and err.request_id.startswith("req_") and err.status == 400


def test_metadata_filter_matches_keys_with_quotes_and_dots(client):
    label = tag()
    odd = {'say "hi"': label, "a.b": label}
    c = client.chat.completions.create(model="local-ngram", messages=USER, store=True, max_completion_tokens=2,
                                       metadata=odd)
    assert [x.id for x in client.chat.completions.list(metadata={'say "hi"': label}).data] == [c.id]
    assert [x.id for x in client.chat.completions.list(metadata={"a.b": label}).data] == [c.id]


@pytest.mark.parametrize("response_format", [
    {"type": "json_object"},
    {"type": "json_schema", "json_schema": {"name": "fact", "schema": {
        "type": "object", "properties": {"fact": {"type": "string"}, "stars": {"type": "integer"}},
        "required": ["fact", "stars"]}}},
])
def test_json_response_formats_are_json_streamed_or_not(client, response_format):
    import json

    args = dict(model="local-ngram", messages=USER, seed=8, response_format=response_format)
    plain = json.loads(client.chat.completions.create(**args).choices[0].message.content)
    chunks = list(client.chat.completions.create(**args, stream=True))
    streamed = json.loads("".join(c.choices[0].delta.get("content") or "" for c in chunks if c.choices))
    assert streamed == plain and isinstance(plain, dict)
    if response_format["type"] == "json_schema":
        assert isinstance(plain["fact"], str) and isinstance(plain["stars"], int)
