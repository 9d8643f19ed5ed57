"""HTTP errors as classes with a status, turned into the API's error object in one place.

Example:
    >>> err = NotFound("No chat completion found with id 'x'", param="completion_id")
    >>> err.status, err.body()["error"]["type"]
    (404, 'invalid_request_error')
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger("jupyter_api_kit.local")

#: an error message is one readable line; past this length, the values quoted in it are shortened
LONG_MESSAGE = 500
_QUOTED = re.compile(r"'([^'\n]{80,})'")


def one_line(message: str) -> str:
    """The message on one line, with any long value quoted in it (an id, a name) cut to its start:
    a request that sends a 100k-character id gets a readable error, not its id back.

    Example:
        >>> one_line("No thread found with id '" + "x" * 3000 + "'.")
        "No thread found with id 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (3000 characters)."
    """
    message = message.replace("\r", " ").replace("\n", " ")
    if len(message) > LONG_MESSAGE:
        message = _QUOTED.sub(lambda m: f"'{m.group(1)[:32]}...' ({len(m.group(1))} characters)", message)
    return message if len(message) <= 2 * LONG_MESSAGE else message[:2 * LONG_MESSAGE - 3] + "..."


class HTTPError(Exception):
    """An error the server answers with: `status`, `type` and `code` are class attributes, the
    message and `param` come from the raise site. Raised anywhere in a request, it becomes the API's
    error object (see `install_error_handlers`); used directly it is a 500 `server_error`.

    Example:
        >>> HTTPError("disk full").body()
        {'error': {'message': 'disk full', 'type': 'server_error', 'param': None, 'code': None}}
    """

    status = 500
    type = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None, headers=None):
        message = one_line(message)
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = headers or {}

    def body(self) -> dict:
        """The API's error object for this error, as sent in the response body.

        Example:
            >>> BadRequest("temperature must be between 0 and 2", param="temperature").body()["error"]["param"]
            'temperature'
        """
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class BadRequest(HTTPError):
    """400 `invalid_request_error`: a parameter is missing or has a value the API does not allow."""

    status = 400
    type = "invalid_request_error"


class Unauthorized(HTTPError):
    """401 `invalid_api_key`: no key, or one the server does not accept."""

    status = 401
    type = "invalid_request_error"
    code = "invalid_api_key"


class Forbidden(HTTPError):
    """403 `insufficient_permissions`: the key may not use this endpoint or project."""

    status = 403
    type = "invalid_request_error"
    code = "insufficient_permissions"


class NotFound(HTTPError):
    """404: no object with that id (or no such URL)."""

    status = 404
    type = "invalid_request_error"


def found(value, message: str, param: str):
    """`value` when there is one (a row, a count of rows changed), else a 404 with `message` naming
    `param`: the one way every feature turns "no such object" into the API's error.

    Example:
        >>> found({"id": "x"}, "No eval found with id 'x'.", "eval_id")
        {'id': 'x'}
        >>> found(None, "No eval found with id 'y'.", "eval_id")
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.NotFound: No eval found with id 'y'.
    """
    if not value:
        raise NotFound(message, param=param)
    return value


class Conflict(HTTPError):
    """409: the object's state does not allow the operation (for example cancelling a finished job)."""

    status = 409
    type = "invalid_request_error"


class PayloadTooLarge(HTTPError):
    """413 `file_too_large`: an upload or body over the server's size limit."""

    status = 413
    type = "invalid_request_error"
    code = "file_too_large"


class TooManyRequests(HTTPError):
    """429 `rate_limit_exceeded`: a project's rate limit was hit; `headers` carry the retry hints."""

    status = 429
    type = "requests"
    code = "rate_limit_exceeded"


def install_error_handlers(app, bad_input: tuple[type[Exception], ...] = ()) -> None:
    """Every failure leaves the server as the API's error object; nothing escapes as a bare 500.
    (A request that fails its declared model is turned into one by `request_models.install`.)
    An exception of a `bad_input` class (the statistical models' own error: core does not import them)
    is a value the request sent that the work behind it cannot take: a 400 naming its `param`."""
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    def reply(err: HTTPError):
        return JSONResponse(err.body(), status_code=err.status, headers=err.headers)

    @app.exception_handler(HTTPError)
    async def _http_error(request, exc: HTTPError):
        return reply(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _starlette(request, exc: StarletteHTTPException):
        cls = {404: NotFound, 405: BadRequest, 401: Unauthorized}.get(exc.status_code, BadRequest)
        message = (f"Unknown request URL: {request.method} {request.url.path}" if exc.status_code in (404, 405)
                   else str(exc.detail))
        err = cls(message)
        err.status = exc.status_code
        return reply(err)

    for kind in bad_input:
        @app.exception_handler(kind)
        async def _bad_input(request, exc: Exception):
            return reply(BadRequest(one_line(str(exc)), param=getattr(exc, "param", None)))

    @app.exception_handler(Exception)
    async def _unexpected(request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return reply(HTTPError("The local server hit an unexpected error; it has been logged."))
