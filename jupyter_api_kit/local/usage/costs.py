"""Costs for `GET /organization/costs`: recorded usage priced with the shared price table
(`jupyter_api_kit.spec.prices`).

Every costs response says so in its `x-price-table` header; `app.state.prices` is the table in use.

Example:
    >>> from jupyter_api_kit.spec.prices import PriceTable
    >>> page = costs_page(store, PriceTable(), {"start_time": "1767225600", "end_time": "1767312000"},
    ...                   now=1767312000)
    >>> page["object"], len(page["data"])
    ('page', 1)
"""

from __future__ import annotations

from jupyter_api_kit.local.usage.buckets import (
    Kind,
    bucket_rows,
    empty_buckets,
    parse_window,
)
from jupyter_api_kit.spec import COST_BUCKET_LIMITS, COST_GROUPS
from jupyter_api_kit.spec.prices import PriceTable

#: line items are priced here, not read from a column
COSTS = Kind("organization.costs.result", {}, {g: None if g == "line_item" else g for g in COST_GROUPS},
             {"project_ids": "project_id", "api_key_ids": "api_key_id"}, widths=("1d",),
             limits={"1d": COST_BUCKET_LIMITS})


def costs_page(store, prices: PriceTable, query, now: int | None = None) -> dict:
    """The `page` object `GET /organization/costs` answers for `query`."""
    window = parse_window("costs", COSTS, query, now)
    grouped = [g for g in window.group_by if g != "line_item"]
    by_line = "line_item" in window.group_by
    columns = {"input_tokens": "sum(input_tokens)", "cached": "sum(input_cached_tokens)",
               "output_tokens": "sum(output_tokens)", "quantity": "sum(quantity)",
               "requests": "sum(num_model_requests)"}
    # Aggregate per kind, model and who in SQL; price and regroup the (few) aggregates here.
    rows = bucket_rows(store, window, columns, ["kind", "model", "project_id", "api_key_id"])
    totals: dict[tuple, dict] = {}
    for row in rows:
        kind, model, project_id, api_key_id = row["g0"], row["g1"], row["g2"], row["g3"]
        who = {"project_id": project_id, "api_key_id": api_key_id}
        for line, qty, unit, usd in prices.lines(kind, model, row["input_tokens"], row["cached"],
                                                 row["output_tokens"], row["quantity"], row["requests"]):
            key = (row["b"], *(who[g] for g in grouped), line if by_line else None)
            entry = totals.setdefault(key, {"value": 0.0, "quantity": 0.0, "unit": unit,
                                            "who": {g: who[g] for g in grouped}, "line": line if by_line else None})
            entry["value"] += usd
            entry["quantity"] += qty
    buckets = empty_buckets(window)
    for key in sorted(totals, key=lambda k: tuple("" if v is None else str(v) for v in k[1:])):
        entry = totals[key]
        result = {"object": "organization.costs.result",
                  "amount": {"value": round(entry["value"], 10), "currency": "usd"},
                  "line_item": entry["line"], "project_id": None, "api_key_id": None,
                  "quantity": entry["quantity"] if by_line else None,
                  "quantity_unit": entry["unit"] if by_line else None}
        result.update(entry["who"])
        buckets[key[0]]["results"].append(result)
    return {"object": "page", "data": buckets, "has_more": window.next_page is not None,
            "next_page": window.next_page}
