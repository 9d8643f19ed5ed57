"""Server-sent events, parsed incrementally as bytes arrive, and the chunks of a streamed chat
completion assembled back into the whole completion.

`[DONE]` ends a stream; an `error` event (or a data payload with only an `error` key) raises
`StreamError`. Events are yielded as `APIObject`s; named events (`event: thread.run.created`) keep
their name in `.event`. `ChunkAssembler` folds `chat.completion.chunk`s into the `chat.completion`
the same request without `stream` would have answered.

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


class ChunkAssembler:
    """Builds the complete `chat.completion` from the chunks of a stream: content, refusal, tool
    calls, finish reasons, logprobs and the usage chunk (`stream_options.include_usage`).

    Example:
        >>> a = ChunkAssembler()
        >>> for delta in ({"role": "assistant", "content": ""}, {"content": "Hi"}, {"content": "!"}):
        ...     a.add({"id": "c1", "created": 1, "model": "m", "choices": [{"index": 0, "delta": delta}]})
        >>> a.add({"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        >>> done = a.completion()
        >>> done["object"], done["choices"][0]["message"]["content"], done["choices"][0]["finish_reason"]
        ('chat.completion', 'Hi!', 'stop')
    """

    def __init__(self):
        self.head: dict = {}
        self.choices: dict[int, dict] = {}
        self.usage = None

    def _choice(self, index: int) -> dict:
        return self.choices.setdefault(index, {"index": index, "role": "assistant", "content": None,
                                               "refusal": None, "tool_calls": {}, "logprobs": None,
                                               "finish_reason": None})

    def add(self, chunk) -> None:
        """Fold one `chat.completion.chunk` in: its ids and model, each choice's deltas (content,
        refusal, tool call pieces), logprobs, finish reason, and the usage chunk.

        Example:
            >>> a = ChunkAssembler()
            >>> def call_piece(**function):
            ...     return {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": function}]}}]}
            >>> a.add(call_piece(name="get_weather", arguments='{"city"'))
            >>> a.add(call_piece(arguments=': "Oslo"}'))
            >>> call = a.completion().choices[0].message.tool_calls[0]
            >>> call.function.name, call.function.arguments
            ('get_weather', '{"city": "Oslo"}')
        """
        for key in ("id", "created", "model", "system_fingerprint", "service_tier"):
            if chunk.get(key) is not None:
                self.head[key] = chunk[key]
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for part in chunk.get("choices") or ():
            choice = self._choice(part.get("index", 0))
            delta = part.get("delta") or {}
            choice["role"] = delta.get("role") or choice["role"]
            for field in ("content", "refusal"):
                if delta.get(field) is not None:
                    choice[field] = (choice[field] or "") + delta[field]
            for call in delta.get("tool_calls") or ():
                self._add_tool_call(choice, call)
            if part.get("logprobs"):
                logprobs = choice["logprobs"] = choice["logprobs"] or {"content": None, "refusal": None}
                for field in ("content", "refusal"):
                    if part["logprobs"].get(field):
                        logprobs[field] = (logprobs[field] or []) + list(part["logprobs"][field])
            if part.get("finish_reason"):
                choice["finish_reason"] = part["finish_reason"]

    @staticmethod
    def _add_tool_call(choice: dict, call) -> None:
        slot = choice["tool_calls"].setdefault(call.get("index", 0), {"id": None, "type": "function",
                                                                      "function": {"name": "", "arguments": ""}})
        slot["id"] = call.get("id") or slot["id"]
        slot["type"] = call.get("type") or slot["type"]
        function = call.get("function") or {}
        slot["function"]["name"] += function.get("name") or ""
        slot["function"]["arguments"] += function.get("arguments") or ""

    def texts(self) -> list[str]:
        """The text of each choice so far, in index order ("" for a choice with no content yet).

        Example:
            >>> a = ChunkAssembler()
            >>> a.add({"choices": [{"index": 1, "delta": {"content": "B"}}, {"index": 0, "delta": {"content": "A"}}]})
            >>> a.texts()
            ['A', 'B']
        """
        return [self.choices[i]["content"] or "" for i in sorted(self.choices)]

    def completion(self, request_id: str | None = None) -> APIObject:
        """The `chat.completion` the chunks add up to, as the non-streamed answer would be (with
        `request_id` attached).

        Example:
            >>> a = ChunkAssembler()
            >>> a.add({"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": "Hi"}}],
            ...        "usage": None})
            >>> a.add({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
            >>> done = a.completion(request_id="req_1")
            >>> done.usage.total_tokens, done.request_id
            (4, 'req_1')
        """
        choices = []
        for index in sorted(self.choices):
            c = self.choices[index]
            message = {"role": c["role"], "content": c["content"], "refusal": c["refusal"], "annotations": []}
            if c["tool_calls"]:
                message["tool_calls"] = [c["tool_calls"][i] for i in sorted(c["tool_calls"])]
            choices.append({"index": index, "message": message, "logprobs": c["logprobs"],
                            "finish_reason": c["finish_reason"]})
        body = {"id": self.head.get("id"), "object": "chat.completion", "created": self.head.get("created"),
                "model": self.head.get("model"), "choices": choices, "usage": self.usage}
        body.update({k: self.head[k] for k in ("service_tier", "system_fingerprint") if k in self.head})
        return APIObject(body, request_id=request_id)
