"""The feature-order report lists orders the suite does not run (e.g. entanglement-blocks) after its own."""

import json

from convac.experiments.feature_order import summarize


def test_extra_orders_get_rows_after_the_suites(tmp_path):
    accs = {"natural": (0.9, 0.8), "entanglement-blocks": (0.7, 0.5), "permuted": (0.6, 0.6)}
    with open(tmp_path / "results.jsonl", "w") as f:
        for order, per_seed in accs.items():
            for seed, acc in enumerate(per_seed):
                rec = {"dataset": "digits", "order": order, "seed": seed, "test_accuracy": acc, "train_accuracy": 1.0,
                       "levels": [{"side": 1, "mean_entropy": 0.1}]}  # fmt: skip
                f.write(json.dumps(rec) + "\n")
    rows = summarize(tmp_path)
    assert [r["order"] for r in rows] == ["natural", "permuted", "entanglement-blocks"]
    extra = rows[2]
    assert extra["test_accuracy"] == [70.0, 50.0]
    assert abs(extra["gap_vs_natural"]["mean"] - (-25.0)) < 1e-9  # (70 - 90 + 50 - 80) / 2
    assert "| digits | entanglement-blocks |" in (tmp_path / "table.md").read_text()
