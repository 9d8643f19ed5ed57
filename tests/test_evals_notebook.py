"""The evals and fine-tuning notebook runs top to bottom with no key and no network, in a real kernel: it
builds a dataset, evaluates the base local model, fine-tunes it, evaluates the tuned model and compares.

The kernel starts its own embedded local server over a fresh database in a temporary data directory;
afterwards the test opens that database with a local server of its own and checks what the notebook left.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "evals_finetuning.ipynb"


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return json.dumps(output.get("data", {}))


def _cell(nb, source_start: str):
    matches = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(source_start)]
    assert matches, f"no code cell starts with {source_start!r}"
    return matches[0]


def _shown(cell) -> str:
    return "\n".join(_text(o) for o in cell.outputs)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    data_dir = tmp_path_factory.mktemp("evals-notebook")
    patch = pytest.MonkeyPatch()
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "JUPYTER_API_KIT_LOCAL_URL", "JUPYTER_API_KIT_DB"):
        patch.delenv(name, raising=False)
    patch.setenv("JUPYTER_API_KIT_DATA_DIR", str(data_dir))  # the kernel inherits it: a fresh database
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=180, startup_timeout=120,
                                         resources={"metadata": {"path": str(data_dir)}})
        client.execute()
    finally:
        patch.undo()
    return nb, data_dir


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_evaluates_fine_tunes_and_compares_offline(executed):
    nb, data_dir = executed
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not any("Error" in text for text in stderr), (cell.source, stderr)

    assert "16 training examples, 8 eval items" in _shown(_cell(nb, "ATLAS = ["))
    assert "'completed'" in _shown(_cell(nb, "def evaluate(model, name):"))
    trained = _shown(_cell(nb, "started = time.perf_counter()"))
    assert "succeeded in" in trained and "ft:local-ngram:local:atlas:" in trained
    assert "Validated training file: 16 examples" in trained  # the events were followed as they came
    assert "train_loss" in _shown(_cell(nb, "metrics = frames.fine_tuning_metrics("))
    for plot in ("frames.loss_plot(", "frames.pass_rate_plot("):
        assert "image/png" in _shown(_cell(nb, plot))
    assert "mentions the fact.passed" in _shown(_cell(nb, "tuned_run = evaluate("))

    summary = ast.literal_eval(json.loads(_shown(_cell(nb, "summary = {")))["text/plain"])
    assert summary["tuned_pass_rate"] > summary["base_pass_rate"]
    assert summary["fine_tune_seconds"] < 60

    # What the notebook made is really on the server: read the kernel's database back.
    from jupyter_api_kit.client import Client
    from jupyter_api_kit.local import start_local_server

    with start_local_server(db=data_dir / "local.db", data_dir=data_dir) as server, \
            Client(base_url=server.base_url, max_retries=0) as client:
        evals = list(client.evals.list())
        assert [e.name for e in evals] == ["invented atlas"]
        runs = list(client.evals.runs.list(evals[0].id))
        assert [r.name for r in runs] == ["base model", "fine-tuned"] and all(r.status == "completed" for r in runs)
        jobs = list(client.fine_tuning.jobs.list())
        assert len(jobs) == 1 and jobs[0].status == "succeeded"
        assert jobs[0].fine_tuned_model in [m.id for m in client.models.list().data]
