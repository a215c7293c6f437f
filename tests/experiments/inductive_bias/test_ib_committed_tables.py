"""The committed inductive-bias tables are what the current report makes of the committed raw results."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _script():
    spec = importlib.util.spec_from_file_location(
        "inductive_bias_reports", ROOT / "scripts" / "inductive_bias_reports.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name",
    [
        "paper-mnist5k",
        "paper-r6",
        "paper-mnist5k-feasible",
        "paper-r6-mnist5k-feasible-eq-local",
        "paper-r6-mnist5k-feasible-eq-local-seeds5-9",
        "paper-r6-mnist5k-uniform-local",
        "paper-r6-mnist5k-uniform-global",
        "paper-r6-mnist5k-global",
        "paper-r10-mnist5k-global",
    ],
)
def test_committed_table_is_regenerated_byte_for_byte(name: str, tmp_path: Path) -> None:
    script = _script()
    (md,) = [p for p in script.regenerate(name, out=tmp_path) if p.suffix == ".md"]
    committed = (script.RESULTS / f"{name}.md").read_text()
    assert md.read_text() == committed, f"rerun: PYTHONPATH=src python scripts/inductive_bias_reports.py {name}"
    assert committed.startswith("Protocol version 1: ")  # every committed result predates the init fix


def test_unknown_table_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main(["paper-r99"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unknown table(s) ['paper-r99']" in err
