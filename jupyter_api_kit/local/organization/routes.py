"""/v1/organization: the organization's users and invites; projects, their users, service accounts,
API keys and rate limits; certificates; the audit log. Every route needs the admin key.

A service account's key is returned once, at creation, and works as an API key on this server.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.core.auth import Principal
from jupyter_api_kit.local.core.paging import Cursor, paging
from jupyter_api_kit.local.core.request_models import body, checked, query
from jupyter_api_kit.local.organization import certificates as cert_store
from jupyter_api_kit.local.organization import invites as invite_store
from jupyter_api_kit.local.organization import service_accounts as accounts
from jupyter_api_kit.local.organization import store as org_store
from jupyter_api_kit.local.organization import users as user_store
from jupyter_api_kit.local.organization.audit import AuditQuery, audit_query, list_events
from jupyter_api_kit.local.organization.keys import require_admin
from jupyter_api_kit.local.organization.rate_limits import list_limits, update_limit
from jupyter_api_kit.local.organization.request import (
    CertificateBody,
    CertificateQuery,
    CertificateUpdateBody,
    KeysQuery,
    ProjectBody,
    ProjectsQuery,
    ProjectUpdateBody,
    ProjectUserBody,
    ProjectUserUpdateBody,
    RateLimitBody,
    RateLimitsQuery,
    ServiceAccountBody,
    ServiceAccountKeyBody,
    ToggleCertificatesBody,
)
from jupyter_api_kit.local.organization.store import get_project

router = APIRouter(dependencies=[Depends(require_admin)])
BASE = "/organization/projects"
ACCOUNTS = "/organization/projects/{project_id}/service_accounts"
KEYS = "/organization/projects/{project_id}/api_keys"
CERTIFICATES = "/organization/certificates"
PROJECT_CERTIFICATES = "/organization/projects/{project_id}/certificates"
USERS = "/organization/users"
INVITES = "/organization/invites"


# -- the organization's users and invites -------------------------------------------------------

@router.get(USERS)
def list_users(request: Request, options: user_store.UsersQuery = Depends(query(user_store.UsersQuery))):
    return user_store.list_users(request.app.state.store, options)


@router.get(USERS + "/{user_id}")
def retrieve_user(user_id: str, request: Request):
    return user_store.user_object(user_store.get_user(request.app.state.store, user_id))


@router.post(USERS + "/{user_id}")
def modify_user(user_id: str, request: Request,
                update: user_store.UserUpdateBody = Depends(body(user_store.UserUpdateBody)),
                principal: Principal = Depends(require_admin)):
    return user_store.modify_user(request.app.state.store, principal, user_id, update)


@router.delete(USERS + "/{user_id}")
def delete_user(user_id: str, request: Request, principal: Principal = Depends(require_admin)):
    return user_store.delete_user(request.app.state.store, principal, user_id)


@router.get(INVITES)
def list_invites(request: Request, options: invite_store.InvitesQuery = Depends(query(invite_store.InvitesQuery))):
    return invite_store.list_invites(request.app.state.store, options)


@router.post(INVITES)
def create_invite(request: Request, invite: invite_store.InviteBody = Depends(body(invite_store.InviteBody)),
                  principal: Principal = Depends(require_admin)):
    return invite_store.create_invite(request.app.state.store, principal, invite)


@router.get(INVITES + "/{invite_id}")
def retrieve_invite(invite_id: str, request: Request):
    return invite_store.invite_object(invite_store.get_invite(request.app.state.store, invite_id))


@router.delete(INVITES + "/{invite_id}")
def delete_invite(invite_id: str, request: Request, principal: Principal = Depends(require_admin)):
    return invite_store.delete_invite(request.app.state.store, principal, invite_id)


# -- projects -----------------------------------------------------------------------------------


@router.get(BASE)
def list_projects(request: Request, cursor: Cursor = Depends(paging(order="asc")),
                  options: ProjectsQuery = Depends(query(ProjectsQuery))):
    return org_store.list_projects(request.app.state.store, cursor, options.include_archived)


@router.post(BASE)
def create_project(request: Request, body: dict = Depends(checked(ProjectBody)), principal: Principal = Depends(require_admin)):
    return org_store.create_project(request.app.state.store, principal, body)


@router.get(BASE + "/{project_id}")
def retrieve_project(project_id: str, request: Request):
    return org_store.project_object(org_store.get_project(request.app.state.store, project_id))


@router.post(BASE + "/{project_id}")
def modify_project(project_id: str, request: Request, body: dict = Depends(checked(ProjectUpdateBody, required=True)),
                   principal: Principal = Depends(require_admin)):
    return org_store.modify_project(request.app.state.store, principal, project_id, body)


@router.post(BASE + "/{project_id}/archive")
def archive_project(project_id: str, request: Request, principal: Principal = Depends(require_admin)):
    return org_store.archive_project(request.app.state.store, principal, project_id)


@router.get(BASE + "/{project_id}/users")
def list_project_users(project_id: str, request: Request, cursor: Cursor = Depends(paging(order="asc"))):
    return org_store.list_users(request.app.state.store, project_id, cursor)


@router.post(BASE + "/{project_id}/users")
def create_project_user(project_id: str, request: Request, body: dict = Depends(checked(ProjectUserBody)),
                        principal: Principal = Depends(require_admin)):
    return org_store.add_user(request.app.state.store, principal, project_id, body)


@router.get(BASE + "/{project_id}/users/{user_id}")
def retrieve_project_user(project_id: str, user_id: str, request: Request):
    return org_store.user_object(org_store.get_user(request.app.state.store, project_id, user_id))


@router.post(BASE + "/{project_id}/users/{user_id}")
def modify_project_user(project_id: str, user_id: str, request: Request,
                        body: dict = Depends(checked(ProjectUserUpdateBody)),
                        principal: Principal = Depends(require_admin)):
    return org_store.modify_user(request.app.state.store, principal, project_id, user_id, body)


@router.delete(BASE + "/{project_id}/users/{user_id}")
def delete_project_user(project_id: str, user_id: str, request: Request,
                        principal: Principal = Depends(require_admin)):
    return org_store.delete_user(request.app.state.store, principal, project_id, user_id)


@router.get(BASE + "/{project_id}/rate_limits")
def list_project_rate_limits(project_id: str, request: Request,
                             options: RateLimitsQuery = Depends(query(RateLimitsQuery))):
    return list_limits(request.app, project_id, options.limit, options.after, options.before)


@router.post(BASE + "/{project_id}/rate_limits/{rate_limit_id}")
def update_project_rate_limit(project_id: str, rate_limit_id: str, request: Request,
                              body: dict = Depends(checked(RateLimitBody, required=True)),
                              principal: Principal = Depends(require_admin)):
    return update_limit(request.app, principal, project_id, rate_limit_id, body)


# -- service accounts and project API keys ------------------------------------------------------------

@router.get(ACCOUNTS)
def list_service_accounts(project_id: str, request: Request, cursor: Cursor = Depends(paging(order="asc"))):
    return accounts.list_accounts(request.app.state.store, project_id, cursor)


@router.post(ACCOUNTS)
def create_service_account(project_id: str, request: Request, body: dict = Depends(checked(ServiceAccountBody)),
                           principal: Principal = Depends(require_admin)):
    return accounts.create_service_account(request.app.state.store, principal, project_id, body)


@router.get(ACCOUNTS + "/{service_account_id}")
def retrieve_service_account(project_id: str, service_account_id: str, request: Request):
    return accounts.account_object(accounts.get_account(request.app.state.store, project_id, service_account_id))


@router.delete(ACCOUNTS + "/{service_account_id}")
def delete_service_account(project_id: str, service_account_id: str, request: Request,
                           principal: Principal = Depends(require_admin)):
    return accounts.delete_account(request.app.state.store, principal, project_id, service_account_id)


@router.post(ACCOUNTS + "/{service_account_id}/api_keys")
def create_service_account_key(project_id: str, service_account_id: str, request: Request,
                               body: dict = Depends(checked(ServiceAccountKeyBody)),
                               principal: Principal = Depends(require_admin)):
    return accounts.create_account_key(request.app.state.store, principal, project_id, service_account_id, body)


@router.get(KEYS)
def list_api_keys(project_id: str, request: Request, cursor: Cursor = Depends(paging(order="asc")),
                  options: KeysQuery = Depends(query(KeysQuery))):
    return accounts.list_keys(request.app.state.store, project_id, cursor, options.owner_project_access)


@router.get(KEYS + "/{api_key_id}")
def retrieve_api_key(project_id: str, api_key_id: str, request: Request):
    return accounts.key_object(accounts.get_key(request.app.state.store, project_id, api_key_id))


@router.delete(KEYS + "/{api_key_id}")
def delete_api_key(project_id: str, api_key_id: str, request: Request, principal: Principal = Depends(require_admin)):
    return accounts.delete_key(request.app.state.store, principal, project_id, api_key_id)


# -- certificates --------------------------------------------------------------------------------

@router.get(CERTIFICATES)
def list_certificates(request: Request, cursor: Cursor = Depends(paging())):
    return cert_store.list_certificates(request.app.state.store, cursor)


@router.post(CERTIFICATES)
def upload_certificate(request: Request, body: dict = Depends(checked(CertificateBody)),
                       principal: Principal = Depends(require_admin)):
    return cert_store.upload(request.app.state.store, principal, body)


# Declared before /{certificate_id} so that "activate" is not read as an id.
@router.post(CERTIFICATES + "/activate")
def activate_certificates(request: Request, body: dict = Depends(checked(ToggleCertificatesBody)),
                          principal: Principal = Depends(require_admin)):
    return cert_store.toggle(request.app.state.store, principal, body, activate=True)


@router.post(CERTIFICATES + "/deactivate")
def deactivate_certificates(request: Request, body: dict = Depends(checked(ToggleCertificatesBody)),
                            principal: Principal = Depends(require_admin)):
    return cert_store.toggle(request.app.state.store, principal, body, activate=False)


@router.get(CERTIFICATES + "/{certificate_id}")
def retrieve_certificate(certificate_id: str, request: Request,
                         options: CertificateQuery = Depends(query(CertificateQuery))):
    return cert_store.retrieve(request.app.state.store, certificate_id, "content" in options.include)


@router.post(CERTIFICATES + "/{certificate_id}")
def modify_certificate(certificate_id: str, request: Request, body: dict = Depends(checked(CertificateUpdateBody)),
                       principal: Principal = Depends(require_admin)):
    return cert_store.modify(request.app.state.store, principal, certificate_id, body)


@router.delete(CERTIFICATES + "/{certificate_id}")
def delete_certificate(certificate_id: str, request: Request, principal: Principal = Depends(require_admin)):
    return cert_store.delete(request.app.state.store, principal, certificate_id)


@router.get(PROJECT_CERTIFICATES)
def list_project_certificates(project_id: str, request: Request, cursor: Cursor = Depends(paging())):
    project = get_project(request.app.state.store, project_id)
    return cert_store.list_certificates(request.app.state.store, cursor, scope=project["id"])


@router.post(PROJECT_CERTIFICATES + "/activate")
def activate_project_certificates(project_id: str, request: Request,
                                  body: dict = Depends(checked(ToggleCertificatesBody)),
                                  principal: Principal = Depends(require_admin)):
    return cert_store.toggle(request.app.state.store, principal, body, activate=True, project_id=project_id)


@router.post(PROJECT_CERTIFICATES + "/deactivate")
def deactivate_project_certificates(project_id: str, request: Request,
                                    body: dict = Depends(checked(ToggleCertificatesBody)),
                                    principal: Principal = Depends(require_admin)):
    return cert_store.toggle(request.app.state.store, principal, body, activate=False, project_id=project_id)


# -- audit log --------------------------------------------------------------------------------

@router.get("/organization/audit_logs")
def list_audit_logs(request: Request, options: AuditQuery = Depends(audit_query)):
    return list_events(request.app.state.store, options)
