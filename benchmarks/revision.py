"""Measuring the package as it was at another git revision, in the same benchmark run.

`measure_at(revision, module)` extracts `jupyter_api_kit/` of that revision into a temporary
directory and runs `python -m <module> --measure` there, in a process of its own, so that
`import jupyter_api_kit` finds the old package while `benchmarks` still comes from this checkout.
The module prints its figures as one JSON object; that object is returned. When the revision cannot
be had (no git, a shallow clone), None is returned and the caller reports the baseline as missing.

Example:
    >>> measure_at("no-such-revision", "benchmarks.bench_answers") is None   # doctest: +SKIP
    True
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure_at(revision: str, module: str, timeout: float = 1800) -> dict | None:
    """The JSON figures `python -m module --measure` prints when run against `revision`."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "jupyter_api_kit"],
                                 capture_output=True, check=True, timeout=120).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # The old package is found first because the working directory leads sys.path under -m.
        done = subprocess.run([sys.executable, "-m", module, "--measure"], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {revision} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
