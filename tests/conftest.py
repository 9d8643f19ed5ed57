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


@pytest.fixture(scope="session")
def upstream_engine(tmp_path_factory):
    """A real OpenAI-compatible engine (LiteLLM's proxy with mock models) for the session; one already
    running with the same configuration can be named in JAK_TEST_UPSTREAM_URL (it starts slowly)."""
    import os

    from tests.upstream_engine import MASTER_KEY, Engine, litellm_proxy

    if os.environ.get("JAK_TEST_UPSTREAM_URL"):
        yield Engine(os.environ["JAK_TEST_UPSTREAM_URL"], MASTER_KEY, None)
        return
    with litellm_proxy(tmp_path_factory.mktemp("litellm")) as engine:
        yield engine


@pytest.fixture(scope="session")
def gateway_server(upstream_engine):
    """A local server in gateway mode in front of `upstream_engine` (key read from an environment
    variable; `fast` is an alias of `mock-gpt`; vector stores embed with `mock-embed`)."""
    import os

    from jupyter_api_kit.local import start_local_server
    from jupyter_api_kit.local.gateway import open_gateway
    from tests.upstream_engine import KEY_ENV

    os.environ[KEY_ENV] = upstream_engine.key
    gateway = open_gateway(upstream_engine.base_url, KEY_ENV, "fast=mock-gpt", "mock-embed")
    handle = start_local_server(db=":memory:", upstream=gateway)
    yield handle
    handle.stop()
    os.environ.pop(KEY_ENV, None)
