"""The data-entanglement validation experiment: cells, resume, summary (tiny sizes)."""

import json

import numpy as np

from convac.experiments.data_entanglement import ORDERS, ValidationConfig, run_validation, summarize


def test_tiny_run_resumes_and_summarizes(tmp_path):
    cfg = ValidationConfig(datasets=("mnist1d",), seeds=(0,), epochs_1d=1, n_entanglement=12, max_blocks=1)
    rows = run_validation(tmp_path, cfg, progress=False)
    results = tmp_path / "results.jsonl"
    lines = results.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "header" and len(lines) == 1 + len(ORDERS)
    recs = {r["order"]: r for r in map(json.loads, lines[1:])}
    assert recs["natural"]["permutation"] == list(range(40))
    for order in ("permuted", "rearranged"):
        assert sorted(recs[order]["permutation"]) == list(range(40))
    assert recs["permuted"]["permutation"] != recs["rearranged"]["permutation"]
    assert all(0 <= r["test_accuracy"] <= 1 for r in recs.values())
    assert [r["order"] for r in rows] == list(ORDERS)
    before = results.read_bytes()
    run_validation(tmp_path, cfg, progress=False)  # everything done: nothing reruns
    assert results.read_bytes() == before
    assert (tmp_path / "mnist1d_levels.png").stat().st_size > 0
    table = (tmp_path / "table.md").read_text()
    assert "| rearranged |" in table
    assert (
        summarize(tmp_path)[0]["mean_entropy_per_level"]
        == np.mean([[lv["mean_entropy"] for lv in recs["natural"]["levels"]]], axis=0).tolist()
    )


def test_committed_cells_of_the_old_format_still_summarise(tmp_path):
    import shutil
    from pathlib import Path

    committed = Path(__file__).resolve().parents[3] / "docs" / "results" / "data_entanglement" / "cells"
    shutil.copytree(committed, tmp_path / "cells")
    rows = summarize(tmp_path)
    assert {r["dataset"] for r in rows} == {"mnist1d", "mnist5k"}
    assert all(0 <= a <= 1 for r in rows for a in r["test_accuracy"])
