"""Every docstring example of src/convac, and every python block of README.md, in a fresh interpreter.

pytest's ``--doctest-modules`` runs the examples inside one process that has already imported
most of the library and its dependencies, so an example that works only because something
else imported a module first passes there and fails for a user: ``import importlib`` followed
by ``importlib.util.find_spec`` raised ``AttributeError`` in ``convac.rearrange_features``
from a fresh ``python -c`` while the suite stayed green. Here each module's examples run in a
new interpreter that imports nothing but that module.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "convac"
README = ROOT / "README.md"

#: Seconds one module's examples (or one README block) may take in its own interpreter.
TIMEOUT = 300

_RUN_DOCTESTS = (
    "import doctest, importlib, sys\n"
    "module = importlib.import_module(sys.argv[1])\n"
    "result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)\n"
    "sys.exit(1 if result.failed else 0)\n"
)


def modules_with_examples() -> list[str]:
    """Names of the modules of src/convac whose source holds a ``>>>`` example (found without importing them)."""
    names = []
    for info in pkgutil.walk_packages([str(SRC)], prefix="convac."):
        spec = importlib.util.find_spec(info.name)
        origin = None if spec is None else spec.origin
        if origin and origin.endswith(".py") and ">>>" in Path(origin).read_text(encoding="utf-8"):
            names.append(info.name)
    return sorted(names)


def readme_blocks(text: str) -> list[tuple[int, str]]:
    """``(line, code)`` of each fenced ```` ```python ```` block of a Markdown text.

    >>> readme_blocks("intro\\n```python\\nx = 1\\n```\\n```bash\\nls\\n```\\n")
    [(2, 'x = 1\\n')]
    """
    blocks = []
    for match in re.finditer(r"^```python[ \t]*\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE):
        blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return blocks


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC.parent), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@pytest.mark.parametrize("module", modules_with_examples())
def test_docstring_examples_in_a_fresh_interpreter(module, tmp_path):
    done = _run(["-c", _RUN_DOCTESTS, module], tmp_path)
    assert done.returncode == 0, f"{module}: examples fail in a fresh interpreter\n{done.stdout}\n{done.stderr}"


_BLOCKS = readme_blocks(README.read_text(encoding="utf-8")) if README.is_file() else []


@pytest.mark.parametrize(("line", "code"), _BLOCKS, ids=[f"README.md:{line}" for line, _ in _BLOCKS])
def test_readme_python_blocks_in_a_fresh_interpreter(line, code, tmp_path):
    if code.lstrip().startswith(">>>"):
        pytest.skip("a transcript (>>> prompts and their output), not a runnable block")
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    done = _run([str(script)], tmp_path)
    assert done.returncode == 0, f"README.md:{line}: the block fails in a fresh interpreter\n{done.stderr}"


def test_discovery_finds_the_modules_with_examples():
    found = modules_with_examples()
    assert "convac.datatensor._rearrange" in found and "convac._validation" in found
    assert all(name.startswith("convac.") for name in found)
