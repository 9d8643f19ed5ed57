"""/v1/organization/projects: projects, their users and their rate limits (admin key only).

`setup` also gives the app its organization keys (the admin key and the project-key resolver) and
the rate-limit middleware that enforces project limits on the model endpoints.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local import org_store
from jupyter_api_kit.local.org_keys import require_admin, setup_keys
from jupyter_api_kit.local.params import json_body
from jupyter_api_kit.local.principal import Principal
from jupyter_api_kit.local.rate_limits import list_limits, setup_rate_limits, update_limit

router = APIRouter(dependencies=[Depends(require_admin)])
BASE = "/organization/projects"


def setup(app) -> None:
    """Give the app its admin key and project-key resolver, and the rate limiter for project keys.

    Example:
        >>> from jupyter_api_kit.local.app import create_app
        >>> from jupyter_api_kit.local.store import Store
        >>> app = create_app(Store(":memory:"))
        >>> app.state.admin_key.startswith("sk-admin-"), type(app.state.rate_limiter).__name__
        (True, 'RateLimiter')
    """
    setup_keys(app)
    setup_rate_limits(app)


@router.get(BASE)
def list_projects(request: Request):
    return org_store.list_projects(request.app.state.store, request.query_params)


@router.post(BASE)
def create_project(request: Request, body: dict = Depends(json_body), principal: Principal = Depends(require_admin)):
    return org_store.create_project(request.app.state.store, principal, body)


@router.get(BASE + "/{project_id}")
def retrieve_project(project_id: str, request: Request):
    return org_store.project_object(org_store.get_project(request.app.state.store, project_id))


@router.post(BASE + "/{project_id}")
def modify_project(project_id: str, request: Request, body: dict = Depends(json_body),
                   principal: Principal = Depends(require_admin)):
    return org_store.modify_project(request.app.state.store, principal, project_id, body)


@router.post(BASE + "/{project_id}/archive")
def archive_project(project_id: str, request: Request, principal: Principal = Depends(require_admin)):
    return org_store.archive_project(request.app.state.store, principal, project_id)


@router.get(BASE + "/{project_id}/users")
def list_project_users(project_id: str, request: Request):
    return org_store.list_users(request.app.state.store, project_id, request.query_params)


@router.post(BASE + "/{project_id}/users")
def create_project_user(project_id: str, request: Request, body: dict = Depends(json_body),
                        principal: Principal = Depends(require_admin)):
    return org_store.add_user(request.app.state.store, principal, project_id, body)


@router.get(BASE + "/{project_id}/users/{user_id}")
def retrieve_project_user(project_id: str, user_id: str, request: Request):
    return org_store.user_object(org_store.get_user(request.app.state.store, project_id, user_id))


@router.post(BASE + "/{project_id}/users/{user_id}")
def modify_project_user(project_id: str, user_id: str, request: Request, body: dict = Depends(json_body),
                        principal: Principal = Depends(require_admin)):
    return org_store.modify_user(request.app.state.store, principal, project_id, user_id, body)


@router.delete(BASE + "/{project_id}/users/{user_id}")
def delete_project_user(project_id: str, user_id: str, request: Request,
                        principal: Principal = Depends(require_admin)):
    return org_store.delete_user(request.app.state.store, principal, project_id, user_id)


@router.get(BASE + "/{project_id}/rate_limits")
def list_project_rate_limits(project_id: str, request: Request):
    return list_limits(request.app, project_id, request.query_params)


@router.post(BASE + "/{project_id}/rate_limits/{rate_limit_id}")
def update_project_rate_limit(project_id: str, rate_limit_id: str, request: Request, body: dict = Depends(json_body),
                              principal: Principal = Depends(require_admin)):
    return update_limit(request.app, principal, project_id, rate_limit_id, body)
