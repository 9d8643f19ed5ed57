"""Every operation of the seed surface is served by the local server."""

from __future__ import annotations

import csv
import re

from tests.contract import find_spec


def seed_operations() -> list[dict]:
    path = find_spec().parent / "seed-surface.tsv"
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_the_seed_surface_has_121_operations():
    assert len(seed_operations()) == 121


def test_the_local_server_serves_every_seed_operation(server):
    # The app's own OpenAPI description lists every route, including those of included routers.
    served = {(method.upper(), _shape(path.removeprefix("/v1")))
              for path, item in server.app.openapi()["paths"].items() for method in item}
    # A served template such as /organization/usage/{kind} serves each usage kind's path.
    patterns = [(method, re.compile(re.escape(path).replace(re.escape("{}"), "[^/]+"))) for method, path in served]
    missing = [f"{op['method']} {op['path']} ({op['operationId']})" for op in seed_operations()
               if not any(m == op["method"] and p.fullmatch(_shape(op["path"])) for m, p in patterns)]
    assert missing == [], f"{len(missing)} operations not served:\n" + "\n".join(missing)
