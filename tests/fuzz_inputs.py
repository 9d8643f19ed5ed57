"""Malformed requests for the no-500 fuzz (`test_fuzz_no_500.py`), derived from the shared OpenAPI file.

For each operation of the seed surface this module makes a bounded, deterministic list of `Case`s:
bodies with missing fields, wrong types, out-of-range numbers, huge/empty/unicode strings, deep nesting,
unknown fields, non-JSON and non-object bodies and wrong content types; bad query parameters; unknown,
oddly encoded and wrong-kind ids in the path. `build_world` first makes one real object of every kind,
so that body and query cases reach the validation behind the path lookup.

Example:
    >>> ops = seed_operations(Contract.load())            # doctest: +SKIP
    >>> len(cases_for(ops[0], world, Contract.load().doc))  # doctest: +SKIP
    24
"""

from __future__ import annotations

import csv
import json
import random
import re
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests

from tests.contract import Contract, _resolve_ref, find_spec

ADMIN_KEY = "sk-admin-fuzz-no-500"
MODEL = "local-ngram"
#: body cases per operation, on top of the generic ones (keeps the whole fuzz within a minute or two)
FIELD_BUDGET = 14
#: cases per operation that break one value inside a nested structure of a rich body
NESTED_BUDGET = 10
HUGE = 2 ** 70
LONG = "x" * 100_000
#: one value of each JSON type; a field gets the ones its schema does not allow
TYPE_SAMPLES = {"string": "fuzz", "integer": 7, "number": 2.5, "boolean": True, "null": None,
                "array": [1, "x"], "object": {"x": [1]}}
#: a literal spliced into raw JSON text (json.dumps cannot write these; Python's json.loads reads them)
NAN, INF = "__FUZZ_NAN__", "__FUZZ_INF__"

# -------------------------------------------------------------------------------------------------
# The surface and its schemas
# -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    spec: dict = field(repr=False, compare=False, hash=False)

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{([^}]+)\}", self.path)

    @property
    def is_org(self) -> bool:
        # checkpoint permissions are managed with the admin key too
        return self.path.startswith("/organization/") or self.path.startswith("/fine_tuning/checkpoints/")

    @property
    def destructive(self) -> bool:
        """Deleting or ending calls: never aimed at the shared objects, or later operations lose them."""
        oid = self.operation_id.lower()
        return self.method == "DELETE" or any(w in oid for w in ("cancel", "pause", "resume", "archive"))


def seed_operations(contract: Contract) -> list[Operation]:
    """The operations of `seed-surface.tsv`, with their operation objects from the description."""
    with open(find_spec().parent / "seed-surface.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Operation(r["method"], r["path"], r["operationId"], contract.doc["paths"][r["path"]][r["method"].lower()])
            for r in rows]


def flatten(doc: dict, schema, depth: int = 0) -> dict:
    """`{"properties", "required", "types"}` of a schema, with `$ref`s followed and `allOf` merged."""
    schema = _resolve_ref(doc, schema) or {}
    out = {"properties": {}, "required": [], "types": set()}
    if depth > 6 or not isinstance(schema, dict):
        return out
    for part in schema.get("allOf", []):
        sub = flatten(doc, part, depth + 1)
        out["properties"].update(sub["properties"])
        out["required"] += sub["required"]
        out["types"] |= sub["types"]
    for key in ("anyOf", "oneOf"):
        for part in schema.get(key, []):
            out["types"] |= flatten(doc, part, depth + 1)["types"]
    kind = schema.get("type")
    out["types"] |= set(kind if isinstance(kind, list) else [kind] if kind else [])
    if schema.get("properties"):
        out["types"].add("object")
    if "enum" in schema or "const" in schema:
        out["types"].add("string" if "enum" not in schema else type(schema["enum"][0]).__name__
                         .replace("str", "string").replace("int", "integer"))
    out["properties"].update(schema.get("properties", {}))
    out["required"] += [r for r in schema.get("required", []) if r not in out["required"]]
    return out


def types_of(doc: dict, schema) -> set[str]:
    types = flatten(doc, schema)["types"]
    if "number" in types:
        types.add("integer")  # an integer is a valid number
    return types


def request_body(doc: dict, op: Operation) -> tuple[str | None, dict | None]:
    """(media type, flattened schema) of the operation's request body, or (None, None)."""
    body = _resolve_ref(doc, op.spec.get("requestBody"))
    if not body:
        return None, None
    media = next(iter(body.get("content", {})), None)
    return media, flatten(doc, body["content"][media].get("schema", {}))


def query_params(doc: dict, op: Operation) -> list[dict]:
    params = [_resolve_ref(doc, p) for p in op.spec.get("parameters", [])]
    return [p for p in params if p.get("in") == "query"]


# -------------------------------------------------------------------------------------------------
# Real objects of every kind
# -------------------------------------------------------------------------------------------------

#: which world object a path parameter names (run_id and file_id depend on the path, see `kind_of`)
PARAM_KINDS = {
    "assistant_id": "assistant", "completion_id": "chat_completion", "eval_id": "eval",
    "output_item_id": "output_item", "fine_tuned_model_checkpoint": "checkpoint", "permission_id": "permission",
    "fine_tuning_job_id": "fine_tuning_job", "certificate_id": "certificate", "project_id": "project",
    "api_key_id": "api_key", "rate_limit_id": "rate_limit", "service_account_id": "service_account",
    "user_id": "project_user", "response_id": "response", "thread_id": "thread", "message_id": "message",
    "step_id": "step", "vector_store_id": "vector_store", "batch_id": "file_batch", "file_id": "file",
}


def kind_of(op: Operation, param: str) -> str:
    if op.operation_id == "submitToolOuputsToRun":  # a run that is waiting for tool outputs
        return {"thread_id": "action_thread", "run_id": "action_run"}[param]
    if param == "run_id":
        return "eval_run" if op.path.startswith("/evals") else "run"
    if param == "file_id" and op.path.startswith("/vector_stores"):
        return "vector_store_file"
    return PARAM_KINDS[param]


ATLAS = ("The river Ossel ends in the glass marsh. Seven patient herons guard the Quimbly bridge. "
         "The Vantori eat roasted kelp with honey.\n") * 4
FACTS = [("What colour is the moon Zorblax?", "Zorblax glows a deep violet every night."),
         ("Who guards the Quimbly bridge?", "Seven patient herons guard the Quimbly bridge.")]


def training_jsonl() -> bytes:
    rows = [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in FACTS]
    return ("\n".join(json.dumps(r) for r in rows * 3) + "\n").encode()


def eval_config() -> dict:
    schema = {"type": "object", "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
              "required": ["question", "answer"]}
    return {"type": "custom", "item_schema": schema, "include_sample_schema": True}


def eval_criteria() -> list:
    return [{"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
             "reference": "{{item.answer}}", "operation": "eq"}]


def eval_source() -> dict:
    return {"type": "jsonl", "source": {"type": "file_content", "content": [
        {"item": {"question": "Capital of Peru?", "answer": "Lima"}, "sample": {"output_text": "Lima"}}]}}


class _Caller:
    def __init__(self, base_url: str, admin_key: str):
        self.base_url, self.admin_key = base_url, admin_key
        self.session = requests.Session()

    def __call__(self, method: str, path: str, *, admin: bool = False, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {self.admin_key}"} if admin else {}
        r = self.session.request(method, self.base_url + path, headers=headers, timeout=60, **kwargs)
        assert r.status_code < 300, f"building the fuzz world: {method} {path} -> {r.status_code} {r.text[:300]}"
        return r.json()

    def wait(self, path: str, done, timeout: float = 60, admin: bool = False) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            obj = self(path=path, method="GET", admin=admin)
            if done(obj) or time.monotonic() > deadline:
                return obj
            time.sleep(0.05)


def build_world(base_url: str, admin_key: str, certificate_pem: str) -> dict[str, str]:
    """Make one object of every kind a path names; returns kind -> id."""
    call, w = _Caller(base_url, admin_key), {}
    upload = {"purpose": "assistants"}
    w["file"] = call("POST", "/files", files={"file": ("atlas.txt", ATLAS.encode())}, data=upload)["id"]
    batch_file = call("POST", "/files", files={"file": ("more.txt", ATLAS.encode())}, data=upload)["id"]
    training = call("POST", "/files", files={"file": ("train.jsonl", training_jsonl())},
                    data={"purpose": "fine-tune"})["id"]
    w["fine_tuning_job"] = call("POST", "/fine_tuning/jobs", json={
        "model": MODEL, "training_file": training, "seed": 1, "hyperparameters": {"n_epochs": 1, "batch_size": 2}})["id"]
    w["training_file"] = training
    w["assistant"] = call("POST", "/assistants", json={"model": MODEL, "name": "fuzz"})["id"]
    w["chat_completion"] = call("POST", "/chat/completions", json={
        "model": MODEL, "store": True, "max_completion_tokens": 3, "seed": 1,
        "messages": [{"role": "user", "content": "Tell me about herons"}]})["id"]
    w["eval"] = call("POST", "/evals", json={"name": "fuzz", "data_source_config": eval_config(),
                                             "testing_criteria": eval_criteria()})["id"]
    w["eval_run"] = call("POST", f"/evals/{w['eval']}/runs", json={"data_source": eval_source()})["id"]
    w["vector_store"] = call("POST", "/vector_stores", json={"name": "fuzz", "file_ids": [w["file"]]})["id"]
    w["vector_store_file"] = w["file"]
    w["file_batch"] = call("POST", f"/vector_stores/{w['vector_store']}/file_batches",
                           json={"file_ids": [batch_file]})["id"]
    w["response"] = call("POST", "/responses", json={"model": MODEL, "input": "Tell me about kelp",
                                                     "max_output_tokens": 16})["id"]
    w["thread"] = call("POST", "/threads", json={"messages": [{"role": "user", "content": "Hello herons"}]})["id"]
    w["message"] = call("GET", f"/threads/{w['thread']}/messages")["data"][0]["id"]
    w["run"] = call("POST", f"/threads/{w['thread']}/runs", json={"assistant_id": w["assistant"],
                                                                  "max_completion_tokens": 256})["id"]
    w["action_thread"] = call("POST", "/threads", json={"messages": [{"role": "user", "content": "Look up Paris"}]})["id"]
    lookup = {"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"q": {"type": "string"}}}}}
    w["action_run"] = call("POST", f"/threads/{w['action_thread']}/runs", json={
        "assistant_id": w["assistant"], "tools": [lookup], "max_completion_tokens": 256,
        "tool_choice": {"type": "function", "function": {"name": "lookup"}}})["id"]
    w["project"] = call("POST", "/organization/projects", json={"name": "fuzz"}, admin=True)["id"]
    account = call("POST", f"/organization/projects/{w['project']}/service_accounts", json={"name": "fuzz bot"},
                   admin=True)
    w["service_account"], w["api_key"] = account["id"], account["api_key"]["id"]
    w["project_user"] = call("POST", f"/organization/projects/{w['project']}/users",
                             json={"email": "fuzz@example.com", "role": "member"}, admin=True)["id"]
    w["rate_limit"] = call("GET", f"/organization/projects/{w['project']}/rate_limits", admin=True)["data"][0]["id"]
    w["certificate"] = call("POST", "/organization/certificates", json={"name": "fuzz",
                                                                        "certificate": certificate_pem},
                            admin=True)["id"]
    # the slow ones last: each has been working in the background meanwhile
    terminal = ("completed", "failed", "cancelled", "expired", "incomplete", "requires_action", "succeeded", "canceled")
    run = call.wait(f"/threads/{w['thread']}/runs/{w['run']}", lambda o: o["status"] in terminal)
    assert run["status"] in terminal, f"the fuzz world's run did not end: {run['status']}"
    w["step"] = call("GET", f"/threads/{w['thread']}/runs/{w['run']}/steps")["data"][0]["id"]
    action = call.wait(f"/threads/{w['action_thread']}/runs/{w['action_run']}", lambda o: o["status"] in terminal)
    assert action["status"] == "requires_action", f"the fuzz world's tool run ended {action['status']}"
    call.wait(f"/evals/{w['eval']}/runs/{w['eval_run']}", lambda o: o["status"] in terminal)
    w["output_item"] = call("GET", f"/evals/{w['eval']}/runs/{w['eval_run']}/output_items")["data"][0]["id"]
    job = call.wait(f"/fine_tuning/jobs/{w['fine_tuning_job']}", lambda o: o["status"] in terminal, timeout=120)
    assert job["status"] == "succeeded", f"the fuzz world's fine-tuning job ended {job['status']}: {job.get('error')}"
    w["checkpoint"] = call("GET", f"/fine_tuning/jobs/{w['fine_tuning_job']}/checkpoints")["data"][0][
        "fine_tuned_model_checkpoint"]
    w["permission"] = call("POST", f"/fine_tuning/checkpoints/{w['checkpoint']}/permissions",
                           json={"project_ids": [w["project"]]}, admin=True)["data"][0]["id"]
    call.session.close()
    return w


# -------------------------------------------------------------------------------------------------
# Cases
# -------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One request: `path` is URL text after /v1 (already escaped where a case wants odd bytes)."""
    name: str
    method: str
    path: str
    query: str = ""
    body: bytes | None = None
    content_type: str | None = None
    auth: str | None = "admin-if-org"


def base_body(op: Operation, w: dict) -> dict:
    """A small valid body for each operation with a JSON body (the scaffold the field cases vary)."""
    msg = [{"role": "user", "content": "Tell me about herons"}]
    bodies = {
        "createAssistant": {"model": MODEL}, "modifyAssistant": {"name": "fuzzed"},
        "createChatCompletion": {"model": MODEL, "messages": msg, "max_completion_tokens": 2},
        "updateChatCompletion": {"metadata": {"fuzz": "yes"}},
        "createCompletion": {"model": MODEL, "prompt": "Herons", "max_tokens": 2},
        "createEmbedding": {"model": "local-embed", "input": "herons"},
        "createEval": {"name": "fz", "data_source_config": eval_config(), "testing_criteria": eval_criteria()},
        "updateEval": {"name": "fuzzed"}, "createEvalRun": {"data_source": eval_source()},
        "createFineTuningCheckpointPermission": {"project_ids": [w["project"]]},
        "createFineTuningJob": {"model": MODEL, "training_file": "file-fuzz-unknown"},
        "createModeration": {"input": "herons"},
        "uploadCertificate": {"name": "fz", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"},
        "activateOrganizationCertificates": {"certificate_ids": [w["certificate"]]},
        "deactivateOrganizationCertificates": {"certificate_ids": [w["certificate"]]},
        "modifyCertificate": {"name": "fuzzed"}, "create-project": {"name": "fz"}, "modify-project": {"name": "fuzz"},
        "update-project-rate-limits": {"max_requests_per_1_minute": 10},
        "create-project-service-account": {"name": "fz"},
        "create-project-user": {"email": "fuzz@example.com", "role": "member"},
        "modify-project-user": {"role": "member"},
        "createResponse": {"model": MODEL, "input": "Herons", "max_output_tokens": 16},
        "createThread": {}, "createThreadAndRun": {"assistant_id": w["assistant"], "max_completion_tokens": 256},
        "modifyThread": {"metadata": {"fuzz": "yes"}}, "createMessage": {"role": "user", "content": "Hello"},
        "modifyMessage": {"metadata": {"fuzz": "yes"}},
        "createRun": {"assistant_id": w["assistant"], "max_completion_tokens": 256},
        "modifyRun": {"metadata": {"fuzz": "yes"}},
        "submitToolOuputsToRun": {"tool_outputs": [{"tool_call_id": "call_fuzz", "output": "1"}]},
        "createVectorStore": {"name": "fz"}, "modifyVectorStore": {"name": "fuzzed"},
        "createVectorStoreFileBatch": {"file_ids": [w["file"]]}, "createVectorStoreFile": {"file_id": w["file"]},
        "updateVectorStoreFileAttributes": {"attributes": {"fuzz": "yes"}},
        "searchVectorStore": {"query": "herons"},
        "Getinputtokencounts": {"model": MODEL, "input": "Herons"},
        "Compactconversation": {"model": MODEL, "input": "Herons"},
    }
    return dict(bodies.get(op.operation_id, {}))


def encode(body) -> bytes:
    """JSON text of `body`, with the NaN/Infinity markers spliced in as bare literals."""
    text = json.dumps(body)
    return text.replace(f'"{NAN}"', "NaN").replace(f'"{INF}"', "1e999").encode()


def field_variants(doc: dict, name: str, schema, rng: random.Random) -> list[tuple[str, object]]:
    """(label, value) pairs that break one field: the types it refuses, numbers out of range, odd strings."""
    types = types_of(doc, schema)
    out = [(f"{name}={kind}", value) for kind, value in TYPE_SAMPLES.items() if types and kind not in types]
    if types & {"integer", "number"}:
        out += [(f"{name}=2**70", HUGE), (f"{name}=-2**70", -HUGE), (f"{name}=-1", -1), (f"{name}=NaN", NAN),
                (f"{name}=1e999", INF), (f"{name}='NaN'", "NaN")]
    if "string" in types or not types:
        out += [(f"{name}=100k chars", LONG), (f"{name}=''", ""), (f"{name}=NUL+surrogate", "a\u0000b\ud800c"),
                (f"{name}=unicode+newline", "h\u00e9ron \U0001f426 \u202e\nsecond line")]
    if types & {"array", "object"}:
        nested = "deep"
        for _ in range(300):
            nested = [nested] if "array" in types else {"a": nested}
        out += [(f"{name}=300-deep", nested)]
        out += [(f"{name}=[{{}}]" if "array" in types else f"{name}={{'':''}}", [{}] if "array" in types else {"": ""})]
    rng.shuffle(out)
    return out


def rich_body(op: Operation, w: dict) -> dict:
    """A valid body that uses the operation's nested structures (tools, content parts, filters, ...),
    so that `nested_cases` can break them one leaf at a time. Falls back to `base_body`."""
    params = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    function = {"name": "lookup", "description": "Look a word up", "parameters": params}
    json_schema = {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}}
    chunking = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 10}}
    tools = [{"type": "function", "function": function}, {"type": "file_search", "file_search": {"max_num_results": 3}}]
    resources = {"file_search": {"vector_store_ids": [w["vector_store"]]}}
    thread_message = {"role": "user", "content": [{"type": "text", "text": "Hello herons"}], "metadata": {"k": "v"},
                      "attachments": [{"file_id": w["file"], "tools": [{"type": "file_search"}]}]}
    truncation = {"type": "last_messages", "last_messages": 2}
    response_input = [{"role": "user", "content": [{"type": "input_text", "text": "Tell me about herons"}]},
                      {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Herons."}]},
                      {"role": "user", "content": "And kelp?"}]
    response_tools = [{"type": "function", "name": "lookup", "parameters": params},
                      {"type": "file_search", "vector_store_ids": [w["vector_store"]]}]
    assistant = {"name": "fz", "instructions": "Be brief.", "tools": tools, "tool_resources": resources,
                 "metadata": {"k": "v"}, "temperature": 1, "top_p": 1, "response_format": json_schema}
    run = {"assistant_id": w["assistant"], "tools": tools, "tool_choice": {"type": "function", "function": {"name": "lookup"}},
           "truncation_strategy": truncation, "response_format": {"type": "json_object"}, "max_completion_tokens": 256,
           "metadata": {"k": "v"}, "temperature": 1, "parallel_tool_calls": True}
    bodies = {
        "createAssistant": {"model": MODEL, **assistant}, "modifyAssistant": assistant,
        "createChatCompletion": {
            "model": MODEL, "max_completion_tokens": 2, "seed": 1, "logprobs": True, "top_logprobs": 2, "stop": ["\n"],
            "messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": [{"type": "text", "text": "Tell me about herons"}]},
                         {"role": "assistant", "content": None, "tool_calls": [
                             {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
                         {"role": "tool", "tool_call_id": "call_1", "content": "Herons are birds."}],
            "tools": [{"type": "function", "function": function}], "logit_bias": {"50": -100},
            "tool_choice": {"type": "function", "function": {"name": "lookup"}}, "response_format": json_schema,
            "metadata": {"k": "v"}},
        "createCompletion": {"model": MODEL, "prompt": ["Herons", "Kelp"], "max_tokens": 2, "logprobs": 2,
                             "stop": ["x"], "logit_bias": {"5": 1}, "echo": True, "suffix": "s"},
        "createEmbedding": {"model": "local-embed", "input": ["herons", "kelp"], "dimensions": 8,
                            "encoding_format": "base64"},
        "createModeration": {"model": "local-moderation", "input": [{"type": "text", "text": "herons"}]},
        "createEval": {"name": "fz", "metadata": {"k": "v"}, "data_source_config": eval_config(), "testing_criteria": [
            *eval_criteria(), {"type": "text_similarity", "name": "close", "input": "{{sample.output_text}}",
                               "reference": "{{item.answer}}", "evaluation_metric": "fuzzy_match",
                               "pass_threshold": 0.5}]},
        "createEvalRun": {"name": "fz", "metadata": {"k": "v"}, "data_source": {
            "type": "completions", "model": MODEL, "sampling_params": {"max_completion_tokens": 2, "temperature": 1},
            "source": {"type": "file_content", "content": [{"item": {"question": "Capital of Peru?", "answer": "Lima"}}]},
            "input_messages": {"type": "template", "template": [{"role": "user", "content": "{{item.question}}"}]}}},
        "createFineTuningJob": {"model": MODEL, "training_file": w["training_file"], "suffix": "fz", "seed": 1,
                                "metadata": {"k": "v"}, "method": {"type": "supervised", "supervised": {
                                    "hyperparameters": {"n_epochs": 1, "batch_size": 2, "learning_rate_multiplier": 0.1}}}},
        "createResponse": {"model": MODEL, "input": response_input, "instructions": "Be brief.", "tools": response_tools,
                           "tool_choice": "auto", "max_output_tokens": 16, "metadata": {"k": "v"}, "store": False,
                           "text": {"format": {"type": "json_schema", "name": "s", "schema": {"type": "object"}}},
                           "reasoning": {"effort": "low"}, "include": ["file_search_call.results"], "truncation": "auto"},
        "Getinputtokencounts": {"model": MODEL, "input": response_input, "tools": response_tools, "instructions": "x"},
        "Compactconversation": {"model": MODEL, "input": response_input, "instructions": "x"},
        "createThread": {"messages": [thread_message], "tool_resources": resources, "metadata": {"k": "v"}},
        "createThreadAndRun": {**run, "thread": {"messages": [thread_message], "tool_resources": resources}},
        "createMessage": {**thread_message, "content": [{"type": "text", "text": "Hi"},
                                                        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]},
        "createRun": {**run, "additional_messages": [thread_message]},
        "createVectorStore": {"name": "fz", "file_ids": [w["file"]], "chunking_strategy": chunking, "metadata": {"k": "v"},
                              "expires_after": {"anchor": "last_active_at", "days": 1}},
        "modifyVectorStore": {"name": "fz", "metadata": {"k": "v"}, "expires_after": {"anchor": "last_active_at", "days": 1}},
        "createVectorStoreFileBatch": {"files": [{"file_id": w["file"], "attributes": {"k": "v"}}], "chunking_strategy": chunking,
                                       "attributes": {"k": "v", "n": 1, "b": True}},
        "createVectorStoreFile": {"file_id": w["file"], "chunking_strategy": chunking, "attributes": {"k": "v", "n": 1}},
        "updateVectorStoreFileAttributes": {"attributes": {"k": "v", "n": 1, "b": True}},
        "searchVectorStore": {"query": ["herons", "kelp"], "max_num_results": 5, "rewrite_query": False,
                              "filters": {"type": "and", "filters": [{"type": "eq", "key": "k", "value": "v"},
                                                                     {"type": "gte", "key": "n", "value": 1}]},
                              "ranking_options": {"ranker": "auto", "score_threshold": 0.1}},
        "update-project-rate-limits": {"max_requests_per_1_minute": 10, "max_tokens_per_1_minute": 1000,
                                       "max_requests_per_1_day": 100},
        "submitToolOuputsToRun": {"tool_outputs": [{"tool_call_id": "call_fuzz", "output": "1"}], "stream": False},
    }
    return bodies.get(op.operation_id) or base_body(op, w)


_DELETE = object()
#: what a nested value is replaced by (or `_DELETE`d)
NESTED_VALUES = [_DELETE, "fuzz", 7, -1, HUGE, 2.5, True, None, [], {}, [1, "x"], {"x": [1]}, "", LONG, "a\u0000b\n"]


def _nested_paths(value, path=()):
    """Paths (key/index tuples) of every value at least two levels down in a body."""
    items = value.items() if isinstance(value, dict) else enumerate(value[:3]) if isinstance(value, list) else ()
    for key, child in items:
        if len(path) >= 1:
            yield (*path, key)
        yield from _nested_paths(child, (*path, key))


def _replaced(body, path, new):
    body = json.loads(json.dumps(body))
    parent = body
    for key in path[:-1]:
        parent = parent[key]
    if new is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return body


def nested_cases(op: Operation, w: dict, path: str, rng: random.Random) -> list[Case]:
    """The rich body as is, then NESTED_BUDGET copies with one nested value replaced or removed."""
    rich = rich_body(op, w)
    cases = [Case("rich body", op.method, path, body=encode(rich), content_type="application/json")]
    paths = list(_nested_paths(rich))
    rng.shuffle(paths)
    for where in paths[:NESTED_BUDGET]:
        new = rng.choice(NESTED_VALUES)
        label = "deleted" if new is _DELETE else (f"{len(new)} chars" if isinstance(new, str) and len(new) > 50
                                                   else json.dumps(new)[:20])
        cases.append(Case(f"{'.'.join(map(str, where))}={label}", op.method, path,
                          body=encode(_replaced(rich, where, new)), content_type="application/json"))
    return cases


def body_cases(doc: dict, op: Operation, w: dict, path: str, rng: random.Random) -> list[Case]:
    media, schema = request_body(doc, op)
    if media is None:
        # bodies an operation never reads must not upset it either
        return [Case("garbage body", op.method, path, body=b"{not json", content_type="application/json"),
                Case("array body", op.method, path, body=b"[1, 2]", content_type="application/json")]
    if media.startswith("multipart/"):
        return multipart_cases(op, path)
    base = base_body(op, w)
    props = schema["properties"]
    post = lambda name, body, ct="application/json": Case(name, op.method, path, body=body, content_type=ct)  # noqa: E731
    cases = [
        post("no body", None), post("empty object", b"{}"), post("not JSON", b'{"model": '),
        post("JSON array", encode([base])), post("JSON null", b"null"), post("JSON string", b'"text"'),
        post("text/plain JSON", encode(base), "text/plain"),
        post("form-encoded", b"model=local-ngram&input=x", "application/x-www-form-urlencoded"),
        post("invalid UTF-8", b'{"model": "\xff\xfe\xfd", "input": "\xc3("}'),
        post("unknown extra field", encode({**base, "zz_unknown_field": {"x": 1}})),
        post("100k-deep JSON", b'{"zz": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        post("lone surrogate escape", b'{"zz": "\\ud800", "name": "\\udfff"}'),
    ]
    for name in schema["required"][:3]:
        cases.append(post(f"missing required '{name}'", encode({k: v for k, v in base.items() if k != name})))
    numeric = [n for n, s in props.items() if types_of(doc, s) & {"integer", "number"}]
    if numeric:
        cases.append(post("every number NaN", encode({**base, **{n: NAN for n in numeric}})))
        cases.append(post("every number 2**70", encode({**base, **{n: HUGE for n in numeric}})))
    # field cases: round-robin over the fields (required first), one variant per field per round
    names = list(dict.fromkeys([*schema["required"], *sorted(props)]))
    pools = {n: field_variants(doc, n, props.get(n, {}), rng) for n in names}
    picked: list[Case] = []
    while len(picked) < FIELD_BUDGET and any(pools.values()):
        for n in names:
            if pools[n] and len(picked) < FIELD_BUDGET:
                label, value = pools[n].pop()
                picked.append(post(label, encode({**base, n: value})))
    return cases + picked + nested_cases(op, w, path, rng)


def _multipart(fields: list[tuple[str, str | None, bytes]], boundary: str = "fuzzBoundary") -> bytes:
    parts = []
    for name, filename, data in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def multipart_cases(op: Operation, path: str) -> list[Case]:
    ct = "multipart/form-data; boundary=fuzzBoundary"
    form = lambda name, fields, ctype=ct: Case(name, op.method, path, body=_multipart(fields), content_type=ctype)  # noqa: E731
    good = ("file", "a.txt", b"herons")
    purpose = lambda v: ("purpose", None, v.encode("utf-8", "surrogatepass"))  # noqa: E731
    return [
        Case("no body", op.method, path, content_type=ct),
        Case("JSON instead of a form", op.method, path, body=b'{"purpose": "assistants"}',
             content_type="application/json"),
        form("missing file", [purpose("assistants")]), form("missing purpose", [good]),
        form("unknown purpose", [good, purpose("sideways")]), form("empty purpose", [good, purpose("")]),
        form("purpose NUL+surrogate", [good, purpose("a\u0000\ud800")]),
        form("file as a text field", [("file", None, b"herons"), purpose("assistants")]),
        form("empty file", [("file", "a.txt", b""), purpose("assistants")]),
        form("two files", [good, good, purpose("assistants")]),
        form("unknown field", [good, purpose("assistants"), ("zz_unknown", None, b"1")]),
        form("5000-char filename", [("file", "a" * 5000 + ".txt", b"x"), purpose("assistants")]),
        form("odd filename", [("file", "../..\\%00'\".txt", b"x"), purpose("assistants")]),
        form("binary fine-tune file", [("file", "t.jsonl", b"\xff\xfe\x00{"), purpose("fine-tune")]),
        form("expires_after bad anchor", [good, purpose("assistants"), ("expires_after[anchor]", None, b"sideways"),
                                          ("expires_after[seconds]", None, b"3600")]),
        form("expires_after seconds abc", [good, purpose("assistants"), ("expires_after[anchor]", None, b"created_at"),
                                           ("expires_after[seconds]", None, b"abc")]),
        form("expires_after seconds 2**70", [good, purpose("assistants"),
                                             ("expires_after[anchor]", None, b"created_at"),
                                             ("expires_after[seconds]", None, str(HUGE).encode())]),
        form("expires_after JSON array", [good, purpose("assistants"), ("expires_after", None, b"[1]")]),
        form("expires_after JSON NaN", [good, purpose("assistants"),
                                        ("expires_after", None, b'{"anchor": "created_at", "seconds": NaN}')]),
        form("no boundary", [good, purpose("assistants")], "multipart/form-data"),
        Case("truncated form", op.method, path, body=_multipart([good, purpose("assistants")])[:40], content_type=ct),
    ]


#: odd ids for the last path parameter; `{other}` is a real id of another kind
ODD_IDS = [("unknown id", "fuzz_unknown_000000"), ("encoded slash", "a%2Fb"), ("dot dot", "%2E%2E"),
           ("quotes", "%27%22%3B--"), ("percent sign", "100%25"), ("NUL", "x%00y"), ("unicode", "h%C3%A9ron%E2%9C%93"),
           ("invalid UTF-8", "%FF%FE"), ("3000-char id", "i" * 3000), ("space", "a%20b"), ("newline", "a%0Ab"),
           ("semicolon", "a;b=1"), ("encoded slash alone", "%2F"), ("another kind", "{other}")]
#: for the earlier path parameters (the last one stays real when it can)
ODD_PARENT_IDS = [("unknown id", "fuzz_unknown_000000"), ("encoded slash", "a%2Fb"), ("another kind", "{other}")]


def real_path(op: Operation, w: dict, overrides: dict | None = None) -> str:
    values = {p: w[kind_of(op, p)] for p in op.params}
    values.update(overrides or {})
    return op.path.format(**values)


def other_kind(op: Operation, param: str, w: dict) -> str:
    """A real id of some other kind (never one equal to this parameter's own real id)."""
    own = w[kind_of(op, param)]
    kinds = sorted(k for k in w if w[k] != own)
    return w[kinds[zlib.crc32(f"{op.operation_id}:{param}".encode()) % len(kinds)]]


def path_cases(op: Operation, w: dict) -> list[Case]:
    cases = []
    params = op.params
    for i, param in enumerate(params):
        last = i == len(params) - 1
        for label, value in (ODD_IDS if last else ODD_PARENT_IDS):
            value = other_kind(op, param, w) if value == "{other}" else value
            overrides = {param: value}
            if op.destructive and not last:
                overrides[params[-1]] = "fuzz_unknown_000000"  # the real last object must survive
            cases.append(Case(f"{param}: {label}", op.method, real_path(op, w, overrides)))
    return cases


def query_cases(doc: dict, op: Operation, path: str) -> list[Case]:
    declared = {p["name"]: p for p in query_params(doc, op)}
    base = [("start_time", "1700000000")] if "start_time" in declared else []
    q = lambda name, *pairs: Case(name, op.method, path, query=urlencode([*base, *pairs]))  # noqa: E731
    cases = [q("unknown query parameter", ("zz_unknown", "1"))]
    if "start_time" in declared:
        cases.append(Case("missing start_time", op.method, path))
    for name, param in declared.items():
        schema = param.get("schema", {})
        kind = types_of(doc, schema)
        if name == "limit":
            cases += [q(f"limit={v}", ("limit", v)) for v in ("-1", "abc", str(HUGE), "0", "--1", "\u00b2", "1.5", "")]
        elif name in ("after", "before"):
            cases += [q(f"{name}=unknown", (name, "fuzz_unknown_000000")), q(f"{name}=quotes%", (name, "'\"%;--"))]
        elif name == "start_time":
            cases += [Case(f"start_time={v}", op.method, path, query=urlencode([("start_time", v)]))
                      for v in ("-1", str(HUGE), "abc", "1e3")]
        elif "integer" in kind or "number" in kind:
            cases += [q(f"{name}={v}", (name, v)) for v in ("abc", str(HUGE), "-1")]
        elif "boolean" in kind:
            cases.append(q(f"{name}=maybe", (name, "maybe")))
        elif "array" in kind:
            cases += [q(f"{name}=odd items", (name, "sideways"), (name, "\u0000")), q(f"{name}=''", (name, ""))]
        elif "object" in kind:
            cases += [q(f"{name}=text", (name, "x")), q(f"{name}[k]=long", (f"{name}[{'k' * 100}]", "v" * 600)),
                      q(f"{name}[gt]=2**70", (f"{name}[gt]", str(HUGE))), q(f"{name}[gte]=abc", (f"{name}[gte]", "abc"))]
        else:
            cases += [q(f"{name}=sideways", (name, "sideways")), q(f"{name}=3000 chars", (name, "s" * 3000)),
                      q(f"{name}=NUL", (name, "\u0000"))]
    return cases


def cases_for(op: Operation, w: dict, doc: dict) -> list[Case]:
    """Every malformed request made for `op` (deterministic for a given world)."""
    rng = random.Random(zlib.crc32(op.operation_id.encode()))
    # destructive calls aim at an id that does not exist, so the shared objects survive
    target = real_path(op, w, {op.params[-1]: "fuzz_unknown_000000"} if op.destructive and op.params else None)
    cases = path_cases(op, w) + body_cases(doc, op, w, target, rng) + query_cases(doc, op, target)
    cases.append(Case("method not allowed", "PATCH", target))
    if op.is_org:
        cases += [Case("no key", op.method, target, auth=None), Case("wrong key", op.method, target, auth="sk-wrong")]
    return cases
