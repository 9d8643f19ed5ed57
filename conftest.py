"""Settings for every test and docstring example: no real API, no user data directory, and what every
docstring example starts with, so the examples show the call, not five lines of set-up.

Each example gets, in its namespace: `Store` and a fresh in-memory `store`; `app`, a real local
server app over that store (made only for examples that mention it); `SimpleNamespace`; and the
organization's `admin_principal()` for store functions that record who acted.

Examples of the client get `client`, a `Client()` as a notebook makes it with nothing configured: it
talks to the embedded local server, started once for the whole run the first time an example needs
it. Objects many examples act on (`project`, `member`, `cert`, `tutor`, `thread`, `vs` (a vector
store holding two processed notes), `conv`, `ev` (an eval comparing `item.answer` with `item.a`),
and `job`, a finished fine-tuning job) are made on that server the first time an example names them, and
shared by the later ones. `today` is the current UTC date, a start time usage examples can use; `pem`
is the text of a certificate not uploaded yet (a new one for each docstring that names it).
"""

from __future__ import annotations

import datetime
import os
import re
from types import SimpleNamespace

import pytest

# Tests never reach the real API, and never read or write the user's data directory.
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_ADMIN_KEY",
              "JUPYTER_API_KIT_LOCAL_URL", "JUPYTER_API_KIT_LOCAL_KEY", "JUPYTER_API_KIT_DB"):
    os.environ.pop(_name, None)

_NEEDS_APP = re.compile(r"\bapp\b")
_NEEDS_CLIENT = re.compile(r"\bclient\b")

#: what the client examples share, by name: made on first mention, once per run (`need` makes or
#: returns another of them)
EXAMPLE_OBJECTS = {
    "project": lambda client, need: client.organization.projects.create(name="Research"),
    "member": lambda client, need: client.organization.projects.users.create(
        need("project").id, email="ada@example.org", role="member"),
    "cert": lambda client, need: client.organization.certificates.create(certificate=_self_signed_pem(), name="lab"),
    "tutor": lambda client, need: client.assistants.create(model="local-ngram", name="Tutor",
                                                           instructions="You explain astronomy simply."),
    "thread": lambda client, need: client.threads.create(
        messages=[{"role": "user", "content": "What is a comet?"}]),
    "vs": lambda client, need: _notes_store(client),
    "conv": lambda client, need: client.conversations.create(
        metadata={"lesson": "3"}, items=[{"role": "user", "content": "What is a comet?"}]),
    "ev": lambda client, need: client.evals.create(
        name="arithmetic", data_source_config={"type": "custom", "item_schema": {"type": "object"}},
        testing_criteria=[{"type": "string_check", "name": "match", "input": "{{item.answer}}",
                           "reference": "{{item.a}}", "operation": "eq"}]),
    "job": lambda client, need: client.fine_tuning.fine_tune(
        [{"messages": [{"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris."}]}],
        suffix="capitals", progress=False),
}


def _notes_store(client):
    """A vector store holding two processed notes about space."""
    vs = client.vector_stores.create(name="notes")
    client.vector_stores.upload_and_poll(
        vs.id, [("mars.md", b"Mars is the red planet: its dust is rich in iron oxide."),
                ("io.md", b"Io is a volcanic moon of Jupiter.")],
        attributes={"topic": "space", "year": 2021}, progress=False)
    return vs


def _self_signed_pem() -> str:
    from tests.org_support import self_signed_pem

    return self_signed_pem("examples")


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("jak-data")
    os.environ["JUPYTER_API_KIT_DATA_DIR"] = str(path)
    yield path


def pytest_collection_modifyitems(config, items):
    """Leave out docstring examples whose every line is marked +SKIP: they are documentation, and
    counting them as skipped tests would hide a real skip."""
    import doctest

    from _pytest.doctest import DoctestItem

    def all_skipped(item) -> bool:
        examples = item.dtest.examples if item.dtest else []
        return bool(examples) and all(ex.options.get(doctest.SKIP) for ex in examples)

    kept = [item for item in items if not (isinstance(item, DoctestItem) and all_skipped(item))]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def _example_client(_isolated_data_dir):
    """The client the examples use, and the objects they share (made on demand)."""
    from jupyter_api_kit.client import Client

    client = Client()
    yield client, {}
    client.close()


def _client_names(request, docstring: str) -> dict:
    if not _NEEDS_CLIENT.search(docstring):
        return {}
    client, made = request.getfixturevalue("_example_client")

    def need(name: str):
        if name not in made:
            made[name] = EXAMPLE_OBJECTS[name](client, need)
        return made[name]

    return {"client": client, **{name: need(name) for name in EXAMPLE_OBJECTS
                                 if re.search(rf"\b{name}\b", docstring)}}


@pytest.fixture(autouse=True)
def _docstring_namespace(request):
    from _pytest.doctest import DoctestItem

    if not isinstance(request.node, DoctestItem):
        yield
        return
    from jupyter_api_kit.local.core.db import Store
    from jupyter_api_kit.local.organization.keys import admin_principal

    namespace = request.getfixturevalue("doctest_namespace")
    store = Store(":memory:")
    namespace.update(Store=Store, store=store, SimpleNamespace=SimpleNamespace, admin_principal=admin_principal,
                     today=datetime.datetime.now(datetime.timezone.utc).date())
    docstring = request.node.dtest.docstring or ""
    shared = _client_names(request, docstring)
    if re.search(r"\bpem\b", docstring):
        shared["pem"] = _self_signed_pem()
    namespace.update(shared)
    app = None
    if _NEEDS_APP.search(docstring):
        from jupyter_api_kit.local.app import create_app

        app = namespace["app"] = create_app(store, data_dir=request.getfixturevalue("tmp_path"))
    yield
    for name in ("app", *shared):
        namespace.pop(name, None)
    if app is not None:
        app.state.jobs.shutdown()
    store.close()
