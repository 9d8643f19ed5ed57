"""The `file_search` tool in Assistants, driven with the official `openai` package over HTTP, every
exchange (and every streamed event) checked against the OpenAPI description: vector stores given
to assistants and threads (or made by the `vector_stores` helper), searched during a run as a
`tool_calls` step whose `file_search` call carries its results, and the answer drawing on the found
text. `code_interpreter` stays refused."""

from __future__ import annotations

import pytest
import requests

from tests.test_vector_store_documents import make_pdf
from tests.threads_support import WEATHER_TOOL, openai_client  # noqa: F401 (fixture)

openai = pytest.importorskip("openai")

CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
# Facts the local model cannot know from its own text: an answer naming them read the file.
STATION = [["Maintenance log of Zorblax station.",
            "The docking ports of Zorblax station are maintained by the engineer Quillontree."],
           ["Supplies arrive every ninth day."]]


@pytest.fixture(scope="module")
def station_store(server):
    """A vector store holding the station's PDF log, processed."""
    from tests.threads_support import openai_for

    sdk = openai_for(server, None, [])
    uploaded = sdk.files.create(file=("station.pdf", make_pdf(*STATION)), purpose="assistants")
    store = sdk.vector_stores.create(name="station")
    sdk.vector_stores.files.create_and_poll(file_id=uploaded.id, vector_store_id=store.id, poll_interval_ms=20)
    return store.id, uploaded.id


def ask(sdk, assistant_id: str, question: str, **run_options):
    thread = sdk.beta.threads.create(messages=[{"role": "user", "content": question}])
    run = sdk.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant_id, poll_interval_ms=20,
                                                **run_options)
    return thread, run


def searches(sdk, thread_id: str, run_id: str, **options) -> list:
    steps = sdk.beta.threads.runs.steps.list(run_id, thread_id=thread_id, order="asc", **options).data
    return [c for s in steps if s.type == "tool_calls" for c in s.step_details.tool_calls if c.type == "file_search"]


def reply(sdk, thread_id: str, run_id: str) -> str:
    return sdk.beta.threads.messages.list(thread_id, run_id=run_id).data[0].content[0].text.value


def test_a_run_searches_the_assistant_s_store_and_answers_from_it(openai_client, station_store, server, contract):
    sdk = openai_client
    vsid, file_id = station_store
    # Temperature 0 throughout where the answer's words are checked: sampled answers may shorten a sentence.
    assistant = sdk.beta.assistants.create(model="gpt-4o", instructions="Answer from the station's files.",
                                           tools=[{"type": "file_search"}], temperature=0,
                                           tool_resources={"file_search": {"vector_store_ids": [vsid]}})
    assert assistant.tools[0].type == "file_search"
    assert assistant.tool_resources.file_search.vector_store_ids == [vsid]
    before = server.store.one("SELECT count(*) AS n FROM usage_records WHERE kind = 'file_search_calls'")["n"]

    thread, run = ask(sdk, assistant.id, "Who maintains the docking ports of Zorblax station?")
    assert run.status == "completed" and run.tools[0].type == "file_search"
    steps = sdk.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].status == "completed"
    call = steps[0].step_details.tool_calls[0]
    assert call.type == "file_search" and call.id.startswith("call_")
    hit = call.file_search.results[0]
    assert (hit.file_id, hit.file_name) == (file_id, "station.pdf") and 0 < hit.score <= 1
    assert hit.content is None  # only on request
    assert "Quillontree" in reply(sdk, thread.id, run.id)  # the answer draws on the found text

    [with_text] = searches(sdk, thread.id, run.id, include=[CONTENT])
    assert "maintained by the engineer Quillontree" in with_text.file_search.results[0].content[0].text
    one = sdk.beta.threads.runs.steps.retrieve(steps[0].id, thread_id=thread.id, run_id=run.id, include=[CONTENT])
    assert one.step_details.tool_calls[0].file_search.results[0].content[0].type == "text"
    contract.validate_schema("RunStepObject", one.model_dump(exclude_unset=True))
    after = server.store.one("SELECT count(*) AS n FROM usage_records WHERE kind = 'file_search_calls'")["n"]
    assert after == before + 1


def test_auto_searches_only_for_a_question_about_the_files(openai_client, station_store):
    sdk = openai_client
    assistant = sdk.beta.assistants.create(model="local-ngram", tools=[{"type": "file_search"}, WEATHER_TOOL],
                                           tool_resources={"file_search": {"vector_store_ids": [station_store[0]]}})
    thread, run = ask(sdk, assistant.id, "Tell me a story about a friendly dog.")
    assert run.status == "completed" and searches(sdk, thread.id, run.id) == []
    thread, run = ask(sdk, assistant.id, "What is the weather in Oslo in celsius?")
    assert run.status == "requires_action" and searches(sdk, thread.id, run.id) == []  # a function fits better
    sdk.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    thread, run = ask(sdk, assistant.id, "Who maintains the docking ports?", tool_choice="none")
    assert run.status == "completed" and searches(sdk, thread.id, run.id) == []
    thread, run = ask(sdk, assistant.id, "Tell me a story about a friendly dog.", tool_choice={"type": "file_search"})
    assert run.status == "completed" and len(searches(sdk, thread.id, run.id)) == 1  # told to search: it does


def test_thread_vector_stores_helper_and_streamed_run(openai_client, contract):
    sdk = openai_client
    page = b"<html><body><script>var port = 0;</script><p>The greenhouse on deck four grows saffron.</p></body></html>"
    uploaded = sdk.files.create(file=("deck.html", page), purpose="assistants")
    options = {"max_num_results": 2, "ranking_options": {"ranker": "auto", "score_threshold": 0.0}}
    assistant = sdk.beta.assistants.create(model="local-ngram", temperature=0,
                                           tools=[{"type": "file_search", "file_search": options}])
    thread = sdk.beta.threads.create(
        messages=[{"role": "user", "content": "What does the greenhouse on deck four grow?"}],
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [uploaded.id],
                                                           "metadata": {"made": "by the thread"}}]}})
    [vsid] = thread.tool_resources.file_search.vector_store_ids
    assert sdk.vector_stores.retrieve(vsid).metadata == {"made": "by the thread"}

    # The run waits for the new store's files, so it needs no polling of the store first.
    with sdk.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id,
                                      include=[CONTENT]) as stream:
        events = [(e.event, e.data.model_dump(exclude_unset=True)) for e in stream]
    for name, data in events:
        contract.validate_schema("AssistantStreamEvent", {"event": name, "data": data})
    names = [n for n, _ in events]
    assert names.index("thread.run.step.created") < names.index("thread.run.step.completed") \
        < names.index("thread.message.created") and names[-1] == "thread.run.completed"
    searched = next(d for n, d in events if n == "thread.run.step.completed" and d["type"] == "tool_calls")
    assert searched["step_details"]["tool_calls"][0]["file_search"]["results"][0]["file_name"] == "deck.html"
    text = "".join(d["delta"]["content"][0]["text"]["value"] for n, d in events if n == "thread.message.delta")
    assert "saffron" in text


def test_create_and_run_with_a_new_store(openai_client, station_store):
    sdk = openai_client
    uploaded = sdk.files.create(file=("station.pdf", make_pdf(*STATION)), purpose="assistants")
    assistant = sdk.beta.assistants.create(model="local-ngram", tools=[{"type": "file_search"}], temperature=0)
    run = sdk.beta.threads.create_and_run_poll(assistant_id=assistant.id, poll_interval_ms=20, thread={
        "messages": [{"role": "user", "content": "How often do supplies arrive at the station?"}],
        "tool_resources": {"file_search": {"vector_stores": [{"file_ids": [uploaded.id]}]}}})
    assert run.status == "completed"
    [call] = searches(sdk, run.thread_id, run.id)
    assert call.file_search.results[0].file_id == uploaded.id
    assert "ninth day" in reply(sdk, run.thread_id, run.id)


@pytest.mark.parametrize("path, body, param, words", [
    ("/assistants", {"model": "local-ngram", "tools": [{"type": "code_interpreter"}]},
     "tools[0].type", "cannot run 'code_interpreter'"),
    ("/assistants", {"model": "local-ngram",
                     "tools": [{"type": "file_search", "file_search": {"max_num_results": 51}}]},
     "tools[0].file_search.max_num_results", "51"),
    ("/threads", {"tool_resources": {"file_search": {"vector_stores": [{"file_ids": [7]}]}}},
     "tool_resources.file_search.vector_stores[0].file_ids[0]", "file id"),
    ("/threads", {"tool_resources": {"file_search": {"vector_store_ids": ["vs_1"], "vector_stores": [{}]}}},
     "tool_resources.file_search", "at most one vector store"),
    ("/threads/thread_x", {"tool_resources": {"file_search": {"vector_stores": [{}]}}},
     "tool_resources.file_search.vector_stores", "only when an assistant or a thread is created"),
])
def test_bad_file_search_settings_are_one_line_400s(server, contract, path, body, param, words):
    # Sent as raw HTTP: some of these bodies break the description, which the SDK's checked client refuses.
    answer = requests.post(server.base_url + path, json=body, timeout=30, headers=server.headers)
    assert answer.status_code == 400
    contract.validate_body("POST", path, answer.json(), 400)
    error = answer.json()["error"]
    assert error["param"] == param and words in error["message"] and "\n" not in error["message"]


def test_refusals_of_tool_choice_and_missing_files(openai_client):
    sdk = openai_client
    plain = sdk.beta.assistants.create(model="local-ngram", tools=[WEATHER_TOOL])
    thread = sdk.beta.threads.create(messages=[{"role": "user", "content": "Hello"}])
    with pytest.raises(openai.BadRequestError) as err:
        sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=plain.id, tool_choice={"type": "file_search"})
    assert err.value.body["param"] == "tool_choice.type" and "file_search tool" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        sdk.beta.threads.runs.create(thread_id=thread.id, assistant_id=plain.id,
                                     tool_choice={"type": "code_interpreter"})
    assert err.value.body["param"] == "tool_choice.type"
    stores = len(sdk.vector_stores.list(limit=100).data)
    with pytest.raises(openai.NotFoundError) as err:
        sdk.beta.assistants.create(model="local-ngram", tools=[{"type": "file_search"}], tool_resources={
            "file_search": {"vector_stores": [{"file_ids": ["file-missing"]}]}})
    assert err.value.body["param"] == "tool_resources.file_search.vector_stores[0].file_ids[0]"
    assert len(sdk.vector_stores.list(limit=100).data) == stores  # nothing was made
