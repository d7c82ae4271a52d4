"""The layout shows the architecture: packages by concern, each saying what it owns, no import cycles,
and the walls between them kept (the engine knows no HTTP; the knowledge knows no web)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parent.parent / "service"
PACKAGE = "mappa_kb"
PACKAGES = ("engine", "knowledge", "validation", "ingest", "web")


def _modules(root: Path) -> dict[str, Path]:
    """Every module under ``root`` by its dotted name (a package by its own name)."""
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join([PACKAGE, *parts])] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``name`` imports, anywhere in it (functions and TYPE_CHECKING
    blocks included: a cycle that only type checkers follow is still a cycle to a reader)."""
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
            # `from package import module` imports the module; `from module import name`, the module
            candidates = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = _modules(root)
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from .c import g\n")
    (tmp_path / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n"
    )
    (tmp_path / "d.py").write_text("from . import a\n")
    assert cycles(import_graph(tmp_path)) == [[f"{PACKAGE}.a", f"{PACKAGE}.b", f"{PACKAGE}.c"]]


def test_no_module_of_the_service_is_in_an_import_cycle() -> None:
    assert cycles(import_graph(SERVICE)) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_opens_with_a_paragraph_saying_what_it_owns(package: str) -> None:
    docstring = ast.get_docstring(ast.parse((SERVICE / package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and len(docstring.split()) >= 30, f"service/{package}/__init__.py says too little"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("engine", ("mappa_kb.web", "mappa_kb.knowledge", "mappa_kb.validation", "mappa_kb.ingest", "flask")),
        ("knowledge", ("mappa_kb.web", "mappa_kb.ingest", "flask")),
        ("validation", ("mappa_kb.web", "mappa_kb.ingest", "flask")),
        ("ingest", ("mappa_kb.web", "flask")),
    ],
)
def test_the_walls_between_packages_hold(package: str, forbidden: tuple[str, ...]) -> None:
    crossings = []
    for path in (SERVICE / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            crossings += [f"{path.relative_to(SERVICE)}: {n}" for n in names if n.startswith(forbidden)]
    assert crossings == []


def test_the_readme_is_a_front_door_whose_links_all_lead_somewhere() -> None:
    root = SERVICE.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150, "the README is a front door: the rest belongs in docs/"
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" not in target and not target.startswith("mailto:"):
                assert (page.parent / target).exists(), f"{page.name} links to {target}, which is not there"
