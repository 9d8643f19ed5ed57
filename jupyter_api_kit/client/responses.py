"""Responses: create (plain, streamed with typed events, or in the background), retrieve, delete,
cancel, input items, input-token counts and compaction.

Example:
    >>> r = client.responses.create(model="local-ngram", input="Tell me about Mars",
    ...                             instructions="Answer briefly.")
    >>> r.status, r.output_text == r.output[0].content[0].text
    ('completed', True)
    >>> follow = client.responses.create(model="local-ngram", input="And its moons?",
    ...                                  previous_response_id=r.id)
    >>> with client.responses.create(model="local-ngram", input="Hi", stream=True) as events:
    ...     deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    >>> "".join(deltas) == events.response.output_text
    True
"""

from __future__ import annotations

from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.polling import poll
from jupyter_api_kit.client.resource import Resource, path_id
from jupyter_api_kit.client.streaming import Stream
from jupyter_api_kit.errors import InvalidInputError

RUNNING = ("queued", "in_progress")
FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


class ResponseStream:
    """The events of a streamed response, each an `APIObject` whose `.type` (and `.event`) names it.

    While iterating, `text` accumulates the output text; after the last event, `response` is the
    final response object (from `response.completed`, `.incomplete` or `.failed`).
    """

    def __init__(self, stream: Stream):
        self._stream = stream
        self.request_id = stream.request_id
        self.text = ""
        self.response: APIObject | None = None

    def __iter__(self):
        for event in self._stream:
            kind = event.get("type") or event.event
            if kind == "response.output_text.delta":
                self.text += event.get("delta", "")
            elif kind in FINAL_EVENTS:
                self.response = event.response
            yield event

    def until_done(self) -> APIObject | None:
        """Consume the rest of the stream; returns the final response."""
        for _ in self:
            pass
        return self.response

    def close(self) -> None:
        """Stop reading and release the connection; leaving a `with` block calls it.

        Example:
            >>> with client.responses.create(model="local-ngram", input="Hi", stream=True) as events:
            ...     first = next(iter(events))
            >>> first.type
            'response.created'
        """
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class InputItems(Resource):
    """The input items of a stored response (`/responses/{id}/input_items`): the messages and items
    it was given, including those inherited through `previous_response_id`. Reached as
    `client.responses.input_items`.

    Example:
        >>> r = client.responses.create(model="local-ngram", input="Tell me about Mars")
        >>> [(item.role, item.content[0].text) for item in client.responses.input_items.list(r.id, order="asc")]
        [('user', 'Tell me about Mars')]
    """

    def list(self, response_id: str, *, after=None, limit=None, order=None, include=None):
        """The input items of a response (newest first unless `order="asc"`), as a page."""
        return self._list(f"responses/{path_id(response_id, 'response_id')}/input_items",
                          {"after": after, "limit": limit, "order": order, "include": include})


class InputTokens(Resource):
    """Input-token counts (`/responses/input_tokens`): what a request would cost in input tokens,
    without generating anything. Reached as `client.responses.input_tokens`.

    Example:
        >>> client.responses.input_tokens.count(model="local-ngram", input="Hello there").input_tokens
        8
    """

    def count(self, **params) -> APIObject:
        """How many input tokens a request would use: `model`, `input`, `instructions`,
        `previous_response_id`, `tools`, ... as for `create`.

        Example:
            >>> client.responses.input_tokens.count(model="local-ngram", input="Hello").input_tokens
            7
        """
        return self._post("responses/input_tokens", params)


class Responses(Resource):
    """The Responses API group (`/responses`): create responses (plain, streamed or in the background),
    chain them with `previous_response_id`, retrieve, delete, cancel and compact; `input_items` and
    `input_tokens` are sub-groups. Reached as `client.responses`.

    Example:
        >>> client.responses.create(model="local-ngram", input=[])
        Traceback (most recent call last):
        ...
        jupyter_api_kit.errors.InvalidInputError: input is an empty list: pass at least one item
        >>> client.responses.create(model="local-ngram", input="Tell me about Mars").output[0].role
        'assistant'
    """

    def __init__(self, transport, client=None):
        super().__init__(transport, client)
        self.input_items = InputItems(transport, client)
        self.input_tokens = InputTokens(transport, client)

    def create(self, *, model: str, input=None, stream: bool = False, **params) -> APIObject | ResponseStream:
        """Create a response. `input` is a string or a list of items; other API parameters pass through:
        `instructions`, `previous_response_id`, `store`, `metadata`, `max_output_tokens`, `temperature`,
        `top_p`, `text={"format": ...}`, `tools`, `tool_choice`, `include`, `background`, and
        `conversation` (its items are read first, and this turn is added to it).
        With `stream=True` the result is a `ResponseStream` of typed events.

        Example:
            >>> client.responses.create(model="local-ngram", input="Hi", background=True).status
            'queued'
        """
        if input is None and not params.get("previous_response_id") and not params.get("conversation"):
            raise InvalidInputError("input is required: a string or a list of input items (or a conversation "
                                    "to answer as it stands)", param="input")
        if isinstance(input, list) and not input:
            raise InvalidInputError("input is an empty list: pass at least one item", param="input")
        body = {"model": model, "input": input, **params}
        if stream:
            return ResponseStream(self._stream("responses", {**body, "stream": True}))
        return self._post("responses", body)

    def retrieve(self, response_id: str, *, include: list[str] | None = None) -> APIObject:
        """A stored response by id; `include` adds optional parts (e.g. `["file_search_call.results"]`).

        Example:
            >>> r = client.responses.create(model="local-ngram", input="Hi")
            >>> client.responses.retrieve(r.id).status
            'completed'
        """
        return self._get(f"responses/{path_id(response_id, 'response_id')}", {"include": include})

    def delete(self, response_id: str) -> APIObject:
        """Delete a stored response (responses chained from it can no longer use it).

        Example:
            >>> r = client.responses.create(model="local-ngram", input="Hi")
            >>> client.responses.delete(r.id).deleted
            True
        """
        return self._delete(f"responses/{path_id(response_id, 'response_id')}")

    def cancel(self, response_id: str) -> APIObject:
        """Cancel a background response that is still queued or in progress."""
        return self._post(f"responses/{path_id(response_id, 'response_id')}/cancel")

    def poll(self, response_id: str, *, timeout: float = 120.0, interval: float = 0.05) -> APIObject:
        """Wait until a background response leaves `queued`/`in_progress`; returns it. Raises
        `WaitTimeoutError` after `timeout` seconds."""
        return poll(lambda: self.retrieve(response_id), lambda r: r.get("status") not in RUNNING, timeout, interval,
                    what=f"response {response_id}")

    def compact(self, *, model: str, input=None, previous_response_id: str | None = None,
                instructions: str | None = None) -> APIObject:
        """A shorter stand-in for a conversation: its user messages plus one compaction item, to pass as
        `input` of a later request.

        Example:
            >>> r = client.responses.create(model="local-ngram", input="Tell me about Mars")
            >>> c = client.responses.compact(model="local-ngram", previous_response_id=r.id)
            >>> [item.type for item in c.output][-1]
            'compaction'
            >>> client.responses.create(model="local-ngram", input=c.output + [
            ...     {"role": "user", "content": "Go on"}]).status
            'completed'
        """
        if input is None and previous_response_id is None:
            raise InvalidInputError("pass input, previous_response_id or both", param="input")
        return self._post("responses/compact", {"model": model, "input": input,
                                                "previous_response_id": previous_response_id,
                                                "instructions": instructions})
