"""/v1/organization/projects/{project_id}/service_accounts and /api_keys (admin key only).

A service account's key is returned once, at creation, and works as an API key on this server.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local import service_accounts as accounts
from jupyter_api_kit.local.org_keys import require_admin
from jupyter_api_kit.local.params import json_body
from jupyter_api_kit.local.principal import Principal

router = APIRouter(dependencies=[Depends(require_admin)])
ACCOUNTS = "/organization/projects/{project_id}/service_accounts"
KEYS = "/organization/projects/{project_id}/api_keys"


@router.get(ACCOUNTS)
def list_service_accounts(project_id: str, request: Request):
    return accounts.list_accounts(request.app.state.store, project_id, request.query_params)


@router.post(ACCOUNTS)
def create_service_account(project_id: str, request: Request, body: dict = Depends(json_body),
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
                               body: dict = Depends(json_body), principal: Principal = Depends(require_admin)):
    return accounts.create_account_key(request.app.state.store, principal, project_id, service_account_id, body)


@router.get(KEYS)
def list_api_keys(project_id: str, request: Request):
    return accounts.list_keys(request.app.state.store, project_id, request.query_params)


@router.get(KEYS + "/{api_key_id}")
def retrieve_api_key(project_id: str, api_key_id: str, request: Request):
    return accounts.key_object(accounts.get_key(request.app.state.store, project_id, api_key_id))


@router.delete(KEYS + "/{api_key_id}")
def delete_api_key(project_id: str, api_key_id: str, request: Request, principal: Principal = Depends(require_admin)):
    return accounts.delete_key(request.app.state.store, principal, project_id, api_key_id)
