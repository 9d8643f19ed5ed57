"""The Conversations API's requests, read and checked before a handler runs: the bodies of create,
update and add-items, and the `limit`/`order`/`after`/`include` of the item queries.

Items are read as the Responses API reads `input` (messages, item references, function calls and
their outputs, file search calls, compactions), so a bad one is a 400 naming it, e.g.
`items[1].role`, and nothing of the request is stored.

Example:
    >>> read(CreateConversationBody, {"metadata": {"topic": "moons"}, "items": [{"role": "user", "content": "Hi"}]})
    CreateConversationBody(metadata={'topic': 'moons'}, items=[Message(type=None, id=None, role='user', content='Hi', status=None)])
    >>> read(UpdateConversationBody, {})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Missing required parameter: 'metadata'.
    >>> read(ItemsQuery, {"order": "sideways"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.BadRequest: Invalid value for 'order': 'sideways'. Supported values are: ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import Field

from jupyter_api_kit.local.core.raw_request import json_body
from jupyter_api_kit.local.core.request_models import BodyModel, Metadata, QueryModel, read
from jupyter_api_kit.local.responses.bodies import Item
from jupyter_api_kit.local.responses.request import parse_input

#: what `include` may name (the API's IncludeEnum)
IncludeName = Literal["file_search_call.results", "web_search_call.results", "web_search_call.action.sources",
                      "message.input_image.image_url", "computer_call_output.output.image_url",
                      "code_interpreter_call.outputs", "reasoning.encrypted_content", "message.output_text.logprobs"]
#: the API adds at most 20 items per request
MAX_ITEMS = 20
Items = Annotated[list[Item], Field(max_length=MAX_ITEMS)]


class CreateConversationBody(BodyModel):
    """`POST /conversations`: optional metadata and up to 20 first items."""

    metadata: Metadata | None = None
    items: Items | None = None


class UpdateConversationBody(BodyModel):
    """`POST /conversations/{id}`: the new metadata (it replaces the old; null clears it)."""

    metadata: Metadata | None


class CreateItemsBody(BodyModel):
    """`POST /conversations/{id}/items`: up to 20 items to append."""

    items: Items


class IncludeQuery(QueryModel):
    """`include` of the item operations: extra parts of items to show."""

    include: list[IncludeName] = []


class ItemsQuery(IncludeQuery):
    """`GET /conversations/{id}/items`: a page of items, newest first unless `order=asc`."""

    limit: int = Field(20, ge=1, le=100)
    order: Literal["asc", "desc"] = "desc"
    after: str | None = None


@dataclass
class NewItems:
    """Checked items, ready to store (ids given, references resolved), and the metadata that came
    with them (creating a conversation)."""

    items: list[dict]
    metadata: dict


def stored_items(request: Request, items: list | None) -> list[dict]:
    """The request's items as the Responses API stores input items; a bad one is a 400 naming it."""
    return parse_input(items or [], store=request.app.state.store, app=request.app, name="items")


def new_conversation(request: Request, raw: dict = Depends(json_body)) -> NewItems:
    """Dependency: the checked body of `POST /conversations`."""
    body = read(CreateConversationBody, raw)  # checked; the items are read on from the JSON as sent
    return NewItems(items=stored_items(request, raw.get("items")), metadata=body.metadata or {})


def new_items(request: Request, raw: dict = Depends(json_body)) -> NewItems:
    """Dependency: the checked body of `POST /conversations/{id}/items`."""
    read(CreateItemsBody, raw)
    return NewItems(items=stored_items(request, raw["items"]), metadata={})
