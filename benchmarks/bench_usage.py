"""A 30-day, 1h-bucket usage query over 100,000 recorded requests, on the local server.

The server runs over a SQLite file holding 100,000 completions usage records spread over 30 days
(5 projects, 3 models, 10 keys, some batch and cached tokens), written in one transaction before
timing. The subject is what an analyst runs: `client.organization.usage.completions(start_time,
end_time, bucket_width="1h", group_by=[...], limit=168)` walked through every page (720 hourly
buckets = 5 pages over real HTTP), including JSON encoding and decoding on both sides.

The baseline is the same aggregation done in pandas over the raw rows fetched from the same SQLite
file in the same run: `pd.read_sql_query` of the 30-day range, then a `groupby` on the hour bucket
and the group columns, with empty hours added back (a `reindex` over all 720 hours) so that both
produce the same buckets. The test compares both results for equality before timing.
Each timing is the best of a few runs.

Run ``python -m benchmarks usage`` to print the table.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_RECORDS = 100_000
DAYS = 30
HOUR = 3600
T0 = 20_000 * 86400  # 2024-10-04 00:00 UTC, a fixed past range
ADMIN_KEY = "sk-admin-bench"
GROUPS = {"no group_by": [], "group_by project_id, model": ["project_id", "model"]}


def fill(db_path: Path, n: int = N_RECORDS, seed: int = 0) -> None:
    """Write `n` synthetic completions records over DAYS days into the server's database file."""
    from jupyter_api_kit.local.core.db import Store

    rng = random.Random(seed)
    projects = [f"proj_bench_{i}" for i in range(5)]
    models = ["local-ngram", "local-ngram-small", "local-embed"]
    rows = []
    for _ in range(n):
        inp = rng.randint(5, 400)
        rows.append((T0 + rng.randrange(DAYS * 86400), "completions", rng.choice(models), rng.choice(projects),
                     None, f"key_bench_{rng.randrange(10)}", None, int(rng.random() < 0.1), inp,
                     rng.randint(1, 200), rng.randint(0, inp // 2), 0, 0, 1, 0.0))
    store = Store(db_path)
    with store.tx() as db:
        db.executemany("INSERT INTO usage_records (ts, kind, model, project_id, user_id, api_key_id, "
                       "service_account_id, batch, input_tokens, output_tokens, input_cached_tokens, "
                       "input_audio_tokens, output_audio_tokens, num_model_requests, quantity) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    store.close()


def subject(client, group_by: list) -> pd.DataFrame:
    page = client.organization.usage.completions(start_time=T0, end_time=T0 + DAYS * 86400, bucket_width="1h",
                                                 group_by=group_by or None, limit=168)
    return page.to_frame()


def baseline(db_path: Path, group_by: list) -> pd.DataFrame:
    with sqlite3.connect(db_path) as conn:
        raw = pd.read_sql_query(
            "SELECT ts, project_id, model, input_tokens, output_tokens, input_cached_tokens, num_model_requests "
            "FROM usage_records WHERE kind = 'completions' AND ts >= ? AND ts < ?", conn,
            params=(T0, T0 + DAYS * 86400))
    raw["start_time"] = T0 + (raw["ts"] - T0) // HOUR * HOUR
    sums = raw.groupby(["start_time", *group_by])[["input_tokens", "output_tokens", "input_cached_tokens",
                                                   "num_model_requests"]].sum()
    hours = np.arange(T0, T0 + DAYS * 86400, HOUR)
    if group_by:  # empty hours come back as rows without a group
        missing = sorted(set(hours) - set(sums.index.get_level_values(0)))
        empty = pd.DataFrame(0, index=pd.MultiIndex.from_tuples([(h, *[None] * len(group_by)) for h in missing],
                                                                names=sums.index.names), columns=sums.columns)
        sums = pd.concat([sums, empty]).sort_index()
    else:
        sums = sums.reindex(hours, fill_value=0)
    return sums.reset_index()


def server_side(store, group_by: list) -> None:
    """The server's own work for the same query, in process: parse, SQL aggregation, page objects."""
    from starlette.datastructures import QueryParams

    from jupyter_api_kit.local.usage.buckets import usage_page

    base = [("start_time", str(T0)), ("end_time", str(T0 + DAYS * 86400)), ("bucket_width", "1h"),
            ("limit", "168"), *(("group_by[]", g) for g in group_by)]
    page = None
    while True:
        body = usage_page(store, "completions", QueryParams(base + ([("page", page)] if page else [])))
        page = body["next_page"]
        if not page:
            return


def _same(api: pd.DataFrame, base: pd.DataFrame) -> bool:
    cols = ["input_tokens", "output_tokens", "input_cached_tokens", "num_model_requests"]
    return len(api) == len(base) and all(int(api[c].sum()) == int(base[c].sum()) for c in cols)


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(repeat: int = 3) -> list[dict]:
    from jupyter_api_kit.client import Client
    from jupyter_api_kit.local import start_local_server

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "usage.db"
        fill(db_path)
        with start_local_server(db=db_path, admin_key=ADMIN_KEY) as server, \
                Client(base_url=server.base_url, api_key=server.api_key, admin_key=ADMIN_KEY, max_retries=0) as client:
            for label, group_by in GROUPS.items():
                assert _same(subject(client, group_by), baseline(db_path, group_by)), label
                subject_s = _best_of(lambda: subject(client, group_by), repeat)
                baseline_s = _best_of(lambda: baseline(db_path, group_by), repeat)
                server_s = _best_of(lambda: server_side(server.store, group_by), repeat)
                rows.append({"benchmark": f"usage 30d x 1h over 100k records, {label} (5 pages, HTTP)",
                             "subject_s": subject_s, "baseline_s": baseline_s, "ratio": baseline_s / subject_s,
                             "baseline": "pandas: read_sql_query of the raw rows + groupby + empty hours",
                             "server_s": server_s,
                             "note": f"best of {repeat}; 720 buckets; subject includes HTTP, JSON both ways and the "
                                     f"DataFrame; the server's own aggregation alone took {server_s:.3f} s"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['benchmark']:<72} {row['subject_s']:>8.3f} s {row['baseline_s']:>8.3f} s "
              f"{row['ratio']:>6.2f}x")
