"""Running the app: in a background thread (notebooks, tests) or in the foreground (the console command).

Example:
    >>> server = start_local_server(db=":memory:")     # port 0: a free one
    >>> server.base_url
    'http://127.0.0.1:.../v1'
    >>> server.stop()
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
import time
from pathlib import Path

from jupyter_api_kit.local.app import create_app
from jupyter_api_kit.local.core.db import Store

DB_ENV = "JUPYTER_API_KIT_DB"


def default_db_path() -> Path:
    """The database file: `JUPYTER_API_KIT_DB`, else `local.db` in the user data directory."""
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    from jupyter_api_kit.config import data_dir

    return data_dir() / "local.db"


def is_loopback(host: str) -> bool:
    """True for hosts that only this machine can reach.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse to expose an open server: a non-loopback host needs an API key.

    Example:
        >>> check_bind("0.0.0.0", None)
        Traceback (most recent call last):
        ...
        ValueError: refusing to listen on 0.0.0.0 without a key: anyone on the network could use this server; drop --open, or bind to 127.0.0.1
    """
    if not is_loopback(host) and not api_key:
        raise ValueError(f"refusing to listen on {host} without a key: anyone on the network could use this "
                         "server; drop --open, or bind to 127.0.0.1")


def server_key(api_key: str | None, open_access: bool) -> str | None:
    """The key a server requires: `api_key` when given, None for an open server (`open_access`), else a
    new random one for this run.

    Example:
        >>> server_key("sk-mine", False), server_key(None, True)
        ('sk-mine', None)
        >>> server_key(None, False).startswith("sk-local-")
        True
    """
    if api_key and open_access:
        raise ValueError("an open server takes no API key: pass either api_key or open_access")
    if api_key or open_access:
        return api_key or None
    from jupyter_api_kit.local.organization.keys import new_secret

    return new_secret("sk-local-")


class LocalServer:
    """A handle on a running local server: `base_url`, `api_key`, `admin_key`, `store`, `app`, `stop()`.
    Its repr shows neither key."""

    def __init__(self, app, server, thread, sock):
        self.app = app
        self._server = server
        self._thread = thread
        host, port = sock.getsockname()[:2]
        self.host, self.port = host, port
        self.base_url = f"http://{host}:{port}/v1"

    @property
    def api_key(self) -> str | None:
        """The key every request to this server must carry (None for an open server), for the clients
        this process makes.

        Example:
            >>> from jupyter_api_kit.client import Client
            >>> with start_local_server(db=":memory:") as server:
            ...     with Client(base_url=server.base_url, api_key=server.api_key) as local:
            ...         "local-ngram" in [m.id for m in local.models.list()]
            True
        """
        return self.app.state.api_key

    @property
    def headers(self) -> dict:
        """The `Authorization` header this server wants, for plain HTTP calls (empty for an open server).

        Example:
            >>> import httpx
            >>> with start_local_server(db=":memory:") as server:
            ...     httpx.get(f"{server.base_url}/models", headers=server.headers).status_code
            200
        """
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    @property
    def admin_key(self) -> str:
        """The admin key of this server (organization endpoints), for the clients this process makes.

        Example:
            >>> with start_local_server(db=":memory:") as server:
            ...     server.admin_key.startswith("sk-admin-")
            True
        """
        return self.app.state.admin_key

    @property
    def store(self):
        """The server's database, for looking at its state directly (tests, notebooks).

        Example:
            >>> with start_local_server(db=":memory:") as server:
            ...     server.store.one("SELECT count(*) AS n FROM chat_completions")["n"]
            0
        """
        return self.app.state.store

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving, wait up to `timeout` seconds for the server thread, end background work and
        close the database; leaving a `with` block calls it.

        Example:
            >>> with start_local_server(db=":memory:") as server:
            ...     print(server.base_url)
            http://127.0.0.1:.../v1
        """
        self._server.should_exit = True
        self._thread.join(timeout)
        self.app.state.jobs.shutdown()
        self.app.state.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self) -> str:
        return f"LocalServer({self.base_url!r})"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
    # and without it every keep-alive response waits ~40 ms on Nagle and delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _uvicorn_server(app, log_level: str):
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on", timeout_keep_alive=30)
    return uvicorn.Server(config)


def start_local_server(host: str = "127.0.0.1", port: int = 0, db: str | Path | None = None,
                       api_key: str | None = None, data_dir: str | Path | None = None,
                       log_level: str = "warning", admin_key: str | None = None, upstream=None,
                       assistants: bool = True, open_access: bool = False) -> LocalServer:
    """Start the server in a daemon thread on `host:port` (0 picks a free port) and return once it
    accepts connections. `db=":memory:"` keeps everything in memory (tests); None uses the default file.
    Every request must carry `api_key`, a new random one when None (`server.api_key`);
    `open_access=True` lets any caller in. `upstream` (a `gateway.Gateway`) serves in gateway mode.
    `assistants=False` switches the Assistants API off, as on OpenAI since its sunset.

    Example:
        >>> from jupyter_api_kit.client import Client
        >>> with start_local_server(db=":memory:") as server:
        ...     with Client(base_url=server.base_url, api_key=server.api_key) as local:
        ...         local.models.retrieve("local-ngram").id
        'local-ngram'
    """
    api_key = server_key(api_key, open_access)
    check_bind(host, api_key)
    store = Store(default_db_path() if db is None else db)
    app = create_app(store, api_key=api_key, data_dir=data_dir, admin_key=admin_key, upstream=upstream,
                     assistants=assistants)
    sock = _bind(host, port)
    server = _uvicorn_server(app, log_level)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"jak-local-server-{sock.getsockname()[1]}")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the local server did not start")
        time.sleep(0.01)
    return LocalServer(app, server, thread, sock)


def serve_forever(host: str, port: int, db, api_key: str | None, on_ready=None, admin_key: str | None = None,
                  upstream=None, assistants: bool = True) -> None:
    """Serve in the foreground until interrupted (the console command): every request must carry
    `api_key` (None: an open server); `upstream` and `assistants` as in `start_local_server`."""
    check_bind(host, api_key)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    store = Store(default_db_path() if db is None else db)
    app = create_app(store, api_key=api_key, admin_key=admin_key, upstream=upstream, assistants=assistants)
    sock = _bind(host, port)
    server = _uvicorn_server(app, "info")
    if on_ready:
        host_, port_ = sock.getsockname()[:2]
        on_ready(f"http://{host_}:{port_}/v1")
    try:
        server.run(sockets=[sock])
    finally:
        app.state.jobs.shutdown()
        store.close()
