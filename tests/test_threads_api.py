"""Threads and messages (ten operations) and the remembered-threads list: our client and the
`openai` package against the local server over real HTTP, checked against the shared OpenAPI file."""

from __future__ import annotations

import json

import pytest
import requests

from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError
from jupyter_api_kit.client.thread_registry import ThreadRegistry
from tests.threads_support import openai_client, tag  # noqa: F401  (fixture)

OPERATIONS = {"createThread", "getThread", "modifyThread", "deleteThread", "listMessages", "createMessage",
              "getMessage", "modifyMessage", "deleteMessage"}


def test_thread_and_message_operations(client, recorder, contract):
    label = tag()
    thread = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"},
                                             {"role": "assistant", "content": "A ball of ice and dust."}],
                                   metadata={"lesson": label})
    assert thread.object == "thread" and thread.id.startswith("thread_") and thread.metadata == {"lesson": label}
    assert client.threads.retrieve(thread.id) == thread
    assert client.threads.update(thread.id, metadata={"lesson": label, "week": "3"}).metadata["week"] == "3"

    parts = [{"type": "text", "text": "And a meteor?"},
             {"type": "image_url", "image_url": {"url": "https://example.invalid/meteor.png"}}]
    message = client.threads.messages.create(thread.id, role="user", content=parts, metadata={"n": "3"})
    contract.validate_schema("MessageObject", message)
    assert message.thread_id == thread.id and message.status == "completed" and message.run_id is None
    assert message.content[0].text.value == "And a meteor?" and message.content[1].type == "image_url"

    listed = client.threads.messages.list(thread.id, order="asc")
    assert [m.role for m in listed.data] == ["user", "assistant", "user"]
    assert [m.content[0].text.value for m in listed.data][:2] == ["What is a comet?", "A ball of ice and dust."]
    assert client.threads.messages.list(thread.id).data[0].id == message.id  # newest first by default

    got = client.threads.messages.retrieve(message.id, thread_id=thread.id)
    assert got == message
    changed = client.threads.messages.update(message.id, thread_id=thread.id, metadata={"n": "4"})
    assert changed.metadata == {"n": "4"} and changed.content == message.content

    gone = client.threads.messages.delete(message.id, thread_id=thread.id)
    assert gone.deleted is True and gone.object == "thread.message.deleted"
    assert len(client.threads.messages.list(thread.id).data) == 2

    deleted = client.threads.delete(thread.id)
    assert deleted.object == "thread.deleted" and deleted.deleted is True
    with pytest.raises(NotFoundError):
        client.threads.retrieve(thread.id)
    with pytest.raises(NotFoundError):
        client.threads.messages.list(thread.id)
    assert OPERATIONS <= recorder.operation_ids


def test_message_paging(client):
    thread = client.threads.create()
    made = [client.threads.messages.create(thread.id, role="user", content=f"note {i}").id for i in range(5)]
    first = client.threads.messages.list(thread.id, order="asc", limit=2)
    assert [m.id for m in first.data] == made[:2] and first.has_more and first.last_id == made[1]
    assert [m.id for m in first] == made  # iteration follows every page
    assert [m.id for m in client.threads.messages.list(thread.id, order="asc", before=made[3]).data] == made[:3]
    tail = client.threads.messages.list(thread.id, order="desc", before=made[2], limit=10)
    assert [m.id for m in tail.data] == [made[4], made[3]]


def test_messages_of_another_thread_are_404(client):
    a, b = client.threads.create(), client.threads.create()
    message = client.threads.messages.create(a.id, role="user", content="mine")
    with pytest.raises(NotFoundError) as err:
        client.threads.messages.retrieve(message.id, thread_id=b.id)
    assert message.id in str(err.value)
    with pytest.raises(NotFoundError):
        client.threads.messages.update(message.id, thread_id=b.id, metadata={"x": "y"})
    with pytest.raises(NotFoundError):
        client.threads.messages.delete(message.id, thread_id=b.id)
    assert client.threads.messages.retrieve(message.id, thread_id=a.id).metadata == {}
    with pytest.raises(NotFoundError):
        client.threads.messages.create("thread_missing", role="user", content="hi")


@pytest.mark.parametrize("path, body, param", [
    ("threads", {"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
    ("threads", {"messages": [{"role": "user"}]}, "messages[0].content"),
    ("threads", {"messages": [{"role": "user", "content": []}]}, "messages[0].content"),
    ("threads", {"metadata": {"k" * 65: "v"}}, None),
    ("threads", {"tool_resources": {"file_search": {"vector_store_ids": ["a", "b"]}}},
     "tool_resources.file_search.vector_store_ids"),
    ("threads", {"title": "x"}, "title"),
])
def test_bad_thread_bodies_are_400_and_write_nothing(server, path, body, param):
    before = server.store.one("SELECT count(*) FROM threads")[0]
    r = requests.post(f"{server.base_url}/{path}", json=body, timeout=10, headers=server.headers)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    if param:
        assert error["param"] == param
    assert "\n" not in error["message"]
    assert server.store.one("SELECT count(*) FROM threads")[0] == before  # nothing half-written


def test_client_checks_before_sending(client):
    with pytest.raises(InvalidInputError):
        client.threads.create(metadata={"a": 1})
    thread = client.threads.create()
    with pytest.raises(InvalidInputError):
        client.threads.messages.create(thread.id, role="system", content="x")
    with pytest.raises(InvalidInputError):
        client.threads.messages.update("msg_x", thread_id=thread.id, metadata={"v" * 70: "x"})


def test_known_threads_are_remembered_per_server_and_forget_deleted(client, server, tmp_path):
    from jupyter_api_kit.client import Client

    made = client.threads.create(metadata={"topic": "known"})
    known_ids = [t.id for t in client.threads.known()]
    assert made.id in known_ids
    assert client.threads.registry.key == server.base_url
    # Deleted elsewhere (raw HTTP, another tool): the next check drops it.
    requests.delete(f"{server.base_url}/threads/{made.id}", timeout=10, headers=server.headers)
    assert made.id in client.threads.registry.ids()
    assert made.id not in [t.id for t in client.threads.known()]
    assert made.id not in client.threads.registry.ids()

    # A thread made elsewhere is remembered once given; a client of another server does not see it.
    other = requests.post(f"{server.base_url}/threads", json={"metadata": {"by": "curl"}}, timeout=10, headers=server.headers).json()
    client.threads.remember(other["id"])
    assert other["id"] in [t.id for t in client.threads.known()]
    elsewhere = Client(base_url="http://127.0.0.1:9/v1", max_retries=0)
    assert other["id"] not in elsewhere.threads.registry.ids()
    frame = client.threads.known_frame()
    assert "metadata.by" in frame.columns
    assert client.threads.forget(other["id"]) and other["id"] not in client.threads.registry.ids()

    # The file lives in the user data directory and survives a damaged copy.
    registry = ThreadRegistry("x", path=tmp_path / "threads.json")
    (tmp_path / "threads.json").write_text("{not json")
    registry.remember("thread_1")
    assert json.loads((tmp_path / "threads.json").read_text())["servers"]["x"][0]["id"] == "thread_1"


def test_delete_forgets_and_unknown_thread_delete_is_404(client):
    thread = client.threads.create()
    client.threads.delete(thread.id)
    assert thread.id not in client.threads.registry.ids()
    with pytest.raises(NotFoundError):
        client.threads.delete(thread.id)


def test_message_create_is_refused_while_a_run_is_active(fresh_server, contract):
    from tests.threads_support import recording_client

    rec = contract.recorder()
    c = recording_client(fresh_server, rec)
    fresh_server.app.state.timing.run_step = 0.3
    assistant = c.assistants.create(model="local-ngram")
    thread = c.threads.create(messages=[{"role": "user", "content": "Tell me about stars"}])
    run = c.threads.runs.create(thread.id, assistant_id=assistant.id)
    with pytest.raises(BadRequestError) as err:
        c.threads.messages.create(thread.id, role="user", content="too soon")
    assert run.id in str(err.value) and "active" in str(err.value)
    assert len(c.threads.messages.list(thread.id).data) == 1  # nothing half-written
    fresh_server.app.state.timing.run_step = 0.0
    c.threads.runs.poll(run.id, thread_id=thread.id, timeout=20, progress=False)
    assert c.threads.messages.create(thread.id, role="user", content="now").role == "user"
    rec.assert_clean()


def test_openai_package_drives_threads_and_messages(openai_client):
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "Hello"}],
                                               metadata={"via": "openai"})
    assert openai_client.beta.threads.retrieve(thread.id).metadata == {"via": "openai"}
    assert openai_client.beta.threads.update(thread.id, metadata={"via": "sdk"}).metadata == {"via": "sdk"}
    msg = openai_client.beta.threads.messages.create(thread.id, role="user", content="Second")
    listed = openai_client.beta.threads.messages.list(thread.id, order="asc")
    assert [m.content[0].text.value for m in listed.data] == ["Hello", "Second"]
    assert openai_client.beta.threads.messages.retrieve(msg.id, thread_id=thread.id).id == msg.id
    assert openai_client.beta.threads.messages.update(msg.id, thread_id=thread.id, metadata={"a": "b"}).metadata == {
        "a": "b"}
    assert openai_client.beta.threads.messages.delete(msg.id, thread_id=thread.id).deleted is True
    assert openai_client.beta.threads.delete(thread.id).deleted is True


def test_user_messages_have_empty_attachments_as_the_api_gives(openai_client):
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "Hello"}])
    created = openai_client.beta.threads.messages.create(thread.id, role="user", content="Second")
    listed = openai_client.beta.threads.messages.list(thread.id, order="asc").data
    assert created.attachments == [] and [m.attachments for m in listed] == [[], []]
    with_file = openai_client.beta.threads.messages.create(thread.id, role="user", content="See the file", attachments=[
        {"file_id": "file-abc", "tools": [{"type": "file_search"}]}])
    assert [a.file_id for a in with_file.attachments] == ["file-abc"]


@pytest.mark.parametrize("assistant_model, run_model", [("gpt-4o-mini", None), ("local-ngram", "gpt-4.1")])
def test_run_model_is_the_one_asked_for_and_its_steps_name_the_local_model(openai_client, assistant_model,
                                                                            run_model):
    """The API echoes the requested model in `run.model`; the local model that answered any name is
    named in the metadata of the run's steps (chat names it in `model`, which a run keeps as asked)."""
    assistant = openai_client.beta.assistants.create(model=assistant_model, instructions="Be brief.")
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
    extra = {"model": run_model} if run_model else {}
    run = openai_client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                          poll_interval_ms=20, **extra)
    asked = run_model or assistant_model
    assert run.status == "completed" and run.model == asked
    assert openai_client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).model == asked
    steps = openai_client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert [s.type for s in steps] == ["message_creation"] and steps[0].metadata == {"served_by": "local-ngram"}
    chat = openai_client.chat.completions.create(model=asked, messages=[{"role": "user", "content": "Hi"}],
                                                 max_completion_tokens=3)
    assert chat.model == steps[0].metadata["served_by"]
    reply = openai_client.beta.threads.messages.list(thread.id, run_id=run.id).data[0]
    assert reply.role == "assistant" and reply.attachments == [] and reply.content[0].text.value
