"""The data-entanglement validation experiment: cells, resume, summary (tiny sizes)."""

import json

import numpy as np

from convac.experiments.data_entanglement import ORDERS, ValidationConfig, run_validation, summarize


def test_tiny_run_resumes_and_summarizes(tmp_path):
    cfg = ValidationConfig(datasets=("mnist1d",), seeds=(0,), epochs_1d=1, n_entanglement=12, max_blocks=1)
    rows = run_validation(tmp_path, cfg, progress=False)
    cells = sorted((tmp_path / "cells").glob("*.json"))
    assert len(cells) == len(ORDERS)
    recs = {json.loads(p.read_text())["order"]: json.loads(p.read_text()) for p in cells}
    assert recs["natural"]["permutation"] == list(range(40))
    for order in ("permuted", "rearranged"):
        assert sorted(recs[order]["permutation"]) == list(range(40))
    assert recs["permuted"]["permutation"] != recs["rearranged"]["permutation"]
    assert all(0 <= r["test_accuracy"] <= 1 for r in recs.values())
    assert [r["order"] for r in rows] == list(ORDERS)
    stamps = [p.stat().st_mtime_ns for p in cells]
    run_validation(tmp_path, cfg, progress=False)  # everything done: nothing reruns
    assert [p.stat().st_mtime_ns for p in cells] == stamps
    assert (tmp_path / "mnist1d_levels.png").stat().st_size > 0
    table = (tmp_path / "table.md").read_text()
    assert "| rearranged |" in table
    assert (
        summarize(tmp_path)[0]["mean_entropy_per_level"]
        == np.mean([[lv["mean_entropy"] for lv in recs["natural"]["levels"]]], axis=0).tolist()
    )
