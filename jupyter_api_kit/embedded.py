"""The local server a client uses when nothing else is configured.

This is the one place above both the client and the local server: a `Client()` with no key and no
base URL asks here for the server's URL, its key and its admin key, once, when it is made. If
`JUPYTER_API_KIT_LOCAL_URL` names a running local server (as `make lab` sets it, with its key in
`JUPYTER_API_KIT_LOCAL_KEY`), that one is shared (its admin key is not known here, so organization
calls need `OPENAI_ADMIN_KEY`); otherwise one server is started in this process, on a free loopback
port, over the database in the user data directory, with a new random key that only this process
knows, and reused by every later client.

Example:
    >>> local = shared_local()
    >>> local.base_url.endswith("/v1")
    True
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from jupyter_api_kit.config import LOCAL_KEY_ENV, LOCAL_URL_ENV

_lock = threading.Lock()
_server = None


@dataclass(frozen=True)
class LocalEndpoint:
    """Where the local server answers, its key, and its admin key when this process started it
    (neither key is ever shown).

    Example:
        >>> LocalEndpoint("http://127.0.0.1:8765/v1", api_key="sk-local-x", admin_key="sk-admin-x")
        LocalEndpoint(base_url='http://127.0.0.1:8765/v1')
    """

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    admin_key: str | None = field(default=None, repr=False)


def _reachable(url: str, key: str | None) -> bool:
    import requests

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        return requests.get(url.rstrip("/") + "/models", headers=headers, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def shared_local() -> LocalEndpoint:
    """The local server for this process (started on first use): its URL, its key and, if it runs in
    this process, its admin key."""
    global _server
    with _lock:
        if _server is None:
            external, key = os.environ.get(LOCAL_URL_ENV), os.environ.get(LOCAL_KEY_ENV) or None
            if external and _reachable(external, key):
                return LocalEndpoint(external.rstrip("/"), api_key=key)
            from jupyter_api_kit.local.server import start_local_server

            _server = start_local_server()
        return LocalEndpoint(_server.base_url, api_key=_server.api_key, admin_key=_server.admin_key)
