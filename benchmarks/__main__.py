"""`make bench`: every benchmark module's rows in one table, as ratios against a baseline measured in
the same run.

Each `benchmarks/bench_*.py` exposes `run() -> list[dict]` with keys `benchmark`, `subject_s`,
`baseline_s`, `ratio` (baseline time / subject time: above 1 means the subject is faster) and
optionally `baseline` (what the baseline is) and `note`. `python -m benchmarks NAME ...` runs only
the named modules.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import benchmarks


def discover(names: list[str]) -> list[str]:
    found = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if names:
        wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in names}
        found = [f for f in found if f in wanted]
    return found


def main(argv: list[str]) -> int:
    rows = []
    for name in discover(argv):
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        for row in module.run():
            rows.append({"module": name, **row})
        print(f"[{name}: {time.perf_counter() - started:.1f} s]", file=sys.stderr)
    width = max([len(r["benchmark"]) for r in rows] + [9])
    print(f"{'benchmark':<{width}}  {'subject':>10}  {'baseline':>10}  {'ratio':>7}  baseline is")
    for r in rows:
        print(f"{r['benchmark']:<{width}}  {r['subject_s'] * 1e3:>8.3f}ms  {r['baseline_s'] * 1e3:>8.3f}ms  "
              f"{r['ratio']:>6.2f}x  {r.get('baseline', '')}" + (f"  [{r['note']}]" if r.get("note") else ""))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
