"""Assistants, all five operations: our client and the `openai` package against the local server
over real HTTP, every exchange checked against the shared OpenAPI file."""

from __future__ import annotations

import pytest
import requests

from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError
from tests.threads_support import WEATHER_TOOL, openai_client, tag  # noqa: F401  (fixture)

OPERATIONS = {"listAssistants", "createAssistant", "getAssistant", "modifyAssistant", "deleteAssistant"}


def test_create_retrieve_update_list_delete(client, recorder, contract):
    label = tag()
    created = client.assistants.create(model="local-ngram", name="Tutor", description="Explains the sky",
                                       instructions="You explain astronomy simply.", tools=[WEATHER_TOOL],
                                       metadata={"course": label}, temperature=0.7, top_p=0.9)
    assert created.object == "assistant" and created.id.startswith("asst_")
    assert (created.name, created.model, created.temperature, created.top_p) == ("Tutor", "local-ngram", 0.7, 0.9)
    assert created.tools[0].function.name == "get_weather" and created.response_format == "auto"
    contract.validate_schema("AssistantObject", created)

    got = client.assistants.retrieve(created.id)
    assert got == created

    updated = client.assistants.update(created.id, instructions="Answer in one sentence.", metadata={"course": label,
                                                                                                    "v": "2"})
    assert updated.instructions == "Answer in one sentence." and updated.metadata == {"course": label, "v": "2"}
    assert updated.name == "Tutor" and updated.tools == created.tools  # untouched fields stay
    assert client.assistants.update(created.id, tools=[]).tools == []

    ids = [a.id for a in client.assistants.list(limit=100)]
    assert created.id in ids

    deleted = client.assistants.delete(created.id)
    assert deleted.deleted is True and deleted.object == "assistant.deleted" and deleted.id == created.id
    with pytest.raises(NotFoundError) as err:
        client.assistants.retrieve(created.id)
    assert created.id in str(err.value)
    assert OPERATIONS <= recorder.operation_ids


def test_list_pages_in_both_orders(client):
    made = [client.assistants.create(model="local-ngram", name=f"a{i}").id for i in range(5)]
    newest = client.assistants.list(limit=2)
    assert [a.id for a in newest.data] == made[:-3:-1] and newest.has_more
    second = newest.next_page()
    assert [a.id for a in second.data] == [made[2], made[1]]
    oldest_first = client.assistants.list(order="asc", after=made[0], limit=3)
    assert [a.id for a in oldest_first.data] == made[1:4]
    before = client.assistants.list(order="asc", before=made[3], limit=100)
    assert [a.id for a in before.data][-2:] == made[1:3]
    frame = client.assistants.list(limit=3).to_frame()
    assert list(frame["id"]) == made[:-4:-1]


def test_unknown_ids_and_refused_tools(client):
    with pytest.raises(NotFoundError):
        client.assistants.update("asst_missing", name="x")
    with pytest.raises(NotFoundError):
        client.assistants.delete("asst_missing")
    with pytest.raises(BadRequestError) as err:
        client.assistants.create(model="local-ngram", tools=[{"type": "code_interpreter"}])
    assert "cannot run 'code_interpreter'" in str(err.value) and err.value.param == "tools[0].type"
    with pytest.raises(BadRequestError) as err:  # file_search runs (see test_assistants_file_search), once
        client.assistants.create(model="local-ngram", tools=[{"type": "file_search"}, {"type": "file_search"}])
    assert "only one 'file_search' tool" in str(err.value) and err.value.param == "tools[1]"
    with pytest.raises(InvalidInputError):
        client.assistants.create(model="local-ngram", metadata={"k" * 65: "v"})  # refused before sending
    with pytest.raises(InvalidInputError):
        client.assistants.create(model="")


@pytest.mark.parametrize("body, param", [
    ({}, "model"),
    ({"model": "local-ngram", "name": "n" * 257}, "name"),
    ({"model": "local-ngram", "temperature": 3}, "temperature"),
    ({"model": "local-ngram", "metadata": {str(i): "v" for i in range(17)}}, "metadata"),
    ({"model": "local-ngram", "tools": [{"type": "function", "function": {"name": "bad name!"}}]},
     "tools[0].function.name"),
    ({"model": "local-ngram", "response_format": {"type": "xml"}}, "response_format.type"),
    ({"model": "local-ngram", "colour": "blue"}, "colour"),
])
def test_bad_bodies_are_one_line_400s(server, body, param):
    # Raw HTTP: these bodies break the contract on purpose, so no contract-checked client sends them.
    r = requests.post(f"{server.base_url}/assistants", json=body, timeout=10, headers=server.headers)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param and "\n" not in error["message"] and error["type"] == "invalid_request_error"


def test_modify_rejects_null_model_and_leaves_assistant_unchanged(server, client):
    a = client.assistants.create(model="local-ngram", name="keep")
    r = requests.post(f"{server.base_url}/assistants/{a.id}", json={"model": None, "name": "changed"}, timeout=10, headers=server.headers)
    assert r.status_code == 400 and r.json()["error"]["param"] == "model"
    assert client.assistants.retrieve(a.id).name == "keep"


def test_openai_package_drives_assistants(openai_client):
    created = openai_client.beta.assistants.create(model="local-ngram", name="SDK", instructions="Be brief.",
                                                   tools=[WEATHER_TOOL], metadata={"via": "openai"})
    assert created.id.startswith("asst_") and created.tools[0].function.name == "get_weather"
    assert openai_client.beta.assistants.retrieve(created.id).name == "SDK"
    assert openai_client.beta.assistants.update(created.id, name="SDK2").name == "SDK2"
    listed = openai_client.beta.assistants.list(limit=100)
    assert created.id in [a.id for a in listed.data]
    assert openai_client.beta.assistants.delete(created.id).deleted is True
