"""Usage (ten kinds) and costs: totals equal the tokens of the requests actually made, per project
and model; buckets, empty buckets, group_by, filters, limits and `next_page` as documented; bad input
is a clear 400; our client and the official `openai` package, every exchange checked against the
contract."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import openai
import pytest
import requests

from jupyter_api_kit import frames
from jupyter_api_kit.spec import USAGE_KINDS as KINDS
from jupyter_api_kit.errors import BadRequestError
from jupyter_api_kit.spec.prices import PriceTable
from jupyter_api_kit.local.core.usage_log import record
from tests.org_support import ADMIN_KEY, admin, chat, make_project_with_key, org_server, sdk  # noqa: F401

DAY = 86400
T0 = 19675 * DAY  # 2023-11-14 00:00 UTC: synthetic records live in the past, away from live traffic
USAGE_OPS = {f"usage-{k.replace('_', '-')}" for k in KINDS} | {"usage-costs"}


def unique_project() -> str:
    return f"proj_synthetic_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def traffic(org_server):
    """Two projects with keys, traffic through each with different models; what was served."""
    from jupyter_api_kit.client import Client

    org = Client(base_url=org_server.base_url, api_key=org_server.api_key, admin_key=ADMIN_KEY)
    start = int(time.time()) - 5
    served: Counter = Counter()
    projects = {}
    for name, plan in (("alpha", [("local-ngram", 3), ("local-ngram-small", 1)]),
                       ("beta", [("local-ngram-small", 2)])):
        project_id, _account, key = make_project_with_key(org, f"usage {name}")
        projects[name] = project_id
        for model, count in plan:
            for i in range(count):
                answer = chat(org_server.base_url, key, model=model, text=f"Question {i} about rivers",
                              max_tokens=4 + i)
                served[(project_id, model, "input")] += answer["usage"]["prompt_tokens"]
                served[(project_id, model, "output")] += answer["usage"]["completion_tokens"]
                served[(project_id, model, "cached")] += answer["usage"]["prompt_tokens_details"]["cached_tokens"]
                served[(project_id, model, "requests")] += 1
    return {"start": start, "projects": projects, "served": served}


def test_usage_totals_equal_the_tokens_served_per_project_and_model(admin, traffic, recorder):
    page = admin.organization.usage.completions(start_time=traffic["start"], group_by=["project_id", "model"],
                                                project_ids=list(traffic["projects"].values()))
    df = page.to_frame()
    got = Counter()
    for row in df.dropna(subset=["project_id"]).itertuples():
        got[(row.project_id, row.model, "input")] += row.input_tokens
        got[(row.project_id, row.model, "output")] += row.output_tokens
        got[(row.project_id, row.model, "cached")] += row.input_cached_tokens
        got[(row.project_id, row.model, "requests")] += row.num_model_requests
    assert got == traffic["served"]
    assert (df["input_uncached_tokens"] == df["input_tokens"] - df["input_cached_tokens"]).all()
    assert str(df["start_time"].dt.tz) == "UTC"
    assert "usage-completions" in recorder.operation_ids


def test_the_official_package_sees_the_same_totals(sdk, traffic):
    alpha = traffic["projects"]["alpha"]
    usage = sdk.admin.organization.usage.completions(start_time=traffic["start"], group_by=["model"],
                                                     project_ids=[alpha], models=["local-ngram"])
    results = [r for bucket in usage.data for r in bucket.results]
    assert sum(r.output_tokens for r in results) == traffic["served"][(alpha, "local-ngram", "output")]
    assert {r.model for r in results} == {"local-ngram"}
    for kind in KINDS:
        getattr(sdk.admin.organization.usage, kind)(start_time=traffic["start"], bucket_width="1h")
    costs = sdk.admin.organization.usage.costs(start_time=traffic["start"], group_by=["project_id"])
    assert any(r.project_id == alpha and r.amount.value > 0 for b in costs.data for r in b.results)
    assert len(sdk.checked) == 12 and all(status == 200 for *_x, status in sdk.checked)


def test_buckets_start_at_start_time_empty_ones_included_and_paged(admin, org_server, recorder):
    """As the API's, the first bucket starts at start_time itself, whatever the width, and each of the
    following one width later; records before start_time are not counted."""
    project = unique_project()
    for hour, tokens in ((0, 5), (0, 7), (3, 11), (30, 13)):
        record(org_server.store, "completions", model="local-ngram", input_tokens=tokens, output_tokens=1,
               ts=T0 + hour * 3600 + 59, principal=_principal(project))
    usage = admin.organization.usage
    start = T0 + 1800
    page = usage.completions(start_time=start, end_time=T0 + 2 * DAY, bucket_width="1h", project_ids=[project])
    assert len(page) == 24 and page.has_more and page.next_page  # the default limit for 1h
    first = page.data[0]
    assert (first.start_time, first.end_time) == (start, start + 3600)
    assert first.results == []  # the two records of hour 0 are before start_time
    assert page.data[2].results[0].input_tokens == 11 and page.data[1].results == []  # 03:00:59 is in 02:30-03:30
    every = page.buckets()
    assert len(every) == 48 and [b.start_time for b in every] == [start + h * 3600 for h in range(48)]
    assert sum(r.input_tokens for b in every for r in b.results) == 24

    noon = T0 + DAY // 2
    days = usage.completions(start_time=noon, end_time=T0 + 2 * DAY, bucket_width="1d", project_ids=[project])
    assert [(b.start_time, b.end_time) for b in days.data] == [(noon, noon + DAY), (noon + DAY, noon + 2 * DAY)]
    assert [[r.input_tokens for r in b.results] for b in days.data] == [[13], []] and not days.has_more
    whole = usage.completions(start_time=T0, end_time=T0 + 2 * DAY, bucket_width="1d", project_ids=[project])
    assert [b.results[0].input_tokens for b in whole.data] == [23, 13]
    minutes = usage.completions(start_time=T0 + 30, end_time=T0 + 3600, bucket_width="1m", limit=1440,
                                project_ids=[project])
    assert [b.start_time for b in minutes.data] == [T0 + 30 + 60 * m for m in range(60)]
    assert minutes.data[0].results[0].num_model_requests == 2
    df = frames.usage_buckets(page.iter_pages())
    assert len(df) == 48 and df["input_tokens"].sum() == 24  # empty buckets are rows with zeros
    assert df["start_time"].iloc[0].timestamp() == start
    assert "usage-completions" in recorder.operation_ids


def test_costs_days_start_at_start_time(admin, org_server, sdk):
    """Costs buckets (1d only) start at start_time too, through our client and the official package."""
    project = unique_project()
    record(org_server.store, "completions", model="local-ngram", input_tokens=1_000, ts=T0 + 3600,
           principal=_principal(project))
    record(org_server.store, "completions", model="local-ngram", input_tokens=1_000, ts=T0 + 20 * 3600,
           principal=_principal(project))
    evening = T0 + 18 * 3600
    ours = admin.organization.costs(start_time=evening, end_time=evening + 2 * DAY, project_ids=[project])
    theirs = sdk.admin.organization.usage.costs(start_time=evening, end_time=evening + 2 * DAY,
                                                project_ids=[project])
    for page in (ours, theirs):
        assert [(b.start_time, b.end_time) for b in page.data] == [(evening, evening + DAY),
                                                                   (evening + DAY, evening + 2 * DAY)]
        amounts = [sum(r.amount.value for r in b.results) for b in page.data]
        assert amounts[0] == pytest.approx(1_000 * PriceTable().token_price("local-ngram", "input") / 1e6)
        assert amounts[1] == 0  # the record at 01:00 is before start_time, not in the first day
    assert all(status == 200 for *_x, status in sdk.checked)


def _principal(project, user=None, key=None, model=None):
    from jupyter_api_kit.local.core.auth import Principal

    return Principal(project_id=project, user_id=user, api_key_id=key)


def test_group_by_and_filters(admin, org_server):
    project = unique_project()
    for user, key, batch, model, tokens in (("user-a", "key_a", 0, "local-ngram", 3),
                                            ("user-a", "key_b", 1, "local-ngram-small", 5),
                                            ("user-b", "key_b", 0, "local-ngram", 7)):
        record(org_server.store, "completions", model=model, input_tokens=tokens, batch=batch, ts=T0 + 100,
               principal=_principal(project, user, key))
    usage = admin.organization.usage

    def totals(**kw):
        page = usage.completions(start_time=T0, end_time=T0 + DAY, project_ids=[project], **kw)
        return [(tuple(r.get(g) for g in kw.get("group_by", [])), r.input_tokens) for r in page.data[0].results]

    assert totals(group_by=["user_id"]) == [(("user-a",), 8), (("user-b",), 7)]
    assert totals(group_by=["api_key_id", "model"]) == [(("key_a", "local-ngram"), 3),
                                                        (("key_b", "local-ngram"), 7),
                                                        (("key_b", "local-ngram-small"), 5)]
    assert totals(group_by=["batch"]) == [((False,), 10), ((True,), 5)]
    assert totals(group_by=["service_tier"]) == [(("default",), 15)]
    assert totals(batch=True) == [((), 5)] and totals(batch=False) == [((), 10)]
    assert totals(user_ids=["user-b"]) == [((), 7)] and totals(api_key_ids=["key_a"]) == [((), 3)]
    assert totals(models=["local-ngram-small", "local-ngram"]) == [((), 15)]
    assert totals(models=["other"]) == []
    ungrouped = usage.completions(start_time=T0, end_time=T0 + DAY, project_ids=[project]).data[0].results[0]
    assert ungrouped.project_id is None and ungrouped.model is None and ungrouped.input_tokens == 15


def test_every_kind_reports_its_own_fields(admin, org_server, recorder):
    project = unique_project()
    p = _principal(project)
    for kind, amounts in (("embeddings", {"input_tokens": 40}), ("moderations", {"input_tokens": 9}),
                          ("images", {"quantity": 2}), ("audio_speeches", {"quantity": 300}),
                          ("audio_transcriptions", {"quantity": 61}), ("vector_stores", {"quantity": 4096}),
                          ("code_interpreter_sessions", {}), ("file_search_calls", {"num_model_requests": 3}),
                          ("web_search_calls", {"num_model_requests": 2})):
        record(org_server.store, kind, model="local-x", ts=T0 + 10, principal=p, **amounts)
    expected = {"embeddings": ("input_tokens", 40), "moderations": ("input_tokens", 9), "images": ("images", 2),
                "audio_speeches": ("characters", 300), "audio_transcriptions": ("seconds", 61),
                "vector_stores": ("usage_bytes", 4096), "code_interpreter_sessions": ("num_sessions", 1),
                "file_search_calls": ("num_requests", 3), "web_search_calls": ("num_requests", 2)}
    for kind, (field, value) in expected.items():
        page = admin.organization.usage.get(kind, start_time=T0, end_time=T0 + DAY, project_ids=[project],
                                            group_by=["project_id"])
        result = page.data[0].results[0]
        assert result[field] == value and result.project_id == project, kind
    images = admin.organization.usage.images(start_time=T0, end_time=T0 + DAY, project_ids=[project],
                                             group_by=["size"], sizes=["1024x1024"])
    assert images.data[0].results == []  # the local server records no image sizes: nothing matches
    assert USAGE_OPS - {"usage-completions", "usage-costs"} <= recorder.operation_ids


def test_costs_from_the_local_price_table(admin, org_server):
    project = unique_project()
    record(org_server.store, "completions", model="local-ngram", input_tokens=1_000_000, input_cached_tokens=200_000,
           output_tokens=500_000, ts=T0 + 5, principal=_principal(project, key="key_cost"))
    record(org_server.store, "completions", model="local-ngram-small", input_tokens=2_000_000, ts=T0 + DAY + 5,
           principal=_principal(project, key="key_cost"))
    table = PriceTable()
    expect_day1 = (800_000 * table.token_price("local-ngram", "input") + 200_000 *
                   table.token_price("local-ngram", "cached input") + 500_000 *
                   table.token_price("local-ngram", "output")) / 1e6
    page = admin.organization.costs(start_time=T0, end_time=T0 + 3 * DAY, project_ids=[project],
                                    group_by=["project_id", "line_item"])
    assert page.note and "not OpenAI's prices" in page.note
    df = page.to_frame()
    assert df.attrs["notes"] == [page.note]
    day1 = df[df["start_time"].dt.day == 14]
    assert day1["amount"].sum() == pytest.approx(expect_day1)
    assert set(day1["line_item"]) == {"local-ngram, input", "local-ngram, cached input", "local-ngram, output"}
    assert set(day1["quantity_unit"]) == {"tokens"} and day1["quantity"].sum() == 1_500_000
    assert df[df["start_time"].dt.day == 16]["amount"].tolist() == [0.0]  # an empty day is a zero row

    org_server.app.state.prices = PriceTable({"local-ngram-small": {"input": 10.0}})
    try:
        repriced = admin.organization.costs(start_time=T0 + DAY, end_time=T0 + 2 * DAY, project_ids=[project],
                                            api_key_ids=["key_cost"])
        assert repriced.data[0].results[0].amount.value == pytest.approx(20.0)
    finally:
        org_server.app.state.prices = PriceTable()


def test_progress_bar_over_pages(admin, org_server, capsys):
    project = unique_project()
    page = admin.organization.usage.completions(start_time=T0, end_time=T0 + 3 * DAY, bucket_width="1h",
                                                project_ids=[project], limit=24, progress=True)
    assert len(page.buckets()) == 72
    assert "3/3" in capsys.readouterr().err


@pytest.mark.parametrize("path, query, param", [
    ("usage/completions", "", "start_time"),
    ("usage/completions", "start_time=abc", "start_time"),
    ("usage/completions", "start_time=100&group_by[]=colour", "group_by"),
    ("usage/completions", "start_time=100&group_by=model&group_by=vector_store_id", "group_by"),
    ("usage/embeddings", "start_time=100&group_by[]=batch", "group_by"),
    ("usage/completions", "start_time=100&bucket_width=1d&limit=32", "limit"),
    ("usage/completions", "start_time=100&bucket_width=1h&limit=169", "limit"),
    ("usage/completions", "start_time=100&bucket_width=1m&limit=1441", "limit"),
    ("usage/completions", "start_time=100&limit=0", "limit"),
    ("usage/completions", "start_time=100&bucket_width=1w", "bucket_width"),
    ("usage/completions", "start_time=100&end_time=50", "end_time"),
    ("usage/completions", "start_time=100&page=page_garbage", "page"),
    ("usage/images", "start_time=100&sizes[]=2x2", "sizes"),
    ("costs", "start_time=100&bucket_width=1h", "bucket_width"),
    ("costs", "start_time=100&limit=181", "limit"),
    ("costs", "start_time=100&group_by[]=model", "group_by"),
])
def test_bad_usage_queries_are_400_naming_the_parameter(org_server, path, query, param):
    r = requests.get(f"{org_server.base_url}/organization/{path}?{query}",
                     headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param and error["message"]


def test_limit_error_names_the_maximum_for_the_width_and_pages_belong_to_their_query(admin, sdk):
    with pytest.raises(BadRequestError) as info:
        admin.organization.usage.completions(start_time=T0, bucket_width="1h", limit=500)
    assert "168" in str(info.value) and "'1h'" in str(info.value)
    with pytest.raises(openai.BadRequestError):
        sdk.admin.organization.usage.completions(start_time=T0, group_by=["colour"])
    page = admin.organization.usage.completions(start_time=T0, end_time=T0 + 20 * DAY)
    with pytest.raises(BadRequestError) as info:
        admin.organization.usage.embeddings(start_time=T0, end_time=T0 + 20 * DAY, page=page.next_page)
    assert info.value.param == "page"
    r = requests.get(f"{sdk.base_url}organization/usage/tokens?start_time=1",
                     headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert r.status_code == 404 and "completions" in r.json()["error"]["message"]


def _serve(*args):
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_api_kit.cli", "serve", "--port", "0", "--db", ":memory:",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    return proc


def _stop(proc):
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=20)


def _ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/health", timeout=2)  # any answer, a 401 included, says it is up
            return
        except requests.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_the_official_package_against_jupyter_api_kit_serve(contract):
    proc = _serve("--admin-key", "sk-admin-served", "--api-key", "sk-local-served")
    try:
        url = proc.stdout.readline().strip()
        _ready(url)
        checked = []

        def check(response):
            response.read()
            contract.validate_body(response.request.method, response.request.url.path, response.json(),
                                   response.status_code)
            checked.append(response.status_code)

        import httpx

        with httpx.Client(event_hooks={"response": [check]}) as http:
            sdk = openai.OpenAI(base_url=url, api_key="sk-local-served", admin_api_key="sk-admin-served", http_client=http,
                                max_retries=0)
            org = sdk.admin.organization
            project = org.projects.create(name="served")
            account = org.projects.service_accounts.create(project.id, name="served bot")
            as_project = openai.OpenAI(base_url=url, api_key=account.api_key.value, max_retries=0)
            made = as_project.chat.completions.create(model="local-ngram", max_completion_tokens=5,
                                                      messages=[{"role": "user", "content": "Hello there"}])
            usage = org.usage.completions(start_time=int(time.time()) - 60, group_by=["project_id", "api_key_id"])
            results = [r for b in usage.data for r in b.results if r.project_id == project.id]
            assert [(r.output_tokens, r.api_key_id) for r in results] == [
                (made.usage.completion_tokens, account.api_key.id)]
            costs = org.usage.costs(start_time=int(time.time()) - 60, group_by=["project_id"])
            assert any(r.project_id == project.id and r.amount.value > 0 for b in costs.data for r in b.results)
            assert [e.type for e in org.audit_logs.list(project_ids=[project.id])] == [
                "api_key.created", "service_account.created", "project.created"]
            with pytest.raises(openai.PermissionDeniedError):
                openai.OpenAI(base_url=url, api_key="sk-local-served", admin_api_key=account.api_key.value,
                              max_retries=0).admin.organization.projects.list()
        assert checked and all(status == 200 for status in checked)
    finally:
        _stop(proc)


def test_serve_without_an_admin_key_prints_a_fresh_one_that_works():
    proc = _serve()
    try:
        api_line, line = proc.stderr.readline(), proc.stderr.readline()
        api_key, key = (text.rsplit(" ", 1)[-1].strip() for text in (api_line, line))
        assert "API key" in api_line and api_key.startswith("sk-local-")
        assert "admin key" in line and key.startswith("sk-admin-")
        url = proc.stdout.readline().strip()
        _ready(url)
        ok = requests.get(f"{url}/organization/projects", headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200
        assert requests.get(f"{url}/organization/projects").status_code == 401
        # The printed API key opens the model endpoints, not the organization's.
        as_user = {"Authorization": f"Bearer {api_key}"}
        assert requests.get(f"{url}/models", headers=as_user).status_code == 200
        refused = requests.get(f"{url}/organization/projects", headers=as_user)
        assert refused.status_code == 401 and api_key not in refused.text and key not in refused.text
    finally:
        _stop(proc)
