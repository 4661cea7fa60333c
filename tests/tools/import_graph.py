"""The import graph of the runtime packages, read from the source (no module is imported):
who imports whom, the cycles in it, and the imports that go against the layer order.

Every import statement counts, top-level or inside a function or an ``if TYPE_CHECKING``
block: a lazy import hides a cycle from the interpreter, not from the reader.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNTIME = ("common", "drbo", "laser", "experiments")
METHODS = ("drbo", "laser", "experiments")

# (importer room, imported room): imports that go against the layer order.
# Inside common: models -> generation -> training; rundir and evaluation never import
# training; common never imports a method package; the methods never import experiments;
# common.core (the registry) imports no other room.
CORE_CLIENTS = ("models", "data", "rewards", "text", "generation", "mixers", "training")
CORE_CLIENTS += ("rundir", "evaluation")
FORBIDDEN = {
    ("common.models", "common.generation"),
    ("common.models", "common.training"),
    ("common.generation", "common.training"),
    ("common.rundir", "common.training"),
    ("common.evaluation", "common.training"),
    *(("common.*", method) for method in METHODS),
    ("drbo", "experiments"),
    ("laser", "experiments"),
    *(("common.core", f"common.{room}") for room in CORE_CLIENTS),
}


def imported_names(source: str, package: str) -> list[tuple[int, str, bool]]:
    """``(line, dotted name, plain)`` for every import statement in ``source`` (a module of
    ``package``), nested ones included: ``import a.b`` gives ``a.b`` (plain), ``from a import
    b`` gives ``a.b`` (b may be a module or a name of ``a``); a relative import is resolved
    against ``package``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, True) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found += [(node.lineno, f"{base}.{alias.name}", False) for alias in node.names]
    return found


def module_name(path: Path, root: Path = REPO) -> str:
    """``common/generation/rollout.py`` -> ``common.generation.rollout``; a package's
    ``__init__.py`` -> the package."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``line`` of ``path``."""

    source: str
    target: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source} -> {self.target}"


def runtime_edges(root: Path = REPO, packages: Iterable[str] = RUNTIME) -> list[Edge]:
    """Every import between two modules of ``packages``; a name imported from a module
    (``from a.b import C``) counts as an import of that module (``a.b``). Python's implicit
    import of a module's parent packages is not an edge."""
    files = {
        module_name(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))
    }
    edges = set()
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for line, dotted, plain in imported_names(path.read_text(encoding="utf-8"), package):
            target = _longest_known_prefix(dotted, files)
            if target is None or target == name:
                continue
            if plain and name.startswith(target + "."):
                # ``import pkg`` inside pkg: the package object, which Python imports before
                # any of its modules anyway (read for its __doc__ or __path__); a name taken
                # from it (``from pkg import X``) still counts.
                continue
            edges.add(Edge(name, target, str(path.relative_to(root)), line))
    return sorted(edges, key=lambda e: (e.source, e.target, e.line))


def _longest_known_prefix(dotted: str, known: Mapping[str, object]) -> str | None:
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in known:
            return ".".join(parts[:n])
    return None


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle ``[a, b, ..., a]`` per strongly connected component of more than one node
    (Tarjan's algorithm, iterative), each starting at its smallest node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    nodes = set(graph) | {t for ts in graph.values() for t in ts}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
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
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return sorted(_cycle_through(min(c), c, graph) for c in components)


def _cycle_through(start: str, component: set[str], graph: Mapping[str, Iterable[str]]):
    """The shortest path ``start -> ... -> start`` inside ``component`` (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph.get(node, ())):
                if child not in component:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"{start} is in a component with no cycle through it")


def room_of(module: str) -> str:
    """``common.generation.rollout`` -> ``common.generation``; ``drbo.trainer`` -> ``drbo``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "common" and len(parts) > 1 else parts[0]


def layer_violations(edges: Iterable[Edge], forbidden=FORBIDDEN) -> list[Edge]:
    """The edges whose (importer room, imported room) is forbidden; ``common.*`` as the
    importer stands for every room of common."""
    bad = []
    for e in edges:
        src, dst = room_of(e.source), room_of(e.target)
        if src == dst:
            continue
        src_any = "common.*" if src.startswith("common") else src
        if (src, dst) in forbidden or (src_any, dst) in forbidden:
            bad.append(e)
    return bad
