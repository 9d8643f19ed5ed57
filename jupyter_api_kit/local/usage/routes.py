"""/v1/organization/usage/{kind} (ten kinds) and /v1/organization/costs (admin key only).

Usage aggregates the `usage_records` every served request leaves; costs price the same records
with the local price table, and each costs response says so in its `x-price-table` header.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from jupyter_api_kit.local.core.errors import NotFound
from jupyter_api_kit.local.organization.keys import require_admin
from jupyter_api_kit.local.usage.buckets import KINDS, usage_page
from jupyter_api_kit.local.usage.costs import costs_page
from jupyter_api_kit.spec.prices import NOTE

router = APIRouter(dependencies=[Depends(require_admin)])



# Pages are plain JSON already: JSONResponse skips FastAPI's field-by-field re-encoding, which took
# most of the time of a month of hourly buckets.
@router.get("/organization/costs")
def usage_costs(request: Request):
    page = costs_page(request.app.state.store, request.app.state.prices, request.query_params)
    return JSONResponse(page, headers={"x-price-table": NOTE})


@router.get("/organization/usage/{kind}")
def usage(kind: str, request: Request):
    if kind not in KINDS:
        raise NotFound(f"Unknown usage kind '{kind}'. Kinds: {', '.join(KINDS)}.", param="kind")
    return JSONResponse(usage_page(request.app.state.store, kind, request.query_params))
