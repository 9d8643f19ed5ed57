"""Conversations through our client against the local server, every exchange checked against the
contract: items of every kind, paging both ways, `include`, metadata, and responses that read and
extend a conversation (plain, streamed, in the background); on a server without the Assistants API,
`client.threads` and friends fail with one line naming the Conversations way."""

from __future__ import annotations

import pytest
import requests

from jupyter_api_kit.client import Client
from jupyter_api_kit.errors import AssistantsUnavailableError, BadRequestError, InvalidInputError, NotFoundError
from jupyter_api_kit.local import start_local_server


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def test_conversation_lifecycle_and_items(client, recorder):
    conversations = client.conversations
    conv = conversations.create(items="Saturn has rings.", metadata={"topic": "planets"})
    assert conv.object == "conversation" and conv.metadata == {"topic": "planets"}
    call = {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": '{"planet": "Saturn"}'}
    added = conversations.items.create(conv.id, items=[
        user("How many rings?"), call, {"type": "function_call_output", "call_id": "call_1", "output": "7 groups"},
        {"role": "assistant", "content": "Seven main groups."}])
    assert [i.type for i in added.data] == ["message", "function_call", "function_call_output", "message"]
    assert added.data[3].content[0].type == "output_text" and added.data[1].status == "completed"

    first_page = conversations.items.list(conv.id, order="asc", limit=2)
    assert len(first_page) == 2 and first_page.has_more and first_page.first_id == first_page.data[0].id
    oldest_first = [i.id for i in first_page]  # iterating walks the following pages
    newest_first = [i.id for i in conversations.items.list(conv.id, limit=3)]
    assert len(oldest_first) == 5 and newest_first == oldest_first[::-1]
    after_second = conversations.items.list(conv.id, order="asc", after=oldest_first[1])
    assert [i.id for i in after_second.data] == oldest_first[2:]

    assert conversations.items.retrieve(added.data[1].id, conversation_id=conv.id).name == "lookup"
    assert conversations.items.delete(added.data[0].id, conversation_id=conv.id).id == conv.id
    with pytest.raises(NotFoundError):
        conversations.items.retrieve(added.data[0].id, conversation_id=conv.id)
    assert conversations.update(conv.id, metadata={"topic": "rings"}).metadata == {"topic": "rings"}
    assert conversations.retrieve(conv.id).metadata == {"topic": "rings"}
    assert conversations.update(conv.id, metadata=None).metadata == {}  # null clears, as the API documents
    conversations.update(conv.id, metadata={"topic": "rings"})
    frame = conversations.items.list(conv.id, order="asc").to_frame()
    assert list(frame["type"]) == ["message", "function_call", "function_call_output", "message"]

    assert conversations.delete(conv.id).deleted
    with pytest.raises(NotFoundError):
        conversations.retrieve(conv.id)
    with pytest.raises(NotFoundError):
        conversations.items.list(conv.id)
    # The API keeps a deleted conversation's items: a response can still refer to one.
    referred = client.responses.create(model="local-ngram", max_output_tokens=16,
                                       input=[{"type": "item_reference", "id": added.data[3].id}, user("Go on")])
    assert referred.status in ("completed", "incomplete")
    assert {"createConversation", "createConversationItems", "listConversationItems", "getConversationItem",
            "deleteConversationItem", "updateConversation", "getConversation",
            "deleteConversation"} <= recorder.operation_ids


def test_responses_read_and_extend_the_conversation(client):
    conv = client.conversations.create(items=[user("Remember: the comet is called Tempel.")])
    before = client.responses.input_tokens.count(model="local-ngram", input="Its name?").input_tokens
    during = client.responses.input_tokens.count(model="local-ngram", input="Its name?",
                                                 conversation=conv.id).input_tokens
    assert during > before  # the conversation's items are read before the input

    plain = client.responses.create(model="local-ngram", input="Its name?", conversation=conv.id,
                                    max_output_tokens=16)
    assert plain.conversation == {"id": conv.id}
    with client.responses.create(model="local-ngram", input="And its orbit?", conversation=conv.id,
                                 max_output_tokens=16, stream=True) as events:
        streamed = events.until_done()
    queued = client.responses.create(model="local-ngram", input="Thanks.", conversation={"id": conv.id},
                                     max_output_tokens=16, background=True)
    background = client.responses.poll(queued.id, timeout=60)
    assert background.status in ("completed", "incomplete")

    items = list(client.conversations.items.list(conv.id, order="asc"))
    texts = [(i.role, i.content[0].text) for i in items]
    assert [t for t in texts if t[0] == "user"] == [("user", "Remember: the comet is called Tempel."),
                                                    ("user", "Its name?"), ("user", "And its orbit?"),
                                                    ("user", "Thanks.")]
    answers = [i.id for i in items if i.role == "assistant"]
    assert answers == [plain.output[-1].id, streamed.output[-1].id, background.output[-1].id]
    # Each turn read everything before it: input tokens grow turn by turn.
    assert plain.usage.input_tokens < streamed.usage.input_tokens < background.usage.input_tokens


def test_include_shows_file_search_results_and_logprobs_only_when_asked(client):
    answer = client.responses.create(model="local-ngram", input="Hello", max_output_tokens=16,
                                     include=["message.output_text.logprobs"], top_logprobs=1,
                                     conversation=client.conversations.create().id)
    conv_id = answer.conversation["id"]
    plain = client.conversations.items.list(conv_id, order="asc").data[-1]
    shown = client.conversations.items.list(conv_id, order="asc", include=["message.output_text.logprobs"]).data[-1]
    assert plain.content[0].logprobs == [] and len(shown.content[0].logprobs) == answer.usage.output_tokens


def test_bad_input_is_refused_before_sending_or_named_by_the_server(client, server):
    with pytest.raises(InvalidInputError, match="at most 20"):
        client.conversations.create(items=[user("x")] * 21)
    with pytest.raises(InvalidInputError, match="metadata"):
        client.conversations.create(metadata={"topic": 3})
    with pytest.raises(InvalidInputError, match="order"):
        client.conversations.items.list("conv_x", order="up")
    conv = client.conversations.create()
    with pytest.raises(BadRequestError) as info:
        client.conversations.items.create(conv.id, items=[{"type": "reasoning", "id": "rs_1", "summary": []}])
    assert info.value.param == "items[0].type"
    with pytest.raises(BadRequestError) as info:
        client.conversations.items.list(conv.id, after="msg_not_here")
    assert info.value.param == "after"
    assert client.conversations.items.list(conv.id).data == []  # nothing was stored

    base = server.base_url
    for body, param in (({"metadata": {"topic": 3}}, "metadata.topic"), ({"items": "Hello"}, "items"),
                        ({"colour": "red"}, "colour"), ({"items": [{"role": "user"}]}, "items[0].content")):
        r = requests.post(f"{base}/conversations", json=body, timeout=30, headers=server.headers)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
    for body in ({}, {"metadata": []}):
        r = requests.post(f"{base}/conversations/{conv.id}", json=body, timeout=30, headers=server.headers)
        assert r.status_code == 400 and r.json()["error"]["param"] == "metadata", r.text
    r = requests.get(f"{base}/conversations/{conv.id}/items", params={"limit": "many"}, timeout=30, headers=server.headers)
    assert r.json()["error"]["message"] == "Invalid type for 'limit': expected an integer, got 'many'."


def test_client_threads_without_the_assistants_api_name_the_conversations_way(tmp_path, contract):
    with start_local_server(db=tmp_path / "local.db", data_dir=tmp_path, assistants=False) as bare:
        rec = contract.recorder()
        with Client(base_url=bare.base_url, api_key=bare.api_key, max_retries=0) as client:
            client.transport.session.hooks["response"].append(rec)
            for call in (lambda: client.threads.create(), lambda: client.threads.retrieve("thread_1"),
                         lambda: client.assistants.list(), lambda: client.threads.runs.list("thread_1"),
                         lambda: client.threads.messages.list("thread_1")):
                with pytest.raises(AssistantsUnavailableError) as info:
                    call()
                line = info.value.one_line()
                assert "\n" not in line and "client.conversations" in line and "2026-08-26" in line
                assert isinstance(info.value, NotFoundError) and info.value.status == 404
            assert client.conversations.create().object == "conversation"  # the way it names works
        rec.assert_clean()


def test_a_missing_thread_on_a_server_with_assistants_stays_a_plain_404(client):
    with pytest.raises(NotFoundError) as info:
        client.threads.retrieve("thread_missing")
    assert not isinstance(info.value, AssistantsUnavailableError)
