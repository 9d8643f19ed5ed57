"""The HTTP client of the upstream engine: one pooled `httpx.Client`, timeouts, server-sent events
read as they arrive, and every failure turned into the API's error object with the upstream's status.

The key is read from an environment variable when the client is made and is sent only in the
`Authorization` header: it appears in no repr, log line or error message.

Example:
    >>> upstream = Upstream("http://127.0.0.1:9/v1", key_env=None, connect_timeout=0.5)
    >>> upstream
    Upstream('http://127.0.0.1:9/v1', key=not set)
    >>> upstream.post("/chat/completions", {"model": "m", "messages": []})
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.gateway.upstream.UpstreamError: The upstream engine at http://127.0.0.1:9/v1 cannot be reached (connection refused).
    >>> upstream.close()
"""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import urlsplit

import httpx

from jupyter_api_kit.local.core.errors import HTTPError

log = logging.getLogger("jupyter_api_kit.local.gateway")

#: response headers of an upstream error that the client needs to act on (when to retry)
RETRY_HEADERS = ("retry-after", "retry-after-ms")


class UpstreamError(HTTPError):
    """An upstream failure as the API's error object: the upstream's status, type, code and message
    when it sent them; 502 when it could not be reached or answered nonsense, 504 when it timed out.

    Example:
        >>> err = UpstreamError(429, "Rate limit reached.", type="requests", headers={"retry-after": "2"})
        >>> err.status, err.body()["error"]["type"], err.headers
        (429, 'requests', {'retry-after': '2'})
    """

    def __init__(self, status: int, message: str, *, type: str | None = None, param=None, code=None, headers=None):
        super().__init__(message, param=param, code=code, headers=headers)
        self.status = status
        self.type = type or ("invalid_request_error" if 400 <= status < 500 else "server_error")


def shown_url(url: str) -> str:
    """The URL as messages show it: without credentials written into it.

    Example:
        >>> shown_url("http://me:secret@example.org:8000/v1"), shown_url("http://127.0.0.1:11434/v1")
        ('http://example.org:8000/v1', 'http://127.0.0.1:11434/v1')
    """
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()


def error_from_response(status: int, body: bytes, headers) -> UpstreamError:
    """The upstream's error answer as an `UpstreamError`. Engines word their errors differently: the
    API's `{"error": {...}}`, a bare `{"error": "text"}` (Ollama), `{"detail": ...}` (FastAPI apps),
    `{"message": ...}`, or plain text; each becomes one line.

    Example:
        >>> error_from_response(404, b'{"error": "model \\'x\\' not found"}', {}).body()["error"]["message"]
        "model 'x' not found"
        >>> err = error_from_response(429, b'{"error": {"message": "Slow down", "type": "requests",'
        ...                           b' "code": "rate_limit_exceeded"}}', {"Retry-After": "3"})
        >>> err.status, err.code, err.headers
        (429, 'rate_limit_exceeded', {'retry-after': '3'})
        >>> error_from_response(500, b"<html>Internal Server Error</html>", {}).message
        'The upstream engine failed (HTTP 500): <html>Internal Server Error</html>'
    """
    lowered = {str(k).lower(): v for k, v in headers.items()}
    kept = {name: lowered[name] for name in RETRY_HEADERS if name in lowered}
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    fields: dict = {}
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            fields = {k: error.get(k) for k in ("message", "type", "param", "code")}
            fields = {k: (v if v is None or k == "message" else str(v)) for k, v in fields.items()}
        elif error is not None:
            fields = {"message": error if isinstance(error, str) else json.dumps(error)}
    message = fields.pop("message", None)
    if not isinstance(message, str) or not message.strip():
        text = body.decode("utf-8", "replace").strip()[:300]
        message = f"The upstream engine failed (HTTP {status})" + (f": {text}" if text else ".")
    return UpstreamError(status, message, headers=kept, **fields)


class Upstream:
    """The upstream engine at `base_url` (an OpenAI-compatible `/v1` URL), with the key from the
    environment variable `key_env` (none when it is None or unset). `read_timeout` bounds the wait for
    each piece of an answer (a whole answer, or the next streamed chunk); past it the call is a 504.
    """

    def __init__(self, base_url: str, key_env: str | None = None, *, connect_timeout: float = 5.0,
                 read_timeout: float = 120.0, max_connections: int = 32):
        self.base_url = base_url.rstrip("/")
        self.key_env = key_env
        key = os.environ.get(key_env) if key_env else None
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._has_key = bool(key)
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._http = httpx.Client(base_url=self.base_url + "/", headers=headers, timeout=self.timeout,
                                  limits=httpx.Limits(max_connections=max_connections,
                                                      max_keepalive_connections=max_connections))

    def __repr__(self) -> str:
        return f"Upstream({shown_url(self.base_url)!r}, key={'set' if self._has_key else 'not set'})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def _failure(self, exc: httpx.HTTPError) -> UpstreamError:
        where = shown_url(self.base_url)
        if isinstance(exc, httpx.TimeoutException):
            kind = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "answering"
            limit = self.timeout.connect if kind == "connecting" else self.timeout.read
            return UpstreamError(504, f"The upstream engine at {where} timed out {kind} (after {limit:g} s).",
                                 code="upstream_timeout")
        if isinstance(exc, httpx.ConnectError):
            reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
            return UpstreamError(502, f"The upstream engine at {where} cannot be reached ({reason}).",
                                 code="upstream_unreachable")
        return UpstreamError(502, f"The upstream engine at {where} broke off its answer ({type(exc).__name__}).",
                             code="upstream_error")

    def _path(self, path: str) -> str:
        return path.lstrip("/")

    def get(self, path: str) -> dict:
        """GET `path` (relative to the base URL) and return its JSON; failures are `UpstreamError`s."""
        try:
            response = self._http.get(self._path(path))
        except httpx.HTTPError as exc:
            raise self._failure(exc) from None
        return self._json(response)

    def post(self, path: str, body: dict) -> dict:
        """POST `body` as JSON to `path` and return the JSON answer; failures are `UpstreamError`s."""
        try:
            response = self._http.post(self._path(path), json=body)
        except httpx.HTTPError as exc:
            raise self._failure(exc) from None
        return self._json(response)

    def _json(self, response: httpx.Response) -> dict:
        if response.status_code >= 400:
            raise error_from_response(response.status_code, response.content, response.headers)
        try:
            data = response.json()
        except ValueError:
            raise UpstreamError(502, f"The upstream engine at {shown_url(self.base_url)} answered with something "
                                     "that is not JSON.", code="upstream_error") from None
        if not isinstance(data, dict):
            raise UpstreamError(502, "The upstream engine answered with JSON that is not an object.",
                                code="upstream_error")
        return data

    def stream(self, path: str, body: dict):
        """POST `body` to `path` and yield each server-sent event's parsed `data` as it arrives, up to
        `[DONE]` or the end of the stream. An error before the first event raises `UpstreamError` with
        the upstream's status; one during the stream (a dropped connection, a timeout, an `error`
        event) raises it then, so the caller can end its own stream with an error event."""
        try:
            with self._http.stream("POST", self._path(path), json=body) as response:
                if response.status_code >= 400:
                    raise error_from_response(response.status_code, response.read(), response.headers)
                for data in _events(response.iter_lines()):
                    if data == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                    except ValueError:
                        raise UpstreamError(502, "The upstream engine sent a stream event that is not JSON.",
                                            code="upstream_error") from None
                    if isinstance(event, dict) and "error" in event and not event.get("choices"):
                        raise error_from_response(502, json.dumps(event).encode(), {})
                    yield event
        except httpx.HTTPError as exc:
            raise self._failure(exc) from None
        # Every engine ends a finished stream with [DONE]; a stream that just stops was cut off.
        raise UpstreamError(502, f"The upstream engine at {shown_url(self.base_url)} ended its stream before "
                                 "the answer was complete.", code="upstream_error")


def _events(lines):
    """The `data` of each server-sent event (multi-line data joined with newlines).

    Example:
        >>> list(_events(["data: {\\"a\\": 1}", "", ": keep-alive", "event: x", "data: [DONE]", ""]))
        ['{"a": 1}', '[DONE]']
    """
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    if data:
        yield "\n".join(data)
