"""The FastAPI application: state, request ids, error handling and the routers of every API group.

Each API group is a module in `local/routes/` with a `router` and, if it needs one, a
`setup(app)` that registers hooks (key resolvers, model providers, background workers).

Example:
    >>> from jupyter_api_kit.local.store import Store
    >>> app = create_app(Store(":memory:"))
    >>> "/v1/models" in app.openapi()["paths"]
    True
"""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path

from jupyter_api_kit.local.background import Background
from jupyter_api_kit.local.errors import install_error_handlers

#: the API groups served, one module each under jupyter_api_kit.local.routes
ROUTE_MODULES = ["models", "chat", "files", "embeddings", "moderations", "vector_stores", "completions", "responses",
                 "assistants", "threads", "runs", "evals", "fine_tuning", "projects", "project_keys", "certificates", "audit_logs", "usage"]


def create_app(store, *, api_key: str | None = None, data_dir: str | Path | None = None,
               admin_key: str | None = None):
    """Build the app over `store`. With `api_key`, every request must carry it (or a key a
    registered resolver accepts). `admin_key` opens the organization endpoints (a random in-memory
    one when None)."""
    from fastapi import Depends, FastAPI

    from jupyter_api_kit.local.principal import authenticate

    app = FastAPI(title="jupyter_api_kit local server", docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.store = store
    app.state.api_key = api_key
    app.state.admin_key = admin_key
    app.state.data_dir = Path(data_dir) if data_dir else None
    app.state.background = Background()
    app.state.key_resolvers = []        # (token, request) -> Principal | None
    app.state.model_providers = []      # (app) -> list of Model objects for GET /v1/models
    app.state.language_model_resolvers = []  # (app, model_id) -> language model | None
    install_error_handlers(app)

    @app.middleware("http")
    async def request_id(request, call_next):
        rid = f"req_{uuid.uuid4().hex}"
        request.state.request_id = rid
        response = await call_next(request)
        response.headers["x-request-id"] = rid
        return response

    @app.get("/health", include_in_schema=False)
    def health():
        return {"status": "ok"}

    for name in ROUTE_MODULES:
        module = importlib.import_module(f"jupyter_api_kit.local.routes.{name}")
        # Every route authenticates, whether or not it asks for the Principal itself.
        app.include_router(module.router, prefix="/v1", dependencies=[Depends(authenticate)])
        if hasattr(module, "setup"):
            module.setup(app)
    return app
