"""The layers import downwards only (DESIGN.md): client and local meet over HTTP, only the notebook
front imports IPython or ipywidgets, and importing the package stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "jupyter_api_kit"


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_in(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


FORBIDDEN = {
    "client": ("jupyter_api_kit.local", "jupyter_api_kit.magics", "jupyter_api_kit.widgets", "IPython",
               "ipywidgets"),
    "local": ("jupyter_api_kit.client", "jupyter_api_kit.magics", "jupyter_api_kit.widgets",
              "jupyter_api_kit.frames", "jupyter_api_kit.embedded", "IPython", "ipywidgets"),
    "frames": ("jupyter_api_kit.client", "jupyter_api_kit.local", "jupyter_api_kit.magics",
               "jupyter_api_kit.widgets", "IPython", "ipywidgets", "requests"),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_down(layer):
    offending = []
    for path in modules_in(layer):
        for name in imports_of(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                offending.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert offending == []


def test_only_the_notebook_front_imports_ipython_or_ipywidgets():
    front = {"magics", "widgets"}
    offending = [f"{p.relative_to(PACKAGE.parent)} imports {n}" for p in PACKAGE.rglob("*.py")
                 if p.relative_to(PACKAGE).parts[0] not in front
                 for n in imports_of(p) if n.split(".")[0] in ("IPython", "ipywidgets")]
    assert offending == []


def test_importing_the_package_loads_no_heavy_stack():
    code = ("import sys, jupyter_api_kit; from jupyter_api_kit.client import Client; "
            "heavy = [m for m in ('pandas', 'IPython', 'ipywidgets', 'fastapi', 'uvicorn', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
