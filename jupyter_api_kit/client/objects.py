"""Result objects: the API's JSON as dicts with attribute access and the request id attached.

Example:
    >>> obj = APIObject({"id": "x", "choices": [{"message": {"content": "hi"}}]}, request_id="req_1")
    >>> obj.choices[0].message.content, obj["id"], obj.request_id
    ('hi', 'x', 'req_1')
"""

from __future__ import annotations

import json


def wrap(value):
    """Wrap nested dicts/lists so attribute access works at every depth."""
    if isinstance(value, dict) and not isinstance(value, APIObject):
        return APIObject(value)
    if isinstance(value, list) and not isinstance(value, APIList):
        return APIList(value)
    return value


class APIList(list):
    """A list whose dict items support attribute access."""

    def __getitem__(self, index):
        return wrap(super().__getitem__(index))

    def __iter__(self):
        return (wrap(v) for v in super().__iter__())


class APIObject(dict):
    """A JSON object from the API. A plain `dict` (so `json.dumps` and pandas accept it) with
    attribute access, the response's request id, and a DataFrame conversion where it makes sense."""

    request_id: str | None = None
    #: True when the object was answered from a replay file rather than by the server
    replayed: bool = False

    def __init__(self, data=(), *, request_id: str | None = None):
        super().__init__(data)
        if request_id is not None:
            self.request_id = request_id

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return wrap(self[name])
        except KeyError:
            raise AttributeError(f"{self.get('object', 'object')} has no field {name!r}") from None

    def __getitem__(self, key):
        return wrap(super().__getitem__(key))

    def get(self, key, default=None):
        """Like `dict.get`, with nested objects wrapped for attribute access.

        Example:
            >>> APIObject({"usage": {"total_tokens": 7}}).get("usage").total_tokens
            7
            >>> APIObject({}).get("usage", "none")
            'none'
        """
        return wrap(super().get(key, default))

    def to_dict(self) -> dict:
        """A deep plain-JSON copy."""
        return json.loads(json.dumps(self))

    def to_json(self, indent: int | None = 2) -> str:
        """The object as JSON text, indented by `indent` (None for one line).

        Example:
            >>> APIObject({"id": "file-1", "bytes": 3}).to_json(indent=None)
            '{"id": "file-1", "bytes": 3}'
        """
        return json.dumps(self, indent=indent)

    def __repr__(self) -> str:
        kind = super().get("object") or "APIObject"
        ident = super().get("id")
        head = f"{kind} {ident}" if ident else kind
        body = json.dumps(self, indent=None)
        if len(body) > 300:
            body = body[:297] + "..."
        return f"<{head}> {body}"
