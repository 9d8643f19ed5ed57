"""/v1/conversations: create, retrieve, update (metadata) and delete conversations; add, list,
retrieve and delete their items. Responses join a conversation with their `conversation` parameter
(see `responses.engine`): they read its items first and append their input and output to it.

Items are shown as the Responses API shows them; `include` adds what is left out by default:
`message.output_text.logprobs` (the logprobs of assistant text) and `file_search_call.results`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.conversations import store as conversations
from jupyter_api_kit.local.conversations.request import (
    IncludeQuery,
    ItemsQuery,
    NewItems,
    UpdateConversationBody,
    new_conversation,
    new_items,
)
from jupyter_api_kit.local.core.paging import Cursor, list_object
from jupyter_api_kit.local.core.request_models import body, query
from jupyter_api_kit.local.responses.request import public_item

router = APIRouter()
BASE = "/conversations"
ITEMS = "/conversations/{conversation_id}/items"


def present_item(item: dict, include=()) -> dict:
    """A stored item as the API shows it: logprobs and file search results only when included.

    Example:
        >>> part = {"type": "output_text", "text": "Hi", "annotations": [], "logprobs": [{"token": "Hi"}]}
        >>> item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed", "content": [part]}
        >>> present_item(item)["content"][0]["logprobs"]
        []
        >>> present_item(item, ["message.output_text.logprobs"])["content"][0]["logprobs"]
        [{'token': 'Hi'}]
    """
    out = public_item(item)
    if out.get("type") == "message" and "message.output_text.logprobs" not in include:
        out["content"] = [{**part, "logprobs": []} if part.get("type") == "output_text" else part
                          for part in out["content"]]
    if out.get("type") == "file_search_call" and "file_search_call.results" not in include:
        out["results"] = None
    return out


@router.post(BASE)
def create_conversation(request: Request, new: NewItems = Depends(new_conversation)):
    return conversations.create(request.app.state.store, new.metadata, new.items)


@router.get(BASE + "/{conversation_id}")
def retrieve_conversation(conversation_id: str, request: Request):
    return conversations.conversation_object(conversations.get(request.app.state.store, conversation_id))


@router.post(BASE + "/{conversation_id}")
def update_conversation(conversation_id: str, request: Request,
                        update: UpdateConversationBody = Depends(body(UpdateConversationBody))):
    return conversations.update(request.app.state.store, conversation_id, update.metadata or {})


@router.delete(BASE + "/{conversation_id}")
def delete_conversation(conversation_id: str, request: Request):
    return conversations.delete(request.app.state.store, conversation_id)


@router.post(ITEMS)
def create_items(conversation_id: str, request: Request, new: NewItems = Depends(new_items),
                 options: IncludeQuery = Depends(query(IncludeQuery))):
    added = conversations.add_items(request.app.state.store, conversation_id, new.items)
    return list_object([present_item(item, options.include) for item in added], False)


@router.get(ITEMS)
def list_items(conversation_id: str, request: Request, options: ItemsQuery = Depends(query(ItemsQuery))):
    cursor = Cursor(limit=options.limit, order=options.order, after=options.after)
    return conversations.items_page(request.app.state.store, conversation_id, cursor,
                                    lambda item: present_item(item, options.include))


@router.get(ITEMS + "/{item_id}")
def retrieve_item(conversation_id: str, item_id: str, request: Request,
                  options: IncludeQuery = Depends(query(IncludeQuery))):
    return present_item(conversations.get_item(request.app.state.store, conversation_id, item_id), options.include)


@router.delete(ITEMS + "/{item_id}")
def delete_item(conversation_id: str, item_id: str, request: Request):
    return conversations.delete_item(request.app.state.store, conversation_id, item_id)
