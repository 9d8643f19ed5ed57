"""The organization's users and invites through our client against a local server (admin key),
every exchange checked against the contract: the owner is a user, people who join a project are
users whose listed id projects take, roles change with an owner always kept, removals reach every
project, invites are recorded, and every change is in the audit log."""

from __future__ import annotations

import pytest
import requests

from jupyter_api_kit.client import Client
from jupyter_api_kit.errors import BadRequestError, InvalidInputError, NotFoundError, PermissionDeniedError
from tests.org_support import ADMIN_KEY, admin, make_project_with_key, org_server  # noqa: F401

USER_OPS = {"list-users", "retrieve-user", "modify-user", "delete-user"}
INVITE_OPS = {"list-invites", "inviteUser", "retrieve-invite", "delete-invite"}


def test_users_are_listed_and_projects_take_their_ids(admin, recorder):
    org = admin.organization
    owner = org.users.retrieve("user-local-owner")
    assert owner.object == "organization.user" and owner.role == "owner" and owner.email == "owner@localhost"

    moons = org.projects.create(name="Moons")
    rings = org.projects.create(name="Rings")
    org.projects.users.create(moons.id, email="Ada@Example.org", role="member")
    org.projects.users.create(moons.id, email="bob@example.org", role="member")
    ada = org.users.list(emails=["ada@example.org"]).data[0]
    assert ada.role == "reader" and ada.email == "ada@example.org"
    joined = org.projects.users.create(rings.id, user_id=ada.id, role="owner")  # the documented way
    assert joined.id == ada.id and joined.role == "owner"

    first = org.users.list(limit=1)
    assert len(first) == 1 and first.has_more
    everyone = [u.id for u in first]  # every page, oldest first
    assert everyone[0] == owner.id and {ada.id} < set(everyone) and len(everyone) == len(set(everyone))
    assert list(org.users.frame()["email"])[:1] == ["owner@localhost"]

    with pytest.raises(BadRequestError) as info:
        org.projects.users.create(rings.id, user_id="user-nobody", role="member")
    assert info.value.param == "user_id" and "/organization/users" in str(info.value)
    assert USER_OPS - {"modify-user", "delete-user"} <= recorder.operation_ids


def test_roles_removals_and_the_last_owner(admin, recorder):
    org = admin.organization
    project = org.projects.create(name="Comets")
    grace = org.projects.users.create(project.id, email="grace@example.org", role="member")
    promoted = org.users.update(grace.id, role="owner", technical_level="expert")
    assert promoted.role == "owner" and promoted.technical_level == "expert"
    assert org.users.update("user-local-owner", role="reader").role == "reader"  # grace is an owner now
    with pytest.raises(BadRequestError) as info:
        org.users.update(grace.id, role="reader")  # she is the only owner left
    assert info.value.param == "role" and "only owner" in str(info.value)
    with pytest.raises(BadRequestError):
        org.users.delete(grace.id)
    assert org.users.update("user-local-owner", role="owner").role == "owner"

    removed = org.users.delete(grace.id)
    assert removed.deleted and removed.object == "organization.user.deleted"
    with pytest.raises(NotFoundError):
        org.users.retrieve(grace.id)
    assert grace.id not in [u.id for u in org.projects.users.list(project.id)]
    with pytest.raises(InvalidInputError):
        org.users.update("user-x", role="admin")  # refused before sending
    with pytest.raises(BadRequestError) as info:
        org.users.update("user-local-owner", role_id="role_custom")
    assert info.value.param == "role_id"

    events = org.audit_logs.list(resource_ids=[grace.id])
    assert [e.type for e in events] == ["user.deleted", "user.updated", "user.added"]
    assert events.data[1]["user.updated"]["changes_requested"] == {"role": "owner", "technical_level": "expert"}
    assert USER_OPS - {"list-users"} <= recorder.operation_ids


def test_invites(admin, recorder):
    org = admin.organization
    project = org.projects.create(name="Nebulae")
    invite = org.invites.create(email="lin@example.org", role="owner", projects=[{"id": project.id, "role": "owner"}])
    assert invite.object == "organization.invite" and invite.status == "pending"
    assert invite.expires_at - invite.created_at == 7 * 24 * 3600 and invite.accepted_at is None
    assert org.invites.retrieve(invite.id).projects == [{"id": project.id, "role": "owner"}]
    assert invite.id in [i.id for i in org.invites.list(limit=1)]

    for email, fragment in (("lin@example.org", "pending invite"), ("owner@localhost", "already a user")):
        with pytest.raises(BadRequestError) as info:
            org.invites.create(email=email, role="reader")
        assert info.value.param == "email" and fragment in str(info.value)
    with pytest.raises(NotFoundError) as info:
        org.invites.create(email="kim@example.org", role="reader", projects=[{"id": "proj_none", "role": "member"}])
    assert info.value.param == "projects[0].id"
    with pytest.raises(InvalidInputError):
        org.invites.create(email="kim@example.org", role="member")  # an organization role is owner or reader

    assert org.invites.delete(invite.id).deleted
    with pytest.raises(NotFoundError):
        org.invites.retrieve(invite.id)
    assert [e.type for e in org.audit_logs.list(resource_ids=[invite.id])] == ["invite.deleted", "invite.sent"]
    assert INVITE_OPS <= recorder.operation_ids


def test_only_the_admin_key_opens_users_and_invites(admin, org_server):
    _project, _account, key = make_project_with_key(admin, "keyed")
    with pytest.raises(PermissionDeniedError):
        Client(base_url=org_server.base_url, api_key=org_server.api_key, admin_key=key, max_retries=0).organization.users.list()
    for method, path in (("GET", "organization/users"), ("GET", "organization/invites"),
                         ("DELETE", "organization/users/user-local-owner")):
        r = requests.request(method, f"{org_server.base_url}/{path}", timeout=30, headers=org_server.headers)
        assert r.status_code == 401, r.text
    r = requests.post(f"{org_server.base_url}/organization/invites", json={"email": "x@example.org", "role": "boss"},
                      headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"] == "role"
