"""/v1/threads: threads (create, retrieve, modify, delete) and their messages (list, create,
retrieve, modify, delete). Create-and-run (`POST /threads/runs`) is registered here first, so that
`runs` is never taken for a thread id; it is implemented with the other run operations.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.assistants.file_search import create_new_stores
from jupyter_api_kit.local.assistants.options import parse_tool_resources
from jupyter_api_kit.local.assistants.request import (
    CreateMessageBody,
    CreateThreadBody,
    MessagesQuery,
    MetadataBody,
    ModifyThreadBody,
    parse_thread_request,
)
from jupyter_api_kit.local.assistants.run_routes import create_thread_and_run
from jupyter_api_kit.local.assistants.store import (
    active_run,
    get_message,
    get_thread,
    insert_message,
    insert_thread,
    parse_message,
    remove_message,
    remove_thread,
    save,
)
from jupyter_api_kit.local.core.auth import Principal, authenticate
from jupyter_api_kit.local.core.db import loads
from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.paging import Cursor, page, paging
from jupyter_api_kit.local.core.request_models import checked, query

router = APIRouter()
router.add_api_route("/threads/runs", create_thread_and_run, methods=["POST"])


def _expire_due(request: Request, thread_id: str) -> None:
    # Runs waiting for tool outputs past their deadline are expired before anyone looks at the thread.
    request.app.state.run_engine.expire_due(thread_id)


@router.post("/threads")
def create_thread(request: Request, body: dict = Depends(checked(CreateThreadBody)),
                  principal: Principal = Depends(authenticate)):
    parsed = parse_thread_request(body)
    parsed["tool_resources"] = create_new_stores(request.app, parsed["tool_resources"], principal)
    store = request.app.state.store
    with store.tx() as db:
        thread = insert_thread(db, parsed)
        for message in parsed["messages"]:
            insert_message(db, thread["id"], message)
    return thread


@router.get("/threads/{thread_id}")
def retrieve_thread(thread_id: str, request: Request):
    return get_thread(request.app.state.store, thread_id)


@router.post("/threads/{thread_id}")
def modify_thread(thread_id: str, request: Request, body: dict = Depends(checked(ModifyThreadBody, required=True))):
    metadata = body.get("metadata")
    resources = parse_tool_resources(body.get("tool_resources"))
    store = request.app.state.store
    with store.tx() as db:
        thread = get_thread(store, thread_id)
        if "metadata" in body:
            thread["metadata"] = metadata or {}
        if "tool_resources" in body:
            thread["tool_resources"] = resources or {}
        save(db, "threads", thread)
    return thread


@router.delete("/threads/{thread_id}")
def delete_thread(thread_id: str, request: Request):
    store = request.app.state.store
    get_thread(store, thread_id)
    running = active_run(store, thread_id)
    remove_thread(store, thread_id)
    if running:
        request.app.state.run_engine.request_cancel(running)  # its worker stops at the next token
    return {"id": thread_id, "object": "thread.deleted", "deleted": True}


@router.get("/threads/{thread_id}/messages")
def list_messages(thread_id: str, request: Request, cursor: Cursor = Depends(paging(order="desc")),
                  options: MessagesQuery = Depends(query(MessagesQuery))):
    store = request.app.state.store
    get_thread(store, thread_id)
    run_id = options.run_id
    where, params = "thread_id = ?", [thread_id]
    if run_id is not None:
        where, params = where + " AND run_id = ?", params + [run_id]
    return page(store, "thread_messages", cursor, lambda row: loads(row["body"]), where=where, params=params)


@router.post("/threads/{thread_id}/messages")
def create_message(thread_id: str, request: Request, body: dict = Depends(checked(CreateMessageBody))):
    parsed = parse_message(body)
    store = request.app.state.store
    get_thread(store, thread_id)
    _expire_due(request, thread_id)
    with store.tx() as db:
        running = active_run(store, thread_id)
        if running:
            raise BadRequest(f"Can't add messages to {thread_id} while a run {running} is active; wait for it to "
                             "end or cancel it.", param="thread_id")
        return insert_message(db, thread_id, parsed)


@router.get("/threads/{thread_id}/messages/{message_id}")
def retrieve_message(thread_id: str, message_id: str, request: Request):
    return get_message(request.app.state.store, thread_id, message_id)


@router.post("/threads/{thread_id}/messages/{message_id}")
def modify_message(thread_id: str, message_id: str, request: Request,
                   body: dict = Depends(checked(MetadataBody, required=True))):
    metadata = body.get("metadata")
    store = request.app.state.store
    with store.tx() as db:
        message = get_message(store, thread_id, message_id)
        if "metadata" in body:
            message["metadata"] = metadata or {}
        save(db, "thread_messages", message)
    return message


@router.delete("/threads/{thread_id}/messages/{message_id}")
def delete_message(thread_id: str, message_id: str, request: Request):
    store = request.app.state.store
    get_message(store, thread_id, message_id)
    remove_message(store, thread_id, message_id)
    return {"id": message_id, "object": "thread.message.deleted", "deleted": True}
