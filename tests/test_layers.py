"""The package's layers (README "Layers"): imports run down only, and no module imports itself back.

Every ``import`` counts, at the top of a module or inside a function: an import moved into a
function to hide a circle is still a circle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kpi_toolkit"

#: Each layer with the layers it may import. ``errors`` is the error family every layer raises;
#: ``fileio`` (atomic writes, output folders, the machine's faults) serves every layer above the method.
MAY_IMPORT = {
    "errors": set(),
    "version": set(),
    "method": {"errors", "version"},
    "fileio": {"errors", "version"},
    "inputs": {"errors", "version", "fileio", "method"},
    "outputs": {"errors", "version", "fileio", "method", "inputs"},
    "cycle": {"errors", "version", "fileio", "method", "inputs", "outputs"},
    "stages": {"errors", "version", "fileio", "method", "inputs", "outputs", "cycle"},
    "running": {"errors", "version", "fileio", "method", "inputs", "outputs", "cycle", "stages"},
    "explorer": {"errors", "version", "fileio", "method", "inputs", "outputs"},
    "cli": {"errors", "version", "fileio", "method", "inputs", "outputs", "cycle", "running", "explorer"},
    "root": {"errors", "version", "fileio", "method", "inputs", "outputs", "cycle", "stages", "running", "explorer"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[1:] == ["__main__"]:
        return "cli"  # python -m kpi_toolkit
    return "root" if len(parts) == 1 else parts[1]


def imported(path: Path) -> set[str]:
    """Every module of ours that ``path`` imports, wherever the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "kpi_toolkit"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "kpi_toolkit":
            submodules = {f"{node.module}.{a.name}" for a in node.names
                          if (PACKAGE.parent / f"{node.module}.{a.name}".replace(".", "/")).with_suffix(".py").exists()
                          or (PACKAGE.parent / f"{node.module}.{a.name}".replace(".", "/")).is_dir()}
            # ``from package import module`` needs the module; a name defined in the package needs the package
            found |= submodules if len(submodules) == len(node.names) else submodules | {node.module}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; write kpi_toolkit.<layer>.<module>")
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}
GRAPH = {name: {m for m in imported(path) if m in MODULES and m != name} for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_down_only(module):
    own = layer(module)
    wrong = sorted(m for m in GRAPH[module]
                   if layer(m) != own and layer(m) not in MAY_IMPORT[own]
                   )
    assert not wrong, f"{module} ({own}) imports {wrong}; {own} may import {sorted(MAY_IMPORT[own])}"


def test_every_module_is_in_a_layer():
    assert {layer(m) for m in MODULES} <= set(MAY_IMPORT)


def test_no_import_circles():
    # Sub-package __init__ modules only re-export what sits below them; the root re-exports all.
    graph = {m: {d for d in deps if d != "kpi_toolkit"} for m, deps in GRAPH.items() if m != "kpi_toolkit"}
    state: dict[str, int] = {}
    circles = []

    def visit(module, path):
        state[module] = 1
        for dep in sorted(graph.get(module, ())):
            if state.get(dep) == 1:
                circles.append(path[path.index(dep):] + [dep] if dep in path else [module, dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_method_knows_no_files_plots_or_notebooks():
    heavy = ("matplotlib", "papermill", "nbformat", "openpyxl", "playwright", "jinja2", "ipywidgets")
    for name, path in MODULES.items():
        if layer(name) != "method":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n.split(".")[0] in heavy], f"{name} imports {names}"


def test_subpackage_inits_only_re_export():
    for name, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        for node in ast.parse(path.read_text("utf-8")).body:
            if name == "kpi_toolkit" and isinstance(node, (ast.FunctionDef, ast.Assign, ast.AnnAssign)):
                continue  # the root's lazy re-exports: __getattr__ and its tables
            assert isinstance(node, (ast.Expr, ast.Import, ast.ImportFrom)), \
                f"{path.relative_to(PACKAGE.parent)} line {node.lineno}: only re-exports belong in __init__.py"
