"""Project rate limits: stored per project and model, enforced on that project's model requests.

A request made with a project key to a model endpoint is checked, before it runs, against its
project's limits for the requested model: requests per minute (counted in memory, so concurrent
requests count too), requests per day and tokens per minute (counted from `usage_records`, the
tokens actually served). Past a limit the answer is a 429 with the API's error object and
`Retry-After`/`retry-after-ms` saying when the window frees up.

The window behind "per minute" is `RateLimiter.minute` seconds (60; tests shorten it so that a retry
after a 429 can be watched in a second instead of a minute). A day is 1440 such windows.

Example:
    >>> limiter = RateLimiter(minute=1.0)
    >>> limits = {**DEFAULT_LIMITS, "max_requests_per_1_minute": 1}
    >>> limiter.check(None, "proj_1", "local-ngram", limits, now=100.0, count_stored=False) is None
    True
    >>> limiter.check(None, "proj_1", "local-ngram", limits, now=100.2, count_stored=False).retry_after
    0.8
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass

import anyio.to_thread

from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import BadRequest, HTTPError, NotFound
from jupyter_api_kit.local.organization import audit
from jupyter_api_kit.local.organization.keys import live_project_key
from jupyter_api_kit.local.organization.store import active_project, get_project

#: the organization's limits, which a project's own limits may lower but not raise
DEFAULT_LIMITS = {"max_requests_per_1_minute": 10_000, "max_tokens_per_1_minute": 10_000_000,
                  "max_requests_per_1_day": 10_000_000, "batch_1_day_max_input_tokens": 100_000_000}
#: POST endpoints whose JSON body names the model that serves them
MODEL_PATHS = frozenset({"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/moderations",
                         "/v1/responses", "/v1/images/generations", "/v1/audio/speech"})


def model_ids(app) -> list[str]:
    """Every model id the app's model providers offer, once each, in their order: the models a
    project has a rate limit for.

    Example:
        >>> model_ids(app)[:3]
        ['local-ngram', 'local-ngram-small', 'local-embed']
    """
    ids = []
    for provider in app.state.models.providers:
        ids.extend(m["id"] for m in provider(app))
    return list(dict.fromkeys(ids))


def limits_for(store, project_id: str, model: str) -> dict:
    """A project's limits for one model: the organization's defaults with the project's own
    (lower) values over them.

    Example:
        >>> limits_for(Store(":memory:"), "proj_1", "local-ngram") == DEFAULT_LIMITS
        True
    """
    row = store.one("SELECT limits FROM project_rate_limits WHERE project_id = ? AND model = ?", (project_id, model))
    return {**DEFAULT_LIMITS, **(loads(row["limits"]) if row else {})}


def limit_object(model: str, limits: dict) -> dict:
    """The API's `project.rate_limit` object; its id is `rl-<model>`.

    Example:
        >>> limit_object("local-ngram", {"max_requests_per_1_minute": 30})  # doctest: +NORMALIZE_WHITESPACE
        {'object': 'project.rate_limit', 'id': 'rl-local-ngram', 'model': 'local-ngram',
         'max_requests_per_1_minute': 30}
    """
    return {"object": "project.rate_limit", "id": f"rl-{model}", "model": model, **limits}


def list_limits(app, project_id: str, limit: int = 100, after: str | None = None, before: str | None = None) -> dict:
    """`GET /organization/projects/{id}/rate_limits`: one page of the project's limits, one per model,
    in model order (paged in memory: the list is short).

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(app.state.store, admin_principal(), {"name": "Limited"})
        >>> page = list_limits(app, project["id"], limit=1)
        >>> [r["id"] for r in page["data"]], page["has_more"]
        (['rl-local-ngram'], True)
    """
    store = app.state.store
    get_project(store, project_id)
    data = [limit_object(m, limits_for(store, project_id, m)) for m in model_ids(app)]
    ids = [d["id"] for d in data]
    for name, value in (("after", after), ("before", before)):
        if value is not None and value not in ids:
            raise BadRequest(f"Invalid '{name}': no rate limit with id '{value}' in this project.", param=name)
    # A fixed, short list (one limit per model): page over it in memory, in model order.
    stop = ids.index(before) if before else len(data)
    start = ids.index(after) + 1 if after else (max(0, stop - limit) if before else 0)
    page = data[start:stop][:limit]
    more = start + len(page) < stop
    return {"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None, "has_more": more}


def update_limit(app, principal: Principal, project_id: str, rate_limit_id: str, body: dict) -> dict:
    """`POST /organization/projects/{id}/rate_limits/{rate_limit_id}`: lower some of a project's
    limits for one model (each between 1 and the organization's limit), with an audit event.

    Example:
        >>> from jupyter_api_kit.local.organization.store import create_project
        >>> project = create_project(app.state.store, admin_principal(), {"name": "Limited"})
        >>> update_limit(app, admin_principal(), project["id"], "rl-local-ngram",
        ...              {"max_requests_per_1_minute": 30})["max_requests_per_1_minute"]
        30
        >>> limits_for(app.state.store, project["id"], "local-ngram")["max_requests_per_1_minute"]
        30
    """
    store = app.state.store
    project = active_project(store, project_id)
    model = rate_limit_id[3:] if rate_limit_id.startswith("rl-") else None
    if model not in model_ids(app):
        raise NotFound(f"No rate limit '{rate_limit_id}' in project '{project_id}'; ids are 'rl-' followed by a "
                       "model id.", param="rate_limit_id")
    unknown = sorted(k for k, v in body.items() if v is not None and k not in DEFAULT_LIMITS)
    if unknown:  # declared by the API (images, audio) but not limits the local models have
        raise BadRequest(f"Invalid field '{unknown[0]}' for {model}: the local models' limits are "
                         f"{', '.join(DEFAULT_LIMITS)}.", param=unknown[0])
    changes = {k: body[k] for k in DEFAULT_LIMITS if body.get(k) is not None}
    stored = {**limits_for(store, project_id, model), **changes}
    with store.tx() as db:
        db.execute("INSERT INTO project_rate_limits (project_id, model, limits) VALUES (?, ?, ?) "
                   "ON CONFLICT (project_id, model) DO UPDATE SET limits = excluded.limits",
                   (project_id, model, dumps({k: v for k, v in stored.items() if v != DEFAULT_LIMITS[k]})))
        audit.record(db, "rate_limit.updated", principal, project=(project_id, project["name"]),
                     resource_id=rate_limit_id, details={"id": rate_limit_id, "changes_requested": changes})
    return limit_object(model, stored)


@dataclass(frozen=True)
class Rejection:
    """Why a request was refused: which limit (`what`, and the `x-ratelimit-*` header family), its
    value, how much of it is used, and the seconds until the window frees up.

    Example:
        >>> r = Rejection("requests per min (RPM)", "requests", limit=1, used=1, retry_after=0.8)
        >>> r.message("local-ngram", "proj_1")  # doctest: +ELLIPSIS
        'Rate limit reached for local-ngram in project proj_1 on requests per min (RPM): Limit 1, Used 1, ...'
    """

    what: str          # e.g. "requests per min (RPM)"
    header: str        # "requests" or "tokens": the x-ratelimit-* header family
    limit: int
    used: int
    retry_after: float

    def message(self, model: str, project_id: str) -> str:
        """The 429's error message, in the API's wording.

        Example:
            >>> Rejection("tokens per min (TPM)", "tokens", 100, 100, 12.5).message("m", "p")[-26:]
            'Please try again in 12.5s.'
        """
        return (f"Rate limit reached for {model} in project {project_id} on {self.what}: Limit {self.limit}, "
                f"Used {self.used}, Requested 1. Please try again in {self.retry_after:.3g}s.")


class RateLimiter:
    """Sliding windows per (project, model)."""

    def __init__(self, minute: float = 60.0):
        self.minute = minute
        self._lock = threading.Lock()
        self._recent: dict[tuple, deque] = {}

    def check(self, store, project_id: str, model: str, limits: dict, *, now: float,
              count_stored: bool = True) -> Rejection | None:
        """None (and the request is counted) if it may run, else why not and for how long."""
        minute, day = self.minute, self.minute * 1440
        if count_stored:
            rejection = self._stored(store, project_id, model, limits, now, minute, day)
            if rejection is not None:
                return rejection
        with self._lock:
            recent = self._recent.setdefault((project_id, model), deque())
            while recent and recent[0] <= now - minute:
                recent.popleft()
            rpm = limits["max_requests_per_1_minute"]
            if len(recent) >= rpm:
                wait = round(recent[len(recent) - rpm] + minute - now, 3)
                return Rejection("requests per min (RPM)", "requests", rpm, len(recent), max(wait, 0.001))
            recent.append(now)
        return None

    @staticmethod
    def _stored(store, project_id, model, limits, now, minute, day) -> Rejection | None:
        row = store.one("SELECT coalesce(sum(input_tokens + output_tokens), 0) AS tokens, min(ts) AS first "
                        "FROM usage_records WHERE project_id = ? AND model = ? AND ts > ?",
                        (project_id, model, math.floor(now - minute)))
        tpm = limits["max_tokens_per_1_minute"]
        if row["tokens"] >= tpm:
            return Rejection("tokens per min (TPM)", "tokens", tpm, row["tokens"],
                             max(round(row["first"] + minute - now, 3), 0.001))
        row = store.one("SELECT count(*) AS n, min(ts) AS first FROM usage_records "
                        "WHERE project_id = ? AND model = ? AND ts > ?", (project_id, model, math.floor(now - day)))
        rpd = limits["max_requests_per_1_day"]
        if row["n"] >= rpd:
            return Rejection("requests per day (RPD)", "requests", rpd, row["n"],
                             max(round(row["first"] + day - now, 3), 0.001))
        return None


def _bearer(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class RateLimitMiddleware:
    """ASGI middleware: project limits on the model endpoints, before the endpoint runs."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        token = _bearer(scope) if scope["type"] == "http" else None
        if token is None or scope["method"] != "POST" or scope["path"] not in MODEL_PATHS:
            return await self.app(scope, receive, send)
        messages, body = [], b""
        while True:  # read the body to learn the model, then hand the same messages on
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        app = scope["app"]
        verdict = await anyio.to_thread.run_sync(self._decide, app, token, body)
        if verdict is None:
            return await self.app(scope, replay, send)
        model, project_id, rejection = verdict
        if rejection is None:
            return await self.app(scope, replay, send)
        await self._reject(rejection, model, project_id, scope, replay, send)

    @staticmethod
    def _decide(app, token: str, body: bytes):
        try:
            key = live_project_key(app.state.store, token)
        except HTTPError:
            return None  # a dead key: authentication answers with its 401
        if key is None:
            return None
        try:
            model = json.loads(body or b"{}").get("model")
        except (ValueError, AttributeError):
            return None  # the endpoint explains what is wrong with the body
        if not isinstance(model, str):
            return None
        project_id = key["project_id"]
        limits = limits_for(app.state.store, project_id, model)
        return model, project_id, app.state.rate_limiter.check(app.state.store, project_id, model, limits,
                                                               now=time.time())

    @staticmethod
    async def _reject(rejection: Rejection, model, project_id, scope, receive, send):
        from fastapi.responses import JSONResponse

        err = {"error": {"message": rejection.message(model, project_id), "type": "requests",
                         "param": None, "code": "rate_limit_exceeded"}}
        wait = rejection.retry_after
        headers = {"retry-after": str(max(1, math.ceil(wait))), "retry-after-ms": str(max(1, round(wait * 1000))),
                   f"x-ratelimit-limit-{rejection.header}": str(rejection.limit),
                   f"x-ratelimit-remaining-{rejection.header}": "0",
                   f"x-ratelimit-reset-{rejection.header}": f"{wait:.3f}s",
                   "x-request-id": f"req_{uuid.uuid4().hex}"}
        await JSONResponse(err, status_code=429, headers=headers)(scope, receive, send)


