"""Eval results as DataFrames: one row per output item (inputs, sample, each grader's score and pass/fail),
one row per run (counts and pass rates), one row per run and testing criterion, and a pass-rate plot.

- :func:`eval_output_items`: one row per graded item.
- :func:`eval_runs`: one row per run, with its pass rate and each criterion's.
- :func:`eval_criteria`: one row per run and testing criterion (long form, for comparing runs).
- :func:`pass_rate_plot`: a grouped bar chart of :func:`eval_criteria`, as a matplotlib Figure.

Example:
    >>> item = {"id": "oi_1", "run_id": "r1", "datasource_item_id": 0, "status": "pass",
    ...         "datasource_item": {"q": "2+2?", "a": "4"},
    ...         "sample": {"output": [{"role": "assistant", "content": "4"}], "model": "m", "error": None},
    ...         "results": [{"name": "exact", "score": 1.0, "passed": True}]}
    >>> eval_output_items([item])[["item.q", "output", "exact.score", "exact.passed"]]
      item.q output  exact.score  exact.passed
    0   2+2?      4          1.0          True
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items, _utc

__all__ = ["eval_criteria", "eval_output_items", "eval_runs", "pass_rate_plot"]


def _output_text(sample: dict) -> str | None:
    output = sample.get("output") or []
    texts = [str(_as_mapping(m).get("content") or "") for m in output]
    return "\n".join(texts) if texts else None


def _error(sample: dict) -> str | None:
    error = sample.get("error")
    if isinstance(error, dict) and error.get("message"):
        return f"{error.get('code') or 'error'}: {error['message']}"
    return None


def eval_output_items(items: Any) -> pd.DataFrame:
    """One row per output item, ordered by data source position.

    Columns: ``id``, ``run_id``, ``datasource_item_id``, ``status`` (pass/fail), one ``item.<field>`` column
    per top-level field of the item, ``input`` (the last message sent to the model, if it was sampled),
    ``output`` (the sample's text), ``model``, ``error`` (why the item could not be graded, else None),
    then ``<grader>.score`` and ``<grader>.passed`` for each grader.
    """
    rows = []
    for raw in _items(items):
        item = _as_mapping(raw)
        sample = _as_mapping(item.get("sample") or {})
        row = {"id": item.get("id"), "run_id": item.get("run_id"),
               "datasource_item_id": item.get("datasource_item_id"), "status": item.get("status")}
        for key, value in (item.get("datasource_item") or {}).items():
            row[f"item.{key}"] = value
        sent = sample.get("input") or []
        row["input"] = _as_mapping(sent[-1]).get("content") if sent else None
        row["output"] = _output_text(sample)
        row["model"] = sample.get("model") or None
        row["error"] = _error(sample)
        for result in item.get("results") or []:
            result = _as_mapping(result)
            row[f"{result.get('name')}.score"] = result.get("score")
            row[f"{result.get('name')}.passed"] = result.get("passed")
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["id", "run_id", "datasource_item_id", "status", "output"])
    frame = pd.DataFrame(rows)
    return frame.sort_values(["run_id", "datasource_item_id"], kind="stable").reset_index(drop=True)


def _rate(passed: int, failed: int) -> float:
    return passed / (passed + failed) if passed + failed else float("nan")


def eval_runs(runs: Any) -> pd.DataFrame:
    """One row per run: ``id``, ``eval_id``, ``name``, ``model``, ``status``, ``created_at`` (UTC),
    ``total``, ``passed``, ``failed``, ``errored``, ``pass_rate`` (passed over graded items), ``tokens``
    (sampling, all models) and ``<criterion>.pass_rate`` for each testing criterion.

    Example:
        >>> run = {"id": "r1", "name": "base", "status": "completed", "created_at": 0,
        ...        "result_counts": {"total": 4, "passed": 1, "failed": 3, "errored": 0},
        ...        "per_testing_criteria_results": [{"testing_criteria": "exact", "passed": 1, "failed": 3}]}
        >>> eval_runs([run])[["name", "pass_rate", "exact.pass_rate"]]
           name  pass_rate  exact.pass_rate
        0  base       0.25             0.25
    """
    rows = []
    for raw in _items(runs):
        run = _as_mapping(raw)
        counts = run.get("result_counts") or {}
        row = {"id": run.get("id"), "eval_id": run.get("eval_id"), "name": run.get("name"),
               "model": run.get("model") or None, "status": run.get("status"), "created_at": run.get("created_at")}
        for key in ("total", "passed", "failed", "errored"):
            row[key] = counts.get(key, 0)
        row["pass_rate"] = _rate(row["passed"], row["failed"])
        row["tokens"] = sum(u.get("total_tokens", 0) for u in run.get("per_model_usage") or [])
        for criterion in run.get("per_testing_criteria_results") or []:
            criterion = _as_mapping(criterion)
            row[f"{criterion['testing_criteria']}.pass_rate"] = _rate(criterion["passed"], criterion["failed"])
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["id", "name", "status", "total", "passed", "failed", "errored", "pass_rate"])
    frame = pd.DataFrame(rows)
    frame["created_at"] = _utc(frame["created_at"].tolist())
    return frame


def eval_criteria(runs: Any) -> pd.DataFrame:
    """One row per run and testing criterion: ``run_id``, ``run`` (name), ``model``, ``testing_criteria``,
    ``passed``, ``failed``, ``pass_rate``.

    Example:
        >>> eval_criteria([{"id": "r1", "name": "base", "per_testing_criteria_results": [
        ...     {"testing_criteria": "exact", "passed": 2, "failed": 2}]}])[["run", "pass_rate"]]
            run  pass_rate
        0  base        0.5
    """
    rows = []
    for raw in _items(runs):
        run = _as_mapping(raw)
        for criterion in run.get("per_testing_criteria_results") or []:
            criterion = _as_mapping(criterion)
            rows.append({"run_id": run.get("id"), "run": run.get("name"), "model": run.get("model") or None,
                         "testing_criteria": criterion["testing_criteria"], "passed": criterion["passed"],
                         "failed": criterion["failed"], "pass_rate": _rate(criterion["passed"], criterion["failed"])})
    return pd.DataFrame(rows, columns=["run_id", "run", "model", "testing_criteria", "passed", "failed", "pass_rate"])


def pass_rate_plot(runs: Any, title: str = "pass rate by run and testing criterion"):
    """Grouped bars: one group per testing criterion, one bar per run (runs: a list of runs, a page,
    or an :func:`eval_criteria` frame). A matplotlib Figure, so it renders in any frontend."""
    from matplotlib.figure import Figure

    frame = runs if isinstance(runs, pd.DataFrame) else eval_criteria(runs)
    table = frame.pivot_table(index="testing_criteria", columns="run", values="pass_rate", sort=False)
    fig = Figure(figsize=(1.5 + 1.6 * max(len(table), 1), 3.6))
    ax = fig.add_subplot()
    width = 0.8 / max(len(table.columns), 1)
    for i, run in enumerate(table.columns):
        positions = [k + (i - (len(table.columns) - 1) / 2) * width for k in range(len(table))]
        bars = ax.bar(positions, table[run].fillna(0).to_numpy(), width, label=str(run))
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in table[run].fillna(0)], fontsize=8)
    ax.set_xticks(range(len(table)), [str(c) for c in table.index])
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("pass rate")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
