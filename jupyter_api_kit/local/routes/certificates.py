"""/v1/organization/certificates and a project's certificate activations (admin key only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local import cert_store
from jupyter_api_kit.local.org_keys import require_admin
from jupyter_api_kit.local.org_store import get_project
from jupyter_api_kit.local.params import json_body
from jupyter_api_kit.local.principal import Principal

router = APIRouter(dependencies=[Depends(require_admin)])
BASE = "/organization/certificates"
PROJECT = "/organization/projects/{project_id}/certificates"


@router.get(BASE)
def list_certificates(request: Request):
    return cert_store.list_certificates(request.app.state.store, request.query_params)


@router.post(BASE)
def upload_certificate(request: Request, body: dict = Depends(json_body),
                       principal: Principal = Depends(require_admin)):
    return cert_store.upload(request.app.state.store, principal, body)


# Declared before /{certificate_id} so that "activate" is not read as an id.
@router.post(BASE + "/activate")
def activate_certificates(request: Request, body: dict = Depends(json_body),
                          principal: Principal = Depends(require_admin)):
    return cert_store.toggle(request.app.state.store, principal, body, activate=True)


@router.post(BASE + "/deactivate")
def deactivate_certificates(request: Request, body: dict = Depends(json_body),
                            principal: Principal = Depends(require_admin)):
    return cert_store.toggle(request.app.state.store, principal, body, activate=False)


@router.get(BASE + "/{certificate_id}")
def retrieve_certificate(certificate_id: str, request: Request):
    return cert_store.retrieve(request.app.state.store, certificate_id, request.query_params)


@router.post(BASE + "/{certificate_id}")
def modify_certificate(certificate_id: str, request: Request, body: dict = Depends(json_body),
                       principal: Principal = Depends(require_admin)):
    return cert_store.modify(request.app.state.store, principal, certificate_id, body)


@router.delete(BASE + "/{certificate_id}")
def delete_certificate(certificate_id: str, request: Request, principal: Principal = Depends(require_admin)):
    return cert_store.delete(request.app.state.store, principal, certificate_id)


@router.get(PROJECT)
def list_project_certificates(project_id: str, request: Request):
    project = get_project(request.app.state.store, project_id)
    return cert_store.list_certificates(request.app.state.store, request.query_params, scope=project["id"])


@router.post(PROJECT + "/activate")
def activate_project_certificates(project_id: str, request: Request, body: dict = Depends(json_body),
                                  principal: Principal = Depends(require_admin)):
    return cert_store.toggle(request.app.state.store, principal, body, activate=True, project_id=project_id)


@router.post(PROJECT + "/deactivate")
def deactivate_project_certificates(project_id: str, request: Request, body: dict = Depends(json_body),
                                    principal: Principal = Depends(require_admin)):
    return cert_store.toggle(request.app.state.store, principal, body, activate=False, project_id=project_id)
