"""The fuzz world (`test_fuzz_no_500.py`): one real object of every kind a path names, and a valid body
per operation (small, and rich with nested structures) for the fuzz cases to break.

Body and query cases aimed at real objects get past the path lookup to the validation behind it.

Example:
    >>> w = build_world(server.base_url, ADMIN_KEY, self_signed_pem("fuzz"), server.api_key)   # doctest: +SKIP
    >>> sorted(w)[:3]                                                           # doctest: +SKIP
    ['action_run', 'action_thread', 'api_key']
"""

from __future__ import annotations

import json
import time

import requests

ADMIN_KEY = "sk-admin-fuzz-no-500"
MODEL = "local-ngram"

#: which world object a path parameter names (run_id and file_id depend on the path, see `kind_of`)
PARAM_KINDS = {
    "assistant_id": "assistant", "completion_id": "chat_completion", "eval_id": "eval",
    "output_item_id": "output_item", "fine_tuned_model_checkpoint": "checkpoint", "permission_id": "permission",
    "fine_tuning_job_id": "fine_tuning_job", "certificate_id": "certificate", "project_id": "project",
    "api_key_id": "api_key", "rate_limit_id": "rate_limit", "service_account_id": "service_account",
    "user_id": "project_user", "response_id": "response", "thread_id": "thread", "message_id": "message",
    "step_id": "step", "vector_store_id": "vector_store", "batch_id": "file_batch", "file_id": "file",
    "conversation_id": "conversation", "item_id": "conversation_item", "invite_id": "invite",
    "model": "model",
}


def kind_of(op, param: str) -> str:
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
    def __init__(self, base_url: str, admin_key: str, api_key: str | None):
        self.base_url, self.admin_key, self.api_key = base_url, admin_key, api_key
        self.session = requests.Session()

    def __call__(self, method: str, path: str, *, admin: bool = False, **kwargs) -> dict:
        key = self.admin_key if admin else self.api_key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
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


def build_world(base_url: str, admin_key: str, certificate_pem: str, api_key: str | None) -> dict[str, str]:
    """Make one object of every kind a path names (sending `api_key`, or `admin_key` where only it opens
    the route); returns kind -> id."""
    call, w = _Caller(base_url, admin_key, api_key), {}
    upload = {"purpose": "assistants"}
    w["file"] = call("POST", "/files", files={"file": ("atlas.txt", ATLAS.encode())}, data=upload)["id"]
    batch_file = call("POST", "/files", files={"file": ("more.txt", ATLAS.encode())}, data=upload)["id"]
    training = call("POST", "/files", files={"file": ("train.jsonl", training_jsonl())},
                    data={"purpose": "fine-tune"})["id"]
    w["fine_tuning_job"] = call("POST", "/fine_tuning/jobs", json={
        "model": MODEL, "training_file": training, "seed": 1, "hyperparameters": {"n_epochs": 1, "batch_size": 2}})["id"]
    w["training_file"] = training
    w["model"] = MODEL
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
    conversation = call("POST", "/conversations", json={"items": [{"role": "user", "content": "Hello herons"}]})
    w["conversation"] = conversation["id"]
    w["conversation_item"] = call("GET", f"/conversations/{w['conversation']}/items")["data"][0]["id"]
    w["invite"] = call("POST", "/organization/invites", json={"email": "fuzz-invite@example.com", "role": "reader"},
                       admin=True)["id"]
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


def base_body(op, w: dict) -> dict:
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
        "createConversation": {"metadata": {"fuzz": "yes"}, "items": msg},
        "updateConversation": {"metadata": {"fuzz": "yes"}}, "createConversationItems": {"items": msg},
        "modify-user": {"role": "reader"}, "inviteUser": {"email": "fuzz-again@example.com", "role": "reader"},
    }
    return dict(bodies.get(op.operation_id, {}))


def rich_body(op, w: dict) -> dict:
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
        "createConversation": {"metadata": {"k": "v"}, "items": response_input + [
            {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "Herons are birds."},
            {"type": "item_reference", "id": w["conversation_item"]}]},
        "createConversationItems": {"items": response_input + [
            {"role": "user", "content": [{"type": "input_file", "file_id": w["file"]}]}]},
        "inviteUser": {"email": "fuzz-rich@example.com", "role": "owner",
                       "projects": [{"id": w["project"], "role": "member"}]},
    }
    return bodies.get(op.operation_id) or base_body(op, w)
