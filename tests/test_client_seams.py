"""The client's seams: one way to wait (`poll` and `WaitTimeoutError`), the admin key handed over by the
embedded server when a client is made, the remembered-threads file shared safely by several kernels,
and no import cycle inside the client."""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jupyter_api_kit.client import Client
from jupyter_api_kit.client.polling import poll
from jupyter_api_kit.client.runs import RunTimeoutError
from jupyter_api_kit.client.thread_registry import ThreadRegistry
from jupyter_api_kit.errors import ConfigurationError, WaitTimeoutError

PACKAGE = Path(__file__).resolve().parent.parent / "jupyter_api_kit"


def _offline_env(tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JUPYTER_API_KIT_"))}
    env["JUPYTER_API_KIT_DATA_DIR"] = str(tmp_path)
    env.update(extra)
    return env


# --- poll ----------------------------------------------------------------------------------------

def test_poll_returns_the_first_done_result_and_shows_every_one():
    seen = []
    states = iter(["queued", "in_progress", "in_progress", "completed", "never read"])
    result = poll(lambda: {"status": next(states)}, lambda o: o["status"] == "completed", timeout=5,
                  interval=0, progress=seen.append)
    assert result == {"status": "completed"} and [s["status"] for s in seen] == [
        "queued", "in_progress", "in_progress", "completed"]


def test_poll_interval_may_follow_the_last_result_and_timeout_carries_it():
    asked = []

    def pause(obj):
        asked.append(obj["n"])
        return 0.01

    counter = iter(range(1000))
    with pytest.raises(WaitTimeoutError) as err:
        poll(lambda: {"n": next(counter), "status": "running"}, lambda o: False, timeout=0.05, interval=pause,
             what="job ftjob-1")
    assert asked and err.value.last["n"] == asked[-1]
    assert str(err.value).startswith("job ftjob-1 is still running after 0.05 s")
    assert isinstance(err.value, TimeoutError)


def test_run_timeouts_are_wait_timeouts():
    assert issubclass(RunTimeoutError, WaitTimeoutError)


def test_a_fine_tuning_job_followed_past_its_timeout_raises_wait_timeout(fresh_server):
    examples = [{"messages": [{"role": "user", "content": f"Question {i}?"},
                              {"role": "assistant", "content": f"Answer number {i}."}]} for i in range(10)]
    with Client(base_url=fresh_server.base_url, api_key=fresh_server.api_key, max_retries=0) as client:
        training = client.files.create(file=("train.jsonl", "\n".join(map(json.dumps, examples)).encode()),
                                       purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model="local-ngram", training_file=training.id,
                                             hyperparameters={"n_epochs": 20})
        with pytest.raises(WaitTimeoutError) as err:
            client.fine_tuning.jobs.follow(job.id, progress=False, timeout=0.05, poll_interval=0.01)
        assert err.value.last["id"] == job.id and err.value.last["status"] in ("validating_files", "queued",
                                                                                "running")
        client.fine_tuning.jobs.cancel(job.id)


# --- the admin key --------------------------------------------------------------------------------

def test_a_client_of_the_embedded_server_is_handed_its_admin_key(tmp_path):
    code = textwrap.dedent("""
        from jupyter_api_kit.client import Client
        client = Client()
        assert client.uses_local_server and client.transport.can_call_admin
        project = client.organization.projects.create(name="Seams")
        print(repr(client), client.organization.projects.retrieve(project.id).name)
    """)
    out = subprocess.run([sys.executable, "-c", code], env=_offline_env(tmp_path), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Client('embedded local server', api_key=not set, admin_key=not set) Seams"


def test_a_shared_external_local_server_lends_no_admin_key(server, monkeypatch):
    monkeypatch.setenv("JUPYTER_API_KIT_LOCAL_URL", server.base_url)
    monkeypatch.setenv("JUPYTER_API_KIT_LOCAL_KEY", server.api_key)
    with Client(max_retries=0) as client:
        assert client.base_url == server.base_url and not client.transport.can_call_admin
        with pytest.raises(ConfigurationError, match="need an admin key"):
            client.organization.projects.list()


def test_the_client_never_reads_the_servers_memory():
    offending = [str(p.relative_to(PACKAGE)) for p in (PACKAGE / "client").rglob("*.py")
                 if "app.state" in p.read_text() or "started_server" in p.read_text()]
    assert offending == []


# --- remembered threads across kernels ------------------------------------------------------------

def test_threads_remembered_by_several_processes_at_once_are_all_kept(tmp_path):
    path = tmp_path / "threads.json"
    code = textwrap.dedent(f"""
        import sys
        from jupyter_api_kit.client.thread_registry import ThreadRegistry
        reg = ThreadRegistry("local", path={str(path)!r})
        for i in range(25):
            reg.remember(f"thread_{{sys.argv[1]}}_{{i}}")
    """)
    workers = [subprocess.Popen([sys.executable, "-c", code, str(n)]) for n in range(4)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]
    ids = ThreadRegistry("local", path=path).ids()
    assert sorted(ids) == sorted(f"thread_{n}_{i}" for n in range(4) for i in range(25))
    for name in ("threads.json", "threads.json.lock"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".threads-")] == []  # no stray temp files


# --- imports ---------------------------------------------------------------------------------------

def _client_imports() -> dict[str, set[str]]:
    modules = {p.stem: p for p in (PACKAGE / "client").glob("*.py") if p.stem != "__init__"}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # lazy imports count too
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jupyter_api_kit.client."):
                found.add(node.module.rsplit(".", 1)[1])
        graph[name] = found & set(modules)
    return graph


def test_client_modules_import_one_another_without_cycles():
    graph, cycles = _client_imports(), []

    def visit(name, path):
        for dep in graph[name]:
            if dep in path:
                cycles.append(" -> ".join(path[path.index(dep):] + [dep]))
            else:
                visit(dep, path + [dep])

    for start in graph:
        visit(start, [start])
    assert cycles == []
