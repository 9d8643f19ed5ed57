"""The FastAPI application: typed state, request ids, errors, rate limits, the features' routers, and
the lifespan that resumes interrupted work on start and ends background work on stop.

All app-wide wiring is here and nowhere else: a feature package only declares its router and the
objects it needs; this module decides who gets what.

Example:
    >>> from jupyter_api_kit.local.core.db import Store
    >>> app = create_app(Store(":memory:"))
    >>> "/v1/models" in app.openapi()["paths"], app.state.admin_key.startswith("sk-admin-")
    (True, True)
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from jupyter_api_kit.local.core import request_models
from jupyter_api_kit.local.core.errors import install_error_handlers
from jupyter_api_kit.local.core.state import AppState, Timing
from jupyter_api_kit.local.models.errors import ModelInputError

#: the features whose routers are served under /v1, in the order the OpenAPI listing shows them
ROUTERS = ("inference.routes", "chat.routes", "files.routes", "inference.embeddings", "inference.moderations",
           "vector_stores.routes", "inference.completions", "responses.routes", "conversations.routes",
           "assistants.routes", "assistants.thread_routes", "assistants.run_routes", "evals.routes",
           "fine_tuning.routes", "organization.routes", "usage.routes")
#: the Assistants API's routers; `create_app(..., assistants=False)` serves `assistants.sunset` instead
ASSISTANTS_ROUTERS = ("assistants.routes", "assistants.thread_routes", "assistants.run_routes")


class RequestIdMiddleware:
    """ASGI middleware: every response carries an `x-request-id` (also on `request.state.request_id`).
    Plain ASGI rather than `@app.middleware("http")`, whose per-request task and stream cost a
    measurable share of a short request's time."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = rid
        header = (b"x-request-id", rid.encode("ascii"))

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*(h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"),
                                      header]
            await send(message)

        await self.app(scope, receive, send_with_id)


def build_state(store, *, api_key: str | None = None, admin_key: str | None = None,
                data_dir: str | Path | None = None, timing: Timing | None = None, upstream=None) -> AppState:
    """The app's state with every feature's shared objects made and registered.

    Example:
        >>> from jupyter_api_kit.local.core.db import Store
        >>> state = build_state(Store(":memory:"), admin_key="sk-admin-test")
        >>> state.admin_key, len(state.models.providers)
        ('sk-admin-test', 2)
    """
    from jupyter_api_kit.local.fine_tuning import engine as fine_tuning
    from jupyter_api_kit.local.inference.engine import PromptCache
    from jupyter_api_kit.local.inference.routes import local_models
    from jupyter_api_kit.local.organization.keys import new_secret, resolve_key
    from jupyter_api_kit.local.organization.rate_limits import RateLimiter
    from jupyter_api_kit.spec.prices import PriceTable

    state = AppState(store=store, api_key=api_key, admin_key=admin_key or new_secret("sk-admin-"),
                     data_dir=Path(data_dir) if data_dir else None, timing=timing or Timing())
    # Project and admin keys are asked first, so a project key wins over an open server's anonymous access.
    state.key_resolvers.append(resolve_key)
    state.models.providers.extend([local_models, fine_tuning.tuned_models])
    state.models.resolvers.append(fine_tuning.load_tuned_model)
    state.prompt_cache = PromptCache()
    state.prices = PriceTable.from_environment()
    state.rate_limiter = RateLimiter()
    state.fine_tune_control = fine_tuning.JobControl()
    if upstream is not None:
        # Gateway mode: the upstream's models are listed after the local ones, and any model that is not
        # local resolves to the upstream (after fine-tuned models, so those stay local).
        state.gateway = upstream
        state.models.providers.append(upstream.model_objects)
        state.models.resolvers.append(upstream.resolve)
        state.models.embedders.append(upstream.embedder)
        if upstream.embedding_model:
            state.models.file_embedding = upstream.embedding_model
    return state


def job_kinds(assistants: bool = True) -> list:
    """The kinds of background job the app runs (`core.jobs`), each feature's step logic.

    Example:
        >>> [kind.name for kind in job_kinds(assistants=False)]
        ['eval_run', 'fine_tuning_job', 'background_response', 'vector_store_files']
    """
    from jupyter_api_kit.local.assistants.engine import RUNS
    from jupyter_api_kit.local.evals.engine import EVAL_RUNS
    from jupyter_api_kit.local.fine_tuning.engine import FINE_TUNING_JOBS
    from jupyter_api_kit.local.responses.background import BACKGROUND_RESPONSES
    from jupyter_api_kit.local.vector_stores.engine import VECTOR_STORE_FILES

    return ([RUNS] if assistants else []) + [EVAL_RUNS, FINE_TUNING_JOBS, BACKGROUND_RESPONSES, VECTOR_STORE_FILES]


@asynccontextmanager
async def lifespan(app):
    """Start: settle or resume the work a previous server left unfinished (runs, eval runs,
    fine-tuning jobs, background responses, vector-store files). Stop: end background work before
    the database closes."""
    app.state.jobs.recover()
    yield
    app.state.jobs.shutdown()
    if app.state.gateway is not None:
        app.state.gateway.close()


def create_app(store, *, api_key: str | None = None, data_dir: str | Path | None = None,
               admin_key: str | None = None, timing: Timing | None = None, upstream=None,
               assistants: bool = True):
    """Build the app over `store`. With `api_key`, every request, on every route, must carry it (or a
    project or admin key); without, the app is open to any caller. `admin_key` opens the organization
    endpoints, and only it does (a random in-memory one when None). `upstream`
    (a `gateway.Gateway`) puts the server in gateway mode: the upstream engine answers for its models.
    `assistants=False` switches the Assistants API off (`/assistants`, `/threads`, runs), answering
    as OpenAI has since its sunset: a 404 that names the Conversations way.

    Example:
        >>> from jupyter_api_kit.local.core.db import Store
        >>> app = create_app(Store(":memory:"), timing=Timing(run_step=0.0))
        >>> app.state.timing.run_step
        0.0
        >>> paths = create_app(Store(":memory:"), assistants=False).openapi()["paths"]
        >>> "/v1/conversations" in paths, "/v1/threads/{thread_id}/runs" in paths
        (True, False)
    """
    import importlib

    from fastapi import Depends, FastAPI

    from jupyter_api_kit.local.assistants.engine import RunEngine
    from jupyter_api_kit.local.core.auth import KeyGate, authenticate
    from jupyter_api_kit.local.organization.rate_limits import RateLimitMiddleware

    # No /docs page: a browser cannot send the key it would need. The description is a keyed route below.
    app = FastAPI(title="jupyter_api_kit local server", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state = build_state(store, api_key=api_key, admin_key=admin_key, data_dir=data_dir, timing=timing,
                            upstream=upstream)
    app.state.run_engine = RunEngine(app) if assistants else None
    app.state.jobs.serve(app, job_kinds(assistants))
    install_error_handlers(app, bad_input=(ModelInputError,))
    request_models.install(app)
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(KeyGate)  # added later, so it runs first: nothing else sees a caller without the key

    app.add_middleware(RequestIdMiddleware)

    @app.get("/health", include_in_schema=False)
    def health():
        return {"status": "ok"}

    @app.get("/openapi.json", include_in_schema=False)
    def description():
        return app.openapi()

    routers = ROUTERS if assistants else [n for n in ROUTERS if n not in ASSISTANTS_ROUTERS] + ["assistants.sunset"]
    for name in routers:
        module = importlib.import_module(f"jupyter_api_kit.local.{name}")
        # Every route authenticates, whether or not it asks for the Principal itself.
        app.include_router(module.router, prefix="/v1", dependencies=[Depends(authenticate)])
    return app
