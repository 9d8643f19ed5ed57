"""The requests-backed API client.

Example:
    >>> client.chat.completions.create(model="local-ngram",
    ...     messages=[{"role": "user", "content": "Hello"}]).choices[0].finish_reason
    'stop'
"""

from __future__ import annotations

import importlib

from jupyter_api_kit.client.transport import Transport
from jupyter_api_kit.config import Settings, mask_secret

# Each API group lives in its own module and loads on first use: attribute -> (module, class).
GROUPS = {
    "chat": ("chat", "Chat"),
    "models": ("models", "Models"),
    "completions": ("completions", "Completions"),
    "embeddings": ("embeddings", "Embeddings"),
    "moderations": ("moderations", "Moderations"),
    "files": ("files", "Files"),
    "vector_stores": ("vector_stores", "VectorStores"),
    "responses": ("responses", "Responses"),
    "conversations": ("conversations", "Conversations"),
    "assistants": ("assistants", "Assistants"),
    "threads": ("threads", "Threads"),
    "evals": ("evals", "Evals"),
    "fine_tuning": ("fine_tuning", "FineTuning"),
    "organization": ("organization", "Organization"),
}


class Client:
    """One connection to an OpenAI-compatible API.

    Settings come from the arguments, then OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID,
    OPENAI_PROJECT_ID and OPENAI_ADMIN_KEY. With neither a key nor a base URL the embedded local
    server is started (once per process) and used. `cache="replay"` answers a create it has seen
    before from the replay file, so a rerun gets the same ids and answers (`"record"` refreshes it;
    see `jupyter_api_kit.client.replay`).

    Example:
        >>> client = Client(base_url="http://127.0.0.1:8765/v1", max_retries=0)
        >>> client.base_url
        'http://127.0.0.1:8765/v1'
    """

    def __init__(self, api_key: str | None = None, base_url: str | None = None, organization: str | None = None,
                 project: str | None = None, admin_key: str | None = None, timeout=None, max_retries: int = 2,
                 session=None, cache=None):
        settings = Settings.resolve(api_key=api_key, base_url=base_url, organization=organization,
                                    project=project, admin_key=admin_key)
        resolved_url, server_key, server_admin_key = settings.base_url, settings.api_key, None
        if resolved_url is None:
            from jupyter_api_kit.embedded import shared_local

            local = shared_local()  # the embedded server hands over its URL and keys, nothing else
            resolved_url, server_key, server_admin_key = local.base_url, local.api_key, local.admin_key
        self.settings = settings
        self.uses_local_server = settings.uses_embedded_server
        self.transport = Transport(resolved_url, api_key=server_key, admin_key=settings.admin_key,
                                   server_admin_key=server_admin_key,
                                   organization=settings.organization, project=settings.project,
                                   timeout=timeout, max_retries=max_retries, session=session)
        self._groups: dict = {}
        self.cache = cache

    @property
    def cache(self):
        """The `ReplayCache` answering repeated creates, or None; set it to "replay", "record", "off" or a
        `ReplayCache`.

        Example:
            >>> client.cache is None
            True
        """
        return self.transport.replay

    @cache.setter
    def cache(self, value) -> None:
        from jupyter_api_kit.client.replay import as_cache, server_key

        self.transport.replay = as_cache(value)
        self.transport.replay_server = server_key(self)

    @property
    def base_url(self) -> str:
        """The API's base URL, ending in `/v1` (the embedded server's own URL when it is used).

        Example:
            >>> Client(base_url="http://127.0.0.1:8765/v1/").base_url
            'http://127.0.0.1:8765/v1'
        """
        return self.transport.base_url

    def __getattr__(self, name):
        spec = GROUPS.get(name)
        if spec is None or name.startswith("_"):
            raise AttributeError(f"Client has no attribute {name!r}")
        groups = self.__dict__.setdefault("_groups", {})
        if name not in groups:
            module = importlib.import_module(f"jupyter_api_kit.client.{spec[0]}")
            groups[name] = getattr(module, spec[1])(self.transport, self)
        return groups[name]

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(GROUPS))

    def __repr__(self) -> str:
        where = "embedded local server" if self.uses_local_server else self.base_url
        return (f"Client({where!r}, api_key={mask_secret(self.settings.api_key)}, "
                f"admin_key={mask_secret(self.settings.admin_key)})")

    def close(self) -> None:
        """Release the HTTP connections; `with Client(...) as client:` calls it on leaving the block.

        Example:
            >>> with Client(base_url="http://127.0.0.1:8765/v1") as client:
            ...     client.base_url
            'http://127.0.0.1:8765/v1'
        """
        self.transport.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["Client"]
