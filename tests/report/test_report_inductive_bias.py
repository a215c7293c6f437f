"""The inductive-bias report: summaries, paired gaps and the per-seed table agree with each other."""

from __future__ import annotations

import statistics

from hypothesis import given, settings
from hypothesis import strategies as st

from convac.report.inductive_bias import paired_gaps, per_seed, summarize, write_report


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
        assert g["first_wins"] == sum(row["gap"] > 0 for row in mine)
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
