"""Tests of the contract checker itself (tests/contract.py).

No server here: requests are built with ``requests.Request(...).prepare()`` and responses by hand, so
each test states exactly what is sent and what must pass or fail. The point is to prove that a pass
means something: bad bodies, parameters and responses really fail, and data the API really sends
(nulls, error envelopes, raw downloads, streams) really passes.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
import requests
from requests.adapters import BaseAdapter

from tests.contract import (
    SPEC_ENV_VAR,
    Contract,
    ContractViolation,
    ExchangeRecorder,
    find_spec,
    prepare_spec,
)

BASE = "http://127.0.0.1:8765/v1"

CHAT_REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}

CHAT_RESPONSE = {
    "id": "chatcmpl-123",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "Hi there.", "refusal": None},
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
}

STREAM_CHUNK = {
    "id": "chatcmpl-123",
    "object": "chat.completion.chunk",
    "created": 1_700_000_000,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": None,
                 "logprobs": None}],
}

ERROR_BODY = {"error": {"message": "No such completion", "type": "invalid_request_error",
                        "param": None, "code": "not_found"}}


def prepared(method: str, path: str, **kwargs) -> requests.PreparedRequest:
    return requests.Request(method, BASE + path, **kwargs).prepare()


def response(request: requests.PreparedRequest, status: int, body, content_type="application/json",
             ) -> requests.Response:
    """A response as requests builds it from the wire: body unread until ``.content`` is touched."""
    resp = requests.Response()
    resp.status_code = status
    resp.request = request
    resp.url = request.url
    resp.headers["Content-Type"] = content_type
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    resp.raw = io.BytesIO(raw)
    return resp


# ---- finding and loading the description -------------------------------------------------------


def test_spec_is_found_outside_the_repo_and_not_copied_into_it(contract):
    repo = Path(__file__).resolve().parents[1]
    assert contract.spec_path.name == "openapi.yaml" and contract.spec_path.is_file()
    assert repo not in contract.spec_path.resolve().parents, "the description must stay outside the repository"


def test_env_var_overrides_and_a_wrong_value_fails_loudly(monkeypatch, tmp_path):
    target = tmp_path / "elsewhere.yaml"
    target.write_text("openapi: 3.1.0\n")
    monkeypatch.setenv(SPEC_ENV_VAR, str(target))
    assert find_spec() == target.resolve()
    monkeypatch.setenv(SPEC_ENV_VAR, str(tmp_path / "missing.yaml"))
    with pytest.raises(FileNotFoundError, match=SPEC_ENV_VAR):
        find_spec()


def test_load_is_a_cached_singleton(contract):
    assert Contract.load() is contract
    assert contract.spec_version
    assert contract.load_seconds < 30  # about a second with the C YAML loader


# ---- the load-time rewrite of the description --------------------------------------------------


def test_prepare_spec_turns_nullable_into_real_null_types():
    doc = {
        "paths": {},
        "components": {"schemas": {
            "Typed": {"type": "integer", "nullable": True},
            "Enum": {"type": "string", "enum": ["stop", "length"], "nullable": True},
            "Ref": {"$ref": "#/components/schemas/Typed", "nullable": True, "description": "d"},
            "AllOf": {"allOf": [{"$ref": "#/components/schemas/Typed"}, {"nullable": True}]},
            "NotNullable": {"anyOf": [{"type": "string"}], "nullable": False},
            "Tagged": {"oneOf": [{"type": "string"}], "discriminator": {"propertyName": "type"}},
        }},
    }
    notes = prepare_spec(doc)
    s = doc["components"]["schemas"]
    assert s["Typed"] == {"type": ["integer", "null"]}
    assert s["Enum"]["enum"][-1] is None and "null" in s["Enum"]["type"]
    assert s["Ref"] == {"description": "d", "anyOf": [{"$ref": "#/components/schemas/Typed"}, {"type": "null"}]}
    assert s["AllOf"] == {"anyOf": [{"allOf": [{"$ref": "#/components/schemas/Typed"}]}, {"type": "null"}]}
    assert s["NotNullable"] == {"anyOf": [{"type": "string"}]}
    assert "discriminator" not in s["Tagged"]
    assert notes["discriminator removed"] == 1


def test_loaded_description_has_no_nullable_or_discriminator_left(contract):
    text = json.dumps({"paths": contract.doc["paths"], "components": contract.doc["components"]})
    assert '"nullable": true' not in text
    assert '"discriminator": {"propertyName"' not in text
    assert not [p for p in contract.doc["paths"] if "?" in p]


# ---- operation lookup --------------------------------------------------------------------------


@pytest.mark.parametrize("method, url, expected", [
    ("POST", BASE + "/chat/completions", "createChatCompletion"),
    ("POST", "http://127.0.0.1:9/v1/chat/completions/chatcmpl-1", "updateChatCompletion"),
    ("post", "/v1/chat/completions/abc", "updateChatCompletion"),
    ("GET", "/chat/completions/abc", "getChatCompletion"),
    ("GET", "/chat/completions/abc/messages", "getChatCompletionMessages"),
    ("GET", "/chat/completions?limit=2", "listChatCompletions"),
    ("GET", "/files/file-1/content", "downloadFile"),
    ("DELETE", "/files/file-1", "deleteFile"),
])
def test_operation_id(contract, method, url, expected):
    assert contract.operation_id(method, url) == expected


def test_unknown_path_is_a_violation_that_says_so(contract):
    with pytest.raises(ContractViolation, match="unknown path"):
        contract.validate_request(prepared("GET", "/no/such/thing"))
    with pytest.raises(ContractViolation, match="unknown path"):
        contract.operation_id("GET", BASE + "/chat/completion")


def test_method_not_in_the_description_is_a_violation(contract):
    with pytest.raises(ContractViolation, match=r"method not in .*allowed: GET, POST"):
        contract.validate_request(prepared("PUT", "/chat/completions", json=CHAT_REQUEST))


# ---- request bodies: a pass must mean something ------------------------------------------------


def test_a_valid_chat_request_passes(contract):
    contract.validate_request(prepared("POST", "/chat/completions", json=CHAT_REQUEST))


def test_a_chat_request_without_messages_fails(contract):
    body = {"model": "gpt-4o-mini"}
    with pytest.raises(ContractViolation) as info:
        contract.validate_request(prepared("POST", "/chat/completions", json=body))
    message = str(info.value)
    assert "createChatCompletion" in message and "'messages' is a required property" in message
    assert info.value.operation == "createChatCompletion"


@pytest.mark.parametrize("change, field", [
    ({"n": "two"}, "n"),
    ({"messages": "hi"}, "messages"),
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0]"),
    ({"temperature": 5}, "temperature"),
    ({"stop": 5}, "stop"),
    ({"metadata": ["a"]}, "metadata"),
    ({"stream_options": "yes"}, "stream_options"),
])
def test_chat_request_with_a_wrong_type_or_value_fails(contract, change, field):
    with pytest.raises(ContractViolation) as info:
        contract.validate_request(prepared("POST", "/chat/completions", json={**CHAT_REQUEST, **change}))
    assert f"body at {field}" in str(info.value)


def test_a_body_that_is_not_an_object_fails(contract):
    with pytest.raises(ContractViolation, match="not of type 'object'"):
        contract.validate_request(prepared("POST", "/chat/completions", json="hi"))


def test_nulls_the_description_means_as_nullable_pass(contract):
    # These fields say ``nullable: true`` (an OpenAPI 3.0 keyword); unfixed, a 3.1 validator rejects null.
    body = {**CHAT_REQUEST, "stop": None, "max_completion_tokens": None, "temperature": None,
            "frequency_penalty": None, "metadata": None}
    contract.validate_request(prepared("POST", "/chat/completions", json=body))


def test_update_chat_completion_metadata(contract):
    url = "/chat/completions/chatcmpl-123"
    contract.validate_request(prepared("POST", url, json={"metadata": {"topic": "greetings"}}))
    with pytest.raises(ContractViolation, match=r"updateChatCompletion .*body at metadata"):
        contract.validate_request(prepared("POST", url, json={"metadata": ["topic", "greetings"]}))
    with pytest.raises(ContractViolation, match=r"body at metadata\.n"):
        contract.validate_request(prepared("POST", url, json={"metadata": {"n": 1}}))
    with pytest.raises(ContractViolation, match="'metadata' is a required property"):
        contract.validate_request(prepared("POST", url, json={}))


# ---- query strings -----------------------------------------------------------------------------


def test_valid_list_query_passes(contract):
    contract.validate_request(prepared("GET", "/chat/completions?limit=5&order=desc&after=chatcmpl-1&model=m"))


@pytest.mark.parametrize("query, parameter", [
    ("limit=five", "limit"),
    ("order=sideways", "order"),
])
def test_bad_query_parameter_fails(contract, query, parameter):
    with pytest.raises(ContractViolation, match=f"query parameter '{parameter}'"):
        contract.validate_request(prepared("GET", "/chat/completions?" + query))


def test_metadata_filter_is_read_as_a_deep_object(contract):
    # The API takes ``metadata[key]=value``; the description does not say ``style: deepObject``, and
    # openapi-core's default (form) would silently ignore those keys. The checker sets the style.
    params = {"metadata[topic]": "greetings", "metadata[user]": "u1", "limit": 3}
    contract.validate_request(prepared("GET", "/chat/completions", params=params))
    param = next(p for p in contract.operation("GET", "/chat/completions")["parameters"] if p["name"] == "metadata")
    assert param["style"] == "deepObject" and param["schema"]["type"] == "object"
    # Same rewrite, and a typed member, on the audit log's range filter: the values are really decoded.
    contract.validate_request(prepared("GET", "/organization/audit_logs?effective_at[gt]=1700000000"))
    with pytest.raises(ContractViolation, match="effective_at"):
        contract.validate_request(prepared("GET", "/organization/audit_logs?effective_at[gt]=yesterday"))


# ---- multipart uploads (checked loosely: names, required fields, enums) -------------------------


def test_multipart_upload(contract):
    upload = {"file": ("train.jsonl", b'{"messages": []}\n', "application/jsonl")}
    contract.validate_request(prepared("POST", "/files", files=upload, data={"purpose": "fine-tune"}))
    with pytest.raises(ContractViolation, match="body at file: required field is missing"):
        contract.validate_request(prepared("POST", "/files", files={"upload": upload["file"]},
                                           data={"purpose": "fine-tune"}))
    with pytest.raises(ContractViolation, match=r"body at purpose: 'bogus' is not one of"):
        contract.validate_request(prepared("POST", "/files", files=upload, data={"purpose": "bogus"}))
    with pytest.raises(ContractViolation, match="body at purpse: not a field"):
        contract.validate_request(prepared("POST", "/files", files=upload,
                                           data={"purpose": "fine-tune", "purpse": "x"}))


def test_multipart_array_fields_and_wrong_encoding(contract):
    audio = {"file": ("a.wav", b"RIFF....WAVE", "audio/wav")}
    data = {"model": "whisper-1", "temperature": "0.2", "timestamp_granularities[]": ["word", "segment"]}
    contract.validate_request(prepared("POST", "/audio/transcriptions", files=audio, data=data))
    with pytest.raises(ContractViolation, match="multipart/form-data"):
        contract.validate_request(prepared("POST", "/files", json={"purpose": "fine-tune"}))


# ---- responses ---------------------------------------------------------------------------------


def test_a_valid_chat_response_passes(contract):
    contract.validate_body("POST", "/chat/completions", CHAT_RESPONSE)
    req = prepared("POST", "/chat/completions", json=CHAT_REQUEST)
    contract.validate_exchange(response(req, 200, CHAT_RESPONSE, "application/json; charset=utf-8"))


def test_a_chat_response_with_a_robot_fails_naming_the_field(contract):
    bad = copy.deepcopy(CHAT_RESPONSE)
    bad["choices"][0]["message"]["role"] = "robot"
    with pytest.raises(ContractViolation, match=r"choices\[0\]\.message\.role: 'robot' is not one of"):
        contract.validate_body("POST", "/chat/completions", bad)
    req = prepared("POST", "/chat/completions", json=CHAT_REQUEST)
    with pytest.raises(ContractViolation, match=r"createChatCompletion .*response 200"):
        contract.validate_response(response(req, 200, bad))


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("choices"),
    lambda b: b.__setitem__("created", "yesterday"),
    lambda b: b["usage"].__setitem__("total_tokens", "8"),
    lambda b: b["choices"][0].__setitem__("finish_reason", "tired"),
])
def test_other_broken_chat_responses_fail(contract, mutate):
    bad = copy.deepcopy(CHAT_RESPONSE)
    mutate(bad)
    with pytest.raises(ContractViolation):
        contract.validate_body("POST", "/chat/completions", bad)


def test_other_operations_responses(contract):
    contract.validate_body("GET", "/v1/chat/completions/chatcmpl-123", CHAT_RESPONSE)
    contract.validate_body("DELETE", "/chat/completions/chatcmpl-123",
                           {"object": "chat.completion.deleted", "id": "chatcmpl-123", "deleted": True})
    contract.validate_body("GET", "/models", {"object": "list", "data": [
        {"id": "m", "object": "model", "created": 1, "owned_by": "local"}]})
    with pytest.raises(ContractViolation, match="'deleted' is a required property"):
        contract.validate_body("DELETE", "/chat/completions/x", {"object": "chat.completion.deleted", "id": "x"})


def test_undeclared_status_or_content_type_fails(contract):
    with pytest.raises(ContractViolation, match="status 201 is not declared"):
        contract.validate_body("POST", "/chat/completions", CHAT_RESPONSE, status=201)
    req = prepared("GET", "/models")
    with pytest.raises(ContractViolation, match="content type 'text/plain' is not declared"):
        contract.validate_response(response(req, 200, b"hello", "text/plain"))


def test_raw_downloads_are_not_parsed(contract):
    # The description lists application/json (a bare string) for file contents and octet-stream for
    # speech; the API sends the payload's own media type. Any media type passes, the bytes are not read.
    contract.validate_response(response(prepared("GET", "/files/file-1/content"), 200, b'{"a": 1}\n{"a": 2}\n',
                                        "application/octet-stream"))
    speech = prepared("POST", "/audio/speech", json={"model": "tts-1", "input": "hi", "voice": "alloy"})
    contract.validate_exchange(response(speech, 200, b"ID3\x04...", "audio/mpeg"))


# ---- error responses ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500])
def test_error_envelope_passes_on_any_status(contract, status):
    contract.validate_body("GET", "/chat/completions/missing", ERROR_BODY, status=status)


@pytest.mark.parametrize("body, reason", [
    ({"error": {"type": "invalid_request_error", "param": None, "code": None}}, "'message' is a required property"),
    ({"error": {"message": "x", "type": "t", "param": None}}, "'code' is a required property"),
    ({"error": {"message": 1, "type": "t", "param": None, "code": None}}, "error.message"),
    ({"message": "x", "type": "t", "param": None, "code": None}, "'error' is a required property"),
    ({"detail": "Not Found"}, "'error' is a required property"),
])
def test_broken_error_bodies_fail(contract, body, reason):
    with pytest.raises(ContractViolation, match=r"getChatCompletion .*response 404: error body") as info:
        contract.validate_body("GET", "/chat/completions/missing", body, status=404)
    assert reason in str(info.value)


def test_error_that_is_not_json_fails(contract):
    req = prepared("GET", "/chat/completions/missing")
    with pytest.raises(ContractViolation, match="must be a JSON error object"):
        contract.validate_response(response(req, 404, b"Not Found", "text/plain"))
    with pytest.raises(ContractViolation, match="not valid JSON"):
        contract.validate_response(response(req, 500, b"<html>", "application/json"))


def test_an_operations_own_declared_error_schema_is_also_accepted(contract):
    bare = ERROR_BODY["error"]
    contract.validate_body("DELETE", "/evals/eval-1", bare, status=404)  # declared as bare ``Error`` there
    with pytest.raises(ContractViolation):
        contract.validate_body("GET", "/chat/completions/x", bare, status=404)


# ---- streams -----------------------------------------------------------------------------------


def test_event_stream_response_is_not_read(contract):
    req = prepared("POST", "/chat/completions", json={**CHAT_REQUEST, "stream": True})
    resp = response(req, 200, b"data: not even json\n\n", "text/event-stream")
    contract.validate_exchange(resp)
    assert resp.raw.tell() == 0 and resp._content_consumed is False


def test_stream_chunks_validate_against_the_chunk_schema(contract):
    contract.validate_schema("CreateChatCompletionStreamResponse", STREAM_CHUNK)  # finish_reason: null
    last = copy.deepcopy(STREAM_CHUNK)
    last["choices"][0].update(delta={}, finish_reason="stop")
    last["usage"] = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    contract.validate_schema("CreateChatCompletionStreamResponse", last)
    bad = copy.deepcopy(STREAM_CHUNK)
    bad["choices"][0]["delta"]["role"] = "robot"
    with pytest.raises(ContractViolation, match=r"CreateChatCompletionStreamResponse: at choices\[0\]\.delta\.role"):
        contract.validate_schema("CreateChatCompletionStreamResponse", bad)
    with pytest.raises(ContractViolation, match="'object' is a required property"):
        contract.validate_schema("CreateChatCompletionStreamResponse", {k: v for k, v in STREAM_CHUNK.items()
                                                                       if k != "object"})


def test_unknown_schema_name_is_a_key_error(contract):
    with pytest.raises(KeyError, match="NoSuchSchema"):
        contract.validate_schema("NoSuchSchema", {})


# ---- the recorder, through a real requests Session ----------------------------------------------


class CannedAdapter(BaseAdapter):
    """Answers every request from a table, as a transport would; lets the session's hooks run."""

    def __init__(self, answers):
        super().__init__()
        self.answers = answers

    def send(self, request, stream=False, **kwargs):
        path = request.path_url.split("?")[0]
        status, body, content_type = self.answers[(request.method, path)]
        return response(request, status, body, content_type)

    def close(self):
        pass


def test_recorder_validates_and_records_every_exchange(contract):
    answers = {
        ("POST", "/v1/chat/completions"): (200, CHAT_RESPONSE, "application/json"),
        ("GET", "/v1/chat/completions/chatcmpl-123"): (404, ERROR_BODY, "application/json"),
        ("GET", "/v1/models"): (200, {"object": "list"}, "application/json"),  # no data: a violation
        ("POST", "/v1/embeddings"): (200, b"data: {}\n\n", "text/event-stream"),
        ("GET", "/healthz"): (200, {"ok": True}, "application/json"),
    }
    session = requests.Session()
    session.mount("http://127.0.0.1:8765/", CannedAdapter(answers))
    rec = contract.recorder(ignore=[r"/healthz$"])
    assert isinstance(rec, ExchangeRecorder)
    session.hooks["response"].append(rec)

    assert session.post(BASE + "/chat/completions", json=CHAT_REQUEST).json()["id"] == "chatcmpl-123"
    assert session.get(BASE + "/chat/completions/chatcmpl-123").status_code == 404
    session.get(BASE + "/models")
    session.post(BASE + "/embeddings", json={"model": "m"}, stream=True)  # bad request (no input), SSE reply
    session.get("http://127.0.0.1:8765/healthz")

    assert rec.operations == {("createChatCompletion", 200), ("getChatCompletion", 404),
                              ("listModels", 200), ("createEmbedding", 200)}
    assert rec.operation_ids == {"createChatCompletion", "getChatCompletion", "listModels", "createEmbedding"}
    assert [type(v) for v in rec.violations] == [ContractViolation, ContractViolation]
    assert "listModels" in str(rec.violations[0]) and "'data' is a required property" in str(rec.violations[0])
    assert "createEmbedding" in str(rec.violations[1]) and "'input' is a required property" in str(rec.violations[1])
    with pytest.raises(ContractViolation, match="2 contract violation"):
        rec.assert_clean()
    rec.clear()
    rec.assert_clean()


def test_recorder_leaves_a_streamed_body_to_the_caller(contract):
    sse = b'data: {"a": 1}\n\ndata: [DONE]\n\n'
    session = requests.Session()
    session.mount("http://127.0.0.1:8765/", CannedAdapter({
        ("POST", "/v1/chat/completions"): (200, sse, "text/event-stream")}))
    rec = contract.recorder()
    session.hooks["response"].append(rec)
    resp = session.post(BASE + "/chat/completions", json={**CHAT_REQUEST, "stream": True}, stream=True)
    assert list(resp.iter_lines()) == [b'data: {"a": 1}', b"", b"data: [DONE]", b""]
    rec.assert_clean()
    assert rec.operations == {("createChatCompletion", 200)}


def test_strict_recorder_raises_at_once(contract):
    session = requests.Session()
    session.mount("http://127.0.0.1:8765/", CannedAdapter({("GET", "/v1/nowhere"): (200, {}, "application/json")}))
    session.hooks["response"].append(contract.recorder(strict=True))
    with pytest.raises(ContractViolation, match="unknown path"):
        session.get(BASE + "/nowhere")
