"""A streamed run: the server-sent events of a run as typed events, and the state they build up.

Each event is an `AssistantEvent` subclass chosen by its name (`RunEvent` for `thread.run.*`,
`MessageDeltaEvent` for `thread.message.delta`, ...) with the event's `.event` name and its
`.data` object. A `RunStream` yields them and, as it goes, accumulates the message deltas into the
messages being written, so the final message is there without a second request.

Example:
    >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
    >>> stream = client.threads.runs.stream(comet.id, assistant_id=tutor.id)
    >>> for piece in stream.text_deltas():
    ...     pass                                       # print(piece, end="") shows the answer as it comes
    >>> stream.final_run.status, type(stream.final_text).__name__
    ('completed', 'str')

    >>> snapshot = accumulate_delta(None, {"id": "msg_1", "object": "thread.message.delta",
    ...     "delta": {"role": "assistant", "content": [{"index": 0, "type": "text", "text": {"value": "Hel"}}]}})
    >>> snapshot = accumulate_delta(snapshot, {"id": "msg_1", "delta": {"content": [
    ...     {"index": 0, "type": "text", "text": {"value": "lo"}}]}})
    >>> message_text(snapshot)
    'Hello'
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass

from jupyter_api_kit.client.objects import APIObject


@dataclass
class AssistantEvent:
    """One server-sent event of a run: its name and its object."""

    event: str
    data: APIObject

    def __repr__(self) -> str:
        ident = self.data.get("id") if isinstance(self.data, dict) else None
        status = self.data.get("status") if isinstance(self.data, dict) else None
        extra = "".join(f" {x}" for x in (ident, status) if x)
        return f"<{type(self).__name__} {self.event}{extra}>"


class ThreadEvent(AssistantEvent):
    """`thread.created` (create-and-run only)."""


class RunEvent(AssistantEvent):
    """`thread.run.created`, `.queued`, `.in_progress`, `.requires_action`, `.completed`, ...: data is the run."""


class RunStepEvent(AssistantEvent):
    """`thread.run.step.created`, `.in_progress`, `.completed`, ...: data is the run step."""


class RunStepDeltaEvent(AssistantEvent):
    """`thread.run.step.delta`: data is a `thread.run.step.delta` (tool call pieces)."""


class MessageEvent(AssistantEvent):
    """`thread.message.created`, `.in_progress`, `.completed`, `.incomplete`: data is the message."""


class MessageDeltaEvent(AssistantEvent):
    """`thread.message.delta`: data is a `thread.message.delta` with new content pieces."""

    @property
    def text(self) -> str:
        """The text this delta adds."""
        return "".join(part.get("text", {}).get("value") or "" for part in self.data.get("delta", {}).get("content") or []
                       if part.get("type") == "text")


def event_from(obj: APIObject) -> AssistantEvent:
    """The typed event for a parsed server-sent event (its name is in `obj.event`)."""
    name = getattr(obj, "event", None) or ""
    if name == "thread.created":
        cls = ThreadEvent
    elif name == "thread.run.step.delta":
        cls = RunStepDeltaEvent
    elif name.startswith("thread.run.step."):
        cls = RunStepEvent
    elif name.startswith("thread.run."):
        cls = RunEvent
    elif name == "thread.message.delta":
        cls = MessageDeltaEvent
    elif name.startswith("thread.message."):
        cls = MessageEvent
    else:
        cls = AssistantEvent
    return cls(name, obj)


def message_text(message) -> str:
    """The text parts of a message (or of an accumulated snapshot), joined."""
    if not message:
        return ""
    return "".join(part.get("text", {}).get("value") or "" for part in message.get("content") or []
                   if part.get("type") == "text")


def accumulate_delta(snapshot: dict | None, delta: dict) -> dict:
    """Apply one `thread.message.delta` to a message snapshot (None to start one); returns the snapshot.

    Text pieces at the same content `index` are concatenated and their annotations appended; other
    content parts replace what was at their index.
    """
    snapshot = copy.deepcopy(dict(snapshot)) if snapshot else {"id": delta.get("id"), "object": "thread.message",
                                                               "role": "assistant", "content": []}
    body = delta.get("delta") or {}
    if body.get("role"):
        snapshot["role"] = body["role"]
    content = snapshot.setdefault("content", [])
    for part in body.get("content") or []:
        index = part.get("index", len(content))
        while len(content) <= index:
            content.append(None)
        current = content[index]
        if part.get("type") == "text" and current and current.get("type") == "text":
            text = current["text"]
            text["value"] = (text.get("value") or "") + (part.get("text", {}).get("value") or "")
            text.setdefault("annotations", []).extend(part.get("text", {}).get("annotations") or [])
        else:
            fresh = {k: copy.deepcopy(v) for k, v in part.items() if k != "index"}
            if fresh.get("type") == "text":
                fresh.setdefault("text", {}).setdefault("annotations", [])
                fresh["text"].setdefault("value", "")
            content[index] = fresh
    snapshot["content"] = [c for c in content if c is not None]
    return snapshot


class RunStream:
    """Iterate a streamed run's typed events; the state they carry is kept as they pass.

    Attributes filled while iterating: `thread` (create-and-run), `run` (latest run object),
    `steps` (id -> latest step), `messages` (id -> message, deltas accumulated, replaced by the
    server's own object on `thread.message.completed`), `events` (every event seen).
    """

    def __init__(self, stream, on_thread=None):
        self._stream = stream
        self._on_thread = on_thread
        self.request_id = getattr(stream, "request_id", None)
        self.thread: APIObject | None = None
        self.run: APIObject | None = None
        self.steps: dict[str, APIObject] = {}
        self.messages: dict[str, APIObject] = {}
        self.accumulated: dict[str, dict] = {}
        self.events: list[AssistantEvent] = []
        self._iterator = self._iterate()

    def _iterate(self) -> Iterator[AssistantEvent]:
        for obj in self._stream:
            event = event_from(obj)
            self._apply(event)
            self.events.append(event)
            yield event

    def _apply(self, event: AssistantEvent) -> None:
        data = event.data
        if isinstance(event, ThreadEvent):
            self.thread = data
            if self._on_thread is not None:
                self._on_thread(data)
        elif isinstance(event, RunEvent):
            self.run = data
        elif isinstance(event, RunStepEvent):
            self.steps[data["id"]] = data
        elif isinstance(event, MessageDeltaEvent):
            merged = accumulate_delta(self.accumulated.get(data["id"]) or self.messages.get(data["id"]), data)
            self.accumulated[data["id"]] = merged
            self.messages[data["id"]] = APIObject(merged)
        elif isinstance(event, MessageEvent):
            self.messages[data["id"]] = data

    def __iter__(self) -> Iterator[AssistantEvent]:
        return self._iterator

    def __next__(self) -> AssistantEvent:
        return next(self._iterator)

    def text_deltas(self) -> Iterator[str]:
        """The reply's text, piece by piece, as it streams in."""
        for event in self:
            if isinstance(event, MessageDeltaEvent) and event.text:
                yield event.text

    def until_done(self) -> "RunStream":
        """Read the stream to its end."""
        for _ in self:
            pass
        return self

    @property
    def final_run(self) -> APIObject | None:
        """The run as the last event left it (reads the stream to its end first)."""
        self.until_done()
        return self.run

    @property
    def final_messages(self) -> list[APIObject]:
        """The messages this run wrote, in order (reads the stream to its end first)."""
        self.until_done()
        return list(self.messages.values())

    @property
    def final_text(self) -> str:
        """The text of the messages this run wrote."""
        return "\n".join(message_text(m) for m in self.final_messages)

    @property
    def required_tool_calls(self) -> list:
        """The function calls the run waits for, when it stopped in `requires_action`."""
        run = self.run or {}
        action = run.get("required_action") or {}
        return list((action.get("submit_tool_outputs") or {}).get("tool_calls") or [])

    def close(self) -> None:
        """Stop reading the run's events and release the connection (the run goes on on the server);
        leaving a `with` block calls it.

        Example:
            >>> comet = client.threads.create(messages=[{"role": "user", "content": "What is a comet?"}])
            >>> with client.threads.runs.stream(comet.id, assistant_id=tutor.id) as stream:
            ...     first_event = next(iter(stream))
            >>> first_event.event
            'thread.run.created'
        """
        self._iterator.close()
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        status = (self.run or {}).get("status")
        return f"<RunStream {len(self.events)} events, run status={status}>"
