"""A `jupyter-api-kit serve` process seeded with one real object of every kind a path of the API names
(`served_world` fixture): the fuzz (`test_fuzz_api.py`) and the malformed-request regressions
(`test_malformed_requests.py`) aim at these, so their requests get past the "no such object" answer to the
checking behind it.

Example:
    >>> sorted(PARAM_KINDS)[:3]
    ['api_key_id', 'assistant_id', 'batch_id']
    >>> kind_of("submitToolOuputsToRun", "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", "run_id")
    'action_run'
    >>> kind_of("getEvalRun", "/evals/{eval_id}/runs/{run_id}", "run_id")
    'eval_run'
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import requests

ADMIN_KEY = "sk-admin-served-world"
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


def kind_of(operation_id: str, path: str, param: str) -> str:
    """Which world object the path parameter `param` of an operation names."""
    if operation_id == "submitToolOuputsToRun":  # a run that is waiting for tool outputs
        return {"thread_id": "action_thread", "run_id": "action_run"}[param]
    if param == "run_id":
        return "eval_run" if path.startswith("/evals") else "run"
    if param == "file_id" and path.startswith("/vector_stores"):
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
        assert r.status_code < 300, f"seeding the served world: {method} {path} -> {r.status_code} {r.text[:300]}"
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
    assert run["status"] in terminal, f"the served world's run did not end: {run['status']}"
    w["step"] = call("GET", f"/threads/{w['thread']}/runs/{w['run']}/steps")["data"][0]["id"]
    action = call.wait(f"/threads/{w['action_thread']}/runs/{w['action_run']}", lambda o: o["status"] in terminal)
    assert action["status"] == "requires_action", f"the served world's tool run ended {action['status']}"
    call.wait(f"/evals/{w['eval']}/runs/{w['eval_run']}", lambda o: o["status"] in terminal)
    w["output_item"] = call("GET", f"/evals/{w['eval']}/runs/{w['eval_run']}/output_items")["data"][0]["id"]
    job = call.wait(f"/fine_tuning/jobs/{w['fine_tuning_job']}", lambda o: o["status"] in terminal, timeout=120)
    assert job["status"] == "succeeded", f"the served world's fine-tuning job ended {job['status']}: {job.get('error')}"
    w["checkpoint"] = call("GET", f"/fine_tuning/jobs/{w['fine_tuning_job']}/checkpoints")["data"][0][
        "fine_tuned_model_checkpoint"]
    w["permission"] = call("POST", f"/fine_tuning/checkpoints/{w['checkpoint']}/permissions",
                           json={"project_ids": [w["project"]]}, admin=True)["data"][0]["id"]
    call.session.close()
    return w


def is_admin_path(path: str) -> bool:
    """Organization endpoints and checkpoint permissions take the admin key."""
    return path.startswith(("/organization/", "/fine_tuning/checkpoints/"))


@dataclass(frozen=True)
class ServedWorld:
    """A running `jupyter-api-kit serve` (`base_url` ends in /v1, its key `api_key`, database file `db`,
    log file `log`) and its objects."""

    base_url: str
    api_key: str
    world: dict[str, str]
    db: Path
    log: Path

    def headers(self, path: str) -> dict[str, str]:
        """The admin key for the paths that need it, the server's key for the others."""
        return {"Authorization": f"Bearer {ADMIN_KEY if is_admin_path(path) else self.api_key}"}


@contextlib.contextmanager
def served_world(folder: Path) -> Iterator[ServedWorld]:
    """Start `jupyter-api-kit serve` over a database in `folder`, seed it, yield it; stop it after."""
    from tests.org_support import self_signed_pem
    from tests.serve_support import serve_process

    db, log = folder / "served.db", folder / "served.log"
    with serve_process(folder, "--admin-key", ADMIN_KEY, db=db, log=log) as served:
        world = build_world(served.base_url, ADMIN_KEY, self_signed_pem("served world"), served.api_key)
        yield ServedWorld(served.base_url, served.api_key, world, db, log)
