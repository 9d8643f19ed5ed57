"""Whether a server still has the Assistants API, asked once per connection.

OpenAI switched the Assistants API off on 2026-08-26: `/assistants`, `/threads` and runs answer
errors there, and Conversations with Responses took their place. The local server and older
compatible servers still have it. `assistants_available(transport)` asks once (`GET /assistants?limit=1`:
a 404 or 410, or an error naming the shutdown, means gone) and remembers the answer for that
connection. `sunset_aware` makes the Assistants groups of the client fail with one line that names
the Conversations way instead of a bare 404.

Example:
    >>> is_sunset_answer(404, "Invalid URL (GET /v1/assistants)"), is_sunset_answer(200, "")
    (True, False)
    >>> is_sunset_answer(400, "The Assistants API has been shut down; use the Responses API.")
    True
"""

from __future__ import annotations

import functools
import re
import threading
import weakref

from jupyter_api_kit.errors import APIError, APIStatusError, AssistantsUnavailableError

SUNSET_DATE = "2026-08-26"
_SUNSET_WORDS = re.compile(r"\b(sunset|shut ?down|deprecated|no longer (available|supported))\b", re.I)
_answers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def is_sunset_answer(status: int, message: str) -> bool:
    """Whether an answer to `GET /assistants` says the Assistants API is not there: 404, 410, or an
    error whose message names its shutdown.

    Example:
        >>> is_sunset_answer(401, "Incorrect API key provided.")
        False
    """
    return status in (404, 410) or (status >= 400 and bool(_SUNSET_WORDS.search(message or "")))


def assistants_available(transport) -> bool:
    """True if the server behind `transport` serves the Assistants API; asked once per transport.

    Errors that say nothing about the API (no connection, a wrong key, a 5xx) are raised and not
    remembered, so the next call asks again.

    Example:
        >>> assistants_available(client.transport)      # the local server has them
        True
    """
    with _lock:
        known = _answers.get(transport)
    if known is not None:
        return known
    try:
        transport.json("GET", "assistants", params={"limit": 1})
        answer = True
    except APIStatusError as err:
        if not is_sunset_answer(err.status or 0, err.message):
            raise
        answer = False
    with _lock:
        _answers[transport] = answer
    return answer


def unavailable_error(err: APIStatusError, what: str) -> AssistantsUnavailableError:
    """The one-line error for an Assistants call (`what`) on a server without the Assistants API.

    Example:
        >>> from jupyter_api_kit.errors import NotFoundError
        >>> print(unavailable_error(NotFoundError("Invalid URL", status=404), "client.threads.create").message)
        ... # doctest: +NORMALIZE_WHITESPACE
        client.threads.create: this server has no Assistants API (OpenAI shut it down on 2026-08-26). Keep the
        conversation with client.conversations and answer with client.responses.create(conversation=...);
        %threads and ThreadsPanel switch to Conversations by themselves.
    """
    message = (f"{what}: this server has no Assistants API (OpenAI shut it down on {SUNSET_DATE}). Keep the "
               "conversation with client.conversations and answer with client.responses.create(conversation=...); "
               "%threads and ThreadsPanel switch to Conversations by themselves.")
    return AssistantsUnavailableError(message, status=err.status, type=err.type, code=err.code,
                                      request_id=err.request_id, body=err.body)


def _translated(method, what: str):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except AssistantsUnavailableError:
            raise
        except APIStatusError as err:
            if err.status not in (404, 410):
                raise
            try:
                gone = not assistants_available(self._transport)
            except APIError:
                gone = False  # the server cannot say: the original error is the clearer one
            if gone:
                raise unavailable_error(err, what) from err
            raise

    return call


def sunset_aware(prefix: str):
    """Class decorator for the Assistants groups: each public method, on a 404/410 from a server
    without the Assistants API, raises `AssistantsUnavailableError` naming the Conversations way.
    A 404 for a missing thread on a server that has the API stays a plain `NotFoundError`.

    Example:
        >>> @sunset_aware("client.threads")
        ... class Demo:
        ...     def create(self):
        ...         return "made"
        >>> Demo().create(), Demo.create.__name__
        ('made', 'create')
    """

    def decorate(cls):
        for name, value in list(vars(cls).items()):
            if callable(value) and not name.startswith("_"):
                setattr(cls, name, _translated(value, f"{prefix}.{name}"))
        return cls

    return decorate
