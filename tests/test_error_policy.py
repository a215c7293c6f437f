"""The error policy, checked on the source: no builtin errors raised on purpose, no ``assert``.

User-input errors are convac's own (:mod:`convac.errors`), broken invariants raise
``InternalError``. An ``assert`` vanishes under ``python -O`` and says nothing useful; a bare
``ValueError`` cannot be told apart from a bug by the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "convac"

CHECKED_DIRS: tuple[str, ...] = (".",)
"""Paths under src/convac that follow the policy: all of it."""

FORBIDDEN_RAISES = ("ValueError", "TypeError", "RuntimeError", "AssertionError")


def violations(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, what)`` for every forbidden ``raise`` and every ``assert`` statement in ``tree``.

    >>> violations(ast.parse("assert x\\nraise ValueError('no')\\nraise InputError('ok')"))
    [(1, 'assert statement'), (2, 'raise ValueError')]
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            found.append((node.lineno, "assert statement"))
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id in FORBIDDEN_RAISES:
                found.append((node.lineno, f"raise {exc.id}"))
    return sorted(found)


def _checked_files() -> list[Path]:
    files: list[Path] = []
    for entry in CHECKED_DIRS:
        path = SRC / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def test_checked_paths_exist():
    missing = [entry for entry in CHECKED_DIRS if not (SRC / entry).exists()]
    assert not missing, f"CHECKED_DIRS names paths that do not exist: {missing}"


def test_no_builtin_raises_or_asserts():
    report = [
        f"{path.relative_to(SRC.parent)}:{line}: {what}"
        for path in _checked_files()
        for line, what in violations(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    ]
    assert not report, "raise convac.errors types (InternalError for invariants) instead of:\n" + "\n".join(report)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("raise TypeError", [(1, "raise TypeError")]),
        ("raise RuntimeError('x') from None", [(1, "raise RuntimeError")]),
        ("def f():\n    assert False, 'x'", [(2, "assert statement")]),
        ("try:\n    pass\nexcept ValueError:\n    raise", []),
        ("raise convac.errors.InputError('x')", []),
    ],
)
def test_scan_finds_what_it_should(source, expected):
    assert violations(ast.parse(source)) == expected
