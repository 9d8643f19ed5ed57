"""The table of served operations (`jupyter_api_kit/spec/operations.tsv`) and the local server agree both
ways: every row is served, and nothing is served under /v1 that the table lacks. Where the OpenAI API
description is at hand, each row's operationId is the description's own."""

from __future__ import annotations

import re

from jupyter_api_kit.spec.operations import Operation, operations

METHODS = {"GET", "POST", "DELETE"}


def served_routes(app) -> set[tuple[str, str]]:
    """(method, path template) of every route the app serves under /v1, from the app's own routing table."""
    from fastapi import routing

    # FastAPI 0.120+ keeps included routers as lazy entries of app.routes; iter_route_contexts flattens
    # them. Earlier versions copy every route into app.routes.
    iterate = getattr(routing, "iter_route_contexts", None)
    routes = iterate(app.routes) if iterate else app.routes
    return {(method, route.path_format.removeprefix("/v1"))
            for route in routes if (route.path_format or "").startswith("/v1/")
            for method in route.methods or ()}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _matcher(template: str) -> re.Pattern:
    """A served template such as /organization/usage/{kind} stands for each usage kind's path."""
    return re.compile(re.escape(_shape(template)).replace(re.escape("{}"), "[^/]+"))


def test_the_table_is_well_formed():
    ops = operations()
    # the 121 of the product brief, 7 more routes the server had, and the 16 of Conversations and
    # organization users and invites
    assert len(ops) == 144
    assert all(isinstance(op, Operation) and op.group and op.method in METHODS and op.path.startswith("/")
               for op in ops)
    keys = [(op.method, _shape(op.path)) for op in ops]
    assert len(set(keys)) == len(keys), "an operation is listed twice"
    ids = [op.operation_id for op in ops if op.operation_id is not None]
    assert len(set(ids)) == len(ids), "an operationId is listed twice"


def test_the_local_server_serves_every_row(server):
    served = [(method, _matcher(path)) for method, path in served_routes(server.app)]
    missing = [f"{op.method} {op.path} ({op.operation_id})" for op in operations()
               if not any(m == op.method and p.fullmatch(_shape(op.path)) for m, p in served)]
    assert missing == [], f"{len(missing)} operations not served:\n" + "\n".join(missing)


def test_every_route_served_under_v1_is_in_the_table(server):
    served = served_routes(server.app)
    assert len(served) > 100
    unlisted = [f"{method} /v1{path}" for method, path in sorted(served, key=lambda mp: (mp[1], mp[0]))
                if not any(op.method == method and _matcher(path).fullmatch(_shape(op.path)) for op in operations())]
    assert unlisted == [], "served but not in jupyter_api_kit/spec/operations.tsv:\n" + "\n".join(unlisted)


def test_served_routes_sees_included_routers_and_routes_hidden_from_the_schema():
    from fastapi import APIRouter, FastAPI

    router = APIRouter()
    router.get("/made_up/{thing_id}")(lambda thing_id: {})
    router.post("/hidden", include_in_schema=False)(lambda: {})
    app = FastAPI()
    app.include_router(router, prefix="/v1")
    app.get("/outside")(lambda: {})
    assert served_routes(app) == {("GET", "/made_up/{thing_id}"), ("POST", "/hidden")}


def test_operation_ids_are_the_descriptions_own(contract):
    wrong = []
    for op in operations():
        found = (contract.doc["paths"].get(op.path) or {}).get(op.method.lower())
        actual = found.get("operationId") if isinstance(found, dict) else None
        if actual != op.operation_id:
            wrong.append(f"{op.method} {op.path}: table says {op.operation_id}, the description {actual}")
    assert wrong == []
