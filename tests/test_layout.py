"""The shape of the package: no import circle, no oversized module or function.

The layers themselves (imports point down) are checked by import-linter in CI (`lint-imports`,
contract in pyproject.toml); these are the rules it cannot express.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "convac"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _import_graph() -> nx.DiGraph:
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("convac")
    edges = nx.DiGraph()
    for module in graph.modules:
        edges.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    return edges


def test_no_import_circle():
    circles = [sorted(c) for c in nx.strongly_connected_components(_import_graph()) if len(c) > 1]
    assert not circles, f"modules importing each other in a circle: {circles}"


def test_a_circle_would_be_found():
    edges = nx.DiGraph([("convac.a", "convac.b"), ("convac.b", "convac.a"), ("convac.b", "convac.c")])
    assert [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1] == [["convac.a", "convac.b"]]


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_module_over_the_line_limit():
    long = {str(p.relative_to(SRC)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_over_the_line_limit():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
