"""The inductive-bias report: summaries, paired gaps and the per-seed table agree with each other."""

from __future__ import annotations

import json
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convac.cli import main
from convac.errors import ConvacError
from convac.experiments.inductive_bias.report import (
    POOLED,
    against_arms,
    against_best,
    interaction,
    merge_results,
    paired_gaps,
    per_seed,
    summarize,
    write_report,
)


def _records(accs: list[tuple[float, float]]) -> list[dict]:
    out = []
    for seed, (base, tip) in enumerate(accs):
        for task, shift in (("local", 0.0), ("global", 0.01)):
            for schedule, acc in (("wide_base", base), ("wide_tip", tip)):
                out.append(
                    {
                        "task": task,
                        "family": "relu",
                        "schedule": schedule,
                        "r": 6,
                        "seed": seed,
                        "test_accuracy": acc + shift,
                        "train_accuracy": acc + shift + 0.02,
                    }
                )
    return out


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=5))
def test_per_seed_rows_add_up_to_the_paired_gaps(accs):
    records = _records(accs)
    seeds = per_seed(records)
    gaps = {(g["task"], g["r"]): g for g in paired_gaps(records)}
    assert len(seeds) == 2 * len(accs)
    for task in ("local", "global"):
        mine = [row for row in seeds if row["task"] == task]
        assert [row["seed"] for row in mine] == list(range(len(accs)))
        assert all(abs(row["gap"] - (row["first_test"] - row["second_test"])) < 1e-12 for row in mine)
        g = gaps[task, 6]
        assert abs(g["gap_mean"] - statistics.fmean(row["gap"] for row in mine)) < 1e-9
        assert g["first_wins"] == sum(row["gap"] > 1e-9 for row in mine)  # smaller gaps are ties (_stats.TIE)
    # local rows come first, as in the paper's figure
    assert seeds[0]["task"] == "local"


def test_per_seed_skips_unpaired_cells_and_the_report_lists_each_seed(tmp_path):
    records = _records([(0.6, 0.5), (0.4, 0.7)])
    records.append({**records[0], "seed": 9})  # wide-base without a wide-tip partner
    assert {row["seed"] for row in per_seed(records)} == {0, 1}
    write_report(records, tmp_path)
    text = (tmp_path / "table.md").read_text()
    assert "| local | relu | 6 | 0 | 60.0 (62.0) | 50.0 (52.0) | +10.0 | wide-base |" in text
    assert "| local | relu | 6 | 1 | 40.0 (42.0) | 70.0 (72.0) | -30.0 | wide-tip |" in text
    rows = summarize(records)
    assert {(r["task"], r["schedule"]): r["n_seeds"] for r in rows}[("local", "wide_base")] == 3


# ---------------------------------------------------------------- other schedules vs the better hand-made one
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=5))
def test_against_best_compares_with_the_better_baseline_of_each_seed(accs):
    records = [
        {"task": "global", "family": "relu", "schedule": s, "r": 8, "seed": seed, "test_accuracy": a}
        for seed, triple in enumerate(accs)
        for s, a in zip(("wide_base", "wide_tip", "designed_global"), triple, strict=True)
    ]
    (row,) = against_best(records)
    assert (row["schedule"], row["n_seeds"], row["seeds"]) == ("designed_global", len(accs), list(range(len(accs))))
    expected = [d - max(b, t) for b, t, d in accs]
    assert all(abs(g - e) < 1e-12 for g, e in zip(row["gaps"], expected, strict=True))
    assert row["wins"] == sum(e > 0 for e in expected)
    assert abs(row["gap_mean"] - statistics.fmean(expected)) < 1e-9
    for (b, t, _), best in zip(accs, row["best"], strict=True):
        assert {"wide_base": b, "wide_tip": t}[best] == max(b, t)


def test_against_best_needs_both_baselines_on_the_seed_and_skips_the_baselines_themselves():
    cell = {"task": "local", "family": "relu", "r": 6}
    records = [
        {**cell, "seed": 0, "schedule": "wide_base", "test_accuracy": 0.5},
        {**cell, "seed": 0, "schedule": "wide_tip", "test_accuracy": 0.4},
        {**cell, "seed": 0, "schedule": "designed_local", "test_accuracy": 0.45},
        {**cell, "seed": 1, "schedule": "wide_base", "test_accuracy": 0.5},  # no wide-tip on seed 1
        {**cell, "seed": 1, "schedule": "designed_local", "test_accuracy": 0.9},
    ]
    (row,) = against_best(records)
    assert row["seeds"] == [0] and row["best"] == ["wide_base"] and row["wins"] == 0
    assert abs(row["gaps"][0] + 0.05) < 1e-12
    assert against_best(records[:2]) == []


def _result_line(schedule: str, seed: int, acc: float, protocol: str = "p1", task: str = "local") -> dict:
    return {
        "key": f"{task}|relu|{schedule}|r=6|seed={seed}",
        "protocol": protocol,
        "task": task,
        "family": "relu",
        "schedule": schedule,
        "r": 6,
        "seed": seed,
        "test_accuracy": acc,
        "train_accuracy": acc,
    }


def _write(path, records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_merge_results_reads_directories_and_files_and_feeds_the_report(tmp_path):
    _write(tmp_path / "main" / "results.jsonl", [_result_line("wide_base", 0, 0.5), _result_line("wide_tip", 0, 0.6)])
    _write(tmp_path / "designed.jsonl", [_result_line("designed_local", 0, 0.7), _result_line("wide_tip", 0, 0.6)])
    records = merge_results([tmp_path / "main", str(tmp_path / "designed.jsonl")])
    # the same cell in two sources with the same result counts once
    assert sorted(r["schedule"] for r in records) == ["designed_local", "wide_base", "wide_tip"]
    write_report(records, tmp_path / "report")
    text = (tmp_path / "report" / "table.md").read_text()
    # against each hand-made arm and their mean, never the per-seed better one
    assert "| local | relu | designed_local | 6 | wide-base | 1 | +20.0 ± 0.0 | – | – | 1/0/0 | 1.000 |" in text
    assert "| local | relu | designed_local | 6 | wide-tip | 1 | +10.0 ± 0.0 | – | – | 1/0/0 | 1.000 |" in text
    assert "| local | relu | designed_local | 6 | mean | 1 | +15.0 ± 0.0 | – | – | 1/0/0 | 1.000 |" in text
    assert text.startswith("Protocol version 1: ")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: [d / "missing"], "neither a sweep directory holding results.jsonl nor a results file"),
        (lambda d: [], "no results given"),
        (lambda d: str(d / "a.jsonl"), "takes a list of result directories or files"),
        (lambda d: [d / "a.jsonl", d / "other-protocol.jsonl"], "different training protocols"),
        (lambda d: [d / "a.jsonl", d / "conflict.jsonl"], "has different results in"),
        (lambda d: [d / "not-a-record.jsonl"], "line 1 is not an inductive-bias result record"),
        (lambda d: [d / "not-json.jsonl"], "line 1 is not valid JSON"),
    ],
)
def test_merge_results_refuses_what_cannot_be_compared(tmp_path, make, fragment):
    _write(tmp_path / "a.jsonl", [_result_line("wide_base", 0, 0.5)])
    _write(tmp_path / "other-protocol.jsonl", [_result_line("wide_tip", 0, 0.5, protocol="p2")])
    _write(tmp_path / "conflict.jsonl", [_result_line("wide_base", 0, 0.55)])
    _write(tmp_path / "not-a-record.jsonl", [{"key": "x", "protocol": "p1"}])
    (tmp_path / "not-json.jsonl").write_text("{oops\n")
    with pytest.raises(ConvacError, match=fragment):
        merge_results(make(tmp_path))


def test_cli_report_writes_the_merged_table_and_refuses_bad_input_in_one_line(tmp_path, capsys):
    _write(tmp_path / "a" / "results.jsonl", [_result_line("wide_base", s, 0.5 + s / 5) for s in (0, 1)])
    _write(tmp_path / "b" / "results.jsonl", [_result_line("wide_tip", s, 0.55) for s in (0, 1)])
    assert main(["experiment", "report", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert (
        "4 cells from 2 sources" in out
        and "| local | relu | 6 | 2 | +5.0 ± 14.1 | [-122.1, +132.1] | 0.705 | 1/1/0 | 1.000 |" in out
    )
    assert (tmp_path / "r" / "figure.png").stat().st_size > 0
    _write(tmp_path / "c" / "results.jsonl", [_result_line("wide_tip", 0, 0.5, protocol="p9")])
    for argv, fragment in [
        (["experiment", "report", str(tmp_path / "a"), str(tmp_path / "c"), "--out", str(tmp_path / "r")], "protocols"),
        (["experiment", "report", str(tmp_path / "nope"), "--out", str(tmp_path / "r")], "neither a sweep"),
        (["experiment", "report", str(tmp_path / "a"), "--out", str(tmp_path / "a" / "results.jsonl")], "is a file"),
    ]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and fragment in err and "Traceback" not in err


# ---------------------------------------------------------------- statistics in the report
def _grid(values: dict[tuple[str, str, int, int], float]) -> list[dict]:
    return [
        {"task": t, "family": "relu", "schedule": s, "r": r, "seed": k, "test_accuracy": a, "train_accuracy": a}
        for (t, s, r, k), a in values.items()
    ]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 100)] * 4), min_size=2, max_size=6), st.sampled_from([(6,), (6, 8)]))
def test_interaction_and_pooled_gaps_are_the_paired_statistics_of_the_per_seed_contrasts(accs, rs):
    from scipy import stats

    values = {}
    for r in rs:
        for seed, (lb, lt, gb, gt) in enumerate(accs):
            shift = (r - 6) / 100  # another r moves every arm alike
            for key, a in ((("local", "wide_base"), lb), (("local", "wide_tip"), lt),
                           (("global", "wide_base"), gb), (("global", "wide_tip"), gt)):  # fmt: skip
                values[(*key, r, seed)] = a / 100 * 0.9 + shift
    records = _grid(values)
    contrasts = [
        (values["local", "wide_base", r, k] - values["local", "wide_tip", r, k])
        - (values["global", "wide_base", r, k] - values["global", "wide_tip", r, k])
        for r in rs
        for k in range(len(accs))
    ]
    rows = interaction(records)
    assert [row["r"] for row in rows] == ([*rs, POOLED] if len(rs) > 1 else [*rs])
    pooled = rows[-1]
    assert pooled["n_seeds"] == len(contrasts) and pooled["gap_mean"] == pytest.approx(statistics.fmean(contrasts))
    assert pooled["wins"] == sum(c > 1e-12 for c in contrasts) and pooled["losses"] == sum(
        c < -1e-12 for c in contrasts
    )
    if statistics.pstdev(contrasts) > 1e-6:
        assert pooled["t_p"] == pytest.approx(stats.ttest_1samp(contrasts, 0.0).pvalue, rel=1e-6)
    local_pooled = [g for g in paired_gaps(records, pooled=True) if g["task"] == "local"][-1]
    local_gaps = [
        values["local", "wide_base", r, k] - values["local", "wide_tip", r, k] for r in rs for k in range(len(accs))
    ]
    assert local_pooled["r"] == (POOLED if len(rs) > 1 else rs[0]) and local_pooled["n_seeds"] == len(local_gaps)
    assert local_pooled["gap_mean"] == pytest.approx(statistics.fmean(local_gaps))


def test_against_arms_compares_with_each_arm_and_their_mean_on_the_same_seeds():
    values = {}
    for seed, (base, tip, designed) in enumerate([(0.50, 0.60, 0.58), (0.55, 0.52, 0.50), (0.40, 0.45, 0.47)]):
        values |= {("local", "wide_base", 6, seed): base, ("local", "wide_tip", 6, seed): tip}
        values[("local", "designed", 6, seed)] = designed
    values[("local", "designed", 6, 9)] = 0.99  # no hand-made partner: not compared
    rows = against_arms(_grid(values))
    assert [row["versus"] for row in rows] == ["wide_base", "wide_tip", "mean"]
    expect = {
        "wide_base": [0.08, -0.05, 0.07],
        "wide_tip": [-0.02, -0.02, 0.02],
        "mean": [0.03, -0.035, 0.045],
    }
    for row in rows:
        assert row["n_seeds"] == 3 and row["gap_mean"] == pytest.approx(statistics.fmean(expect[row["versus"]]))
        assert row["gap_std"] == pytest.approx(statistics.stdev(expect[row["versus"]]))
        assert row["wins"] == sum(g > 0 for g in expect[row["versus"]])


def test_against_arms_with_three_baselines_matches_scipy_on_hand_made_differences(tmp_path):
    from scipy import stats

    arms = {"wide_base": [0.50, 0.55, 0.40, 0.61], "wide_tip": [0.60, 0.52, 0.45, 0.50],
            "uniform": [0.57, 0.49, 0.44, 0.58], "designed": [0.58, 0.50, 0.47, 0.59]}  # fmt: skip
    values = {("local", s, 6, k): a for s, accs in arms.items() for k, a in enumerate(accs)}
    baselines = ("wide_base", "wide_tip", "uniform")
    rows = against_arms(_grid(values), baselines)
    assert [(row["schedule"], row["versus"]) for row in rows] == [("designed", v) for v in (*baselines, "mean")]
    for row in rows:
        others = [arms[row["versus"]]] if row["versus"] != "mean" else [arms[b] for b in baselines]
        diffs = [d - sum(o[k] for o in others) / len(others) for k, d in enumerate(arms["designed"])]
        assert row["gap_mean"] == pytest.approx(statistics.fmean(diffs))
        assert row["t_p"] == pytest.approx(stats.ttest_1samp(diffs, 0.0).pvalue)
        assert row["wins"] == sum(d > 1e-9 for d in diffs)
    write_report(_grid(values), tmp_path, ["wide_base", "wide_tip", "uniform"])
    text = (tmp_path / "table.md").read_text()
    assert "against each baseline (wide-base, wide-tip, uniform) and against the mean of all 3" in text
    assert "| local | relu | designed | 6 | uniform | 4 | +1.5 ± 1.0 |" in text
    assert "| local | relu | uniform | 6 |" not in text.split("against each baseline")[1]  # a baseline, not an arm


def test_the_per_seed_better_arm_is_biased_against_a_third_arm_of_equal_mean():
    """E[max(a, b)] = mean + sd/sqrt(pi) for two iid normal arms: against_best's bias, which against_arms avoids."""
    import numpy as np

    rng = np.random.default_rng(0)
    n, sd = 4000, 0.05
    values = {}
    for seed in range(n):
        for schedule in ("wide_base", "wide_tip", "designed"):
            values[("local", schedule, 6, seed)] = float(0.5 + sd * rng.standard_normal())
    records = _grid(values)
    (best,) = against_best(records)
    assert best["gap_mean"] == pytest.approx(-sd / np.sqrt(np.pi), abs=4 * sd / np.sqrt(n))
    mean_row = next(row for row in against_arms(records) if row["versus"] == "mean")
    assert abs(mean_row["gap_mean"]) < 4 * sd / np.sqrt(n) and mean_row["ci_low"] < 0 < mean_row["ci_high"]


def test_report_prints_the_protocol_version_and_parameter_counts(tmp_path):
    channels = {"wide_base": [24, 24, 12, 12, 6, 6], "wide_tip": [6, 6, 12, 12, 24, 24]}
    records = [
        {**rec, "n_params": 1700 if rec["schedule"] == "wide_tip" else 1610, "channels": channels[rec["schedule"]]}
        for rec in _records([(0.6, 0.5), (0.4, 0.7), (0.55, 0.5)])
    ]
    write_report(records, tmp_path / "old")
    old = (tmp_path / "old" / "table.md").read_text()
    assert old.startswith("Protocol version 1: the data-dependent init found ink positions by exact float equality")
    assert "reproducible per machine" in old
    # weights by the paper's count 31 r^2 + 50 r (equal for both), then every parameter as stored
    assert "| local | relu | wide_tip | 6 | 1,416 | 1,700 | 3 |" in old
    assert "| local | relu | wide_base | 6 | 1,416 | 1,610 | 3 |" in old
    assert "| relu | 6 | 3 | " in old and "all (pooled)" not in old  # the interaction; one r: nothing to pool
    two_rs = [*records, *({**rec, "r": 8} for rec in records)]
    write_report(two_rs, tmp_path / "pooled")
    assert "| relu | all (pooled) | 6 | " in (tmp_path / "pooled" / "table.md").read_text()
    write_report([{**rec, "protocol_version": 2} for rec in records], tmp_path / "new")
    assert (tmp_path / "new" / "table.md").read_text().startswith("Protocol version 2: ")
