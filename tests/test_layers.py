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


# -- the local server's packages ------------------------------------------------------------------

LOCAL = PACKAGE / "local"
#: what each feature package of the local server may import besides `core` and `models`
FEATURE_DEPENDENCIES = {
    "inference": set(),
    "files": set(),
    "chat": {"inference"},
    "vector_stores": {"inference", "files"},
    "responses": {"inference", "files", "vector_stores", "conversations"},
    "conversations": {"responses"},
    "assistants": {"inference", "chat", "files", "vector_stores"},
    "evals": {"inference", "chat", "files"},
    "fine_tuning": {"inference", "files", "organization"},
    "organization": set(),
    "usage": {"organization"},
    "gateway": {"chat"},
}


def local_package(path: Path) -> str:
    """The local server package a module belongs to ('' for app.py, server.py, __init__.py)."""
    parts = path.relative_to(LOCAL).parts
    return parts[0] if len(parts) > 1 else ""


def local_imports(path: Path) -> set[str]:
    """The local server packages a module imports, at any depth (imports inside functions count)."""
    return {name.split(".")[2] for name in imports_of(path)
            if name.startswith("jupyter_api_kit.local.") and len(name.split(".")) > 3}


def test_every_local_package_is_known():
    packages = {p.name for p in LOCAL.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(FEATURE_DEPENDENCIES) | {"core", "models"}
    flat = sorted(p.name for p in LOCAL.glob("*.py"))
    assert flat == ["__init__.py", "app.py", "server.py"]


@pytest.mark.parametrize("package", sorted(FEATURE_DEPENDENCIES) + ["core", "models"])
def test_local_packages_import_only_what_they_may(package):
    allowed = {"core": {"core"}, "models": {"models"}}.get(package, FEATURE_DEPENDENCIES.get(package, set())
                                                          | {"core", "models", package})
    offending = [f"{p.relative_to(PACKAGE.parent)} imports local.{name}"
                 for p in sorted((LOCAL / package).rglob("*.py")) for name in sorted(local_imports(p) - allowed)]
    assert offending == []


def test_the_model_package_stands_alone():
    """The statistical models import neither the web stack nor the server's core, nor the client's errors."""
    offending = [f"{p.relative_to(PACKAGE.parent)} imports {n}" for p in (LOCAL / "models").rglob("*.py")
                 for n in imports_of(p)
                 if n.split(".")[0] in ("fastapi", "starlette", "uvicorn") or
                 (n.startswith("jupyter_api_kit.") and not n.startswith("jupyter_api_kit.local.models"))]
    assert offending == []


def module_name(path: Path) -> str:
    """The dotted name of a module of the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a `from package import module` counts as the module)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules]
                candidates = submodules if len(submodules) == len(node.names) else [node.module, *submodules]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            # Importing a module runs its parent packages first; that is not a cycle of ours.
            targets.update(c for c in candidates if c in modules and c != name and not name.startswith(c + "."))
        graph[name] = targets
    return graph


def test_no_import_cycles():
    """No module imports itself back through others, even through imports inside functions."""
    graph = import_graph()
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


#: the most lines a module of the local server may have: past it, split it by what it holds
MAX_LOCAL_MODULE_LINES = 400


def test_no_local_module_is_over_400_lines():
    long = [f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in sorted(LOCAL.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LOCAL_MODULE_LINES]
    assert long == []


# -- API facts are written once, in jupyter_api_kit.spec ------------------------------------------

def spec_facts() -> dict[str, frozenset]:
    """Each fact of `jupyter_api_kit.spec` as an order-free value, so a reordered copy is found too."""
    from jupyter_api_kit import spec

    facts = {name: getattr(spec, name) for name in
             ("USAGE_KINDS", "COMPARISONS", "STRING_CHECK_OPERATIONS", "CHAT_ROLES", "INPUT_ROLES", "ORG_ROLES",
              "PROJECT_ROLES", "MESSAGE_ROLES", "COST_GROUPS", "BUCKET_SECONDS", "BUCKET_LIMITS")}
    facts["BUCKET_LIMITS (defaults)"] = {w: limits[0] for w, limits in spec.BUCKET_LIMITS.items()}
    facts["BUCKET_LIMITS (maxima)"] = {w: limits[1] for w, limits in spec.BUCKET_LIMITS.items()}
    facts["metadata limits"] = (spec.MAX_METADATA_PAIRS, spec.MAX_METADATA_KEY, spec.MAX_METADATA_VALUE)
    facts.update({f"USAGE_GROUPS[{kind!r}]": groups for kind, groups in spec.USAGE_GROUPS.items() if len(groups) > 1})
    return {name: order_free(value) for name, value in facts.items()}


def order_free(value):
    if isinstance(value, dict):
        return frozenset((k, order_free(v)) for k, v in value.items())
    if isinstance(value, (tuple, list, set, frozenset)):
        return frozenset(value) if all(isinstance(v, str) for v in value) else tuple(map(order_free, value))
    return value


def literals_in(path: Path):
    """(line, value) of every constant tuple, list, set or dict written in a module."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            try:
                value = order_free(ast.literal_eval(node))
                hash(value)
            except (ValueError, TypeError, SyntaxError):
                continue  # not a constant (names, calls, unhashable parts)
            yield node.lineno, value


def test_api_facts_are_written_only_in_spec():
    """Usage kinds, bucket widths and limits, roles, comparisons, groups and the metadata limits live in
    `jupyter_api_kit.spec`; the client, the notebook front and the local server import them."""
    facts = spec_facts()
    by_value = {}
    for name, value in facts.items():
        by_value.setdefault(value, name)
    copies = [f"{path.relative_to(PACKAGE.parent)}:{line} repeats spec.{by_value[value]}"
              for path in sorted(PACKAGE.rglob("*.py")) if path.relative_to(PACKAGE).parts[0] != "spec"
              for line, value in literals_in(path) if value in by_value]
    assert copies == []


def test_spec_names_are_not_assigned_elsewhere():
    """A spec fact's name (say `MAX_METADATA_KEY = 64`) is imported, never assigned outside spec."""
    from jupyter_api_kit import spec

    names = {name for name in vars(spec) if name.isupper()}
    assigned = [f"{path.relative_to(PACKAGE.parent)}:{node.lineno} assigns {target.id}"
                for path in sorted(PACKAGE.rglob("*.py")) if path.relative_to(PACKAGE).parts[0] != "spec"
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, (ast.Assign, ast.AnnAssign))
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Name) and target.id in names]
    assert assigned == []


def test_the_fact_finder_finds_a_copy(tmp_path):
    """The check above would see a pasted copy, in any order, written as a tuple, list or literal type."""
    copy = tmp_path / "copy.py"
    copy.write_text('KINDS = ["embeddings", "completions", "moderations", "images", "audio_speeches",\n'
                    '         "audio_transcriptions", "vector_stores", "code_interpreter_sessions",\n'
                    '         "file_search_calls", "web_search_calls"]\n'
                    'role: Literal["reader", "owner"]\nLIMITS = {"1m": 1440, "1h": 168, "1d": 31}\n'
                    'MAX = (16, 64, 512)\n', encoding="utf-8")
    values = set(spec_facts().values())
    assert sorted(line for line, value in literals_in(copy) if value in values) == [1, 4, 5, 6]
