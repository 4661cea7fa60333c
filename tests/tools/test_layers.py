"""The runtime packages' imports form no cycle and follow the layer order (models ->
generation -> training; rundir and evaluation never import training; common imports no
method package; the methods never import experiments); common/ holds rooms only; no runtime
module is over 400 lines. The graph is read from the source (tests/tools/import_graph.py)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from tests.tools.import_graph import (
    REPO,
    RUNTIME,
    Edge,
    find_cycles,
    layer_violations,
    runtime_edges,
)

MAX_LINES = 400


def _graph(edges):
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
    return graph


def test_find_cycles_on_a_tiny_graph():
    graph = {
        "a": ["b"],
        "b": ["c", "d"],
        "c": ["a"],  # a -> b -> c -> a
        "d": ["e"],
        "e": [],
        "x": ["y"],
        "y": ["x", "e"],  # x -> y -> x
    }
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["x", "y", "x"]]
    diamond = {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}
    assert find_cycles(diamond) == []


def test_the_edges_see_lazy_type_checking_and_relative_imports(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/one.py": "def f():\n    from pkg.two import g\n",  # lazy
        "pkg/two.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .three import T\n"  # relative, type-only
        ),
        "pkg/three.py": "import pkg.one\n",
        # the package object itself is no edge; a name taken from it is
        "pkg/four.py": "import pkg\nfrom pkg import VALUE\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    edges = runtime_edges(tmp_path, ["pkg"])
    assert {(e.source, e.target) for e in edges} == {
        ("pkg.one", "pkg.two"),
        ("pkg.two", "pkg.three"),
        ("pkg.three", "pkg.one"),
        ("pkg.four", "pkg"),
    }
    assert find_cycles(_graph(edges)) == [["pkg.one", "pkg.two", "pkg.three", "pkg.one"]]


def test_layer_violations_on_synthetic_edges():
    def edge(source, target):
        return Edge(source, target, "x.py", 1)

    allowed = [
        edge("common.training.loop", "common.generation.rollout"),
        edge("common.generation.logprobs", "common.models.unwrap"),
        edge("common.training.loop", "common.rundir.checkpoint"),
        edge("common.evaluation.predictions", "common.generation.rollout"),
        edge("drbo.trainer", "common.training.engine_loop"),
        edge("experiments.run", "drbo.trainer"),
    ]
    against = [
        edge("common.models.assets", "common.generation.rollout"),
        edge("common.generation.rollout", "common.training.policy"),
        edge("common.rundir.checkpoint", "common.training.loop"),
        edge("common.evaluation.stats", "common.training.loop"),
        edge("common.rewards.alce", "laser.trainer"),
        edge("common", "experiments.run"),
        edge("laser.trainer", "experiments.trainers"),
    ]
    assert layer_violations(allowed + against) == against


@pytest.fixture(scope="module")
def edges():
    found = runtime_edges()
    assert len(found) > 100  # the walk saw the packages
    return found


def test_runtime_packages_have_no_import_cycle(edges):
    cycles = find_cycles(_graph(edges))
    where = {(e.source, e.target): e for e in edges}
    report = [
        " -> ".join(c) + "".join(f"\n    {where[a, b]}" for a, b in zip(c, c[1:], strict=False))
        for c in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(report)


def test_runtime_imports_follow_the_layer_order(edges):
    bad = layer_violations(edges)
    assert not bad, "imports against the layer order:\n" + "\n".join(map(str, bad))


def test_common_holds_rooms_only():
    loose = sorted(
        p.name for p in (REPO / "common").iterdir() if p.suffix == ".py" and p.name != "__init__.py"
    )
    assert not loose, f"modules directly in common/ (put each in its room): {loose}"
    for room in sorted(p for p in (REPO / "common").iterdir() if p.is_dir()):
        if room.name == "__pycache__":
            continue
        init = room / "__init__.py"
        assert init.exists(), f"common/{room.name}/ has no __init__.py"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init}: say what the room owns"


@pytest.mark.parametrize("package", RUNTIME)
def test_no_runtime_module_is_over_400_lines(package):
    long = {
        str(p.relative_to(REPO)): n
        for p in sorted((REPO / package).rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split by job): {long}"
