"""The official `openai` package drives the sixteen operations of Conversations and of the
organization's users and invites against `jupyter-api-kit serve` (its own process), every request
and JSON response checked against the contract; responses read and extend conversations; a server
started with `--no-assistants` answers Assistants calls as OpenAI does since the sunset."""

from __future__ import annotations

import pytest

from tests.serve_support import checked_http, serve_process

openai = pytest.importorskip("openai")

ADMIN_KEY = "sk-admin-sdk-conversations"
CONVERSATION_OPS = {"createConversation", "getConversation", "updateConversation", "deleteConversation",
                    "createConversationItems", "listConversationItems", "getConversationItem",
                    "deleteConversationItem"}
ORGANIZATION_OPS = {"list-users", "retrieve-user", "modify-user", "delete-user", "list-invites", "inviteUser",
                    "retrieve-invite", "delete-invite"}


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with serve_process(tmp_path_factory.mktemp("conversations"), "--admin-key", ADMIN_KEY) as served:
        yield served


def _sdk(served, contract, *, requests_too: bool = True):
    checked = []
    http = checked_http(contract, checked, requests_too=requests_too)
    client = openai.OpenAI(base_url=served.base_url, api_key=served.api_key, admin_api_key=ADMIN_KEY, http_client=http,
                           max_retries=0)
    client.checked = checked
    return client, http


@pytest.fixture()
def sdk(url, contract):
    client, http = _sdk(url, contract)
    yield client
    http.close()


def operations(contract, checked) -> set[str]:
    return {contract.operation_id(method, path) for method, path, status in checked if status == 200}


def user_says(text: str) -> dict:
    return {"type": "message", "role": "user", "content": text}


def test_conversations_and_their_items(sdk, contract):
    conv = sdk.conversations.create(metadata={"lesson": "moons"}, items=[user_says("Mars has two moons.")])
    assert conv.id.startswith("conv_") and conv.metadata == {"lesson": "moons"}
    assert sdk.conversations.retrieve(conv.id).created_at == conv.created_at
    assert sdk.conversations.update(conv.id, metadata={"lesson": "rings"}).metadata == {"lesson": "rings"}

    # A response in the conversation reads its items and appends its own input and output.
    with_context = sdk.responses.input_tokens.count(model="local-ngram", input="And Jupiter?", conversation=conv.id)
    alone = sdk.responses.input_tokens.count(model="local-ngram", input="And Jupiter?")
    assert with_context.input_tokens > alone.input_tokens
    answer = sdk.responses.create(model="local-ngram", input="How many moons has Mars?", conversation=conv.id,
                                  max_output_tokens=20, include=["message.output_text.logprobs"], top_logprobs=2)
    assert answer.conversation.id == conv.id and answer.usage.input_tokens > alone.input_tokens
    added = sdk.conversations.items.create(conv.id, items=[user_says("Thanks!"), user_says("One more?")])
    assert [item.content[0].text for item in added.data] == ["Thanks!", "One more?"]

    # Pages of two, walked forwards and backwards: every item once, in creation order.
    forwards = list(sdk.conversations.items.list(conv.id, order="asc", limit=2))
    backwards = list(sdk.conversations.items.list(conv.id, order="desc", limit=2))
    assert [(i.type, i.role) for i in forwards] == [("message", "user"), ("message", "user"),
                                                      ("message", "assistant"), ("message", "user"),
                                                      ("message", "user")]
    assert [i.id for i in backwards] == [i.id for i in reversed(forwards)]
    assert forwards[2].id == answer.output[-1].id

    # `include` shows the logprobs stored with the answer; without it they are left out.
    reply = answer.output[-1].id
    assert sdk.conversations.items.retrieve(reply, conversation_id=conv.id).content[0].logprobs == []
    included = sdk.conversations.items.retrieve(reply, conversation_id=conv.id,
                                                include=["message.output_text.logprobs"])
    assert len(included.content[0].logprobs) == answer.usage.output_tokens
    assert sdk.conversations.items.delete(added.data[1].id, conversation_id=conv.id).id == conv.id
    assert len(list(sdk.conversations.items.list(conv.id))) == 4

    # A later turn in the same conversation, streamed; its items join too.
    with sdk.responses.stream(model="local-ngram", input="Tell me about Phobos.", conversation={"id": conv.id},
                              max_output_tokens=16) as stream:
        final = [e.response for e in stream if e.type in ("response.completed", "response.incomplete")][-1]
    assert final.conversation.id == conv.id
    newest = sdk.conversations.items.list(conv.id, limit=2).data
    assert newest[0].id == final.output[-1].id and newest[1].content[0].text == "Tell me about Phobos."

    assert sdk.conversations.delete(conv.id).deleted
    with pytest.raises(openai.NotFoundError):
        sdk.conversations.retrieve(conv.id)
    assert operations(contract, sdk.checked) >= CONVERSATION_OPS


@pytest.fixture()
def lenient_sdk(url, contract):
    """The package with only the answers checked: its requests break the contract on purpose."""
    client, http = _sdk(url, contract, requests_too=False)
    yield client
    http.close()


def test_conversation_errors_are_clear_400s_and_404s(lenient_sdk):
    sdk = lenient_sdk
    with pytest.raises(openai.BadRequestError) as info:
        sdk.conversations.create(items=[{"type": "message", "role": "robot", "content": "Hi"}])
    assert info.value.body["param"] == "items[0].role"
    with pytest.raises(openai.BadRequestError) as info:
        sdk.conversations.create(metadata={"topic": "x" * 513})
    assert info.value.body["param"] == "metadata"
    conv = sdk.conversations.create()
    with pytest.raises(openai.BadRequestError) as info:
        sdk.responses.create(model="local-ngram", input="Hi", conversation=conv.id, previous_response_id="resp_x")
    assert info.value.body["param"] == "conversation"
    with pytest.raises(openai.NotFoundError) as info:
        sdk.responses.create(model="local-ngram", input="Hi", conversation="conv_missing")
    assert info.value.body["param"] == "conversation"
    with pytest.raises(openai.NotFoundError):
        sdk.conversations.items.retrieve("msg_missing", conversation_id=conv.id)
    with pytest.raises(openai.BadRequestError) as info:
        sdk.conversations.items.list(conv.id, limit=101)
    assert info.value.body["param"] == "limit"


def test_organization_users_and_invites(sdk, contract):
    org = sdk.admin.organization
    owner = next(u for u in org.users.list() if u.email == "owner@localhost")
    assert owner.role == "owner" and org.users.retrieve(owner.id).id == owner.id

    # A person joins the organization through a project; the project then takes their listed id.
    first = org.projects.create(name="Moons")
    second = org.projects.create(name="Rings")
    org.projects.users.create(first.id, email="ada@example.org", role="member")
    ada = org.users.list(emails=["ada@example.org"]).data[0]
    assert ada.role == "reader"
    assert org.projects.users.create(second.id, user_id=ada.id, role="owner").id == ada.id
    assert org.users.update(ada.id, role="owner").role == "owner"
    with pytest.raises(openai.BadRequestError):
        org.users.update(ada.id, role="admin")

    invite = org.invites.create(email="grace@example.org", role="reader",
                                projects=[{"id": first.id, "role": "member"}])
    assert invite.status == "pending" and invite.projects[0].id == first.id
    assert org.invites.retrieve(invite.id).email == "grace@example.org"
    assert invite.id in [i.id for i in org.invites.list()]
    with pytest.raises(openai.BadRequestError):
        org.invites.create(email="grace@example.org", role="reader")  # already invited
    assert org.invites.delete(invite.id).deleted

    assert org.users.delete(ada.id).deleted
    assert ada.id not in [u.id for u in org.projects.users.list(second.id)]
    with pytest.raises(openai.NotFoundError):
        org.users.retrieve(ada.id)
    events = {e.type for e in org.audit_logs.list(limit=50)}
    assert {"user.updated", "user.deleted", "invite.sent", "invite.deleted"} <= events
    assert operations(contract, sdk.checked) >= ORGANIZATION_OPS


@pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning", "ignore:deprecated")
def test_without_the_assistants_api_the_official_package_gets_a_404_naming_conversations(tmp_path, contract):
    with serve_process(tmp_path, "--admin-key", ADMIN_KEY, "--no-assistants") as served:
        client, http = _sdk(served, contract)
        with http:
            with pytest.raises(openai.NotFoundError) as info:
                client.beta.threads.create()
            assert "Conversations" in info.value.message and "2026-08-26" in info.value.message
            with pytest.raises(openai.NotFoundError):
                client.beta.assistants.list(limit=1)
            conv = client.conversations.create(items=[user_says("Still here?")])
            answer = client.responses.create(model="local-ngram", input="Yes?", conversation=conv.id,
                                             max_output_tokens=16)
            assert len(list(client.conversations.items.list(conv.id))) == 1 + 1 + len(answer.output)
