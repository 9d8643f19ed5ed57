"""The local server lets in only its own user: every route needs the run's key (only the admin key opens
the organization's), nothing shows a key, and what the toolkit writes is readable by its owner only.

Other users of a shared machine reach 127.0.0.1 too; here a second process plays that user.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from jupyter_api_kit.client import Client
from jupyter_api_kit.local import start_local_server
from jupyter_api_kit.local.organization.keys import require_admin

PACKAGE = Path(__file__).resolve().parent.parent / "jupyter_api_kit"
ERROR_FIELDS = {"message", "type", "param", "code"}

# What the other user runs: every request, as given on stdin, answered to stdout (status, body).
OTHER_USER = """
import json, sys, requests
answers = []
for method, url, headers in json.load(sys.stdin):
    r = requests.request(method, url, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None,
                         timeout=30)
    answers.append([r.status_code, r.text])
print(json.dumps(answers))
"""


def another_process(calls: list) -> list:
    """Send `calls` ([method, url, headers]) from a process of its own; their (status, body text)."""
    out = subprocess.run([sys.executable, "-c", OTHER_USER], input=json.dumps(calls), capture_output=True,
                         text=True, timeout=600, check=True).stdout
    return [(status, text) for status, text in json.loads(out)]


def every_route(app) -> list[tuple[str, str, object]]:
    """(method, path with its parameters filled with made-up ids, route) for every route the app serves."""
    from fastapi import routing

    # FastAPI 0.120+ keeps included routers as lazy entries of app.routes; iter_route_contexts flattens them.
    iterate = getattr(routing, "iter_route_contexts", None)
    found = []
    for route in (iterate(app.routes) if iterate else app.routes):
        path = re.sub(r"\{[^}]+\}", "dummy_id_0001", route.path_format)
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                found.append((method, path, route))
    return found


def needs_admin(route) -> bool:
    """Whether the route's dependencies (at any depth) include the admin check."""
    pending = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while pending:
        dep = pending.pop()
        if dep.call is require_admin:
            return True
        pending.extend(dep.dependencies)
    return False


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    data = tmp_path_factory.mktemp("keyed")
    with start_local_server(db=data / "local.db", data_dir=data) as server:
        yield server


def _root(server) -> str:
    return server.base_url.removesuffix("/v1")


def test_another_process_without_the_key_gets_401_on_every_route(keyed):
    routes = every_route(keyed.app)
    assert len(routes) > 130 and any(path == "/v1/models" for _m, path, _r in routes)
    calls = [[m, _root(keyed) + p, {}] for m, p, _r in routes]
    calls += [[m, _root(keyed) + p, {"Authorization": "Bearer sk-local-guessed"}] for m, p, _r in routes]
    answers = another_process(calls)
    wrong = []
    for (method, url, headers), (status, text) in zip(calls, answers):
        body = json.loads(text)
        ok = status == 401 and set(body.get("error", {})) == ERROR_FIELDS
        ok = ok and body["error"]["code"] == ("missing_api_key" if not headers else "invalid_api_key")
        if not ok:
            wrong.append((method, url, status, text[:120]))
        for secret in (keyed.api_key, keyed.admin_key, "sk-local-guessed"):
            assert secret not in text  # neither the right keys nor the one sent come back
    assert wrong == []
    message = json.loads(answers[-1][1])["error"]["message"]
    assert "\n" not in message and "JUPYTER_API_KIT_LOCAL_KEY" in message


def test_the_key_opens_the_api_and_only_the_admin_key_opens_the_admin_routes(keyed):
    admin_routes = [(m, p) for m, p, route in every_route(keyed.app) if needs_admin(route)]
    assert len(admin_routes) > 20 and all(p.startswith(("/v1/organization/", "/v1/fine_tuning/checkpoints/"))
                                          for _m, p in admin_routes)
    as_user = {"Authorization": f"Bearer {keyed.api_key}"}
    as_admin = {"Authorization": f"Bearer {keyed.admin_key}"}
    answers = another_process([[m, _root(keyed) + p, as_user] for m, p in admin_routes]
                              + [[m, _root(keyed) + p, as_admin] for m, p in admin_routes]
                              + [["GET", keyed.base_url + "/models", as_user]])
    with_user, with_admin = answers[:len(admin_routes)], answers[len(admin_routes):-1]
    assert {status for status, _ in with_user} == {401}
    assert all(keyed.api_key not in text and keyed.admin_key not in text for _s, text in answers)
    assert 401 not in {status for status, _ in with_admin}  # past the key check: 200s, 400s and 404s
    assert answers[-1][0] == 200 and "local-ngram" in answers[-1][1]


def test_keys_are_compared_in_constant_time_everywhere():
    """No key or token of the server is compared with == or != (whose time depends on where the strings
    differ): they all go through `same_key`, which uses hmac.compare_digest."""
    secret_names = {"api_key", "admin_key", "token", "secret"}

    def named(node) -> str | None:
        return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None

    offending = []
    # The statistical models' "tokens" are words, and that package never sees a request.
    for path in sorted(p for p in (PACKAGE / "local").rglob("*.py") if "models" not in p.relative_to(PACKAGE).parts):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                sides = [node.left, *node.comparators]
                if any(named(side) in secret_names for side in sides) and not any(
                        isinstance(side, ast.Constant) and side.value is None for side in sides):
                    offending.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offending == []
    source = (PACKAGE / "local" / "core" / "auth.py").read_text(encoding="utf-8")
    assert "hmac.compare_digest" in source


def test_no_repr_shows_a_key(keyed):
    from jupyter_api_kit.embedded import LocalEndpoint

    client = Client(base_url=keyed.base_url, api_key=keyed.api_key, max_retries=0)
    shown = " ".join(repr(x) for x in (keyed, client, client.transport, client.settings,
                                      LocalEndpoint(keyed.base_url, api_key=keyed.api_key, admin_key=keyed.admin_key)))
    assert keyed.api_key not in shown and keyed.admin_key not in shown
    assert client.models.list().data


# -- files on disk -------------------------------------------------------------------------------

def modes_under(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)) or ".": oct(stat.S_IMODE(p.stat().st_mode)) for p in [root, *root.rglob("*")]}


def test_files_the_toolkit_writes_are_owner_only(tmp_path, monkeypatch):
    data = tmp_path / "fresh" / "jak-data"  # made by the toolkit itself
    monkeypatch.setenv("JUPYTER_API_KIT_DATA_DIR", str(data))
    with start_local_server() as server:  # the default database in the data directory
        with Client(base_url=server.base_url, api_key=server.api_key, max_retries=0, cache="replay") as client:
            client.chat.completions.create(model="local-ngram", store=True, max_completion_tokens=5,
                                           messages=[{"role": "user", "content": "Tell me about Mars"}])
            uploaded = client.files.create(file=("notes.md", b"Mars has two moons."), purpose="assistants")
            store = client.vector_stores.create(name="notes", file_ids=[uploaded.id])
            deadline = time.monotonic() + 60
            while client.vector_stores.retrieve(store.id).file_counts.in_progress:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            from jupyter_api_kit.client.thread_registry import ThreadRegistry

            ThreadRegistry(server.base_url).remember(client.threads.create())
        modes = modes_under(data)
    made = set(modes)
    assert {"local.db", "local.db-wal", "local.db-shm", "replay.db", "threads.json",
            f"files/{uploaded.id}"} <= made, made
    assert {p: m for p, m in modes.items() if (data / p).is_dir() and m != "0o700"} == {}
    assert {p: m for p, m in modes.items() if (data / p).is_file() and m != "0o600"} == {}
    assert oct(stat.S_IMODE((tmp_path / "fresh").stat().st_mode)) == "0o700"  # made on the way, private too


def test_a_wider_data_directory_is_tightened_on_start_with_one_line(tmp_path, monkeypatch, caplog):
    from jupyter_api_kit.local.core.db import Store

    data = tmp_path / "old"
    data.mkdir()
    data.chmod(0o755)
    (data / "local.db").touch()
    (data / "local.db").chmod(0o644)
    monkeypatch.setenv("JUPYTER_API_KIT_DATA_DIR", str(data))
    from jupyter_api_kit.local.server import default_db_path

    with caplog.at_level("WARNING", logger="jupyter_api_kit"):
        Store(default_db_path()).close()
    assert modes_under(data)["."] == "0o700" and modes_under(data)["local.db"] == "0o600"
    notices = [r.getMessage() for r in caplog.records]
    assert len(notices) == 1 and "\n" not in notices[0] and "0o755" in notices[0] and str(data) in notices[0]
    caplog.clear()
    with caplog.at_level("WARNING", logger="jupyter_api_kit"):
        Store(default_db_path()).close()
    assert caplog.records == []  # said once: the directory is private now


# -- the embedded server and `make lab` ---------------------------------------------------------

EMBEDDED = """
import json, requests
from jupyter_api_kit import Client
client = Client()
answer = client.chat.completions.create(model="local-ngram", max_completion_tokens=3,
                                        messages=[{"role": "user", "content": "Hi"}])
from jupyter_api_kit.embedded import shared_local
local = shared_local()
outsider = requests.get(client.base_url + "/chat/completions", timeout=10)
print(json.dumps({"url": client.base_url, "answered": answer.id, "outsider": outsider.status_code,
                  "shown": repr(client) + repr(client.transport) + repr(local),
                  "key_leaked": local.api_key in (repr(client) + repr(local) + outsider.text),
                  "key": local.api_key}))
"""


def test_client_with_no_key_uses_the_embedded_servers_own_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JUPYTER_API_KIT_"))}
    env["JUPYTER_API_KIT_DATA_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", EMBEDDED], capture_output=True, text=True, env=env, timeout=120,
                            check=True)
    seen = json.loads(result.stdout)
    assert seen["answered"].startswith("chatcmpl-") and seen["outsider"] == 401 and not seen["key_leaked"]
    assert seen["key"].startswith("sk-local-") and seen["key"] not in result.stderr


def test_a_kernel_started_as_make_lab_does_uses_the_key_from_the_environment(keyed, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JUPYTER_API_KIT_"))}
    env.update(JUPYTER_API_KIT_DATA_DIR=str(tmp_path), JUPYTER_API_KIT_LOCAL_URL=keyed.base_url,
               JUPYTER_API_KIT_LOCAL_KEY=keyed.api_key)
    result = subprocess.run([sys.executable, "-c", EMBEDDED], capture_output=True, text=True, env=env, timeout=120,
                            check=True)
    seen = json.loads(result.stdout)
    assert seen["url"] == keyed.base_url and seen["answered"].startswith("chatcmpl-")
    assert seen["outsider"] == 401 and not seen["key_leaked"]


def test_make_lab_hands_the_key_to_server_and_kernels_through_the_environment():
    recipe = (PACKAGE.parent / "Makefile").read_text().split("\nlab:")[1].split("\ntest:")[0]
    assert "export JUPYTER_API_KIT_LOCAL_KEY" in recipe and "--api-key" not in recipe  # not on a command line


# -- `jupyter-api-kit serve` ---------------------------------------------------------------------

def _serve(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JUPYTER_API_KIT_LOCAL"))}
    env.update(env_extra or {})
    return subprocess.Popen([sys.executable, "-m", "jupyter_api_kit.cli", "serve", "--port", "0", "--db", ":memory:",
                             "--admin-key", "sk-admin-cli-test", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)


def _stopped(proc) -> str:
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=20)
    return proc.stderr.read()


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/health", timeout=2)
            return
        except requests.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_serve_open_takes_any_caller_and_says_so_in_one_line():
    proc = _serve("--open")
    try:
        warning = proc.stderr.readline()
        url = proc.stdout.readline().strip()
        _wait_up(url)
        assert warning.startswith("jupyter-api-kit: --open:") and "other users" in warning
        assert requests.get(f"{url}/models", timeout=5).status_code == 200
        assert requests.get(f"{url}/models", headers={"Authorization": "Bearer anything"}, timeout=5).ok
        assert requests.get(f"{url}/organization/projects", timeout=5).status_code == 401  # still admin-only
    finally:
        rest = _stopped(proc)
    assert "API key for this run" not in rest


@pytest.mark.parametrize("how", ["--api-key", "environment"])
def test_serve_takes_the_key_it_is_given_and_prints_none(how):
    chosen = "sk-local-chosen-by-the-user"
    proc = _serve("--api-key", chosen) if how == "--api-key" else _serve(
        env_extra={"JUPYTER_API_KIT_LOCAL_KEY": chosen})
    try:
        url = proc.stdout.readline().strip()
        _wait_up(url)
        assert requests.get(f"{url}/models", headers={"Authorization": f"Bearer {chosen}"}, timeout=5).ok
        refused = requests.get(f"{url}/models", headers={"Authorization": "Bearer sk-local-chosen-by-the-usex"},
                               timeout=5)
        assert refused.status_code == 401 and chosen not in refused.text and "sk-local-chosen" not in refused.text
    finally:
        printed = _stopped(proc)
    assert chosen not in printed and "API key for this run" not in printed


def test_serve_refuses_open_with_a_key():
    proc = _serve("--open", "--api-key", "sk-x")
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and err.count("\n") == 1 and "--open" in err and "sk-x" not in err


@pytest.mark.notebook
@pytest.mark.slow
def test_a_saved_executed_quickstart_holds_neither_key(tmp_path):
    """The quickstart run as under `make lab` (the kernel given the server's address and key in its
    environment), then saved: neither the server's key nor its admin key is in the file."""
    nbformat = pytest.importorskip("nbformat")
    from tests.notebook_support import assert_ran_cleanly, execute_notebook

    data = tmp_path / "lab"
    with start_local_server(db=data / "local.db", data_dir=data) as server:
        nb = execute_notebook("quickstart.ipynb", tmp_path / "kernel", workdir=tmp_path, env={
            "JUPYTER_API_KIT_LOCAL_URL": server.base_url, "JUPYTER_API_KIT_LOCAL_KEY": server.api_key})
        assert_ran_cleanly(nb)
        stored = server.store.one("SELECT count(*) AS n FROM chat_completions")["n"]
        saved = tmp_path / "quickstart.ipynb"
        nbformat.write(nb, saved)
        text = saved.read_text(encoding="utf-8")
        assert stored > 0  # the kernel did use this server
        assert server.api_key not in text and server.admin_key not in text and "Bearer" not in text
