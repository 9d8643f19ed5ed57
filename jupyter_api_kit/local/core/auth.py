"""Who is calling: the key a request carries, checked once per request.

The server either runs open (no key configured: any or no bearer token is accepted, which is the
offline notebook case) or with a key, which every request must then present. Organization features
add keys of their own through `KeyResolver`s registered on the app (project keys, admin keys).

Example:
    >>> Principal().project_id is None
    True
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from jupyter_api_kit.local.core.errors import Unauthorized


@dataclass(frozen=True)
class Principal:
    """The caller of one request, as attributed in usage records."""

    project_id: str | None = None
    user_id: str | None = None
    api_key_id: str | None = None
    service_account_id: str | None = None
    is_admin: bool = False


def bearer_token(request) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None (no header, another scheme, or
    an empty token).

    Example:
        >>> bearer_token(SimpleNamespace(headers={"authorization": "Bearer sk-abc"}))
        'sk-abc'
        >>> bearer_token(SimpleNamespace(headers={"authorization": "Basic dXNlcg=="})) is None
        True
    """
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(request: Request) -> Principal:
    """FastAPI dependency: the `Principal` of this request, or a 401.

    Resolvers on `app.state.key_resolvers` are asked first (each returns a Principal or None, and may
    read the database, so they run in a worker thread); then the server's own key, if one is
    configured. A request without a token is settled on the event loop: a thread hop per request
    would cost more than the check.
    """
    token = bearer_token(request)
    if token and request.app.state.key_resolvers:
        return await run_in_threadpool(_principal, request, token)
    return _principal(request, token)


def _principal(request: Request, token: str | None) -> Principal:
    state = request.app.state
    project_header = request.headers.get("openai-project")
    if token:
        for resolver in state.key_resolvers:
            principal = resolver(token, request)
            if principal is not None:
                return principal
    if state.api_key is None:
        return Principal(project_id=project_header)
    if token is None:
        raise Unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer KEY'.",
                           code="missing_api_key")
    if not hmac.compare_digest(token.encode(), state.api_key.encode()):
        raise Unauthorized("Incorrect API key provided.")
    return Principal(project_id=project_header, is_admin=True)
