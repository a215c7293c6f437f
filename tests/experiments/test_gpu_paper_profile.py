"""scripts/gpu_paper_profile.py in its CPU smoke mode: every cell once, resumable, time-boxed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from convac.experiments.inductive_bias import load_results

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_paper_profile.py"


def _script():
    spec = importlib.util.spec_from_file_location("gpu_paper_profile", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_runs_every_cell_in_groups_and_resumes(tmp_path, capsys) -> None:
    script = _script()
    out = tmp_path / "run"
    assert script.main(["--smoke", "--out", str(out), "--minutes", "0"]) == 0  # budget spent: nothing starts
    assert not (out / "results.jsonl").exists()
    assert script.main(["--smoke", "--out", str(out)]) == 0
    records = load_results(out)
    sweep = script.paper_sweep(smoke=True)
    assert sorted(r["key"] for r in records) == sorted(c.key for c in sweep.cells())
    assert len(records) == 8 and all(r["trained_with"] == 2 for r in records)  # the 2 tasks of one seed per group
    timing = [json.loads(line) for line in (out / "gpu_timing.jsonl").read_text().splitlines()]
    assert [(t["r"], t["schedule"], t["cells"]) for t in timing] == [
        (r, s, 2) for r in (1, 2) for s in ("wide_base", "wide_tip")
    ]
    assert (out / "table.md").exists() and (out / "figure.png").exists()
    capsys.readouterr()
    assert script.main(["--smoke", "--out", str(out)]) == 0  # resumed: every cell skipped
    assert "8 cells finished" in capsys.readouterr().out
    assert len((out / "gpu_timing.jsonl").read_text().splitlines()) == 4


def test_estimate_of_the_paper_profile(capsys) -> None:
    assert _script().main(["--estimate"]) == 0
    text = capsys.readouterr().out
    assert "| wide_base | 30 | 133 |" in text and "total: 3.65 PFLOP" in text
