"""notebooks/assistants_threads.ipynb runs top to bottom with no key and no network, in a real kernel.

The kernel (python3, this interpreter) starts its own embedded local server over a fresh database in
a temporary data directory; the test then checks what each section showed, and that the threads the
notebook made were remembered in that data directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "assistants_threads.ipynb"


def _shown(cell) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", "") if output.get("output_type") == "stream"
                     else json.dumps(output.get("data", {})))
    return "\n".join(parts)


def _cell(nb, start: str):
    matches = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)]
    assert matches, f"no code cell starts with {start!r}"
    return matches[0]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    data_dir = tmp_path_factory.mktemp("notebook-data")
    env_patch = pytest.MonkeyPatch()
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "JUPYTER_API_KIT_LOCAL_URL", "JUPYTER_API_KIT_DB"):
        env_patch.delenv(name, raising=False)
    env_patch.setenv("JUPYTER_API_KIT_DATA_DIR", str(data_dir))  # the kernel inherits it: a fresh database
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=180, startup_timeout=120,
                                         resources={"metadata": {"path": str(data_dir)}})
        client.execute()
    finally:
        env_patch.undo()
    return nb, data_dir


def test_notebook_is_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_runs_offline_top_to_bottom(executed):
    nb, data_dir = executed
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], (cell.source, _shown(cell))

    assert "local-ngram" in _shown(_cell(nb, "weather_tool = "))
    assert "'completed'" in _shown(_cell(nb, "thread = client.threads.create("))
    messages = _shown(_cell(nb, "messages = client.threads.messages.list"))
    assert "assistant" in messages and "text/html" in messages
    transcript = _shown(_cell(nb, "print(frames.transcript(messages))"))
    assert transcript.count("user: ") == 2 and transcript.count("assistant: ") == 2

    streamed = _cell(nb, "stream = client.threads.runs.stream(")
    assert "('completed', True)" in _shown(streamed)  # the accumulated deltas are the stored reply
    counts = _shown(_cell(nb, "import pandas as pd"))
    for name in ("thread.run.created", "thread.message.delta", "thread.run.completed"):
        assert name in counts

    call = _shown(_cell(nb, "weather_thread = client.threads.create("))
    assert "requires_action" in call and "get_weather" in call and "city" in call
    answered = _shown(_cell(nb, "def get_weather("))
    assert "completed\n" in answered and "assistant: " in answered

    steps = _shown(_cell(nb, "steps = frames.run_steps("))
    assert "tool_calls" in steps and "message_creation" in steps and "get_weather(" in steps
    assert "image/png" in _shown(_cell(nb, "ax = runs.plot.bar("))

    (known,) = [c for c in nb.cells if c.cell_type == "code" and c.source == "%threads"]
    assert "text/html" in _shown(known) and "metadata.lesson" in _shown(known)
    assert "is now the current thread" in _shown(_cell(nb, "%threads use"))
    assert "completed" in _shown(_cell(nb, "%threads run"))
    assert "message_creation" in _shown(_cell(nb, "%threads steps last"))
    assert "application/vnd.jupyter.widget-view+json" in _shown(_cell(nb, "from jupyter_api_kit.widgets"))

    remembered = json.loads((data_dir / "threads.json").read_text())["servers"]["local"]
    assert len(remembered) == 2  # the lesson thread and the weather thread
