"""Requests that break the API's request schemas are refused at the boundary, before a handler runs:
a 400 with the API's error object naming the parameter as a path, never a 500, and nothing stored.

These are the cases a property-based fuzzer driven by the OpenAPI description found; each is sent
over real HTTP to `jupyter-api-kit serve` (its own process). The description itself confirms each
request is invalid (so the test cannot pass against a server that is merely strict by accident) and
each error answer is checked against it.
"""

from __future__ import annotations

import pytest
import requests

from tests.contract import ContractViolation
from tests.serve_support import serve_process

ADMIN_KEY = "sk-admin-validation"
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.org/moon.png"}}


#: every request of this module goes through it, carrying the served process's key
SESSION = requests.Session()


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with serve_process(tmp_path_factory.mktemp("validation"), "--admin-key", ADMIN_KEY) as served:
        SESSION.headers["Authorization"] = f"Bearer {served.api_key}"
        yield served.base_url


def refused(contract, url: str, method: str, path: str, body=None, *, param: str, query=None) -> dict:
    """Send an invalid request: the description says it is invalid (for a body; its validator takes an
    empty query value for an empty list), the server answers 400 naming `param`."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"} if path.startswith("/organization") else {}
    request = SESSION.prepare_request(requests.Request(method, f"{url}{path}", json=body, params=query,
                                                       headers=headers))
    if body is not None:
        with pytest.raises(ContractViolation):
            contract.validate_request(request)
    r = SESSION.send(request, timeout=30)
    assert r.status_code == 400, r.text
    contract.validate_body(method, request.path_url.split("?")[0], r.json(), 400)
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert "\n" not in error["message"]
    return error


def made(contract, url: str, method: str, path: str, body=None) -> dict:
    """Send a valid request: the description agrees, and the server answers 200 with a valid object."""
    request = SESSION.prepare_request(requests.Request(method, f"{url}{path}", json=body))
    contract.validate_request(request)
    r = SESSION.send(request, timeout=60)
    assert r.status_code in (200, 201), r.text
    contract.validate_body(method, request.path_url, r.json(), r.status_code)
    return r.json()


def count(url: str, path: str) -> int:
    return len(SESSION.get(f"{url}{path}", params={"limit": 100}, timeout=10).json()["data"])


@pytest.mark.parametrize("path", ["/assistants", "/threads", "/threads/runs"])
def test_tool_resources_given_as_a_string_is_a_400_and_nothing_is_made(url, contract, path):
    body = {"tool_resources": {"code_interpreter": "file-1"}}
    if path != "/threads":
        body |= {"model": "local-ngram"} if path == "/assistants" else {"assistant_id": "asst_x"}
    before = count(url, "/assistants")
    error = refused(contract, url, "POST", path, body, param="tool_resources.code_interpreter")
    assert "expected an object" in error["message"]
    assert count(url, "/assistants") == before


def test_modifying_with_bad_tool_resources_leaves_assistant_and_thread_as_they_were(url, contract):
    assistant = made(contract, url, "POST", "/assistants", {"model": "local-ngram", "name": "kept"})
    thread = made(contract, url, "POST", "/threads", {"metadata": {"k": "v"}})
    bad = {"tool_resources": {"code_interpreter": "file-1"}, "metadata": {"k": "changed"}}
    refused(contract, url, "POST", f"/assistants/{assistant['id']}", bad, param="tool_resources.code_interpreter")
    refused(contract, url, "POST", f"/threads/{thread['id']}", bad, param="tool_resources.code_interpreter")
    assert made(contract, url, "GET", f"/threads/{thread['id']}")["metadata"] == {"k": "v"}
    assert made(contract, url, "GET", f"/assistants/{assistant['id']}") == assistant


def test_a_strict_flag_that_is_not_a_boolean_is_not_stored(url, contract):
    before = count(url, "/assistants")
    fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": 0}}
    refused(contract, url, "POST", "/assistants", {"model": "local-ngram", "response_format": fmt},
            param="response_format.json_schema.strict")
    assert count(url, "/assistants") == before
    fmt["json_schema"]["strict"] = True
    assert made(contract, url, "POST", "/assistants", {"model": "local-ngram", "response_format": fmt})[
        "response_format"] == fmt


@pytest.mark.parametrize("image_url, param", [
    ({"url": ""}, "content[0].image_url.url"),
    ({"url": "https://example.org/moon.png", "detail": None}, "content[0].image_url.detail"),
    ({"url": "https://example.org/moon.png", "detail": "huge"}, "content[0].image_url.detail"),
])
def test_bad_image_parts_are_not_stored(url, contract, image_url, param):
    thread = made(contract, url, "POST", "/threads", {})
    message = {"role": "user", "content": [{"type": "image_url", "image_url": image_url}]}
    refused(contract, url, "POST", f"/threads/{thread['id']}/messages", message, param=param)
    assert count(url, f"/threads/{thread['id']}/messages") == 0
    stored = made(contract, url, "POST", f"/threads/{thread['id']}/messages", {"role": "user", "content": [IMAGE]})
    assert stored["content"][0]["image_url"]["url"] == IMAGE["image_url"]["url"]


@pytest.mark.parametrize("path", ["/responses", "/responses/input_tokens"])
def test_a_tool_choice_name_that_is_not_a_string_is_a_400(url, contract, path):
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}
    body = {"model": "local-ngram", "input": "Weather?", "tools": [tool],
            "tool_choice": {"type": "function", "name": {"first": "get_weather"}}}
    refused(contract, url, "POST", path, body, param="tool_choice.name")


@pytest.mark.parametrize("path", ["/responses", "/responses/input_tokens", "/responses/compact"])
@pytest.mark.parametrize("results, param", [
    ([7], "input[0].results[0]"),
    ([{"file_id": "file-1", "text": ["Mars"]}], "input[0].results[0].text"),
])
def test_file_search_results_that_are_not_objects_are_a_400(url, contract, path, results, param):
    call = {"type": "file_search_call", "id": "fs_1", "queries": ["moons"], "status": "completed",
            "results": results}
    refused(contract, url, "POST", path, {"model": "local-ngram", "input": [call]}, param=param)


@pytest.mark.parametrize("body, param", [
    ({"model": 7}, "model"),
    ({"input": 7}, "input"),
    ({"input": [{"role": "robot", "content": "Hi"}]}, "input[0].role"),
    ({"truncation": "sometimes"}, "truncation"),
    ({"parallel_tool_calls": "yes"}, "parallel_tool_calls"),
    ({"reasoning": {"effort": "enormous"}}, "reasoning.effort"),
    ({"text": {"format": {"type": "json_schema", "name": "x"}}}, "text.format.schema"),
    ({"text": {"verbosity": 3}}, "text.verbosity"),
    ({"tools": [{"type": "function"}]}, "tools[0].name"),
    ({"conversation": {"id": 5}}, "conversation.id"),
    ({"instructions": ["Be brief."]}, "instructions"),
])
def test_input_token_counts_check_every_field(url, contract, body, param):
    refused(contract, url, "POST", "/responses/input_tokens", body, param=param)


def test_input_token_counts_still_count_valid_requests(url, contract):
    counted = made(contract, url, "POST", "/responses/input_tokens",
                   {"model": "local-ngram", "input": "How many moons has Mars?", "truncation": "auto"})
    assert counted["input_tokens"] > 0


def test_an_eval_run_sample_that_is_not_an_object_is_not_stored(url, contract):
    config = {"type": "custom", "item_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
              "include_sample_schema": True}
    criterion = {"type": "string_check", "name": "s", "input": "{{sample.output_text}}", "reference": "x",
                 "operation": "eq"}
    ev = made(contract, url, "POST", "/evals", {"data_source_config": config, "testing_criteria": [criterion]})
    content = [{"item": {"q": "Moons?"}, "sample": 0}]
    source = {"type": "jsonl", "source": {"type": "file_content", "content": content}}
    refused(contract, url, "POST", f"/evals/{ev['id']}/runs", {"data_source": source},
            param="data_source.source.content[0].sample")
    assert count(url, f"/evals/{ev['id']}/runs") == 0


@pytest.mark.parametrize("path, name", [("/organization/usage/completions", "group_by"),
                                        ("/organization/costs", "group_by"), ("/organization/usage/images", "sources")])
def test_empty_list_query_values_on_usage_are_a_400(url, contract, path, name):
    refused(contract, url, "GET", path, param=name, query={"start_time": 1700000000, name: ""})


def test_a_vector_store_takes_the_documented_description(url, contract):
    store = made(contract, url, "POST", "/vector_stores", {"name": "notes", "description": "Lecture notes"})
    assert store["name"] == "notes"
    refused(contract, url, "POST", "/vector_stores", {"name": "notes", "description": 5}, param="description")
