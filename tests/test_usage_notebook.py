"""notebooks/usage_analysis.ipynb runs top to bottom offline in a real kernel and answers its five
questions: tokens per model per day, the busiest project, cached vs uncached input, cost per
project and the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "usage_analysis.ipynb"


def _shown(cell) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", "") if output.get("output_type") == "stream"
                     else json.dumps(output.get("data", {})))
    return "\n".join(parts)


def _cell(nb, fragment: str):
    matches = [c for c in nb.cells if c.cell_type == "code" and fragment in c.source]
    assert matches, f"no code cell contains {fragment!r}"
    return matches[0]


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    import os

    data_dir = tmp_path_factory.mktemp("usage-notebook")
    saved = {name: os.environ.pop(name, None) for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ADMIN_KEY",
                                                           "JUPYTER_API_KIT_LOCAL_URL", "JUPYTER_API_KIT_DB")}
    saved["JUPYTER_API_KIT_DATA_DIR"] = os.environ.get("JUPYTER_API_KIT_DATA_DIR")
    os.environ["JUPYTER_API_KIT_DATA_DIR"] = str(data_dir)  # the kernel inherits it
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=180, startup_timeout=120,
                                resources={"metadata": {"path": str(data_dir)}}).execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return nb


@pytest.mark.notebook
@pytest.mark.slow
def test_usage_analysis_runs_offline_and_answers_its_questions(executed):
    nb = executed
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            stderr = " ".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")
            assert "Error" not in stderr and "Traceback" not in stderr, (cell.source, stderr)
    everything = "\n".join(_shown(c) for c in nb.cells if c.cell_type == "code")
    assert "sk-admin-" not in everything and "sk-svcacct-" not in everything  # no key is ever shown

    per_day = _shown(_cell(nb, "tokens_per_day ="))
    assert "local-ngram" in per_day and "local-ngram-small" in per_day and "text/html" in per_day
    assert "image/png" in _shown(_cell(nb, "%usage --days 7"))
    assert "busiest project: Research" in _shown(_cell(nb, "busiest ="))
    cache = _shown(_cell(nb, "cached_share"))
    assert "input_cached_tokens" in cache and "Research" in cache
    costs = _shown(_cell(nb, "spend = org.costs"))
    assert "not OpenAI's prices" in costs and "Research" in costs and "Teaching" in costs
    assert "local-ngram, output" in _shown(_cell(nb, "line_item\", \"quantity\""))
    trail = _shown(_cell(nb, "trail = org.audit_logs.frame()"))
    for event in ("project.created", "service_account.created", "api_key.created", "user.added",
                  "rate_limit.updated"):
        assert event in trail
    assert "max_requests_per_1_minute" in _shown(_cell(nb, "rate_limit.updated\"][\"details\"]"))
    assert "application/vnd.jupyter.widget-view+json" in _shown(_cell(nb, "UsageDashboard(admin"))
