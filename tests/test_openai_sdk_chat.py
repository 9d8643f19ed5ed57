"""The official `openai` package against the local server: stored completions end to end, with every
response body checked against the shared OpenAPI description."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest


@pytest.fixture()
def sdk(server, contract_or_none):
    checked = []

    def check(response: httpx.Response):
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return
        response.read()
        if contract_or_none is not None:
            contract_or_none.validate_body(response.request.method, response.request.url.path,
                                           response.json(), response.status_code)
        checked.append(response.request.url.path)

    http = httpx.Client(event_hooks={"response": [check]})
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, http_client=http, max_retries=0)
    client.checked = checked
    yield client
    http.close()


def test_stored_completion_lifecycle_with_the_official_package(sdk):
    label = uuid.uuid4().hex[:8]
    messages = [{"role": "system", "content": "You answer briefly."},
                {"role": "user", "content": "What grows in a spring garden?"}]
    created = sdk.chat.completions.create(model="local-ngram", messages=messages, store=True, n=2, seed=11,
                                          logprobs=True, top_logprobs=3, max_completion_tokens=20,
                                          metadata={"run": label, "stage": "draft"})
    assert len(created.choices) == 2
    assert all(len(t.top_logprobs) == 3 for t in created.choices[0].logprobs.content)
    again = sdk.chat.completions.create(model="local-ngram", messages=messages, n=2, seed=11,
                                        max_completion_tokens=20)
    assert [c.message.content for c in again.choices] == [c.message.content for c in created.choices]

    listed = sdk.chat.completions.list(metadata={"run": label})
    assert [c.id for c in listed.data] == [created.id]

    updated = sdk.chat.completions.update(created.id, metadata={"run": label, "stage": "final"})
    assert updated.metadata == {"run": label, "stage": "final"}
    assert [c.id for c in sdk.chat.completions.list(metadata={"stage": "final", "run": label}).data] == [created.id]

    stored_messages = sdk.chat.completions.messages.list(created.id)
    assert [m.role for m in stored_messages.data] == ["system", "user"]

    deleted = sdk.chat.completions.delete(created.id)
    assert deleted.deleted
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.retrieve(created.id)
    assert len(sdk.checked) >= 7


def test_streaming_with_the_official_package(sdk, contract):
    stream = sdk.chat.completions.create(model="local-ngram", stream=True, seed=4,
                                         stream_options={"include_usage": True},
                                         messages=[{"role": "user", "content": "Say hello"}])
    chunks = list(stream)
    for chunk in chunks:
        contract.validate_schema("CreateChatCompletionStreamResponse", chunk.model_dump(exclude_unset=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text and chunks[-1].usage.completion_tokens > 0


def test_bad_metadata_is_a_400_for_the_official_package(sdk):
    created = sdk.chat.completions.create(model="local-ngram", store=True, max_completion_tokens=2,
                                          messages=[{"role": "user", "content": "hi"}])
    for metadata in ({f"k{i}": "v" for i in range(17)}, {"k" * 65: "v"}, {"k": "v" * 513}):
        with pytest.raises(openai.BadRequestError) as info:
            sdk.chat.completions.update(created.id, metadata=metadata)
        assert info.value.status_code == 400 and "metadata" in info.value.body["param"]
