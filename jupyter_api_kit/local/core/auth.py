"""Who is calling: the key a request carries, checked once per request, before anything else runs.

A server has a key (`app.state.api_key`; the embedded server and `jupyter-api-kit serve` make a
random one per run), and every request must present it, or a key a resolver on
`app.state.key_resolvers` accepts (the admin key, project keys). Without a key (`api_key=None`,
`serve --open`) the server is open: any or no bearer token is accepted. Keys are compared in
constant time, and no message ever shows the key sent or the key expected.

Example:
    >>> Principal().project_id is None
    True
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import Request

from jupyter_api_kit.local.core.errors import HTTPError, Unauthorized

#: where a caller finds the key, said in every 401 of a server that has one
KEY_HINT = ("the local server's key is in JUPYTER_API_KIT_LOCAL_KEY (make lab), LocalServer.api_key (a server "
            "started in Python) or the line `jupyter-api-kit serve` printed at start")


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


def same_key(token: str | None, secret: str | None) -> bool:
    """Whether `token` is `secret`, in time that does not depend on where they differ.

    Example:
        >>> same_key("sk-a", "sk-a"), same_key("sk-b", "sk-a"), same_key("sk-a", None), same_key(None, "sk-a")
        (True, False, False, False)
    """
    return bool(token) and bool(secret) and hmac.compare_digest(token.encode(), secret.encode())


def identify(request) -> Principal:
    """The `Principal` behind this request's key, or a 401 (`Unauthorized`).

    Resolvers on `app.state.key_resolvers` are asked first (each returns a Principal or None); then
    the server's own key, if it has one.

    Example:
        >>> app.state.api_key = "sk-local-test"
        >>> ask = lambda key: SimpleNamespace(app=app, headers={"authorization": f"Bearer {key}"})
        >>> identify(ask("sk-local-test")).is_admin
        False
        >>> identify(ask("sk-other"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jupyter_api_kit.local.core.errors.Unauthorized: Incorrect API key provided: ...
    """
    state = request.app.state
    token = bearer_token(request)
    project_header = request.headers.get("openai-project")
    if token and not same_key(token, state.api_key):
        for resolver in state.key_resolvers:
            principal = resolver(token, request)
            if principal is not None:
                return principal
    if state.api_key is None or same_key(token, state.api_key):
        return Principal(project_id=project_header)
    if token is None:
        raise Unauthorized(f"You didn't provide an API key. Send it as 'Authorization: Bearer KEY'; {KEY_HINT}.",
                           code="missing_api_key")
    raise Unauthorized(f"Incorrect API key provided: {KEY_HINT}.")


def authenticate(request: Request) -> Principal:
    """FastAPI dependency: the `Principal` that `KeyGate` found for this request (asked again when
    the request did not pass the gate, as in a direct call).

    Example:
        >>> authenticate(SimpleNamespace(state=SimpleNamespace(principal=Principal(project_id="proj_1")))).project_id
        'proj_1'
    """
    found = getattr(request.state, "principal", None)
    return found if found is not None else identify(request)


class KeyGate:
    """ASGI middleware: every HTTP request is identified before any of the app runs (routing, body
    parsing, rate limits), so a caller without the key learns nothing but the 401. The Principal found
    is left in the request's state for `authenticate`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.responses import JSONResponse

        request = Request(scope)
        state = scope["app"].state
        token = bearer_token(request)
        try:
            if token is None or same_key(token, state.api_key):
                principal = identify(request)  # decided in memory: no thread needed
            else:
                import anyio

                principal = await anyio.to_thread.run_sync(identify, request)  # project keys read the database
        except HTTPError as err:
            return await JSONResponse(err.body(), status_code=err.status, headers=err.headers)(scope, receive, send)
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)
