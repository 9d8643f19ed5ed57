"""Evals, their runs and the runs' output items in SQLite (the rows; `routes` turns them into API objects).

Example:
    >>> insert_eval(store, "eval_1", "exact", {"type": "custom"}, [], {})
    >>> eval_row(store, "eval_1")["name"]
    'exact'
    >>> eval_row(store, "eval_2")
    Traceback (most recent call last):
    ...
    jupyter_api_kit.local.core.errors.NotFound: No eval found with id 'eval_2'.
"""

from __future__ import annotations

from jupyter_api_kit.local.core.db import dumps, loads
from jupyter_api_kit.local.core.errors import BadRequest, found
from jupyter_api_kit.local.core.ids import now
from jupyter_api_kit.local.core.jobs import set_status


def eval_row(store, eval_id: str):
    """The `evals` row, or a 404 naming `eval_id`."""
    return found(store.one("SELECT * FROM evals WHERE id = ?", (eval_id,)),
                 f"No eval found with id '{eval_id}'.", "eval_id")


def run_row(store, eval_id: str, run_id: str):
    """The `eval_runs` row of a run of this eval, or a 404 (naming the eval or the run)."""
    eval_row(store, eval_id)
    return found(store.one("SELECT * FROM eval_runs WHERE id = ? AND eval_id = ?", (run_id, eval_id)),
                 f"No run found with id '{run_id}' in eval '{eval_id}'.", "run_id")


def output_item_row(store, run_id: str, output_item_id: str):
    """The `eval_run_output_items` row, or a 404 naming `output_item_id`."""
    return found(store.one("SELECT * FROM eval_run_output_items WHERE id = ? AND run_id = ?",
                           (output_item_id, run_id)),
                 f"No output item found with id '{output_item_id}' in run '{run_id}'.", "output_item_id")


def insert_eval(store, eval_id: str, name: str, config: dict, criteria: list, metadata: dict) -> None:
    """Store a new eval (created and updated now)."""
    created = now()
    store.execute("INSERT INTO evals (id, created_at, updated_at, name, data_source_config, testing_criteria, "
                  "metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (eval_id, created, created, name, dumps(config), dumps(criteria), dumps(metadata)))


def update_eval(store, eval_id: str, name: str, metadata: dict) -> None:
    """Change an eval's name and metadata (and its `updated_at`)."""
    store.execute("UPDATE evals SET name = ?, metadata = ?, updated_at = ? WHERE id = ?",
                  (name, dumps(metadata), now(), eval_id))


def delete_eval(store, eval_id: str) -> None:
    """Delete an eval (its runs and their output items go with it)."""
    store.execute("DELETE FROM evals WHERE id = ?", (eval_id,))


def evals_by_update(store, cursor) -> tuple[list, bool]:
    """(one page of `evals` rows ordered by `updated_at`, whether more follow). The cursor is the
    (updated_at, seq) of the `after` eval, since `updated_at` changes."""
    direction, op = ("ASC", ">") if cursor.order == "asc" else ("DESC", "<")
    where, args = "1", []
    if cursor.after:
        anchor = store.one("SELECT updated_at, seq FROM evals WHERE id = ?", (cursor.after,))
        if anchor is None:
            raise BadRequest(f"Invalid 'after': no eval with id '{cursor.after}'.", param="after")
        where, args = f"(updated_at, seq) {op} (?, ?)", [anchor["updated_at"], anchor["seq"]]
    rows = store.all(f"SELECT * FROM evals WHERE {where} ORDER BY updated_at {direction}, seq {direction} LIMIT ?",
                     (*args, cursor.limit + 1))
    return rows[:cursor.limit], len(rows) > cursor.limit


def insert_run(store, run: dict) -> None:
    """Store a new `queued` run; `run` holds the columns (JSON ones as Python values)."""
    store.execute("INSERT INTO eval_runs (id, eval_id, created_at, name, status, model, data_source, metadata, "
                  "report_url, result_counts, per_testing_criteria_results) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, "
                  "?, ?, ?)",
                  (run["id"], run["eval_id"], now(), run["name"], run["model"], dumps(run["data_source"]),
                   dumps(run["metadata"]), run["report_url"], dumps(run["result_counts"]),
                   dumps(run["per_testing_criteria_results"])))


def cancel_run(store, run_id: str) -> None:
    """Mark a queued or in-progress run canceled (the worker writes nothing after this)."""
    with store.tx() as db:
        set_status(db, "eval_runs", {"id": run_id}, "canceled", ("queued", "in_progress"))


def delete_run(store, run_id: str) -> None:
    """Delete a run and its output items."""
    store.execute("DELETE FROM eval_runs WHERE id = ?", (run_id,))


def reset_run(store, run_id: str, counts: dict) -> None:
    """Put a run back to `queued` with no output items and `counts`, to be run again from its first item."""
    with store.tx() as db:
        db.execute("DELETE FROM eval_run_output_items WHERE run_id = ?", (run_id,))
        run = db.execute("SELECT per_testing_criteria_results FROM eval_runs WHERE id = ?", (run_id,)).fetchone()
        criteria = [{**c, "passed": 0, "failed": 0} for c in loads(run[0])]
        db.execute("UPDATE eval_runs SET status = 'queued', result_counts = ?, per_model_usage = '[]', "
                   "per_testing_criteria_results = ? WHERE id = ?", (dumps(counts), dumps(criteria), run_id))
