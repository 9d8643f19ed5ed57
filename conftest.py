"""Settings for every test and docstring example: no real API, no user data directory, and what every
docstring example starts with, so the examples show the call, not five lines of set-up.

Each example gets, in its namespace: `Store` and a fresh in-memory `store`; `app`, a real local
server app over that store (made only for examples that mention it); `SimpleNamespace`; and the
organization's `admin_principal()` for store functions that record who acted.
"""

from __future__ import annotations

import os
import re
from types import SimpleNamespace

import pytest

# Tests never reach the real API, and never read or write the user's data directory.
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_ADMIN_KEY",
              "JUPYTER_API_KIT_LOCAL_URL", "JUPYTER_API_KIT_LOCAL_KEY", "JUPYTER_API_KIT_DB"):
    os.environ.pop(_name, None)

_NEEDS_APP = re.compile(r"\bapp\b")


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
    namespace.update(Store=Store, store=store, SimpleNamespace=SimpleNamespace, admin_principal=admin_principal)
    app = None
    if _NEEDS_APP.search(request.node.dtest.docstring or ""):
        from jupyter_api_kit.local.app import create_app

        app = namespace["app"] = create_app(store, data_dir=request.getfixturevalue("tmp_path"))
    yield
    namespace.pop("app", None)
    if app is not None:
        app.state.jobs.shutdown()
    store.close()
