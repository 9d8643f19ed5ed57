"""The retrieval notebook runs top to bottom with no key and no network, in a real kernel.

The kernel starts its own embedded local server over a fresh database in a temporary data
directory (`JUPYTER_API_KIT_DATA_DIR`), so uploads land there and nothing touches the user's files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "retrieval.ipynb"


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


@pytest.fixture()
def executed(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "JUPYTER_API_KIT_LOCAL_URL", "JUPYTER_API_KIT_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTER_API_KIT_DATA_DIR", str(tmp_path / "data"))  # the kernel inherits it
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
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.notebook
@pytest.mark.slow
def test_retrieval_notebook_runs_offline(executed):
    nb, workdir = executed
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not any("Error" in text for text in stderr), (cell.source, stderr)

    assert "'completed'" in _shown(_cell(nb, "store = client.vector_stores.create(")) and "'completed': 5" in \
        _shown(_cell(nb, "store = client.vector_stores.create("))

    plain = json.loads(_shown(_cell(nb, "hits = client.vector_stores.search(")))["text/plain"]
    assert plain.index("jupiter.md") < plain.index("mars.md")

    filtered = json.loads(_shown(_cell(nb, "recent_space = ")))["text/plain"]
    assert "jupiter.md" in filtered and "saturn.md" in filtered
    assert "mars.md" not in filtered and "bread.md" not in filtered  # 2019, and cooking

    answered = _shown(_cell(nb, 'question = "What are the moons of Mars called?"'))
    assert "searched for: ['moons mars']" in answered and "mars.md: Mars is the red planet" in answered
    assert "cites: ['mars.md'" in answered

    by_hand = _shown(_cell(nb, "%%chat --api responses"))
    assert "text/markdown" in by_hand and "prompt +" in by_hand

    assert "e7" in _shown(_cell(nb, "sentences = ["))
    assert "image/png" in _shown(_cell(nb, "frames.similarity_plot("))

    moderation = json.loads(_shown(_cell(nb, "texts = [")))["text/plain"]
    assert "True" in moderation and "illicit" in moderation

    assert _shown(_cell(nb, "import shutil")).strip().endswith('"text/plain": "0"}')
    assert not (workdir / "retrieval_notes").exists()  # the notebook cleans up the files it wrote
