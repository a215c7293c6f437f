"""The feature-order suite: cells, resume, statistics and table (tiny sizes)."""

import dataclasses
import json

import numpy as np
import pytest
from scipy import stats

from convac.cli import main
from convac.errors import InputError
from convac.experiments._runner.store import fingerprint
from convac.experiments.feature_order import FeatureOrderConfig, orders_of, run_cell, run_suite
from convac.experiments.feature_order.cell import neighbours_kept, split
from convac.experiments.feature_order.report import mean_ci, read_results, summarize

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
    pytest.importorskip("sktime")
    cfg = FeatureOrderConfig(**TINY)
    natural = run_cell("gunpoint", "natural", 0, cfg)
    assert natural["permutation"] == list(range(128)) and natural["neighbours_kept"] == 1.0
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


def test_ucr_splits_are_ucrs_own():
    pytest.importorskip("sktime")
    from convac.data.ucr import load_ucr

    xtr, ytr, xte, yte = split("arrowhead", 5)
    assert np.array_equal(xte, split("arrowhead", 0)[2])  # no seeded split: UCR's test set whatever the seed
    raw_tr, raw_te = load_ucr("arrowhead", "train"), load_ucr("arrowhead", "test")
    assert xtr.shape == (36, 256) and xte.shape == (175, 256)
    assert np.array_equal(ytr, raw_tr[1]) and np.array_equal(yte, raw_te[1])
    assert np.allclose(np.corrcoef(xtr.ravel(), raw_tr[0].ravel())[0, 1], 1.0)  # the same series, min-max scaled


def _write(path, cells, header=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [] if header is None else [json.dumps(header)]
    for dataset, order, seed, acc in cells:
        rec = {"dataset": dataset, "order": order, "seed": seed, "test_accuracy": acc, "train_accuracy": 1.0,
               "levels": [{"side": 1, "mean_entropy": 0.1}, {"side": 2, "mean_entropy": 0.2}]}  # fmt: skip
        lines.append(json.dumps(rec))
    path.write_text("\n".join(lines) + "\n")


def test_report_merges_files_and_gaps_are_paired_t_intervals(tmp_path, capsys):
    rng = np.random.default_rng(0)
    acc = {o: rng.uniform(0.6, 0.95, 4) for o in ("natural", "permuted", "entanglement", "greedy-chain", "igtd")}
    _write(tmp_path / "main" / "results.jsonl", [("gunpoint", o, s, a[s]) for o, a in acc.items() for s in range(4)])
    _write(tmp_path / "2d.jsonl", [("digits", o, s, 0.9 - 0.1 * s) for o in ("natural", "spectral") for s in range(3)])
    rows = summarize(tmp_path / "main", include=[tmp_path / "2d.jsonl"])
    assert [r["dataset"] for r in rows] == ["gunpoint"] * 5 + ["digits"] * 2  # 1D first
    best = max(("greedy-chain", "igtd"), key=lambda o: acc[o].mean())
    ent = next(r for r in rows if r["order"] == "entanglement")
    for gap, ref in ((ent["gap_vs_natural"], "natural"), (ent["gap_vs_best_baseline"], best)):
        lo, hi = stats.ttest_rel(100 * acc["entanglement"], 100 * acc[ref]).confidence_interval(0.95)
        assert (gap["mean"] - gap["ci95"], gap["mean"] + gap["ci95"]) == pytest.approx((lo, hi))
    assert ent["best_baseline"] == best and next(r for r in rows if r["order"] == best)["gap_vs_best_baseline"] is None
    digits = [r for r in rows if r["dataset"] == "digits"]
    assert digits[1]["gap_vs_natural"]["mean"] == pytest.approx(0.0) and digits[0]["best_baseline"] == "spectral"
    table = (tmp_path / "main" / "table.md").read_text()
    assert f"| gunpoint | **{best}** |" in table
    assert "| digits | **spectral** | 90.0 / 80.0 / 70.0 | 80.0 ± 10.0 |" in table
    assert len((tmp_path / "main" / "results.csv").read_text().splitlines()) == 1 + 20 + 6
    assert (tmp_path / "main" / "accuracy.png").stat().st_size > 0
    rc = main(["experiment", "feature-order", "--out", str(tmp_path / "main"), "--report"])  # without the 2D file
    assert rc == 0 and "5 rows in" in capsys.readouterr().out


def test_report_refuses_a_cell_twice_and_a_missing_file(tmp_path, capsys):
    _write(tmp_path / "a" / "results.jsonl", [("gunpoint", "natural", 0, 0.9)])
    _write(tmp_path / "b.jsonl", [("gunpoint", "permuted", 0, 0.8), ("gunpoint", "natural", 0, 0.7)])
    with pytest.raises(InputError, match=r"b.jsonl line 2 repeats the cell gunpoint / natural / seed 0 of .*a/results"):
        read_results([tmp_path / "a", tmp_path / "b.jsonl"])
    with pytest.raises(InputError, match=r"is not a feature-order results file nor a folder holding results\.jsonl"):
        read_results([tmp_path / "c"])
    out = str(tmp_path / "a")
    assert main(["experiment", "feature-order", "--out", out, "--report", "--include", str(tmp_path / "c")]) == 2
    assert "is not a feature-order results file nor a folder holding results.jsonl" in capsys.readouterr().err


def test_orders_select_cells_and_old_headers_resume(tmp_path):
    cfg = FeatureOrderConfig(datasets=("breast_cancer",), seeds=(0,), orders=("permuted", "igtd"), **TINY)
    run_suite(tmp_path, cfg, progress=False)
    recs = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()[1:]]
    assert [r["order"] for r in recs] == ["permuted", "igtd"]
    with pytest.raises(InputError, match="unknown order 'natrual' for the feature-order suite; choose from natural,"):
        run_suite(tmp_path, FeatureOrderConfig(orders=("natrual",)), progress=False)
    # a file written when the header also held datasets and seeds resumes: its cells do not run again
    old = tmp_path / "old"
    config = {k: v for k, v in json.loads(json.dumps(cfg.__dict__)).items() if k != "orders"}
    _write(old / "results.jsonl", [("breast_cancer", "permuted", 0, 0.5)],
           header={"kind": "header", "fingerprint": fingerprint(config), "config": config})  # fmt: skip
    again = FeatureOrderConfig(datasets=("breast_cancer",), seeds=(0,), orders=("permuted",), **TINY)
    run_suite(old, again, progress=False)
    lines = (old / "results.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["test_accuracy"] == 0.5
    assert "datasets" not in json.loads(lines[0])["config"]
    with pytest.raises(InputError, match="was written by another feature-order configuration"):
        run_suite(old, FeatureOrderConfig(datasets=("breast_cancer",), seeds=(0,), epochs_small=2), progress=False)


def test_every_rearrange_method_is_a_suite_order_or_an_extra_one():
    from convac.datatensor._rearrange import METHODS
    from convac.experiments.feature_order import EXTRA_ORDERS, METHOD_ORDERS

    assert set(METHODS) == set(METHOD_ORDERS) | set(EXTRA_ORDERS) and not set(METHOD_ORDERS) & set(EXTRA_ORDERS)


def test_extra_orders_run_after_the_suites_own_and_resume(tmp_path):
    cfg = FeatureOrderConfig(
        datasets=("breast_cancer",), seeds=(0,), orders=("entanglement-blocks", "permuted"), **TINY
    )
    run_suite(tmp_path, cfg, progress=False)
    results = tmp_path / "results.jsonl"
    recs = [json.loads(line) for line in results.read_text().splitlines()[1:]]
    assert [r["order"] for r in recs] == ["permuted", "entanglement-blocks"]
    assert sorted(recs[1]["permutation"]) == list(range(30)) and recs[1]["method_seconds"] is not None
    before = results.read_bytes()
    run_suite(tmp_path, cfg, progress=False)
    assert results.read_bytes() == before


@pytest.mark.parametrize("name", [".", "2d", "2d_mnist5k_seeds0-9", "mnist5k_seed0"])
def test_the_committed_results_resume_under_the_suite_driver(tmp_path, monkeypatch, name):
    """scripts/feature_order_2d.py wrote the 2D files with its own store loop; the suite's driver now runs it.
    The suite's own file predates ``net_1d``: its header implies the strided net and is adopted."""
    import shutil
    from pathlib import Path

    from convac.experiments.feature_order import run as driver

    committed = Path(__file__).resolve().parents[3] / "docs" / "results" / "feature_order" / name / "results.jsonl"
    recs = [json.loads(line) for line in committed.read_text().splitlines()[1:]]
    shutil.copy(committed, tmp_path / "results.jsonl")

    def no_cell(*args):
        raise AssertionError(f"a finished cell ran again: {args[:3]}")

    monkeypatch.setattr(driver, "run_cell", no_cell)
    for dataset in sorted({r["dataset"] for r in recs}):  # the suite's file has 3 seeds of some, 10 of others
        mine = [r for r in recs if r["dataset"] == dataset]
        cfg = FeatureOrderConfig(
            datasets=(dataset,),
            seeds=tuple(sorted({r["seed"] for r in mine})),
            orders=tuple(sorted({r["order"] for r in mine})),
        )
        rows = run_suite(tmp_path, cfg, progress=False)
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines[1:]] == recs  # every record kept as it was
    header = json.loads(lines[0])["config"]
    assert "datasets" not in header and header["net_1d"] == "strided"  # now the suite's fingerprint
    assert sum(len(row["seeds"]) for row in rows) == len(recs)
    # the same cells under the other 1D net are another configuration: refused, not mixed in
    with pytest.raises(InputError, match="was written by another feature-order configuration"):
        run_suite(tmp_path, dataclasses.replace(cfg, net_1d="gap"), progress=False)


def test_the_gap_net_runs_in_the_suite_and_is_recorded(tmp_path):
    import torch

    from convac.experiments.feature_order.cell import _model, gap_net

    torch.manual_seed(0)
    pattern = torch.randn(2, 8)
    at = [torch.zeros(2, 64) for _ in range(2)]
    at[0][:, 20:28], at[1][:, 28:36] = pattern, pattern
    gap, strided = gap_net(4).eval(), _model((64,), 4, "strided")
    with torch.no_grad():
        # global pooling sees a pattern far from the borders the same wherever it sits; the dense layer does not
        assert torch.allclose(gap(at[0]), gap(at[1]), atol=1e-5)
        assert not torch.allclose(strided(at[0]), strided(at[1]), atol=1e-3)
    cfg = FeatureOrderConfig(datasets=("italypowerdemand",), seeds=(0,), orders=("natural", "permuted"),
                             net_1d="gap", **TINY)  # fmt: skip
    recs = run_suite(tmp_path, cfg, progress=False)
    cells = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()[1:]]
    assert {c["net"] for c in cells} == {"gap"} and len(recs) == 2
    with pytest.raises(InputError, match="net_1d must be 'strided' or 'gap', got 'fcn'"):
        run_suite(tmp_path / "bad", dataclasses.replace(cfg, net_1d="fcn"), progress=False)
