"""/v1/assistants: list, create, retrieve, modify, delete.

An assistant is a stored configuration (model, instructions, function tools, sampling); runs copy
it when they are created, so changing or deleting an assistant never changes a run already made.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.assistants.file_search import create_new_stores
from jupyter_api_kit.local.assistants.options import (
    parse_response_format,
    parse_tool_resources,
    parse_tools,
    sampling,
)
from jupyter_api_kit.local.assistants.request import AssistantBody, CreateAssistantBody
from jupyter_api_kit.local.assistants.store import (
    get_assistant,
    insert_assistant,
    remove_assistant,
    save,
)
from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.db import loads
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.ids import new_id, now
from jupyter_api_kit.local.core.paging import Cursor, page, paging
from jupyter_api_kit.local.core.request_models import checked

router = APIRouter()

def _checked(body: dict, *, creating: bool) -> dict:
    """The fields of an assistant body (as `AssistantBody` checked it) in the stored form, with the
    local server's rules on tools and formats applied. `reasoning_effort` is taken and left out: the
    local models do no reasoning."""
    values = {
        "model": body.get("model"),
        "name": body.get("name"),
        "description": body.get("description"),
        "instructions": body.get("instructions"),
        "tools": parse_tools(body.get("tools")),
        "tool_resources": parse_tool_resources(body.get("tool_resources"), new_stores=creating),
        "metadata": body.get("metadata"),
        "response_format": parse_response_format(body.get("response_format")),
        **sampling(body),
    }
    if not creating:
        # On modify, a field sent as null clears it; a field not sent is left alone.
        return {k: v for k, v in values.items() if k in body}
    return values


@router.post("/assistants")
def create_assistant(request: Request, body: dict = Depends(checked(CreateAssistantBody)),
                     principal: Principal = Depends(authenticate)):
    v = _checked(body, creating=True)
    v["tool_resources"] = create_new_stores(request.app, v["tool_resources"], principal)
    assistant = {
        "id": new_id("asst_"), "object": "assistant", "created_at": now(), "name": v["name"],
        "description": v["description"], "model": v["model"], "instructions": v["instructions"],
        "tools": v["tools"] or [], "tool_resources": v["tool_resources"] or {}, "metadata": v["metadata"] or {},
        "temperature": 1.0 if v["temperature"] is None else v["temperature"],
        "top_p": 1.0 if v["top_p"] is None else v["top_p"], "response_format": v["response_format"] or "auto",
    }
    insert_assistant(request.app.state.store, assistant)
    return assistant


@router.get("/assistants")
def list_assistants(request: Request, cursor: Cursor = Depends(paging(order="desc"))):
    return page(request.app.state.store, "assistants", cursor, lambda row: loads(row["body"]))


@router.get("/assistants/{assistant_id}")
def retrieve_assistant(assistant_id: str, request: Request):
    return get_assistant(request.app.state.store, assistant_id)


@router.post("/assistants/{assistant_id}")
def modify_assistant(assistant_id: str, request: Request, body: dict = Depends(checked(AssistantBody, required=True))):
    changes = _checked(body, creating=False)
    if changes.get("model", "") is None:
        raise BadRequest("Invalid 'model': an assistant needs a model; send a model id or leave it out.",
                         param="model")
    defaults = {"tools": [], "tool_resources": {}, "metadata": {}, "temperature": 1.0, "top_p": 1.0,
                "response_format": "auto"}
    store = request.app.state.store
    with store.tx() as db:
        assistant = get_assistant(store, assistant_id)
        for key, value in changes.items():
            assistant[key] = defaults.get(key) if value is None and key in defaults else value
        save(db, "assistants", assistant)
    return assistant


@router.delete("/assistants/{assistant_id}")
def delete_assistant(assistant_id: str, request: Request):
    store = request.app.state.store
    get_assistant(store, assistant_id)
    remove_assistant(store, assistant_id)
    return {"id": assistant_id, "object": "assistant.deleted", "deleted": True}
