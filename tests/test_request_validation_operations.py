"""Every operation reads its request through declared models before a handler runs: chat and legacy
completions, embeddings, moderations, files, fine-tuning, the organization's operations, eval creation,
vector store files, batches and search, usage, and every list's query string. A wrong type, a missing
required field, a value outside an enum or a range, or an argument the operation does not take is a
400 with the API's error object naming the parameter, and nothing is stored.

Each request is sent over real HTTP to `jupyter-api-kit serve` (its own process). Where the official
description marks a body invalid the test says so too (`refused`); the description leaves some objects
open (no `additionalProperties: false`), and the API refuses unknown arguments there all the same, so
those cases only check the answer (`refused_unknown`).
"""

from __future__ import annotations

import pytest
import requests

from tests.serve_support import serve_process
from tests.test_request_validation import ADMIN_KEY, SESSION, refused

USER = [{"role": "user", "content": "Name a moon of Mars."}]
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
CONFIG = {"type": "custom", "item_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
          "include_sample_schema": True}
CHECK = {"type": "string_check", "name": "s", "input": "{{sample.output_text}}", "reference": "x", "operation": "eq"}


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with serve_process(tmp_path_factory.mktemp("validation_ops"), "--admin-key", ADMIN_KEY) as served:
        SESSION.headers["Authorization"] = f"Bearer {served.api_key}"
        yield served.base_url


def count(url: str, path: str) -> int:
    """How many objects a list holds (the admin key for the organization's lists)."""
    headers = ADMIN if path.startswith("/organization") else {}
    r = SESSION.get(f"{url}{path}", params={"limit": 100}, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return len(r.json()["data"])


def refused_where_open(contract, url: str, path: str, body: dict, *, param: str, words: str) -> dict:
    """A request the description leaves open (an object without `additionalProperties: false`, a
    value its prose limits but its schema does not) and the API refuses: a 400 naming `param`, saying
    `words`, whose error object the description accepts."""
    headers = ADMIN if path.startswith("/organization") else {}
    r = SESSION.post(f"{url}{path}", json=body, headers=headers, timeout=30)
    assert r.status_code == 400, r.text
    contract.validate_body("POST", path, r.json(), 400)
    error = r.json()["error"]
    assert error["param"] == param and words in error["message"], error
    return error


@pytest.fixture(scope="module")
def project(url):
    r = SESSION.post(f"{url}/organization/projects", json={"name": "Validation"}, headers=ADMIN, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def vector_store(url):
    r = SESSION.post(f"{url}/vector_stores", json={"name": "checked"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["id"]


# -- bodies: wrong types, missing required fields, bad enums and ranges; nothing stored ----------------

@pytest.mark.parametrize("change, param", [
    ({"messages": [{"role": "user", "content": 7}]}, "messages[0].content"),
    ({"messages": [{"role": "robot", "content": "Hi"}]}, "messages[0].role"),
    ({"messages": None}, "messages"),
    ({"n": "2"}, "n"),
    ({"temperature": "hot"}, "temperature"),
    ({"service_tier": "turbo"}, "service_tier"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ({"response_format": {"type": "yaml"}}, "response_format.type"),
    ({"tools": [{"type": "function", "function": {"name": 3}}]}, "tools[0].function.name"),
    ({"metadata": {"topic": 1}}, "metadata.topic"),
])
def test_chat_completions_refuse_bad_fields_and_store_nothing(url, contract, change, param):
    before = count(url, "/chat/completions")
    body = {k: v for k, v in {"model": "local-ngram", "messages": USER, "store": True, **change}.items()
            if v is not None}
    refused(contract, url, "POST", "/chat/completions", body, param=param)
    assert count(url, "/chat/completions") == before


def test_chat_completions_refuse_unknown_arguments(url, contract):
    before = count(url, "/chat/completions")
    r = SESSION.post(f"{url}/chat/completions", json={"model": "local-ngram", "messages": USER, "store": True,
                                                      "colour": "red"}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"] == "colour", r.text
    assert count(url, "/chat/completions") == before


@pytest.mark.parametrize("path, body, param", [
    ("/completions", {"model": "local-ngram", "prompt": "Once", "echo": "yes"}, "echo"),
    ("/completions", {"model": "local-ngram", "prompt": "Once", "logprobs": 9}, "logprobs"),
    ("/completions", {"prompt": "Once"}, "model"),
    ("/embeddings", {"model": "local-embed", "input": "moons", "dimensions": "8"}, "dimensions"),
    ("/embeddings", {"model": "local-embed"}, "input"),
    ("/embeddings", {"model": "local-embed", "input": "moons", "encoding_format": "int8"}, "encoding_format"),
    ("/moderations", {"input": 5}, "input"),
    ("/moderations", {"input": "moons", "model": 3}, "model"),
])
def test_inference_operations_refuse_bad_fields(url, contract, path, body, param):
    refused(contract, url, "POST", path, body, param=param)


@pytest.mark.parametrize("path", ["/completions", "/embeddings", "/moderations"])
def test_inference_operations_refuse_unknown_arguments(url, path):
    body = ({"model": "local-ngram", "prompt": "Once"} if path == "/completions" else
            {"model": "local-embed", "input": "moons"} if path == "/embeddings" else {"input": "moons"})
    r = SESSION.post(f"{url}{path}", json={**body, "colour": "red"}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"] == "colour", r.text


@pytest.mark.parametrize("fields, param", [
    ({"purpose": "pictures"}, "purpose"),
    ({}, "purpose"),
    ({"purpose": "fine-tune", "expires_after[anchor]": "last_active_at", "expires_after[seconds]": "3600"},
     "expires_after.anchor"),
    ({"purpose": "fine-tune", "expires_after[anchor]": "created_at", "expires_after[seconds]": "soon"},
     "expires_after.seconds"),
])
def test_file_uploads_refuse_bad_fields_and_store_nothing(url, contract, fields, param):
    before = count(url, "/files")
    r = SESSION.post(f"{url}/files", data=fields, files={"file": ("notes.txt", b"Phobos and Deimos.")}, timeout=30)
    assert r.status_code == 400, r.text
    contract.validate_body("POST", "/files", r.json(), 400)
    assert r.json()["error"]["param"] == param
    assert count(url, "/files") == before


@pytest.mark.parametrize("change, param", [
    ({"seed": "1"}, "seed"),
    ({"training_file": None}, "training_file"),
    ({"method": {"type": "sft"}}, "method.type"),
    ({"hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs"),
    ({"suffix": 7}, "suffix"),
])
def test_fine_tuning_jobs_refuse_bad_fields_and_store_nothing(url, contract, change, param):
    before = count(url, "/fine_tuning/jobs")
    body = {k: v for k, v in {"model": "local-ngram", "training_file": "file-x", **change}.items() if v is not None}
    refused(contract, url, "POST", "/fine_tuning/jobs", body, param=param)
    assert count(url, "/fine_tuning/jobs") == before


def test_organization_bodies_refuse_bad_fields_and_store_nothing(url, contract, project):
    projects = "/organization/projects"
    before = count(url, projects)
    refused(contract, url, "POST", projects, {"name": 5}, param="name")
    refused(contract, url, "POST", projects, {"name": "Moons", "residency": "MOON"}, param="residency")
    refused_where_open(contract, url, projects, {"name": "Moons", "colour": "red"}, param="colour",
                       words="Unrecognized request argument")
    assert count(url, projects) == before

    users = f"{projects}/{project}/users"
    refused_where_open(contract, url, users, {"email": "ada@example.org", "role": "boss"}, param="role",
                       words="'owner' or 'member'")  # the description says so in prose only
    refused(contract, url, "POST", users, {"email": "ada@example.org"}, param="role")
    assert count(url, users) == 0
    accounts = f"{projects}/{project}/service_accounts"
    refused(contract, url, "POST", accounts, {"name": 7}, param="name")
    assert count(url, accounts) == 0
    refused(contract, url, "POST", f"{projects}/{project}/rate_limits/rl-local-ngram",
            {"max_requests_per_1_minute": "10"}, param="max_requests_per_1_minute")
    limits = SESSION.get(f"{url}{projects}/{project}/rate_limits", headers=ADMIN, timeout=10).json()["data"]
    assert {rl["id"]: rl for rl in limits}["rl-local-ngram"]["max_requests_per_1_minute"] == 10_000
    refused(contract, url, "POST", "/organization/certificates/activate", {"certificate_ids": "cert_1"},
            param="certificate_ids")
    refused(contract, url, "POST", "/organization/certificates", {"name": "CA"}, param="certificate")


@pytest.mark.parametrize("body, param", [
    ({"data_source_config": {"type": "custom"}, "testing_criteria": [CHECK]}, "data_source_config.item_schema"),
    ({"data_source_config": {"type": "files"}, "testing_criteria": [CHECK]}, "data_source_config.type"),
    ({"data_source_config": CONFIG}, "testing_criteria"),
    ({"data_source_config": CONFIG, "testing_criteria": [{**CHECK, "operation": "startswith"}]},
     "testing_criteria[0].operation"),
    ({"data_source_config": CONFIG, "testing_criteria": [{**CHECK, "input": 3}]}, "testing_criteria[0].input"),
    ({"data_source_config": CONFIG, "testing_criteria": [CHECK], "name": ["moons"]}, "name"),
])
def test_eval_creation_refuses_bad_fields_and_stores_nothing(url, contract, body, param):
    before = count(url, "/evals")
    refused(contract, url, "POST", "/evals", body, param=param)
    assert count(url, "/evals") == before


def test_vector_store_operations_refuse_bad_fields_and_store_nothing(url, contract, vector_store):
    base = f"/vector_stores/{vector_store}"
    refused(contract, url, "POST", f"{base}/files", {}, param="file_id")
    refused(contract, url, "POST", f"{base}/files", {"file_id": 7}, param="file_id")
    refused(contract, url, "POST", f"{base}/file_batches", {"file_ids": "file-1"}, param="file_ids")
    refused(contract, url, "POST", f"{base}/file_batches", {"file_ids": []}, param="file_ids")
    assert count(url, f"{base}/files") == 0
    refused(contract, url, "POST", base, {"name": 5}, param="name")
    refused(contract, url, "POST", base, {"name": "renamed", "colour": "red"}, param="colour")
    assert SESSION.get(f"{url}{base}", timeout=10).json()["name"] == "checked"
    refused(contract, url, "POST", f"{base}/search", {"query": "moons", "max_num_results": "5"},
            param="max_num_results")
    refused(contract, url, "POST", f"{base}/search", {"query": "moons", "ranking_options": {"ranker": "best"}},
            param="ranking_options.ranker")
    refused(contract, url, "POST", f"{base}/search", {"rewrite_query": True}, param="query")


# -- query strings: every list reads its parameters through a query model --------------------------------

@pytest.mark.parametrize("path, query, param", [
    ("/chat/completions", {"limit": "many"}, "limit"),
    ("/chat/completions", {"order": "sideways"}, "order"),
    ("/chat/completions", {"limit": 0}, "limit"),
    ("/files", {"limit": 10001}, "limit"),
    ("/fine_tuning/jobs", {"limit": "ten"}, "limit"),
    ("/evals", {"order_by": "name"}, "order_by"),
    ("/assistants", {"order": "up"}, "order"),
    ("/vector_stores", {"limit": 101}, "limit"),
    ("/organization/projects", {"limit": 500}, "limit"),
    ("/organization/projects", {"include_archived": "perhaps"}, "include_archived"),
    ("/organization/audit_logs", {"effective_at[gt]": "soon"}, "effective_at[gt]"),
    ("/organization/certificates", {"order": "up"}, "order"),
    ("/organization/usage/completions", {"start_time": 1700000000, "bucket_width": "1w"}, "bucket_width"),
    ("/organization/usage/completions", {}, "start_time"),
    ("/organization/costs", {"start_time": "yesterday"}, "start_time"),
])
def test_list_query_strings_are_checked(url, contract, path, query, param):
    refused(contract, url, "GET", path, param=param, query=query)


def test_filters_of_nested_lists_are_checked_before_the_handler(url, contract, vector_store, project):
    refused(contract, url, "GET", f"/vector_stores/{vector_store}/files", param="filter", query={"filter": "done"})
    refused(contract, url, "GET", f"/organization/projects/{project}/api_keys", param="owner_project_access",
            query={"owner_project_access": "someone"})
    refused(contract, url, "GET", f"/organization/projects/{project}/rate_limits", param="limit", query={"limit": 0})
    # the query is read before the checkpoint is looked up: a bad order is a 400 even for an unknown one
    r = SESSION.get(f"{url}/fine_tuning/checkpoints/ft-unknown/permissions", params={"order": "up"},
                    headers=ADMIN, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["param"] == "order", r.text


def test_valid_requests_still_pass_the_boundary(url, contract):
    made = SESSION.post(f"{url}/chat/completions", json={"model": "local-ngram", "messages": USER, "store": True,
                                                          "max_tokens": 4, "metadata": {"topic": "moons"}}, timeout=60)
    assert made.status_code == 200, made.text
    listed = SESSION.get(f"{url}/chat/completions", params={"metadata[topic]": "moons", "limit": 5}, timeout=10)
    assert [c["id"] for c in listed.json()["data"]] == [made.json()["id"]]
    r = requests.get(f"{url}/organization/usage/completions", params={"start_time": 1700000000, "limit": 2},
                     headers=ADMIN, timeout=10)
    assert r.status_code == 200 and len(r.json()["data"]) == 2, r.text
