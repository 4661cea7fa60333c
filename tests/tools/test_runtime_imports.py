"""The runtime packages never import the build-time tools: every module of common/, drbo/,
laser/ and experiments/ is parsed and its imports (top-level or inside functions, absolute
or relative) are checked; and importing the pref-pair reader loads no tools module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNTIME = ("common", "drbo", "laser", "experiments")
FORBIDDEN = ("tools", "common.data.samplegen")


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """``(line, module)`` for every import statement in ``source`` (a module of
    ``package``), nested ones included; a relative import is resolved against ``package``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
            found.append((node.lineno, base))
    return found


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def test_the_ast_walk_sees_the_kinds_of_import():
    text = (
        "import tools.samplegen\n"
        "def f():\n    from tools.samplegen.instruct import instruct_rows\n"
        "from . import samplegen\n"
        "from ..rewards import pref_pairs\n"
    )
    found = imported_modules(text, "common.data")
    modules = [m for _, m in found]
    assert "tools.samplegen" in modules and "tools.samplegen.instruct" in modules
    assert "common.data.samplegen" in modules  # the relative import, resolved
    assert "common.rewards.pref_pairs" in modules  # two levels up
    allowed = {"common.data", "common.rewards", "common.rewards.pref_pairs"}
    assert {m for m in modules if not _forbidden(m)} == allowed
    assert {line for line, _ in found} == {1, 3, 4, 5}


@pytest.mark.parametrize("package", RUNTIME)
def test_no_runtime_module_imports_the_generators(package):
    files = sorted((REPO / package).rglob("*.py"))
    assert files
    bad = [
        f"{path.relative_to(REPO)}:{line}: {module}"
        for path in files
        for line, module in imported_modules(
            path.read_text(encoding="utf-8"),
            ".".join(path.relative_to(REPO).with_suffix("").parts[:-1]),
        )
        if _forbidden(module)
    ]
    assert not bad, "runtime code imports build-time generators:\n" + "\n".join(bad)


def test_generators_are_not_in_the_runtime_package():
    assert not (REPO / "common" / "data" / "samplegen").exists()


def test_reading_the_pairs_loads_no_tools_module():
    code = (
        "import sys, common.rewards.pref_pairs as p; p.load_pref_pairs(12);"
        "print(sorted(m for m in sys.modules if m == 'tools' or m.startswith('tools.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
