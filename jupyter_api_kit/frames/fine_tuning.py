"""Fine-tuning jobs, events and metrics as DataFrames, and the training loss curve as a plot.

- :func:`fine_tuning_events`: one row per job event, oldest first.
- :func:`fine_tuning_metrics`: one row per training step (from `metrics` events or from checkpoints).
- :func:`loss_plot`: training (and validation) loss by step, as a matplotlib Figure.

Example:
    >>> events = [{"id": "e2", "created_at": 2, "level": "info", "type": "metrics", "message": "Step 1/2",
    ...            "data": {"step": 1, "train_loss": 2.5, "train_mean_token_accuracy": 0.4}},
    ...           {"id": "e1", "created_at": 1, "level": "info", "type": "message", "message": "Job started"}]
    >>> fine_tuning_metrics(events)
       step  train_loss  train_mean_token_accuracy
    0     1         2.5                        0.4
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_api_kit.frames.lists import _as_mapping, _items, _utc

__all__ = ["fine_tuning_events", "fine_tuning_metrics", "loss_plot"]


def fine_tuning_events(events: Any) -> pd.DataFrame:
    """One row per event, oldest first: ``id``, ``created_at`` (UTC), ``level``, ``type``, ``message``, and
    the ``data`` fields as ``data.<key>`` columns. The API lists events newest first; a page or list
    object is read that way, a plain Python list by its timestamps (as given when they tie).

    Example:
        >>> fine_tuning_events([{"id": "e1", "created_at": 0, "level": "info", "type": "message",
        ...                      "message": "Created"}])[["level", "message"]]
          level  message
        0  info  Created
    """
    rows = []
    for raw in _items(events):
        event = _as_mapping(raw)
        row = {"id": event.get("id"), "created_at": event.get("created_at"), "level": event.get("level"),
               "type": event.get("type"), "message": event.get("message")}
        for key, value in (event.get("data") or {}).items():
            row[f"data.{key}"] = value
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["id", "created_at", "level", "type", "message"])
    first, last = rows[0]["created_at"] or 0, rows[-1]["created_at"] or 0
    from_api = type(events) not in (list, tuple)  # pages and list objects (and their .data) are newest first
    if first > last or (first == last and from_api):
        rows.reverse()
    frame = pd.DataFrame(rows)
    frame["created_at"] = _utc(frame["created_at"].tolist())
    return frame


def fine_tuning_metrics(events_or_checkpoints: Any) -> pd.DataFrame:
    """One row per step with its metrics (``step``, ``train_loss``, ``train_mean_token_accuracy``,
    ``valid_loss``, ...), from a job's `metrics` events or from its checkpoints, sorted by step."""
    rows = []
    for raw in _items(events_or_checkpoints):
        entry = _as_mapping(raw)
        if entry.get("object") == "fine_tuning.job.checkpoint" or "step_number" in entry:
            metrics = dict(entry.get("metrics") or {})
            metrics.setdefault("step", entry.get("step_number"))
            metrics["checkpoint"] = entry.get("fine_tuned_model_checkpoint")
        elif entry.get("type") == "metrics":
            metrics = dict(entry.get("data") or {})
        else:
            continue
        metrics.pop("total_steps", None)
        rows.append(metrics)
    if not rows:
        return pd.DataFrame(columns=["step", "train_loss"])
    frame = pd.DataFrame(rows)
    frame["step"] = frame["step"].astype(int)
    columns = ["step"] + [c for c in frame.columns if c != "step"]
    return frame[columns].sort_values("step").drop_duplicates("step", keep="last").reset_index(drop=True)


def loss_plot(metrics: Any, title: str = "training loss"):
    """The loss curve by step: ``train_loss`` as a line (and ``valid_loss`` points, if present).
    `metrics` is a :func:`fine_tuning_metrics` frame or anything it accepts. A matplotlib Figure."""
    from matplotlib.figure import Figure

    frame = metrics if isinstance(metrics, pd.DataFrame) else fine_tuning_metrics(metrics)
    fig = Figure(figsize=(6, 3.4))
    ax = fig.add_subplot()
    ax.plot(frame["step"], frame["train_loss"], marker=".", label="training loss")
    if "valid_loss" in frame and frame["valid_loss"].notna().any():
        valid = frame[frame["valid_loss"].notna()]
        ax.plot(valid["step"], valid["valid_loss"], marker="o", linestyle="--", label="validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
