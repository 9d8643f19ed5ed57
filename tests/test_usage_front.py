"""The notebook front of usage: frames, `%usage` in a real IPython shell and the `UsageDashboard`
panel, all against a real local server over HTTP (every exchange checked against the contract)."""

from __future__ import annotations

import contextlib
import io
import time

import pandas as pd
import pytest
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.figure import Figure

from jupyter_api_kit import frames
from jupyter_api_kit.client import Client
from jupyter_api_kit.frames.organization import api_keys, project_users, projects, service_accounts
from jupyter_api_kit.magics.common import APIErrorLine, Connection
from jupyter_api_kit.magics.usage import register
from jupyter_api_kit.widgets.usage_dashboard import UsageDashboard
from tests.org_support import ADMIN_KEY, admin, chat, make_project_with_key, org_server  # noqa: F401


@pytest.fixture(scope="module")
def seeded(org_server):
    """Two projects with keys and traffic through each, with different models."""
    org = Client(base_url=org_server.base_url, api_key=org_server.api_key, admin_key=ADMIN_KEY)
    ids = {}
    for name, model, count in (("front a", "local-ngram", 3), ("front b", "local-ngram-small", 2)):
        project_id, _account, key = make_project_with_key(org, name)
        ids[name] = project_id
        for i in range(count):
            chat(org_server.base_url, key, model=model, text=f"Plants and water {i}")
    return ids


@pytest.fixture()
def shell(org_server, seeded, recorder, monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    ip = InteractiveShell.instance()
    ip.config.pop("UsageMagics", None)
    connection = Connection(base_url=org_server.base_url)
    register(ip, connection)
    connection.client.transport.session.hooks["response"].append(recorder)
    yield ip
    ip.config.pop("UsageMagics", None)


def run(ip, cell: str):
    saved, ip.display_pub = ip.display_pub, CapturingDisplayPublisher()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            result = ip.run_cell(cell, store_history=False)
        published = list(ip.display_pub.outputs)
    finally:
        ip.display_pub = saved
    return result, published, out.getvalue()


# --- frames --------------------------------------------------------------------------------------

def test_frames_of_a_real_usage_query(admin, seeded):
    page = admin.organization.usage.completions(start_time=0, end_time=86400 * 3, bucket_width="1d", limit=1)
    df = frames.usage_buckets(list(page.iter_pages()))
    assert len(df) == 3 and (df["input_tokens"] == 0).all()  # empty buckets are rows of zeros
    assert df["start_time"].dt.tz is not None and df["start_time"].is_monotonic_increasing
    live = admin.organization.usage.completions(start_time=time.time() - 86400, bucket_width="1d",
                                                group_by=["project_id", "model"], project_ids=list(seeded.values()))
    frame = live.to_frame()
    totals = frame.groupby("project_id")["num_model_requests"].sum()
    assert totals.to_dict() == {seeded["front a"]: 3, seeded["front b"]: 2}
    fig = frames.usage_plot(frame, by=["model"])
    assert isinstance(fig, Figure) and fig.axes[0].get_ylabel() == "total_tokens"
    assert {t.get_text() for t in fig.axes[0].get_legend().get_texts()} == {"local-ngram", "local-ngram-small"}
    with pytest.raises(ValueError) as info:
        frames.usage_plot(frame, metric="nothing")
    assert "output_tokens" in str(info.value)


def test_organization_frames(admin, seeded):
    org = admin.organization
    project_id = seeded["front a"]
    org.projects.users.create(project_id, email="front@example.org", role="member")
    assert list(projects(org.projects.list(limit=100).data).columns[:5]) == ["id", "name", "status", "created_at",
                                                                           "archived_at"]
    users = project_users(org.projects.users.list(project_id))
    assert users.loc[0, "email"] == "front@example.org" and str(users["added_at"].dt.tz) == "UTC"
    assert service_accounts(org.projects.service_accounts.list(project_id)).loc[0, "role"] == "member"
    keys = api_keys(org.projects.api_keys.list(project_id))
    assert keys.loc[0, "owner_type"] == "service_account" and keys["last_used_at"].notna().all()
    events = frames.audit_events(org.audit_logs.list(project_ids=[project_id], limit=100).data)
    assert events["type"].tolist()[-1] == "project.created" and events["project_id"].eq(project_id).all()
    assert events.loc[0, "details"]["id"] and events["actor_email"].eq("owner@localhost").all()


# --- %usage --------------------------------------------------------------------------------------

def test_usage_magic_returns_the_frame_and_plots(shell, seeded):
    result, published, _out = run(shell, "%usage --days 2 --group-by model,project_id")
    df = result.result
    assert result.error_in_exec is None and isinstance(df, pd.DataFrame)
    mine = df[df["project_id"].isin(list(seeded.values()))]
    assert mine.groupby("model")["num_model_requests"].sum().to_dict() == {"local-ngram": 3,
                                                                           "local-ngram-small": 2}
    result, published, _out = run(shell, f"%usage --days 1 --bucket 1h --project {seeded['front a']} --plot -o hourly")
    assert result.error_in_exec is None and any("image/png" in p["data"] for p in published)
    assert shell.user_ns["hourly"]["num_model_requests"].sum() == 3 and len(shell.user_ns["hourly"]) >= 1
    result, _published, out = run(shell, "%usage --costs --group-by project_id,line_item")
    assert result.error_in_exec is None and "not OpenAI's prices" in out
    assert result.result["amount"].sum() > 0 and "line_item" in result.result
    result, _p, _o = run(shell, "%usage --kind embeddings --days 3")
    assert result.error_in_exec is None and "input_tokens" in result.result


def test_usage_magic_mistakes_are_one_line(shell, monkeypatch):
    for line, fragment in (("%usage --days 0", "--days"), ("%usage --start nonsense", "--start"),
                           ("%usage --days 2 --start 2025-01-01", "either --days"),
                           ("%usage --end 2025-01-01", "--end needs --start"),
                           ("%usage --costs --bucket 1h", "per day"), ("%usage --costs --group-by model", "model"),
                           ("%usage --kind vector_stores --model m", "--model"),
                           ("%usage -o 'not a name'", "variable name")):
        result, _p, _o = run(shell, line)
        assert isinstance(result.error_in_exec, UsageError) and fragment in str(result.error_in_exec), line
    result, _p, _o = run(shell, "%usage --group-by colour")
    assert isinstance(result.error_in_exec, APIErrorLine) and "group_by" in str(result.error_in_exec)
    assert "request req_" in str(result.error_in_exec)
    run(shell, "%config UsageMagics.bucket = '1w'")  # refused (and logged) by the trait's validation
    assert shell.magics_manager.registry["UsageMagics"].bucket == "1d"
    shell.config.pop("UsageMagics", None)
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    result, _p, _o = run(shell, "%usage")
    assert isinstance(result.error_in_exec, UsageError) and "OPENAI_ADMIN_KEY" in str(result.error_in_exec)


def test_extension_registers_usage_and_the_embedded_server_needs_no_admin_key(monkeypatch):
    from jupyter_api_kit.magics import load_ipython_extension

    for name in ("JUPYTER_API_KIT_LOCAL_URL", "OPENAI_BASE_URL", "OPENAI_ADMIN_KEY"):
        monkeypatch.delenv(name, raising=False)
    ip = InteractiveShell.instance()
    with contextlib.redirect_stdout(io.StringIO()):
        load_ipython_extension(ip)
    assert "usage" in ip.magics_manager.magics["line"]
    assert sum(type(c).__name__ == "UsageMagics" for c in ip.configurables) == 1
    # No key anywhere: the embedded server this process started lends its admin key to its clients.
    client = Client()
    assert client.uses_local_server and not client.transport.has_admin_key
    assert client.organization.projects.list().data is not None
    result, _p, _o = run(ip, "%usage --days 1")
    assert result.error_in_exec is None and isinstance(result.result, pd.DataFrame)


# --- UsageDashboard ------------------------------------------------------------------------------

def test_dashboard_refreshes_charts_tables_and_exports(admin, seeded, tmp_path):
    import datetime as dt

    board = UsageDashboard(admin, group_by=["model"])
    today = dt.datetime.now(dt.timezone.utc).date()
    assert board.kind == "completions" and board.end == today and board.start == today - dt.timedelta(days=6)
    assert board.refresh() and board.pages_loaded == 1
    assert "model" in board.frame and len(board.frame) >= 7 and "rows from 1 page" in board.status
    assert "local-ngram-small" in board._table.value, board.frame.to_string()
    assert board._chart.outputs[0]["data"]["image/png"]
    assert isinstance(board.figure(), Figure)
    board.metric = "output_tokens"
    assert board.figure().axes[0].get_ylabel() == "output_tokens"

    board.bucket_width, board.start = "1h", today - dt.timedelta(days=8)
    assert board.refresh() and board.pages_loaded == 2  # 216 hourly buckets, 168 per page
    path = board.export_csv(tmp_path / "usage.csv")
    back = pd.read_csv(path)
    assert len(back) == len(board.frame) and back["num_model_requests"].sum() >= 5
    assert f"wrote {len(back)} rows" in board.status

    board.kind = "costs"
    assert board.bucket_width == "1d" and board._bucket.disabled and board.group_by == []
    assert tuple(board._group.options) == ("project_id", "line_item", "api_key_id")
    board.group_by = ["project_id"]
    assert board.refresh() and board.frame["amount"].sum() > 0 and "price table" in board.status

    board.start, board.end = today, today - dt.timedelta(days=1)
    assert not board.refresh() and "'from' day" in board.status


def test_dashboard_shows_errors_in_one_line(org_server):
    board = UsageDashboard(Client(base_url=org_server.base_url, api_key="sk-not-admin", max_retries=0))
    assert board.export_csv("nowhere.csv") is None and "Refresh first" in board.status
    assert not board.refresh() and "OPENAI_ADMIN_KEY" in board.status and "\n" not in board.status
    wrong = UsageDashboard(Client(base_url=org_server.base_url, api_key=org_server.api_key, admin_key="sk-admin-wrong", max_retries=0))
    assert not wrong.refresh() and wrong.status.startswith("AuthenticationError") and "request req_" in wrong.status
