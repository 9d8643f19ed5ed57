"""Projects, members, service accounts, keys and rate limits: our client and the official `openai`
package against a real local server, every exchange checked against the contract; project keys
used as API keys; admin-key rules; rate limits enforced as real 429s that the client waits out."""

from __future__ import annotations

import time
import uuid

import openai
import pytest
import requests

from jupyter_api_kit.client import Client
from jupyter_api_kit.errors import (AuthenticationError, BadRequestError, ConfigurationError, NotFoundError,
                                    PermissionDeniedError, RateLimitError)
from jupyter_api_kit.local import start_local_server
from tests.org_support import ADMIN_KEY, admin, chat, make_project_with_key, org_server, sdk  # noqa: F401

PROJECT_OPS = {"list-projects", "create-project", "retrieve-project", "modify-project", "archive-project",
               "list-project-users", "create-project-user", "retrieve-project-user", "modify-project-user",
               "delete-project-user", "list-project-service-accounts", "create-project-service-account",
               "retrieve-project-service-account", "delete-project-service-account", "list-project-api-keys",
               "retrieve-project-api-key", "delete-project-api-key", "list-project-rate-limits",
               "update-project-rate-limits"}


def name() -> str:
    return f"proj {uuid.uuid4().hex[:6]}"


def test_project_lifecycle_listing_and_archiving(admin, recorder):
    projects = admin.organization.projects
    first, second = projects.create(name=name()), projects.create(name=name(), residency="GLOBAL")
    assert first.object == "organization.project" and first.status == "active" and first.archived_at is None
    assert projects.retrieve(first.id).name == first.name
    renamed = projects.update(first.id, name="Renamed research")
    assert renamed.name == "Renamed research"
    page = projects.list(limit=1)
    assert len(page) == 1 and page.has_more
    ids = [p.id for p in page]  # iterating walks every page
    assert first.id in ids and second.id in ids and len(ids) == len(set(ids))

    archived = projects.archive(second.id)
    assert archived.status == "archived" and archived.archived_at >= archived.created_at
    assert second.id not in [p.id for p in projects.list(limit=100)]
    assert second.id in [p.id for p in projects.list(limit=100, include_archived=True)]
    with pytest.raises(BadRequestError) as info:
        projects.update(second.id, name="too late")
    assert "archived" in str(info.value)
    with pytest.raises(NotFoundError):
        projects.retrieve("proj_missing")
    assert {"create-project", "retrieve-project", "modify-project", "list-projects",
            "archive-project"} <= recorder.operation_ids


@pytest.mark.parametrize("body, param", [({}, "name"), ({"name": ""}, "name"), ({"name": 5}, "name"),
                                         ({"name": "x", "residency": "MOON"}, "residency")])
def test_bad_project_bodies_are_400_naming_the_parameter(org_server, body, param):
    r = requests.post(f"{org_server.base_url}/organization/projects", json=body,
                      headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert r.status_code == 400 and r.json()["error"]["param"] == param


def test_project_users(admin):
    users = admin.organization.projects.users
    project = admin.organization.projects.create(name=name())
    ada = users.create(project.id, email="ada@example.org", role="member")
    assert ada.object == "organization.project.user" and ada.email == "ada@example.org" and ada.role == "member"
    owner = users.create(project.id, user_id="user-local-owner", role="owner")
    assert owner.role == "owner"
    with pytest.raises(BadRequestError) as info:
        users.create(project.id, email="ada@example.org", role="member")
    assert "already a member" in str(info.value)
    with pytest.raises(BadRequestError) as info:
        users.create(project.id, email="bob@example.org", role="boss")
    assert info.value.param == "role" and "'owner'" in str(info.value)
    with pytest.raises(BadRequestError) as info:
        users.create(project.id, user_id="user-nobody", role="member")
    assert info.value.param == "user_id"
    assert users.update(project.id, ada.id, role="owner").role == "owner"
    assert users.retrieve(project.id, ada.id).role == "owner"
    assert [u.id for u in users.list(project.id, limit=1)] == [ada.id, owner.id]
    deleted = users.delete(project.id, ada.id)
    assert deleted.deleted and deleted.object == "organization.project.user.deleted"
    with pytest.raises(NotFoundError):
        users.retrieve(project.id, ada.id)
    # The same person can join another project: one organization member, two memberships.
    other = admin.organization.projects.create(name=name())
    assert users.create(other.id, email="ADA@example.org", role="member").id == ada.id


def test_service_account_keys_work_as_api_keys_and_attribute_usage(admin, org_server):
    projects = admin.organization.projects
    project_id, account_id, key = make_project_with_key(admin, name())
    assert key.startswith("sk-svcacct-")
    listed = projects.api_keys.list(project_id)
    assert len(listed) == 1
    stored = listed.data[0]
    assert stored.owner.type == "service_account" and stored.owner.service_account.id == account_id
    assert key not in stored.redacted_value and stored.redacted_value.endswith(key[-4:])
    assert stored.last_used_at is None

    answer = chat(org_server.base_url, key)
    row = org_server.store.one("SELECT * FROM usage_records WHERE project_id = ?", (project_id,))
    assert (row["api_key_id"], row["service_account_id"], row["model"]) == (stored.id, account_id, "local-ngram")
    assert row["output_tokens"] == answer["usage"]["completion_tokens"]
    assert projects.api_keys.retrieve(project_id, stored.id).last_used_at is not None

    extra = projects.service_accounts.create_key(project_id, account_id, name="second")
    assert extra.value.startswith("sk-svcacct-") and extra.value != key
    chat(org_server.base_url, extra.value)
    assert len(projects.api_keys.list(project_id)) == 2

    gone = projects.api_keys.delete(project_id, stored.id)
    assert gone.deleted and gone.object == "organization.project.api_key.deleted"
    r = requests.post(f"{org_server.base_url}/chat/completions", headers={"Authorization": f"Bearer {key}"},
                      json={"model": "local-ngram", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 401 and "deleted" in r.json()["error"]["message"]

    only = projects.service_accounts.create(project_id, name="no key", create_service_account_only=True)
    assert only.api_key is None
    assert {a.id for a in projects.service_accounts.list(project_id)} == {account_id, only.id}
    assert projects.service_accounts.retrieve(project_id, account_id).name.endswith("bot")
    assert projects.service_accounts.delete(project_id, account_id).deleted
    r = requests.post(f"{org_server.base_url}/chat/completions", headers={"Authorization": f"Bearer {extra.value}"},
                      json={"model": "local-ngram", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 401  # a deleted service account's keys die with it
    with pytest.raises(NotFoundError):
        projects.service_accounts.retrieve(project_id, account_id)


def test_archived_projects_keys_stop_working(admin, org_server):
    project_id, _account, key = make_project_with_key(admin, name())
    chat(org_server.base_url, key)
    admin.organization.projects.archive(project_id)
    with pytest.raises(AuthenticationError) as info:
        Client(base_url=org_server.base_url, api_key=key, max_retries=0).chat.completions.create(
            model="local-ngram", messages=[{"role": "user", "content": "hi"}])
    assert "archived" in str(info.value) and key not in str(info.value)


def test_admin_key_rules(admin, org_server):
    # No admin key: a clear error naming the setting, and nothing sent (this URL has no server).
    nowhere = Client(base_url="http://127.0.0.1:9/v1", api_key="sk-project", max_retries=0)
    with pytest.raises(ConfigurationError) as info:
        nowhere.organization.projects.list()
    assert "OPENAI_ADMIN_KEY" in str(info.value) and "admin_key" in str(info.value)
    with pytest.raises(ConfigurationError):
        nowhere.organization.usage.completions(start_time=0)

    _project, _account, key = make_project_with_key(admin, name())
    with pytest.raises(PermissionDeniedError) as info:
        Client(base_url=org_server.base_url, api_key=org_server.api_key, admin_key=key, max_retries=0).organization.projects.list()
    assert info.value.status == 403 and "admin key" in str(info.value)
    with pytest.raises(AuthenticationError):
        Client(base_url=org_server.base_url, api_key=org_server.api_key, admin_key="sk-admin-wrong", max_retries=0).organization.projects.list()
    r = requests.get(f"{org_server.base_url}/organization/projects", headers=org_server.headers)
    assert r.status_code == 401 and "admin key" in r.json()["error"]["message"]
    assert "sk-admin-wrong" not in repr(Client(base_url=org_server.base_url, api_key=org_server.api_key, admin_key="sk-admin-wrong"))


def test_rate_limit_list_update_and_bad_input(admin):
    limits = admin.organization.projects.rate_limits
    project = admin.organization.projects.create(name=name())
    listed = limits.list(project.id)
    ids = [rl.id for rl in listed]
    assert "rl-local-ngram" in ids and all(rl.object == "project.rate_limit" for rl in listed)
    updated = limits.update(project.id, "rl-local-ngram", max_requests_per_1_minute=30, max_tokens_per_1_minute=900)
    assert (updated.max_requests_per_1_minute, updated.max_tokens_per_1_minute) == (30, 900)
    again = {rl.id: rl for rl in limits.list(project.id)}["rl-local-ngram"]
    assert again.max_requests_per_1_minute == 30
    assert [rl.id for rl in limits.list(project.id, limit=1, after=ids[0]).data] == [ids[1]]
    with pytest.raises(NotFoundError):
        limits.update(project.id, "rl-gpt-nothing", max_requests_per_1_minute=1)
    with pytest.raises(BadRequestError) as info:
        limits.update(project.id, "rl-local-ngram", max_requests_per_1_minute=10 ** 9)
    assert info.value.param == "max_requests_per_1_minute" and "maximum" in str(info.value)
    with pytest.raises(BadRequestError) as info:
        limits.update(project.id, "rl-local-ngram", max_images_per_1_minute=3)
    assert info.value.param == "max_images_per_1_minute"


def test_rate_limits_are_enforced_with_retry_after_and_the_client_waits():
    with start_local_server(db=":memory:", admin_key=ADMIN_KEY) as server:
        server.app.state.rate_limiter.minute = 1.5  # a short window, so the retry is seen in a second
        org = Client(base_url=server.base_url, api_key=server.api_key, admin_key=ADMIN_KEY, max_retries=0)
        project_id, _account, key = make_project_with_key(org, "limited")
        _other, _account2, other_key = make_project_with_key(org, "unlimited")
        org.organization.projects.rate_limits.update(project_id, "rl-local-ngram", max_requests_per_1_minute=2)
        chat(server.base_url, key)
        chat(server.base_url, key)
        r = requests.post(f"{server.base_url}/chat/completions", headers={"Authorization": f"Bearer {key}"},
                          json={"model": "local-ngram", "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 429
        error = r.json()["error"]
        assert error["code"] == "rate_limit_exceeded" and error["type"] == "requests"
        assert "requests per min" in error["message"] and project_id in error["message"]
        assert int(r.headers["Retry-After"]) >= 1 and 0 < int(r.headers["retry-after-ms"]) <= 1500
        assert r.headers["x-ratelimit-limit-requests"] == "2" and r.headers["x-request-id"].startswith("req_")
        # Other projects and other models are not affected.
        chat(server.base_url, other_key)
        chat(server.base_url, key, model="local-ngram-small")

        with pytest.raises(RateLimitError) as info:
            Client(base_url=server.base_url, api_key=key, max_retries=0).chat.completions.create(
                model="local-ngram", messages=[{"role": "user", "content": "hi"}])
        assert info.value.status == 429 and info.value.code == "rate_limit_exceeded"
        retrying = Client(base_url=server.base_url, api_key=key, max_retries=3)
        seen = []  # (time the answer arrived, status, what the server asked to wait)
        retrying.transport.session.hooks["response"].append(
            lambda r, *a, **k: seen.append((time.monotonic(), r.status_code, r.headers.get("retry-after-ms"))))
        answer = retrying.chat.completions.create(model="local-ngram", max_completion_tokens=3,
                                                  messages=[{"role": "user", "content": "hi"}])
        assert answer.choices and [status for _t, status, _w in seen][-1] == 200
        refused = [(t, int(w)) for t, status, w in seen if status == 429]
        assert refused  # it was refused at least once, then waited as told before each retry
        for (t, wait_ms), (t_next, _s, _w) in zip(refused, seen[1:]):
            assert t_next - t >= wait_ms / 1000 - 0.05

        # Tokens per minute count the tokens actually served.
        org.organization.projects.rate_limits.update(project_id, "rl-local-ngram-small", max_tokens_per_1_minute=5)
        time.sleep(1.6)
        chat(server.base_url, key, model="local-ngram-small", max_tokens=8)
        r = requests.post(f"{server.base_url}/chat/completions", headers={"Authorization": f"Bearer {key}"},
                          json={"model": "local-ngram-small", "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 429 and "tokens per min" in r.json()["error"]["message"]
        with pytest.raises(openai.RateLimitError):
            openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0).chat.completions.create(
                model="local-ngram-small", messages=[{"role": "user", "content": "hi"}])


def test_every_projects_operation_with_the_official_package(sdk, org_server):
    projects = sdk.admin.organization.projects
    project = projects.create(name=name())
    assert projects.retrieve(project.id).name == project.name
    assert projects.update(project.id, name="sdk renamed").name == "sdk renamed"
    assert project.id in [p.id for p in projects.list(limit=100)]

    user = projects.users.create(project.id, email="grace@example.org", role="member")
    assert projects.users.retrieve(user.id, project_id=project.id).email == "grace@example.org"
    assert projects.users.update(user.id, project_id=project.id, role="owner").role == "owner"
    assert [u.id for u in projects.users.list(project.id)] == [user.id]
    assert projects.users.delete(user.id, project_id=project.id).deleted

    account = projects.service_accounts.create(project.id, name="sdk bot")
    key = account.api_key.value
    chat(org_server.base_url, key)
    assert projects.service_accounts.retrieve(account.id, project_id=project.id).name == "sdk bot"
    assert [a.id for a in projects.service_accounts.list(project.id)] == [account.id]
    keys = projects.api_keys.list(project.id)
    assert len(keys.data) == 1 and keys.data[0].last_used_at is not None
    key_id = keys.data[0].id
    assert projects.api_keys.retrieve(key_id, project_id=project.id).owner.type == "service_account"
    assert projects.api_keys.delete(key_id, project_id=project.id).deleted
    assert projects.service_accounts.delete(account.id, project_id=project.id).deleted

    limits = projects.rate_limits.list_rate_limits(project.id)
    assert "rl-local-ngram" in [rl.id for rl in limits.data]
    updated = projects.rate_limits.update_rate_limit("rl-local-ngram", project_id=project.id,
                                                     max_requests_per_1_minute=100)
    assert updated.max_requests_per_1_minute == 100
    assert projects.archive(project.id).status == "archived"
    assert all(status == 200 for _m, _p, status in sdk.checked) and len(sdk.checked) >= 19


def test_all_nineteen_project_operations_are_exercised_and_valid(admin, recorder, org_server):
    projects = admin.organization.projects
    project_id, account_id, _key = make_project_with_key(admin, name())
    user = projects.users.create(project_id, email="lin@example.org", role="member")
    projects.list(), projects.retrieve(project_id), projects.update(project_id, name="all ops")
    projects.users.list(project_id), projects.users.retrieve(project_id, user.id)
    projects.users.update(project_id, user.id, role="owner"), projects.users.delete(project_id, user.id)
    projects.service_accounts.list(project_id), projects.service_accounts.retrieve(project_id, account_id)
    key_id = projects.api_keys.list(project_id).data[0].id
    projects.api_keys.retrieve(project_id, key_id), projects.api_keys.delete(project_id, key_id)
    projects.service_accounts.delete(project_id, account_id)
    projects.rate_limits.list(project_id)
    projects.rate_limits.update(project_id, "rl-local-ngram", max_requests_per_1_minute=50)
    projects.archive(project_id)
    assert PROJECT_OPS <= recorder.operation_ids, PROJECT_OPS - recorder.operation_ids
