"""The quickstart notebook runs top to bottom with no key and no network, in a real kernel.

The kernel starts its own embedded local server over a fresh database in a temporary data
directory; afterwards the test opens that database with a local server of its own and reads the
stored completion back through the client.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"


def _text(output) -> str:
    """Everything a cell output shows, as one string."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return json.dumps(output.get("data", {}))


def _cell(nb, source_start: str):
    matches = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(source_start)]
    assert matches, f"no code cell starts with {source_start!r}"
    return matches[0]


def _shown(cell) -> str:
    return "\n".join(_text(o) for o in cell.outputs)


@pytest.fixture()
def executed(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "JUPYTER_API_KIT_LOCAL_URL", "JUPYTER_API_KIT_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTER_API_KIT_DATA_DIR", str(tmp_path))  # the kernel inherits it: a fresh database
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=180, startup_timeout=120,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return nb, tmp_path


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.notebook
@pytest.mark.slow
def test_quickstart_runs_top_to_bottom_offline(executed):
    nb, data_dir = executed
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not any("Error" in text for text in stderr), (cell.source, stderr)

    load = _shown(_cell(nb, "%load_ext jupyter_api_kit"))
    assert "embedded local server" in load and load.count("\n") == 1

    first = _cell(nb, "%%chat -s")
    answers = [o for o in first.outputs if "text/markdown" in o.get("data", {})]
    assert answers and answers[0]["data"]["text/markdown"].strip()
    assert "▌" not in answers[0]["data"]["text/markdown"]  # the final rendering replaced the live one

    tokens = _shown(_cell(nb, "from jupyter_api_kit import frames"))
    assert "logprob" in tokens and "entropy" in tokens and "text/html" in tokens

    assert "demo" in _shown(_cell(nb, "%completions --metadata topic=demo"))
    tagged = _shown(_cell(nb, "%completions tag"))
    assert "astronomy" in tagged and "metadata.reviewed" in tagged
    assert "application/vnd.jupyter.widget-view+json" in _shown(_cell(nb, "from jupyter_api_kit.widgets"))
    assert "chatcmpl-" in _shown(_cell(nb, "%completions --metadata topic=astronomy"))
    assert "finish_reason" in _shown(_cell(nb, "from jupyter_api_kit import Client"))
    assert "total_tokens" in _shown(_cell(nb, "frames.usage(response)"))
    assert "ChatMagics.temperature" in _shown(_cell(nb, "%config ChatMagics"))

    # The retagged completion is really on the server: read the kernel's database back.
    from jupyter_api_kit.client import Client
    from jupyter_api_kit.local import start_local_server

    with start_local_server(db=data_dir / "local.db", data_dir=data_dir) as server, \
            Client(base_url=server.base_url, max_retries=0) as client:
        stored = list(client.chat.completions.list(metadata={"topic": "astronomy"}))
    assert len(stored) == 1 and stored[0].metadata == {"topic": "astronomy", "reviewed": "yes"}
