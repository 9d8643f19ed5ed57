"""Helpers shared by the tests that execute a notebook from notebooks/ in a real kernel.

The kernel (python3, this interpreter) inherits an environment with no key and no server address,
and a fresh data directory, so it starts its own embedded local server over a new database and
never touches the network or the user's files. A test then looks at what each cell showed:

    nb = execute_notebook("quickstart.ipynb", tmp_path)
    assert_ran_cleanly(nb)
    assert "chatcmpl-" in shown(code_cell(nb, "%completions"))
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# Any of these would point the kernel at a real API, a running server or the user's database.
_PREFIXES = ("OPENAI_", "JUPYTER_API_KIT_")


def execute_notebook(name: str, data_dir: Path, workdir: Path | None = None,
                     monkeypatch: pytest.MonkeyPatch | None = None, env: dict | None = None):
    """Run notebooks/<name> top to bottom offline and return the executed notebook.

    The kernel's data directory is `data_dir`; its working directory is `workdir` (default
    `data_dir`). With a `monkeypatch` (a function-scoped fixture) the offline environment stays
    in place until the test ends; without one (module-scoped fixtures) it is undone as soon as
    the notebook has run. `env` adds variables for the kernel (e.g. `JUPYTER_API_KIT_LOCAL_URL`, to share
    a server the test started, as `make lab` does).

    >>> nb = execute_notebook("retrieval.ipynb", tmp_path / "data", workdir=tmp_path)  # doctest: +SKIP
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    patch = pytest.MonkeyPatch() if monkeypatch is None else monkeypatch
    try:
        for variable in [v for v in os.environ if v.startswith(_PREFIXES)]:
            patch.delenv(variable, raising=False)
        patch.setenv("JUPYTER_API_KIT_DATA_DIR", str(data_dir))  # the kernel inherits it: a fresh database
        for variable, value in (env or {}).items():
            patch.setenv(variable, value)
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=180, startup_timeout=120,
                                resources={"metadata": {"path": str(workdir or data_dir)}}).execute()
    finally:
        if monkeypatch is None:
            patch.undo()
    return nb


def executed_once(name: str):
    """A module-scoped fixture that runs notebooks/<name> once for all the module's tests,
    giving `(nb, data_dir)`; the offline environment is undone as soon as the notebook has run.

    >>> executed = executed_once("evals_finetuning.ipynb")  # at module level, in a test file  # doctest: +SKIP
    """
    @pytest.fixture(scope="module")
    def executed(tmp_path_factory):
        data_dir = tmp_path_factory.mktemp(Path(name).stem)
        return execute_notebook(name, data_dir), data_dir

    return executed


def shown(cell) -> str:
    """Everything a cell's outputs show, as one string (rich outputs as their JSON data).

    >>> shown(code_cell(nb, "%threads use"))  # doctest: +SKIP
    'thread_... is now the current thread\\n'
    """
    return "\n".join(output.get("text", "") if output.get("output_type") == "stream"
                     else json.dumps(output.get("data", {})) for output in cell.outputs)


def code_cell(nb, start: str):
    """The first code cell whose source starts with `start`.

    >>> code_cell(nb, "%load_ext jupyter_api_kit")  # doctest: +SKIP
    """
    matches = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)]
    assert matches, f"no code cell starts with {start!r}"
    return matches[0]


def code_cell_containing(nb, fragment: str):
    """The first code cell whose source contains `fragment` anywhere.

    >>> code_cell_containing(nb, "cached_share")  # doctest: +SKIP
    """
    matches = [c for c in nb.cells if c.cell_type == "code" and fragment in c.source]
    assert matches, f"no code cell contains {fragment!r}"
    return matches[0]


def assert_ran_cleanly(nb) -> None:
    """No code cell raised, and none wrote an error or a traceback to stderr.

    >>> assert_ran_cleanly(execute_notebook("quickstart.ipynb", tmp_path))  # doctest: +SKIP
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], (cell.source, shown(cell))
            stderr = " ".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")
            assert "Error" not in stderr and "Traceback" not in stderr, (cell.source, stderr)
