"""The package layout keeps its promises: imports point one way, no private names cross.

Read from the source with :mod:`ast` (no package is imported), so a circle hidden in a
function-level import is caught as well as a module-level one.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("forecast", "optimize")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}
PACKAGE_NAMES = sorted(m for m, p in MODULES.items() if p.name == "__init__.py")


def _imports(module: str) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import in ``module``'s source."""
    path = MODULES[module]
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if a.name.split(".")[0] in PACKAGES]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                target = ".".join(base[: len(base) - node.level + 1] + ([target] if target else []))
            if target.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.append((full, None) if full in MODULES else (target, alias.name))
    return found


def _edges() -> dict[str, set[str]]:
    return {m: {t for t, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path, or None (depth-first search, three colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        state[v] = 2
        stack.pop()
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_the_checker_finds_a_cycle_and_a_private_import():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_module_imports_itself_back_through_others():
    assert _cycle(_edges()) is None


def _child(package: str, module: str) -> str | None:
    """The direct child of ``package`` (a module or a sub-package) that holds ``module``."""
    if not module.startswith(package + ".") or module == package:
        return None
    return module[len(package) + 1:].split(".")[0]


@pytest.mark.parametrize("package", ["", *PACKAGE_NAMES])
def test_arrows_between_the_parts_of_a_package_point_one_way(package):
    """Collapse each package's modules to its direct children: that graph has no circle."""
    graph: dict[str, set[str]] = defaultdict(set)
    for src, targets in _edges().items():
        a = src.split(".")[0] if not package else _child(package, src)
        for dst in targets:
            b = dst.split(".")[0] if not package else _child(package, dst)
            if a and b and a != b:
                graph[a].add(b)
    assert _cycle(graph) is None, f"{package or 'top level'}: parts import each other"


def test_no_private_name_is_imported_from_another_module():
    crossing = [f"{m} imports {name} from {target}" for m in MODULES
                for target, name in _imports(m) if name and name.startswith("_")]
    assert crossing == []


@pytest.mark.parametrize("package", PACKAGE_NAMES)
def test_every_package_has_a_public_api_that_resolves(package):
    module = importlib.import_module(package)
    assert module.__doc__ and module.__doc__.strip(), f"{package} has no docstring"
    assert isinstance(getattr(module, "__all__", None), list), f"{package} has no __all__"
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


@pytest.mark.parametrize("package", PACKAGE_NAMES)
def test_no_lazily_exported_name_is_also_a_submodule(package):
    # a package that imports its names on first use (PEP 562 __getattr__) must not name a
    # submodule like one of them: importing the submodule binds it to the package
    # attribute, and `from package import name` then gives the module (it did:
    # forecast.backtest). Names imported eagerly in __init__ are bound once and stay.
    module = importlib.import_module(package)
    if "__getattr__" not in vars(module):
        return
    folder = Path(module.__file__).parent
    clash = [n for n in module.__all__ if (folder / f"{n}.py").exists()
             or (folder / n / "__init__.py").exists()]
    assert clash == [], f"{package}: {clash}"
