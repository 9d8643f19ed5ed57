"""The operations of the OpenAI API that the local server serves, from `operations.tsv` beside this module.

One row per operation under `/v1`: its group, the HTTP method, the path template as the OpenAI API
description spells it, and the description's operationId, or `-` for a path the description lacks but the
official SDKs call (`operation_id` is then None). The test suite checks that the server serves every row and
nothing under `/v1` beyond them.

Example:
    >>> ops = operations()
    >>> ops[0]
    Operation(group='assistants', method='GET', path='/assistants', operation_id='listAssistants')
    >>> [op.path for op in ops if op.operation_id is None]
    ['/evals/{eval_id}/runs/{run_id}/cancel']
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import NamedTuple

COLUMNS = ("group", "method", "path", "operationId")


class Operation(NamedTuple):
    group: str
    method: str
    path: str
    operation_id: str | None


@cache
def operations() -> tuple[Operation, ...]:
    """Every row of the table, in its order (read once)."""
    text = resources.files(__package__).joinpath("operations.tsv").read_text(encoding="utf-8")
    reader = csv.reader(text.splitlines(), delimiter="\t")
    header = tuple(next(reader))
    if header != COLUMNS:
        raise ValueError(f"operations.tsv: columns are {header}, expected {COLUMNS}")
    return tuple(Operation(group, method, path, None if op_id == "-" else op_id)
                 for group, method, path, op_id in reader)
