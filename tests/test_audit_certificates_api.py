"""Certificates (parsed with `cryptography`, activation per organization and per project) and the
audit log of the admin actions actually performed, with every documented filter and paging both
ways; our client and the official `openai` package, every exchange checked against the contract."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from jupyter_api_kit.errors import BadRequestError, NotFoundError
from tests.org_support import ADMIN_KEY, admin, org_server, sdk, self_signed_pem  # noqa: F401

CERT_OPS = {"uploadCertificate", "listOrganizationCertificates", "getCertificate", "modifyCertificate",
            "deleteCertificate", "activateOrganizationCertificates", "deactivateOrganizationCertificates"}


def test_certificate_lifecycle(admin, recorder):
    certs = admin.organization.certificates
    pem = self_signed_pem("lifecycle")
    cert = certs.create(certificate=pem, name="Internal CA")
    details = cert.certificate_details
    assert cert.object == "certificate" and cert.name == "Internal CA" and cert.active is False
    assert details.valid_at < time.time() < details.expires_at and "content" not in details
    assert certs.retrieve(cert.id, include=["content"]).certificate_details.content.strip() == pem.strip()
    assert certs.update(cert.id, name="Renamed CA").name == "Renamed CA"

    activated = certs.activate([cert.id])
    assert activated.object == "organization.certificate.activation" and activated.data[0].active
    listed = {c.id: c for c in certs.list(limit=100)}
    assert listed[cert.id].active and listed[cert.id].object == "organization.certificate"
    with pytest.raises(BadRequestError) as info:
        certs.delete(cert.id)
    assert "deactivate" in str(info.value)
    deactivated = certs.deactivate(cert.id)
    assert deactivated.object == "organization.certificate.deactivation" and not deactivated.data[0].active
    assert certs.delete(cert.id) == {"object": "certificate.deleted", "id": cert.id}
    with pytest.raises(NotFoundError):
        certs.retrieve(cert.id)
    assert CERT_OPS <= recorder.operation_ids


def test_certificates_list_newest_first_and_pages(admin):
    certs = admin.organization.certificates
    made = [certs.create(certificate=self_signed_pem(f"page {i}"), name=f"page {i}").id for i in range(3)]
    page = certs.list(limit=2)
    assert len(page) == 2 and page.has_more
    ids = [c.id for c in page]  # every page
    assert ids.index(made[2]) < ids.index(made[1]) < ids.index(made[0])
    ascending = [c.id for c in certs.list(order="asc", limit=100)]
    assert ascending.index(made[0]) < ascending.index(made[2])


def test_activation_per_project(admin):
    project = admin.organization.projects.create(name="certs")
    cert = admin.organization.certificates.create(certificate=self_signed_pem("project"))
    per_project = admin.organization.projects.certificates
    done = per_project.activate(project.id, [cert.id])
    assert done.object == "organization.project.certificate.activation" and done.data[0].active
    in_project = {c.id: c for c in per_project.list(project.id, limit=100)}
    assert in_project[cert.id].active and in_project[cert.id].object == "organization.project.certificate"
    assert not {c.id: c for c in admin.organization.certificates.list(limit=100)}[cert.id].active
    with pytest.raises(BadRequestError) as info:
        admin.organization.certificates.delete(cert.id)
    assert project.id in str(info.value)
    assert per_project.deactivate(project.id, [cert.id]).object == "organization.project.certificate.deactivation"
    assert admin.organization.certificates.delete(cert.id).id == cert.id


@pytest.mark.parametrize("pem, fragment", [
    ("hello", "no PEM certificate"),
    ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", "not a valid X.509"),
    (None, "private key"),
    ("expired", "expired"),
    ("two", "2 certificates"),
])
def test_invalid_certificates_are_400(admin, pem, fragment):
    if pem is None:
        pem = self_signed_pem("with key", key_pem=True)
    elif pem == "expired":
        pem = self_signed_pem("old", expired=True)
    elif pem == "two":
        pem = self_signed_pem("one") + self_signed_pem("two")
    with pytest.raises(BadRequestError) as info:
        admin.organization.certificates.create(certificate=pem)
    assert info.value.param == "certificate" and fragment in str(info.value)


def test_duplicates_unknown_ids_and_bad_toggles(admin, org_server):
    certs = admin.organization.certificates
    pem = self_signed_pem("dup")
    first = certs.create(certificate=pem)
    with pytest.raises(BadRequestError) as info:
        certs.create(certificate=pem)
    assert first.id in str(info.value)
    with pytest.raises(NotFoundError):
        certs.activate(["cert_missing"])
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    for body in ({}, {"certificate_ids": []}, {"certificate_ids": [f"c{i}" for i in range(11)]}):
        r = requests.post(f"{org_server.base_url}/organization/certificates/activate", json=body, headers=headers)
        assert r.status_code == 400 and r.json()["error"]["param"] == "certificate_ids"
    r = requests.get(f"{org_server.base_url}/organization/certificates/{first.id}?include[]=secrets", headers=headers)
    assert r.status_code == 400 and r.json()["error"]["param"] == "include"


def test_certificates_with_the_official_package(sdk):
    certs = sdk.admin.organization.certificates
    cert = certs.create(certificate=self_signed_pem("sdk"), name="sdk")
    assert certs.retrieve(cert.id, include=["content"]).certificate_details.content.startswith("-----BEGIN")
    assert certs.update(cert.id, name="sdk renamed").name == "sdk renamed"
    assert cert.id in [c.id for c in certs.list()]
    assert [c.active for c in certs.activate(certificate_ids=[cert.id])] == [True]
    assert [c.active for c in certs.deactivate(certificate_ids=[cert.id])] == [False]
    assert certs.delete(cert.id).id == cert.id
    assert len(sdk.checked) == 7 and all(status == 200 for *_x, status in sdk.checked)


def _trail(admin):
    """Perform a known set of admin actions; return the project id and what was done."""
    org = admin.organization
    project = org.projects.create(name=f"audited {uuid.uuid4().hex[:4]}")
    org.projects.update(project.id, name="audited, renamed")
    user = org.projects.users.create(project.id, email=f"{uuid.uuid4().hex[:6]}@example.org", role="member")
    org.projects.users.update(project.id, user.id, role="owner")
    account = org.projects.service_accounts.create(project.id, name="audited bot")
    org.projects.rate_limits.update(project.id, "rl-local-ngram", max_requests_per_1_minute=40)
    org.projects.api_keys.delete(project.id, account.api_key.id)
    org.projects.users.delete(project.id, user.id)
    org.projects.archive(project.id)
    return project.id, user.id, account


def test_audit_log_records_the_admin_actions_performed(admin, recorder):
    project_id, user_id, account = _trail(admin)
    events = admin.organization.audit_logs.list(project_ids=[project_id], limit=100)
    types = [e.type for e in events]
    assert types == ["project.archived", "user.deleted", "api_key.deleted", "rate_limit.updated",
                     "api_key.created", "service_account.created", "user.updated", "user.added",
                     "project.updated", "project.created"]  # newest first
    by_type = {e.type: e for e in events}
    assert by_type["project.updated"]["project.updated"]["changes_requested"] == {"name": "audited, renamed"}
    assert by_type["rate_limit.updated"]["rate_limit.updated"] == {
        "id": "rl-local-ngram", "changes_requested": {"max_requests_per_1_minute": 40}}
    assert by_type["user.added"]["user.added"] == {"id": user_id, "data": {"role": "member"}}
    assert by_type["api_key.deleted"]["api_key.deleted"]["id"] == account.api_key.id
    for event in events:
        assert event.project.id == project_id
        assert event.actor.type == "api_key" and event.actor.api_key.user.id == "user-local-owner"
        assert event.effective_at <= time.time()
    assert "list-audit-logs" in recorder.operation_ids


def test_audit_log_filters_and_paging_both_ways(admin):
    project_id, user_id, account = _trail(admin)
    logs = admin.organization.audit_logs
    only = logs.list(project_ids=[project_id], event_types=["user.added", "user.deleted"])
    assert [e.type for e in only] == ["user.deleted", "user.added"]
    assert [e.type for e in logs.list(resource_ids=[account.id])] == ["service_account.created"]
    assert len(logs.list(project_ids=[project_id], actor_ids=["user-local-owner"], limit=100)) == 10
    assert len(logs.list(project_ids=[project_id], actor_ids=["key_local_admin"], limit=100)) == 10
    assert len(logs.list(project_ids=[project_id], actor_ids=["user-someone-else"])) == 0
    assert len(logs.list(project_ids=[project_id], actor_emails=["owner@localhost"], limit=100)) == 10
    assert len(logs.list(project_ids=[project_id], actor_emails=["nobody@example.org"])) == 0
    newest = logs.list(project_ids=[project_id], limit=1).data[0]
    assert len(logs.list(project_ids=[project_id], effective_at={"gte": newest.effective_at + 10})) == 0
    assert len(logs.list(project_ids=[project_id], effective_at={"lte": newest.effective_at}, limit=100)) == 10
    assert len(logs.list(project_ids=[project_id], tenant_only=True)) == 0

    first = logs.list(project_ids=[project_id], limit=3)
    assert first.has_more and len(first) == 3
    second = first.next_page()
    assert [e.type for e in second.data] == ["rate_limit.updated", "api_key.created", "service_account.created"]
    back = logs.list(project_ids=[project_id], limit=3, before=second.data[0].id)
    assert [e.id for e in back.data] == [e.id for e in first.data]  # the page just above, newest first
    assert [e.id for e in logs.list(project_ids=[project_id], limit=100)] == \
        [e.id for p in first.iter_pages() for e in p.data]
    frame = logs.frame(project_ids=[project_id])
    assert list(frame["type"])[-1] == "project.created" and str(frame["effective_at"].dt.tz) == "UTC"


def test_audit_log_bad_filters_are_400(org_server):
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    base = f"{org_server.base_url}/organization/audit_logs"
    for query, param in (("effective_at[since]=1", "effective_at"), ("effective_at[gt]=soon", "effective_at[gt]"),
                         ("limit=101", "limit"), ("after=audit_log-none", "after")):
        r = requests.get(f"{base}?{query}", headers=headers)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, (query, r.text)


def test_audit_logs_with_the_official_package(sdk, admin):
    project_id, _user, _account = _trail(admin)
    events = sdk.admin.organization.audit_logs.list(project_ids=[project_id], event_types=["project.created"],
                                                    effective_at={"gt": 0})
    assert [e.type for e in events.data] == ["project.created"]
    paged = sdk.admin.organization.audit_logs.list(project_ids=[project_id], limit=4)
    assert len(list(paged)) == 10  # the package pages with `after` through every event
