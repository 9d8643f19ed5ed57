"""/v1/organization/usage/{kind} (ten kinds) and /v1/organization/costs (admin key only).

Usage aggregates the `usage_records` every served request leaves; costs price the same records
with the local price table, and each costs response says so in its `x-price-table` header.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from jupyter_api_kit.local.errors import NotFound
from jupyter_api_kit.local.org_keys import require_admin
from jupyter_api_kit.local.prices import NOTE, PriceTable, costs_page
from jupyter_api_kit.local.usage_buckets import KINDS, usage_page

router = APIRouter(dependencies=[Depends(require_admin)])


def setup(app) -> None:
    app.state.prices = PriceTable.from_environment()


@router.get("/organization/costs")
def usage_costs(request: Request, response: Response):
    response.headers["x-price-table"] = NOTE
    return costs_page(request.app.state.store, request.app.state.prices, request.query_params)


@router.get("/organization/usage/{kind}")
def usage(kind: str, request: Request):
    if kind not in KINDS:
        raise NotFound(f"Unknown usage kind '{kind}'. Kinds: {', '.join(KINDS)}.", param="kind")
    return usage_page(request.app.state.store, kind, request.query_params)
