"""Shared fixtures: a real local server on an ephemeral port and clients that talk to it over HTTP.

Every exchange the `client` fixture makes is validated against the OpenAI API description
(`tests/contract_source.py` says where it comes from). Without it, tests that need it are skipped and the
others run with their exchanges unchecked; the pytest summary reports both.
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
    """The OpenAI API description, ready to validate; the test is skipped when it is unavailable."""
    from tests.contract_source import contract_or_reason, skip_reason

    found, reason = contract_or_reason()
    if found is None:
        pytest.skip(skip_reason(reason))
    return found


@pytest.fixture()
def contract_or_none(request):
    """The description for fixtures that check exchanges on the side of what they test (the `client`
    fixture, official SDK clients): None when it is unavailable, so those tests still run, unchecked, and
    the run's summary says how many did."""
    from tests.contract_source import contract_or_reason, unchecked

    found, reason = contract_or_reason()
    if found is None:
        unchecked[request.node.nodeid] = reason
    return found


@pytest.fixture()
def recorder(contract_or_none):
    from tests.contract_source import recorder_for

    rec = recorder_for(contract_or_none)
    yield rec
    rec.assert_clean()


@pytest.fixture()
def client(server, recorder):
    """A client of the session server whose every request and response is checked against the contract."""
    from jupyter_api_kit.client import Client

    c = Client(base_url=server.base_url, api_key=server.api_key, max_retries=0)
    c.transport.session.hooks["response"].append(recorder)
    yield c
    c.close()


@pytest.fixture(scope="session")
def served_world(tmp_path_factory):
    """`jupyter-api-kit serve` as its own process, seeded with one object of every kind a path names
    (`tests/served_world.py`); shared by the fuzz and the malformed-request regressions."""
    from tests.served_world import served_world

    with served_world(tmp_path_factory.mktemp("served")) as served:
        yield served


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Skips for want of the description all report one place, so the summary folds them into one line
    (pytest would otherwise list each test that asked for the `contract` fixture on a line of its own)."""
    from tests import contract_source

    report = (yield).get_result()
    if report.skipped and isinstance(report.longrepr, tuple):
        _path, _line, message = report.longrepr
        if message.removeprefix("Skipped: ").startswith(contract_source.SKIP_PREFIX):
            report.longrepr = (contract_source.__file__, 1, message)


def pytest_terminal_summary(terminalreporter):
    """One line saying how many tests ran with their exchanges unchecked, and why (skips say so already);
    the fuzz's table of requests and accepted invalid requests per operation, when it ran."""
    import sys

    from tests.contract_source import unchecked

    fuzz = sys.modules.get("tests.test_fuzz_api")
    for line in fuzz.summary_lines() if fuzz else ():
        terminalreporter.write_line(line)

    skipped = {report.nodeid for report in terminalreporter.stats.get("skipped", [])}
    ran = [nodeid for nodeid in unchecked if nodeid not in skipped]
    if ran:
        terminalreporter.write_line(
            f"contract checks off in {len(ran)} tests run without the OpenAI API description, "
            f"which is unavailable: {unchecked[ran[0]]}", yellow=True)
