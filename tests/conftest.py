"""Shared fixtures: a real local server on an ephemeral port and clients that talk to it over HTTP.

Every exchange the `client` fixture makes is validated against the shared OpenAPI description.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def server():
    """One local server (in-memory database) for the session."""
    from jupyter_api_kit.local import start_local_server

    handle = start_local_server(db=":memory:")
    yield handle
    handle.stop()


@pytest.fixture()
def fresh_server(tmp_path):
    """A local server of this test's own, over a database file in tmp_path."""
    from jupyter_api_kit.local import start_local_server

    handle = start_local_server(db=tmp_path / "local.db", data_dir=tmp_path)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def contract():
    from tests.contract import Contract

    return Contract.load()


@pytest.fixture()
def recorder(contract):
    rec = contract.recorder()
    yield rec
    rec.assert_clean()


@pytest.fixture()
def client(server, recorder):
    """A client of the session server whose every request and response is checked against the contract."""
    from jupyter_api_kit.client import Client

    c = Client(base_url=server.base_url, max_retries=0)
    c.transport.session.hooks["response"].append(recorder)
    yield c
    c.close()
