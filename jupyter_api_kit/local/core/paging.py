"""Cursor paging for list endpoints: `after`, `before`, `limit`, `order` over a table's `seq` column.

Example:
    >>> Cursor(limit=2, order="asc").limit
    2
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, create_model
from starlette.requests import Request

from jupyter_api_kit.local.core.errors import BadRequest
from jupyter_api_kit.local.core.request_models import Order, QueryModel, read_query


@dataclass(frozen=True)
class Cursor:
    """The paging parameters of one list request: `limit` items, in `order` (asc or desc by
    creation), after or before the item with that id.

    Example:
        >>> Cursor()
        Cursor(limit=20, order='desc', after=None, before=None)
    """

    limit: int = 20
    order: str = "desc"
    after: str | None = None
    before: str | None = None


@functools.lru_cache(maxsize=None)
def _paging_model(order: str, limit: int, max_limit: int) -> type[QueryModel]:
    return create_model("Paging", __base__=QueryModel, __doc__="The paging parameters of a list request.",
                        limit=(Annotated[int, Field(ge=1, le=max_limit)], limit), order=(Order, order),
                        after=(str | None, None), before=(str | None, None))


def paging(*, order: str = "desc", limit: int = 20, max_limit: int = 100):
    """A FastAPI dependency: the list request's `Cursor`, read from its query string with the
    endpoint's defaults (`order`, `limit`) and largest `limit`; a bad value is a 400 naming it.

    Example:
        >>> from types import SimpleNamespace
        >>> import asyncio
        >>> from starlette.datastructures import QueryParams
        >>> def read_cursor(query):
        ...     return asyncio.run(paging(order="asc", limit=10)(SimpleNamespace(query_params=QueryParams(query))))
        >>> read_cursor("after=msg_1")
        Cursor(limit=10, order='asc', after='msg_1', before=None)
        >>> read_cursor("limit=500")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.BadRequest: Invalid 'limit': 500 is above the maximum of 100.
    """
    model = _paging_model(order, limit, max_limit)

    async def dependency(request: Request) -> Cursor:
        return Cursor(**read_query(model, request.query_params).model_dump())

    return dependency


def list_object(data: list, has_more: bool, *, ids: bool = True) -> dict:
    """The API's list envelope."""
    body = {"object": "list", "data": data, "has_more": has_more}
    if ids:
        body["first_id"] = data[0]["id"] if data else ""
        body["last_id"] = data[-1]["id"] if data else ""
    return body


def page(store, table: str, cursor: Cursor, to_object: Callable, *, where: str = "1", params=(),
         columns: str = "*", ids: bool = True) -> dict:
    """One page of `table` rows matching `where`, ordered by `seq`, as the API's list object.

    `to_object(row)` turns a row into the API object; the row's `id` column is the cursor.
    """
    clauses, args = [f"({where})"], list(params)
    direction = "ASC" if cursor.order == "asc" else "DESC"
    for name, value, after_op in (("after", cursor.after, ">"), ("before", cursor.before, "<")):
        if value is None:
            continue
        row = store.one(f"SELECT seq FROM {table} WHERE id = ?", (value,))
        if row is None:
            raise BadRequest(f"Invalid '{name}': no object with id '{value}' in this list.", param=name)
        op = after_op if cursor.order == "asc" else {">": "<", "<": ">"}[after_op]
        clauses.append(f"seq {op} ?")
        args.append(row["seq"])
    rows = store.all(f"SELECT {columns} FROM {table} WHERE {' AND '.join(clauses)} "
                     f"ORDER BY seq {direction} LIMIT ?", (*args, cursor.limit + 1))
    data = [to_object(row) for row in rows[:cursor.limit]]
    return list_object(data, len(rows) > cursor.limit, ids=ids)


def keyed_page(store, table: str, where: str, args, cursor: Cursor, to_object, key: str = "id") -> dict:
    """A cursor page over `table` rows matching `where`, ordered by `seq`, whose cursor is the `key`
    column (unique only within `where`, e.g. a file id within one store)."""
    clauses, params = [f"({where})"], list(args)
    for value, forward in ((cursor.after, True), (cursor.before, False)):
        if value is None:
            continue
        row = store.one(f"SELECT seq FROM {table} WHERE ({where}) AND {key} = ?", (*args, value))
        if row is None:
            name = "after" if forward else "before"
            raise BadRequest(f"Invalid '{name}': no object with id '{value}' in this list.", param=name)
        clauses.append("seq > ?" if forward == (cursor.order == "asc") else "seq < ?")
        params.append(row["seq"])
    direction = "ASC" if cursor.order == "asc" else "DESC"
    rows = store.all(f"SELECT * FROM {table} WHERE {' AND '.join(clauses)} ORDER BY seq {direction} LIMIT ?",
                     (*params, cursor.limit + 1))
    return list_object([to_object(r) for r in rows[:cursor.limit]], len(rows) > cursor.limit)
