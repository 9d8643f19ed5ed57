"""The local server a client uses when nothing else is configured.

This is the one place above both the client and the local server: a `Client()` with no key and no
base URL asks here for the server's URL and admin key, once, when it is made. If
`JUPYTER_API_KIT_LOCAL_URL` names a running local server (as `make lab` sets it), that one is shared
(its admin key is not known here, so organization calls need `OPENAI_ADMIN_KEY`); otherwise one
server is started in this process, on a free loopback port, over the database in the user data
directory, and reused by every later client.

Example:
    >>> local = shared_local()
    >>> local.base_url.endswith("/v1")
    True
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from jupyter_api_kit.config import LOCAL_URL_ENV

_lock = threading.Lock()
_server = None


@dataclass(frozen=True)
class LocalEndpoint:
    """Where the local server answers, and its admin key when this process started it (never shown).

    Example:
        >>> LocalEndpoint("http://127.0.0.1:8765/v1", admin_key="sk-admin-x")
        LocalEndpoint(base_url='http://127.0.0.1:8765/v1')
    """

    base_url: str
    admin_key: str | None = field(default=None, repr=False)


def _reachable(url: str) -> bool:
    import requests

    try:
        return requests.get(url.rstrip("/") + "/models", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def shared_local() -> LocalEndpoint:
    """The local server for this process (started on first use): its URL and, if it runs in this
    process, its admin key."""
    global _server
    with _lock:
        if _server is None:
            external = os.environ.get(LOCAL_URL_ENV)
            if external and _reachable(external):
                return LocalEndpoint(external.rstrip("/"))
            from jupyter_api_kit.local.server import start_local_server

            _server = start_local_server()
        return LocalEndpoint(_server.base_url, admin_key=_server.admin_key)
