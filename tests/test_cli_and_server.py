"""The console command and the server's lifecycle: binding rules, persistence, migrations, auth."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from jupyter_api_kit.client import Client
from jupyter_api_kit.errors import AuthenticationError
from jupyter_api_kit.local import start_local_server
from jupyter_api_kit.local.server import is_loopback
from jupyter_api_kit.local.core.db import Store


def _serve(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "jupyter_api_kit.cli", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
                            start_new_session=True)


def test_serve_prints_base_url_and_key_and_serves_until_stopped(tmp_path):
    proc = _serve("--port", "0", "--db", str(tmp_path / "cli.db"))
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        printed = proc.stderr.readline()
        assert printed.startswith("jupyter-api-kit: API key for this run")
        key = printed.split()[-1]
        assert key.startswith("sk-local-") and len(key) > 40
        deadline = time.monotonic() + 20
        while True:
            try:
                r = requests.get(f"{url}/models", headers={"Authorization": f"Bearer {key}"}, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert r.status_code == 200 and any(m["id"] == "local-ngram" for m in r.json()["data"])
        assert requests.get(f"{url}/models", timeout=2).status_code == 401
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=20)


def test_serve_refuses_a_public_host_without_a_key():
    proc = _serve("--host", "0.0.0.0", "--port", "0", "--open")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "without a key" in err and "--open" in err and "\n" == err[-1] and err.count("\n") == 1


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    with pytest.raises(ValueError):
        start_local_server(host="0.0.0.0", db=":memory:", open_access=True)


def test_api_key_is_required_when_configured():
    with start_local_server(db=":memory:", api_key="sk-local-test") as server:
        with pytest.raises(AuthenticationError) as info:
            Client(base_url=server.base_url, max_retries=0).models.list()
        assert info.value.status == 401 and "sk-local-test" not in str(info.value)
        with pytest.raises(AuthenticationError):
            Client(base_url=server.base_url, api_key="sk-wrong", max_retries=0).models.list()
        assert Client(base_url=server.base_url, api_key="sk-local-test").models.list().data


def test_stored_completions_survive_a_restart(tmp_path):
    db = tmp_path / "persist.db"
    with start_local_server(db=db) as server:
        c = Client(base_url=server.base_url, api_key=server.api_key).chat.completions.create(
            model="local-ngram", messages=[{"role": "user", "content": "Hi"}], store=True, metadata={"k": "v"},
            max_completion_tokens=4)
    with start_local_server(db=db) as server:
        again = Client(base_url=server.base_url, api_key=server.api_key).chat.completions.retrieve(c.id)
    assert again.metadata == {"k": "v"}
    assert Store(db).one("PRAGMA journal_mode")[0] == "wal"


def test_migrations_are_numbered_and_applied_once(tmp_path):
    store = Store(tmp_path / "m.db")
    version = store.version()
    assert version >= 1
    assert store.migrate() == []
    names = [r["name"] for r in store.all("SELECT name FROM schema_migrations ORDER BY version")]
    assert names[0] == "0001_core.sql" and len(names) == version


def test_every_response_carries_a_request_id(server):
    for method, path in (("GET", "/models"), ("GET", "/chat/completions/none"), ("GET", "/nowhere")):
        r = requests.request(method, server.base_url + path, headers=server.headers)
        assert r.headers["x-request-id"].startswith("req_")
        if r.status_code >= 400:
            assert r.json()["error"]["message"]
