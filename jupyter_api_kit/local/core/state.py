"""The app's state, typed: what `create_app` builds once and every request reads as `request.app.state`.

Features find everything they share here by name (the database, keys, the job runner, the model
registry, timing), so nothing hangs loose on the app and a typo is an `AttributeError`, not a new
attribute.

Example:
    >>> state = AppState(store=Store(":memory:"), admin_key="sk-admin-x")
    >>> state.timing.run_step, state.api_key is None
    (0.005, True)
    >>> state.run_step_pause = 1
    Traceback (most recent call last):
    ...
    AttributeError: 'AppState' object has no attribute 'run_step_pause'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_api_kit.local.core.jobs import Jobs

#: the API's own limit for one upload (512 MB)
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


@dataclass(slots=True)
class Timing:
    """Every pause and limit the server's background work uses, in seconds unless named otherwise.
    The defaults are what a notebook user should see; tests shorten or lengthen them to catch work
    mid-way.

    Example:
        >>> Timing(run_step=0.0).run_step, Timing().fine_tune_step
        (0.0, 0.02)
    """

    #: between the steps of an Assistants run
    run_step: float = 0.005
    #: between the streamed tokens of a run (0: as fast as the model goes)
    run_token: float = 0.0
    #: how long a run waits for tool outputs before it expires
    run_expiry: float = 600.0
    #: between the steps of a background response
    response_step: float = 0.02
    #: between the items of an eval run
    eval_item: float = 0.0
    #: between the training steps of a fine-tuning job: enough to watch it move and to pause it
    fine_tune_step: float = 0.02
    #: before each file a vector store processes
    vector_store_file: float = 0.0
    #: the largest upload accepted, in bytes
    max_upload_bytes: int = MAX_UPLOAD_BYTES


@dataclass(slots=True)
class ModelRegistry:
    """Who serves which model: `providers` list model objects for `GET /v1/models`, `resolvers`
    turn a requested id into a language model (fine-tuned models register one), `embedders` turn
    an embedding model's id into an embedding model (None: not theirs), and `file_embedding` names
    the model vector stores embed new files with.

    Example:
        >>> registry = ModelRegistry()
        >>> registry.providers.append(lambda app: [{"id": "m", "object": "model"}])
        >>> len(registry.providers), registry.resolvers
        (1, [])
    """

    providers: list[Callable] = field(default_factory=list)
    resolvers: list[Callable] = field(default_factory=list)
    embedders: list[Callable] = field(default_factory=list)
    file_embedding: str = "local-embed"


@dataclass(slots=True)
class AppState:
    """Everything the app shares between requests; `create_app` builds it and sets it as `app.state`."""

    #: the database (`core.db.Store`)
    store: object
    #: the admin key: only it opens the organization endpoints
    admin_key: str
    #: the key every request must carry, or None for an open server
    api_key: str | None = None
    #: where uploaded files live (None: the user data directory)
    data_dir: Path | None = None
    timing: Timing = field(default_factory=Timing)
    #: the one runner of work that outlives a request
    jobs: Jobs = field(default_factory=Jobs)
    models: ModelRegistry = field(default_factory=ModelRegistry)
    #: (token, request) -> Principal | None, asked before the server's own key
    key_resolvers: list[Callable] = field(default_factory=list)
    #: features' shared objects, set by create_app (see its wiring)
    prompt_cache: object = None
    prices: object = None
    rate_limiter: object = None
    run_engine: object = None
    fine_tune_control: object = None
    #: the upstream engine in gateway mode (`gateway.Gateway`), None when the local models answer all
    gateway: object = None
