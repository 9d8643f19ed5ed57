"""The base of every API group: small verb methods over the one transport.

A group is a `Resource` subclass in its own module; methods build the path and the parameters and
call `_get`, `_post`, `_delete` or `_list`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.pages import CursorPage
from jupyter_api_kit.client.streaming import Stream
from jupyter_api_kit.client.validation import check_metadata, drop_unset
from jupyter_api_kit.errors import InvalidInputError


def path_id(value, name: str) -> str:
    """An id for a URL path segment: non-empty, quoted so it cannot change the path."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{name} must be a non-empty string, got {value!r}", param=name)
    return quote(value, safe="")


def query_params(params: Mapping) -> dict:
    """Flatten query parameters the way the API reads them: `metadata[key]=value`, `include[]=a`."""
    out: dict = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            for sub, subvalue in value.items():
                out[f"{key}[{sub}]"] = subvalue
        elif isinstance(value, (list, tuple)):
            out[key if key.endswith("[]") else f"{key}[]"] = list(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = value
    return out


class Resource:
    """Holds the transport; subclasses add one method per API operation."""

    #: set on organization resources: their calls use the admin key
    admin = False

    def __init__(self, transport, client=None):
        self._transport = transport
        self._client = client

    def _get(self, path: str, params: Mapping | None = None) -> APIObject:
        return self._transport.json("GET", path, params=query_params(params or {}), admin=self.admin)

    def _post(self, path: str, body: Mapping | None = None, *, check=True, **kwargs) -> APIObject:
        body = drop_unset(body or {})
        if check and "metadata" in body:
            check_metadata(body["metadata"])
        return self._transport.json("POST", path, json_body=body, admin=self.admin, **kwargs)

    def _delete(self, path: str) -> APIObject:
        return self._transport.json("DELETE", path, admin=self.admin)

    def _stream(self, path: str, body: Mapping) -> Stream:
        body = drop_unset(body)
        if "metadata" in body:
            check_metadata(body["metadata"])
        response = self._transport.request("POST", path, json_body=body, stream=True, admin=self.admin,
                                           headers={"Accept": "text/event-stream"})
        return Stream(response)

    def _list(self, path: str, params: Mapping | None = None, page_cls=CursorPage):
        params = drop_unset(params or {})

        def fetch(p):
            return self._get(path, p)

        return page_cls(fetch(params), fetch, params)
