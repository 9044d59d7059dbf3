"""The package's folders are the pipeline's stages, and imports run one way: no module imports one of a later
stage, and no modules import each other in a circle. Read from the source (every import, at the top or inside a
function), so that the layering below is the one place it is written."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pvkg"

# From the bottom up: each layer may import its own modules and those of the layers below it.
LAYERS = (
    ("base", {"pvkg.errors", "pvkg._namespaces", "pvkg._resources", "pvkg._files", "pvkg._rdftext", "pvkg._text",
              "pvkg._version", "pvkg._yamlfile"}),
    ("sparql", {"pvkg._sparql"}),  # query text and files, stores, result formats: what the build's checks use too
    ("build", {"pvkg._build"}),
    ("query", {"pvkg._query"}),
    ("publish", {"pvkg._publish"}),
    ("serve", {"pvkg._serve"}),
    ("command", {"pvkg._cli", "pvkg._progress", "pvkg._api", "pvkg.__main__", "pvkg"}),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    for rank, (_, members) in enumerate(LAYERS):
        if module in members or any(module.startswith(m + ".") for m in members if m != "pvkg"):
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")


def imports() -> dict[str, set[str]]:
    """Each module of the package, and the modules of the package it imports."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    found: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        used = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
                for alias in node.names:  # a submodule, or a name the module `target` defines
                    name = f"{target}.{alias.name}"
                    used |= {name} if name in modules else ({target} if target in modules else set())
            elif isinstance(node, ast.Import):
                used |= {a.name for a in node.names if a.name in modules}
        found[module] = {u for u in used if u != module and u.startswith("pvkg")}
    return found


def test_no_module_imports_a_later_stage():
    upward = sorted(f"{module} ({LAYERS[layer_of(module)][0]}) imports {used} ({LAYERS[layer_of(used)][0]})"
                    for module, used_set in imports().items() for used in used_set
                    if layer_of(used) > layer_of(module))
    assert upward == []


def test_no_modules_import_each_other_in_a_circle():
    graph = imports()
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    cycles = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for used in sorted(graph[module] - {"pvkg"}):
            if state.get(used) == 1:
                cycles.append(" -> ".join([*path[path.index(used):], used]))
            elif used not in state:
                walk(used, [*path, used])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []


def test_every_module_is_in_a_layer():
    for module in imports():
        layer_of(module)
