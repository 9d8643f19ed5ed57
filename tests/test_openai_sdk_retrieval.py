"""The official `openai` package against `jupyter-api-kit serve` (its own process): files, vector stores
with batches and search, embeddings, moderations, responses (chained, streamed, background) and legacy
completions, with every JSON response body checked against the shared OpenAPI description."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.serve_support import serve_process

openai = pytest.importorskip("openai")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`jupyter-api-kit serve` on a free port, its files under a temporary data directory."""
    data_dir = tmp_path_factory.mktemp("served")
    with serve_process(data_dir) as server:
        yield server, data_dir


@pytest.fixture()
def sdk(served, contract_or_none):
    checked = []

    def check(response: httpx.Response):
        media = response.headers.get("content-type", "")
        if not media.startswith("application/json"):
            return  # streams (checked event by event) and file downloads
        response.read()
        sent_json = response.request.headers.get("content-type", "").startswith("application/json")
        request = json.loads(response.request.content or b"{}") if sent_json else {}  # uploads stream
        if request.get("encoding_format") == "base64" and response.status_code == 200:
            return  # the description types `embedding` as numbers only; base64 is checked in its own test
        if contract_or_none is not None:
            contract_or_none.validate_body(response.request.method, response.request.url.path,
                                           response.json(), response.status_code)
        checked.append((response.request.method, response.request.url.path))

    http = httpx.Client(event_hooks={"response": [check]})
    client = openai.OpenAI(base_url=served[0].base_url, api_key=served[0].api_key, http_client=http, max_retries=0)
    client.checked = checked
    yield client
    http.close()


NOTES = {"mars.md": ("space", "Mars has two small moons, Phobos and Deimos."),
         "titan.md": ("space", "Titan is the largest moon of Saturn and has lakes of methane."),
         "bread.md": ("cooking", "Bread is made from flour, water, salt and yeast.")}


def test_files_vector_stores_and_search(sdk, served):
    uploaded = {name: sdk.files.create(file=(name, text.encode()), purpose="assistants")
                for name, (_, text) in NOTES.items()}
    assert (served[1] / "files" / uploaded["mars.md"].id).exists()  # stored under its id, in the data dir
    assert sdk.files.content(uploaded["mars.md"].id).content == NOTES["mars.md"][1].encode()
    assert {f.id for f in sdk.files.list(purpose="assistants")} >= {f.id for f in uploaded.values()}

    store = sdk.vector_stores.create(name="served", expires_after={"anchor": "last_active_at", "days": 1})
    batch = sdk.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, poll_interval_ms=50,
        files=[{"file_id": uploaded[n].id, "attributes": {"topic": topic}} for n, (topic, _) in NOTES.items()])
    assert batch.status == "completed" and batch.file_counts.completed == 3
    hits = list(sdk.vector_stores.search(store.id, query="moons of Mars", max_num_results=2))
    assert hits[0].filename == "mars.md" and 0 < hits[0].score <= 1
    cooking = list(sdk.vector_stores.search(store.id, query="moons",
                                            filters={"type": "eq", "key": "topic", "value": "cooking"}))
    assert [h.filename for h in cooking] == ["bread.md"]
    either = list(sdk.vector_stores.search(store.id, query="moon", filters={"type": "or", "filters": [
        {"type": "eq", "key": "topic", "value": "space"}, {"type": "eq", "key": "topic", "value": "none"}]}))
    assert {h.filename for h in either} == {"mars.md", "titan.md"}

    answer = sdk.responses.create(model="local-ngram", input="Which moon has lakes?", max_output_tokens=40,
                                  tools=[{"type": "file_search", "vector_store_ids": [store.id]}],
                                  include=["file_search_call.results"])
    assert answer.output[0].type == "file_search_call" and answer.output[0].results[0].filename == "titan.md"

    sdk.files.delete(uploaded["bread.md"].id)
    assert sdk.vector_stores.retrieve(store.id).file_counts.total == 2
    assert sdk.vector_stores.delete(store.id).deleted
    assert len(sdk.checked) > 10


def test_embeddings_moderations_and_completions(sdk):
    floats = sdk.embeddings.create(model="local-embed", input=["moons", "bread"], encoding_format="float",
                                   dimensions=32)
    assert [len(d.embedding) for d in floats.data] == [32, 32]
    packed = sdk.embeddings.create(model="local-embed", input=["moons", "bread"], dimensions=32)  # base64
    assert [round(x, 5) for x in packed.data[0].embedding] == [round(x, 5) for x in floats.data[0].embedding]
    flagged = sdk.moderations.create(input=["hello", "I will kill you"])
    assert [r.flagged for r in flagged.results] == [False, True]
    legacy = sdk.completions.create(model="local-ngram", prompt="The moon", max_tokens=8, logprobs=2, seed=1)
    assert len(legacy.choices[0].logprobs.tokens) == legacy.usage.completion_tokens
    streamed = "".join(c.choices[0].text for c in sdk.completions.create(
        model="local-ngram", prompt="The moon", max_tokens=8, seed=1, stream=True) if c.choices)
    assert streamed == sdk.completions.create(model="local-ngram", prompt="The moon", max_tokens=8,
                                              seed=1).choices[0].text


def test_responses_chained_streamed_and_background(sdk):
    first = sdk.responses.create(model="local-ngram", input="Remember Zorblax.", max_output_tokens=20)
    second = sdk.responses.create(model="local-ngram", input="What did I say?", previous_response_id=first.id,
                                  max_output_tokens=20)
    assert second.usage.input_tokens > sdk.responses.input_tokens.count(
        model="local-ngram", input="What did I say?").input_tokens
    with sdk.responses.stream(model="local-ngram", input="Tell me about Mars.") as stream:
        deltas = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert deltas == final.output_text
    queued = sdk.responses.create(model="local-ngram", input="Hi", background=True, max_output_tokens=16)
    assert queued.status == "queued"
    while queued.status in ("queued", "in_progress"):
        time.sleep(0.05)
        queued = sdk.responses.retrieve(queued.id)
    assert queued.status in ("completed", "incomplete")


def test_bad_input_is_a_clear_4xx(sdk):
    store = sdk.vector_stores.create(name="bad")
    with pytest.raises(openai.NotFoundError) as unknown:
        sdk.vector_stores.files.create(vector_store_id=store.id, file_id="file-does-not-exist")
    assert "file-does-not-exist" in unknown.value.message
    with pytest.raises(openai.BadRequestError) as empty:
        sdk.files.create(file=("empty.txt", b""), purpose="assistants")
    assert empty.value.body["param"] == "file"
    with pytest.raises(openai.BadRequestError) as dims:
        sdk.embeddings.create(model="local-embed", input="x", dimensions=100_000)
    assert dims.value.body["param"] == "dimensions"
    with pytest.raises(openai.BadRequestError) as bad_filter:
        sdk.vector_stores.search(store.id, query="x", filters={"type": "between", "key": "year", "value": 1})
    assert bad_filter.value.body["param"] == "filters.type"
