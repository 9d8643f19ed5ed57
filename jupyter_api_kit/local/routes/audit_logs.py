"""/v1/organization/audit_logs: the admin actions this server performed (admin key only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jupyter_api_kit.local.audit import list_events
from jupyter_api_kit.local.org_keys import require_admin

router = APIRouter(dependencies=[Depends(require_admin)])


@router.get("/organization/audit_logs")
def list_audit_logs(request: Request):
    return list_events(request.app.state.store, request.query_params)
