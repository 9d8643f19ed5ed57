"""Server-sent events, parsed incrementally as bytes arrive.

`[DONE]` ends a stream; an `error` event (or a data payload with only an `error` key) raises
`StreamError`. Events are yielded as `APIObject`s; named events (`event: thread.run.created`) keep
their name in `.event`.

Example:
    >>> events = list(parse_sse([b'data: {"a": 1}\\n\\n', b'data: [DONE]\\n\\n']))
    >>> [(e.event, e.data) for e in events]
    [(None, '{"a": 1}'), (None, '[DONE]')]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.errors import APIConnectionError, StreamError


@dataclass
class ServerSentEvent:
    """One event of a server-sent event stream: its `event:` name (None if unnamed) and its
    `data:` lines joined by newlines.

    Example:
        >>> next(parse_sse([b"event: thread.created\\ndata: {}\\n\\n"]))
        ServerSentEvent(event='thread.created', data='{}')
    """

    event: str | None
    data: str


def parse_sse(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Split a byte stream into events as soon as each event's blank line arrives."""
    buffer = b""
    event, data_lines = None, []
    for chunk in chunks:
        buffer += chunk
        while True:
            cut = buffer.find(b"\n")
            if cut < 0:
                break
            line, buffer = buffer[:cut].rstrip(b"\r"), buffer[cut + 1:]
            if not line:
                if data_lines:
                    yield ServerSentEvent(event, "\n".join(data_lines))
                event, data_lines = None, []
                continue
            text = line.decode("utf-8")
            if text.startswith(":"):
                continue  # comment / keep-alive
            field, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data_lines.append(value)
            elif field == "event":
                event = value
    if data_lines:
        yield ServerSentEvent(event, "\n".join(data_lines))


class Stream:
    """An iterator over the JSON events of one streamed response.

    Use it in a `with` block, or iterate to the end; either way the connection is released.
    """

    def __init__(self, response, *, request_id: str | None = None):
        self.response = response
        self.request_id = request_id or response.headers.get("x-request-id")
        self._events = self._iterate()

    def _iterate(self) -> Iterator[APIObject]:
        try:
            chunks = self.response.iter_content(chunk_size=None)
            for sse in parse_sse(chunks):
                if sse.data == "[DONE]":
                    return
                try:
                    payload = json.loads(sse.data)
                except ValueError:
                    if sse.event == "done":
                        return
                    raise APIConnectionError(f"malformed event in stream: {sse.data[:80]!r}",
                                             request_id=self.request_id) from None
                if sse.event == "error" or (isinstance(payload, dict) and set(payload) == {"error"}):
                    err = payload.get("error", payload) if isinstance(payload, dict) else {}
                    raise StreamError(str(err.get("message") or "the server reported an error mid-stream"),
                                      type=err.get("type"), code=err.get("code"), param=err.get("param"),
                                      request_id=self.request_id, body=payload)
                obj = APIObject(payload if isinstance(payload, dict) else {"data": payload})
                obj.request_id = self.request_id
                if sse.event:
                    obj.event = sse.event
                yield obj
                if sse.event == "done":
                    return
        finally:
            self.response.close()

    def __iter__(self) -> Iterator[APIObject]:
        return self._events

    def __next__(self) -> APIObject:
        return next(self._events)

    def close(self) -> None:
        """Stop reading and release the connection; leaving a `with` block calls it, so a loop left
        early does not keep the connection open.

        Example:
            >>> import io, requests
            >>> response = requests.Response()
            >>> response.raw = io.BytesIO(b'data: {"n": 1}\\n\\ndata: {"n": 2}\\n\\n')
            >>> with Stream(response) as events:
            ...     next(events).n
            1
        """
        self._events.close()
        self.response.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
