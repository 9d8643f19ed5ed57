"""The one exception tree of the toolkit.

Every failure a caller can meet is a `JupyterAPIKitError`. Problems found before anything is sent
(bad metadata, a missing setting) are `InvalidInputError`/`ConfigurationError`; answers from a server
are `APIStatusError` subclasses chosen by HTTP status; transport failures are `APIConnectionError`.

Messages are one line and never contain the API key.

Example:
    >>> from jupyter_api_kit.errors import error_for_status
    >>> err = error_for_status(404, {"error": {"message": "No such completion", "type": "invalid_request_error"}},
    ...                        request_id="req_1")
    >>> type(err).__name__, str(err)
    ('NotFoundError', 'No such completion (404 invalid_request_error, request req_1)')
"""

from __future__ import annotations


class JupyterAPIKitError(Exception):
    """Base of every error raised by jupyter_api_kit."""


class InvalidInputError(JupyterAPIKitError, ValueError):
    """A value was refused before anything was sent (for example metadata over the API's limits)."""

    def __init__(self, message: str, *, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


class ConfigurationError(JupyterAPIKitError):
    """A setting the call needs is missing or malformed (for example no admin key)."""


class WaitTimeoutError(JupyterAPIKitError, TimeoutError):
    """Something the client waited for (a run, an eval run, a fine-tuning job, a background response,
    a vector store file or batch) did not finish within the timeout.

    `last` is the object as last seen; the work goes on on the server (cancel it if it should stop).

    Example:
        >>> err = WaitTimeoutError("run run_1 is still in_progress after 5 s", last={"id": "run_1"})
        >>> isinstance(err, TimeoutError), err.last["id"]
        (True, 'run_1')
    """

    def __init__(self, message: str, last=None):
        super().__init__(message)
        self.last = last


class APIError(JupyterAPIKitError):
    """Anything that went wrong talking to the API.

    Attributes: message, status (None for transport errors), type, code, param, request_id, body.
    """

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, type: str | None = None,
                 code: str | None = None, param: str | None = None, request_id: str | None = None,
                 body: object = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.body = body

    def __str__(self) -> str:
        details = " ".join(str(x) for x in (self.status, self.type or self.code) if x)
        if self.param:
            details += f", param {self.param}"
        if self.request_id:
            details += f", request {self.request_id}"
        return f"{self.message} ({details})" if details else self.message

    def one_line(self) -> str:
        """The error as the single line the notebook front shows."""
        return f"{type(self).__name__}: {self}".replace("\n", " ")


class APIConnectionError(APIError):
    """The server could not be reached or dropped the connection."""


class APITimeoutError(APIConnectionError):
    """The server did not answer within the timeout."""


class APIStatusError(APIError):
    """The server answered with an error status."""


class BadRequestError(APIStatusError):
    """400: the server refused the request's parameters; `param` names the offending one."""

    status = 400


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""

    status = 401


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this (for example a project key on an admin endpoint)."""

    status = 403


class NotFoundError(APIStatusError):
    """404: no object with that id, or an unknown URL."""

    status = 404


class ConflictError(APIStatusError):
    """409: the object is in a state that does not allow this (for example cancelling a finished run)."""

    status = 409


class PayloadTooLargeError(APIStatusError):
    """413: the upload or body is over the server's size limit."""

    status = 413


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but the server could not act on it."""

    status = 422


class RateLimitError(APIStatusError):
    """429: too many requests or tokens for now; retry after a pause."""

    status = 429


class InternalServerError(APIStatusError):
    """Any 5xx answer."""

    status = 500


class StreamError(APIError):
    """The server sent an `error` event in the middle of a stream."""


class AssistantsUnavailableError(NotFoundError):
    """The server has no Assistants API (OpenAI shut it down on 2026-08-26): `/assistants`,
    `/threads` and runs answer 404 or 410 there. Conversations with Responses replace them."""


_BY_STATUS = {cls.status: cls for cls in (BadRequestError, AuthenticationError, PermissionDeniedError,
                                           NotFoundError, ConflictError, PayloadTooLargeError,
                                           UnprocessableEntityError, RateLimitError)}


def error_for_status(status: int, body: object, *, request_id: str | None = None) -> APIStatusError:
    """Build the right `APIStatusError` subclass from a status code and the API's error object."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        err = {"message": body if isinstance(body, str) and body else f"HTTP {status}"}
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    message = str(err.get("message") or f"HTTP {status}").strip().replace("\n", " ")
    return cls(message, status=status, type=err.get("type"), code=err.get("code"), param=err.get("param"),
               request_id=request_id, body=body)
