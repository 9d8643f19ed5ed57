"""The one transport: a `requests.Session` with timeouts, retries, idempotency keys and error mapping.

Every client call ends in `Transport.request`. Foreign errors (requests' exceptions, HTTP error statuses)
are translated into the toolkit's error tree here and nowhere else.

Example:
    >>> t = Transport("http://127.0.0.1:9/v1", api_key="sk-secret", max_retries=0, timeout=0.2)
    >>> "sk-secret" in repr(t)
    False
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import uuid

import requests

from jupyter_api_kit import __version__
from jupyter_api_kit.errors import APIConnectionError, APITimeoutError, error_for_status
from jupyter_api_kit.client.objects import APIObject
from jupyter_api_kit.client.replay import ENDPOINTS as REPLAYED_ENDPOINTS

log = logging.getLogger("jupyter_api_kit.client")

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = (5.0, 600.0)  # (connect, read): generation can be slow, a dead host should not be
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0


def _timeout_pair(timeout) -> tuple[float, float]:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, (tuple, list)):
        return float(timeout[0]), float(timeout[1])
    return min(float(timeout), DEFAULT_TIMEOUT[0]), float(timeout)


def retry_after_seconds(headers) -> float | None:
    """The wait a server asked for, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date).

    Example:
        >>> retry_after_seconds({"retry-after-ms": "250"}), retry_after_seconds({"Retry-After": "2"})
        (0.25, 2.0)
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after-ms" in lowered:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000.0)
    except ValueError:
        pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def backoff_seconds(attempt: int, headers=None) -> float:
    """Wait before retry number `attempt` (0-based): the server's ask if sane, else capped
    exponential backoff with jitter so that many clients do not retry in lockstep."""
    asked = retry_after_seconds(headers or {})
    if asked is not None and asked <= MAX_RETRY_AFTER:
        return asked
    delay = min(MAX_BACKOFF, INITIAL_BACKOFF * (2 ** attempt))
    return delay * (1 - 0.25 * random.random())


class Transport:
    """HTTP to one base URL. Holds the secrets; never shows them."""

    def __init__(self, base_url: str, *, api_key: str | None = None, admin_key: str | None = None,
                 organization: str | None = None, project: str | None = None, timeout=None,
                 max_retries: int = 2, session: requests.Session | None = None, server_admin_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._admin_key = admin_key
        # The embedded local server's own admin key, handed over when the client was made; a key the
        # user set (admin_key) wins.
        self._server_admin_key = server_admin_key
        self.organization = organization
        self.project = project
        self.timeout = _timeout_pair(timeout)
        self.max_retries = max(0, int(max_retries))
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"jupyter-api-kit/{__version__}"
        #: a `ReplayCache` answering repeated creates, and the name of this server in it (set by `Client`)
        self.replay = None
        self.replay_server = ""

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r}, max_retries={self.max_retries}, timeout={self.timeout})"

    @property
    def has_admin_key(self) -> bool:
        """Whether an admin key is set (the organization endpoints need one); the key itself stays hidden.

        Example:
            >>> Transport("http://127.0.0.1:9/v1", admin_key="sk-admin-x").has_admin_key
            True
        """
        return bool(self._admin_key)

    @property
    def can_call_admin(self) -> bool:
        """Whether organization calls can carry an admin key: one the user set, or the one the embedded
        local server handed over.

        Example:
            >>> Transport("http://127.0.0.1:9/v1", server_admin_key="sk-admin-x").can_call_admin
            True
        """
        return bool(self._admin_key or self._server_admin_key)

    def _headers(self, method: str, admin: bool, extra) -> dict:
        headers = {"Accept": "application/json"}
        key = (self._admin_key or self._server_admin_key) if admin else self._api_key
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project and not admin:
            headers["OpenAI-Project"] = self.project
        if method == "POST":
            # One key for all retries of this call, so a retried create is not done twice.
            headers["Idempotency-Key"] = f"jak-{uuid.uuid4().hex}"
        if extra:
            headers.update(extra)
        return headers

    def request(self, method: str, path: str, *, params=None, json_body=None, files=None, data=None,
                stream: bool = False, admin: bool = False, headers=None, timeout=None) -> requests.Response:
        """Send one API call with retries; return the successful `requests.Response`.

        Raises an `APIStatusError` subclass for error statuses, `APIConnectionError`/`APITimeoutError`
        when the server cannot be reached.
        """
        method = method.upper()
        url = f"{self.base_url}/{path.lstrip('/')}"
        all_headers = self._headers(method, admin, headers)
        timeout = _timeout_pair(timeout) if timeout is not None else self.timeout
        attempt = 0
        while True:
            try:
                if files is not None:
                    # Seek back so a retried upload sends the whole file again.
                    for item in files.values():
                        fobj = item[1] if isinstance(item, tuple) else item
                        if hasattr(fobj, "seek"):
                            fobj.seek(0)
                response = self.session.request(method, url, params=params, json=json_body, files=files,
                                                data=data, headers=all_headers, timeout=timeout,
                                                stream=stream)
            except requests.Timeout as exc:
                error = APITimeoutError(f"{method} {path} timed out after {timeout[1]:g} s")
                cause, retry_headers = exc, None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                error = APIConnectionError(f"could not reach {self.base_url}: {type(exc).__name__}")
                cause, retry_headers = exc, None
            else:
                if response.status_code < 400:
                    return response
                error = self._status_error(response)
                cause, retry_headers = None, response.headers
                if response.status_code not in RETRY_STATUSES and response.status_code < 500:
                    raise error
            if attempt >= self.max_retries:
                raise error from cause
            wait = backoff_seconds(attempt, retry_headers)
            log.info("retrying %s %s in %.2fs after %s", method, path, wait, type(error).__name__)
            time.sleep(wait)
            attempt += 1

    @staticmethod
    def _status_error(response: requests.Response):
        try:
            body = response.json()
        except ValueError:
            body = response.text[:500]
        finally:
            response.close()
        return error_for_status(response.status_code, body, request_id=response.headers.get("x-request-id"))

    def json(self, method: str, path: str, **kwargs) -> APIObject:
        """Send a call and return its JSON body as an `APIObject` carrying the request id (a create the
        replay cache knows is answered from it instead)."""
        body = kwargs.get("json_body")
        if (self.replay is not None and method == "POST" and path.strip("/") in REPLAYED_ENDPOINTS
                and isinstance(body, dict) and not body.get("background")):
            return self.replay.answer(self.replay_server, path, body, lambda: self._json(method, path, **kwargs))
        return self._json(method, path, **kwargs)

    def _json(self, method: str, path: str, **kwargs) -> APIObject:
        response = self.request(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            raise APIConnectionError(f"{method} {path}: the server did not answer with JSON",
                                     request_id=response.headers.get("x-request-id")) from None
        result = APIObject(body) if isinstance(body, dict) else APIObject({"data": body})
        result.request_id = response.headers.get("x-request-id")
        return result
