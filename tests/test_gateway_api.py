"""Gateway mode against a real engine: LiteLLM's proxy (its mock models) answers, the local server keeps
stored completions, metadata, usage, responses, runs and evals, and the local models still answer
by their names. Driven with the official `openai` package and the project's own client.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.upstream_engine import MOCK_ANSWER

pytestmark = pytest.mark.slow


@pytest.fixture()
def sdk(gateway_server):
    import openai

    client = openai.OpenAI(base_url=gateway_server.base_url, api_key=gateway_server.api_key, max_retries=0)
    yield client
    client.close()


@pytest.fixture()
def jak(gateway_server, recorder):
    """The project's client, its every exchange checked against the OpenAPI description."""
    from jupyter_api_kit.client import Client

    c = Client(base_url=gateway_server.base_url, api_key=gateway_server.api_key, max_retries=0)
    c.transport.session.hooks["response"].append(recorder)
    yield c
    c.close()


def _rows(server, sql, params=()):
    return [dict(r) for r in server.store.all(sql, params)]


def test_models_lists_the_upstreams_beside_the_local_ones(sdk):
    ids = [m.id for m in sdk.models.list()]
    assert {"local-ngram", "local-embed", "mock-gpt", "mock-embed", "fast"} <= set(ids)
    assert ids.index("local-ngram") < ids.index("mock-gpt")
    assert sdk.models.retrieve("mock-gpt").id == "mock-gpt"


def test_an_upstream_chat_completion_is_stored_with_metadata_and_edited(jak, gateway_server):
    made = jak.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": "Moons of Jupiter?"}],
                                       store=True, metadata={"topic": "jupiter"})
    assert made.choices[0].message.content == MOCK_ANSWER
    assert made.model == "mock-gpt" and made.id.startswith("chatcmpl-")
    listed = jak.chat.completions.list(metadata={"topic": "jupiter"}, model="mock-gpt")
    assert [c.id for c in listed] == [made.id]
    assert jak.chat.completions.update(made.id, metadata={"topic": "moons", "checked": "yes"}).metadata == {
        "topic": "moons", "checked": "yes"}
    assert jak.chat.completions.retrieve(made.id).choices[0].message.content == MOCK_ANSWER
    assert [m.content for m in jak.chat.completions.messages.list(made.id)] == ["Moons of Jupiter?"]
    jak.chat.completions.delete(made.id)
    assert _rows(gateway_server, "SELECT id FROM chat_completions WHERE id = ?", (made.id,)) == []


def test_a_streamed_upstream_completion_arrives_in_pieces_and_is_stored_whole(sdk, gateway_server):
    stream = sdk.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": "Hi"}],
                                         stream=True, store=True, metadata={"kind": "streamed"})
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 3 and "".join(pieces) == MOCK_ANSWER
    assert all(c.usage is None for c in chunks)  # not asked for: no usage chunk
    assert len({c.id for c in chunks}) == 1
    stored = sdk.chat.completions.retrieve(chunks[0].id)
    assert stored.choices[0].message.content == MOCK_ANSWER and stored.metadata == {"kind": "streamed"}
    assert stored.usage.completion_tokens > 0 and stored.choices[0].finish_reason == "stop"


def test_a_streamed_completion_sends_usage_only_when_asked(sdk):
    chunks = list(sdk.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": "Hi"}],
                                              stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0


def test_an_alias_is_sent_upstream_by_its_target_and_answers_by_its_own_name(sdk, gateway_server):
    made = sdk.chat.completions.create(model="fast", messages=[{"role": "user", "content": "Hi"}])
    assert made.model == "fast" and made.choices[0].message.content == MOCK_ANSWER


def test_local_models_still_answer_by_their_names(sdk):
    made = sdk.chat.completions.create(model="local-ngram", messages=[{"role": "user", "content": "Hi"}], seed=1,
                                       max_completion_tokens=8)
    assert made.model == "local-ngram" and made.choices[0].message.content != MOCK_ANSWER
    assert len(sdk.embeddings.create(model="local-embed", input="planets").data[0].embedding) == 512


def test_upstream_calls_are_recorded_as_usage(jak, gateway_server):
    before = _rows(gateway_server, "SELECT count(*) AS n, coalesce(sum(output_tokens), 0) AS out FROM usage_records "
                                   "WHERE model = 'mock-gpt'")[0]
    jak.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": "Usage?"}])
    after = _rows(gateway_server, "SELECT count(*) AS n, coalesce(sum(output_tokens), 0) AS out FROM usage_records "
                                  "WHERE model = 'mock-gpt'")[0]
    assert after["n"] == before["n"] + 1 and after["out"] > before["out"]
    admin = httpx.get(f"{gateway_server.base_url}/organization/usage/completions",
                      params={"start_time": int(time.time()) - 86400, "group_by": ["model"], "limit": 31},
                      headers={"Authorization": f"Bearer {gateway_server.admin_key}"}).json()
    models = {r["model"] for b in admin["data"] for r in b["results"]}
    assert "mock-gpt" in models


def test_legacy_completions_and_embeddings_come_from_the_upstream(sdk, gateway_server):
    text = sdk.completions.create(model="mock-gpt", prompt="Once", max_tokens=20)
    assert text.choices[0].text == MOCK_ANSWER and text.id.startswith("cmpl-")
    streamed = "".join(c.choices[0].text for c in sdk.completions.create(model="mock-gpt", prompt="Once", stream=True)
                       if c.choices)
    assert streamed == MOCK_ANSWER
    vector = sdk.embeddings.create(model="mock-embed", input="planets").data[0].embedding
    assert vector == [0.6, 0.0, 0.8]
    assert _rows(gateway_server, "SELECT kind FROM usage_records WHERE model = 'mock-embed'")[-1]["kind"] == "embeddings"


def test_responses_are_generated_upstream_and_kept_locally(sdk):
    first = sdk.responses.create(model="mock-gpt", input="Tell me about Jupiter", metadata={"topic": "jupiter"})
    assert first.output_text == MOCK_ANSWER and first.status == "completed"
    follow = sdk.responses.create(model="mock-gpt", input="And Ganymede?", previous_response_id=first.id)
    items = sdk.responses.input_items.list(follow.id)
    assert follow.output_text == MOCK_ANSWER and [i.content[0].text for i in items] == ["And Ganymede?"]
    assert sdk.responses.retrieve(first.id).metadata == {"topic": "jupiter"}
    deltas = [e.delta for e in sdk.responses.create(model="mock-gpt", input="Hi", stream=True)
              if e.type == "response.output_text.delta"]
    assert len(deltas) > 3 and "".join(deltas) == MOCK_ANSWER


def test_an_assistants_run_and_an_eval_run_sample_through_the_upstream(jak, sdk, gateway_server):
    assistant = jak.assistants.create(model="mock-gpt", name="Guide")
    thread = jak.threads.create(messages=[{"role": "user", "content": "Moons?"}])
    run = jak.threads.runs.create_and_poll(thread.id, assistant_id=assistant.id, interval=0.05)
    assert run.status == "completed"
    reply = jak.threads.messages.list(thread.id, order="desc").data[0]
    assert reply.content[0]["text"]["value"] == MOCK_ANSWER

    ev = jak.evals.create(name="moons", data_source_config={"type": "custom", "item_schema": {
        "type": "object", "properties": {"question": {"type": "string"}}}, "include_sample_schema": True},
        testing_criteria=[{"type": "string_check", "name": "mentions Ganymede", "input": "{{sample.output_text}}",
                           "operation": "ilike", "reference": "ganymede"}])
    run = sdk.evals.runs.create(ev.id, data_source={
        "type": "completions", "model": "mock-gpt",
        "source": {"type": "file_content", "content": [{"item": {"question": "Moons of Jupiter?"}}]},
        "input_messages": {"type": "template", "template": [{"role": "user", "content": "{{item.question}}"}]}})
    run = jak.evals.runs.wait(ev.id, run.id, poll_interval=0.05)
    assert run.status == "completed" and run.result_counts["passed"] == 1


def test_the_upstream_key_is_never_shown(gateway_server, upstream_engine, sdk, caplog):
    with caplog.at_level("DEBUG"):
        answers = [httpx.get(f"{gateway_server.base_url}/models", headers=gateway_server.headers),
                   httpx.post(f"{gateway_server.base_url}/chat/completions",
                              json={"model": "mock-rate-limited", "messages": [{"role": "user", "content": "x"}]}, headers=gateway_server.headers),
                   httpx.post(f"{gateway_server.base_url}/chat/completions",
                              json={"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}, headers=gateway_server.headers)]
    seen = "".join(a.text + json.dumps(dict(a.headers)) for a in answers) + caplog.text
    seen += repr(gateway_server.app.state.gateway)
    assert answers[1].status_code == 429 and answers[2].status_code >= 400
    assert upstream_engine.key not in seen


def test_vector_stores_embed_with_the_upstream_model_and_file_search_answers(sdk, gateway_server):
    import io

    uploaded = sdk.files.create(file=("moons.txt", io.BytesIO(b"Ganymede is the largest moon of Jupiter.")),
                                purpose="assistants")
    store = sdk.vector_stores.create(name="moons", file_ids=[uploaded.id])
    for _ in range(200):
        if sdk.vector_stores.retrieve(store.id).file_counts.completed == 1:
            break
        time.sleep(0.05)
    chunks = _rows(gateway_server, "SELECT embedding_model, length(embedding) AS size FROM vector_store_chunks "
                                   "WHERE vector_store_id = ?", (store.id,))
    assert chunks == [{"embedding_model": "mock-embed", "size": 4 * 3}]
    found = sdk.vector_stores.search(store.id, query="largest moon")
    assert [r.file_id for r in found] == [uploaded.id]
    answer = sdk.responses.create(model="mock-gpt", input="Which moon is largest?",
                                  tools=[{"type": "file_search", "vector_store_ids": [store.id]}])
    assert answer.output[0].type == "file_search_call" and answer.output_text == MOCK_ANSWER
    assert answer.output[1].content[0].annotations[0].file_id == uploaded.id


def test_the_completions_browser_edits_the_metadata_of_an_upstream_completion(jak, gateway_server):
    from jupyter_api_kit.widgets import CompletionsBrowser

    tag = f"browser-{time.time_ns()}"
    made = jak.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": "Moons of Jupiter?"}],
                                       store=True, metadata={"tag": tag, "topic": "moons"})
    browser = CompletionsBrowser(client=jak, model="mock-gpt", metadata={"tag": tag})
    assert browser.page_ids == [made.id]
    assert browser.select(made.id) and MOCK_ANSWER[:20] in browser._messages.value
    browser.editor.set_pair(1, "topic", "jupiter")
    browser.editor.add_pair("reviewed", "yes")
    browser.editor._save.click()
    assert jak.chat.completions.retrieve(made.id).metadata == {"tag": tag, "topic": "jupiter", "reviewed": "yes"}
    assert browser.status.startswith(f"Saved metadata of {made.id}")
    assert browser.apply_filters(model="mock-gpt", metadata=f"tag={tag}, reviewed=yes") and browser.page_ids == [made.id]
