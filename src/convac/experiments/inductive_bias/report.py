"""Table and figure of the inductive-bias sweep, in the paper's form, with the statistics a claim needs.

Every comparison is paired: two arms trained on the same seed saw the same images in the same
order, so the report works with per-seed differences (:mod:`convac.experiments._stats`): mean
± sd, a 95 % t confidence interval, the paired t-test, the exact two-sided sign test and, for
the task x schedule interaction, the exact sign-flip permutation test.

Examples
--------
>>> recs = [{"task": "local", "family": "relu", "schedule": s, "r": 2, "seed": k,
...          "test_accuracy": a, "train_accuracy": a} for k, (s, a) in
...         enumerate([("wide_base", 0.6), ("wide_tip", 0.5), ("wide_base", 0.7), ("wide_tip", 0.5)])]
>>> row = summarize(recs)[0]
>>> row["schedule"], row["n_seeds"], round(row["test_mean"], 3)
('wide_base', 2, 0.65)
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from convac.errors import InputError
from convac.experiments._stats import PairedTest, paired_test
from convac.experiments.inductive_bias._report_render import figure, markdown
from convac.experiments.inductive_bias.protocol import VERSIONS, paper_weights

HAND_MADE: tuple[str, str] = ("wide_base", "wide_tip")
"""The paper's two schedules: the default baselines of :func:`against_arms` and :func:`write_report`."""

__all__ = [
    "HAND_MADE",
    "against_arms",
    "against_best",
    "check_baselines",
    "interaction",
    "merge_results",
    "paired_gaps",
    "per_seed",
    "protocol_versions",
    "summarize",
    "write_report",
]

POOLED = 0
"""The ``r`` of a row pooled over every r (no schedule has r = 0)."""


def _local_first(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """Sort key for (task, ...) tuples: the local task first, as in the paper's figure."""
    return (key[0] != "local", *key)


def _pooled_last(task: str, family: str, r: int) -> tuple[Any, ...]:
    """Sort key: the local task first, then by family and r, the row pooled over r last."""
    return (task != "local", task, family, r == POOLED, r)


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def _one_value(recs: Sequence[dict[str, Any]], name: str) -> Any:
    """Return the value of ``name`` shared by ``recs`` (None if absent; the values joined by "/" if they differ)."""
    values = sorted({rec[name] for rec in recs if rec.get(name) is not None})
    if not values:
        return None
    return values[0] if len(values) == 1 else "/".join(map(str, values))


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (task, family, schedule, r): mean and sample std over seeds of train/test accuracy.

    Examples
    --------
    >>> records = [{"task": "local", "family": "relu", "schedule": "wide_base", "r": 2, "seed": s,
    ...             "test_accuracy": a, "train_accuracy": a} for s, a in [(0, 0.5), (1, 0.7)]]
    >>> row = summarize(records)[0]
    >>> row["n_seeds"], round(row["test_mean"], 3), round(row["test_std"], 3)
    (2, 0.6, 0.141)
    """
    groups: dict[tuple[str, str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        groups[rec["task"], rec["family"], rec["schedule"], rec["r"]].append(rec)
    rows = []
    for (task, family, schedule, r), recs in sorted(groups.items()):
        test_mean, test_std = _mean_std([x["test_accuracy"] for x in recs])
        train_mean, train_std = _mean_std([x["train_accuracy"] for x in recs])
        rows.append(
            {
                "task": task,
                "family": family,
                "schedule": schedule,
                "r": r,
                "n_seeds": len(recs),
                "test_mean": test_mean,
                "test_std": test_std,
                "train_mean": train_mean,
                "train_std": train_std,
                # The paper's count (hidden and output weights; equal for wide-base and wide-tip), and
                # every weight and bias (None for records written before the count was stored).
                "weights": _one_value([{"w": paper_weights(x["channels"])} for x in recs if x.get("channels")], "w"),
                "n_params": _one_value(recs, "n_params"),
            }
        )
    return rows


def _stat_fields(test: PairedTest) -> dict[str, Any]:
    """Return the columns a paired comparison adds to a report row (fractions of accuracy, not points)."""
    return {
        "n_seeds": test.n,
        "gap_mean": test.mean,
        "gap_std": test.sd,
        "ci_low": test.ci[0],
        "ci_high": test.ci[1],
        "t_p": test.t_p,
        "wins": test.wins,
        "losses": test.losses,
        "ties": test.ties,
        "sign_p": test.sign_p,
        "flip_p": test.flip_p,
    }


def _differences(
    records: Sequence[dict[str, Any]], first: str, second: str | tuple[str, ...]
) -> dict[tuple[str, str, int, int], float]:
    """(task, family, r, seed) -> test accuracy of ``first`` minus ``second`` (or the mean of several) there.

    A seed enters only where every arm has finished: the difference is then between nets trained
    on the same images in the same order.
    """
    acc = {(x["task"], x["family"], x["schedule"], x["r"], x["seed"]): x["test_accuracy"] for x in records}
    others = (second,) if isinstance(second, str) else second
    out = {}
    for task, family, schedule, r, seed in sorted(acc, key=_local_first):
        partners = [acc.get((task, family, other, r, seed)) for other in others]
        if schedule == first and all(p is not None for p in partners):
            out[task, family, r, seed] = acc[task, family, first, r, seed] - statistics.fmean(
                p for p in partners if p is not None
            )
    return out


def paired_gaps(
    records: Sequence[dict[str, Any]], first: str = "wide_base", second: str = "wide_tip", pooled: bool = False
) -> list[dict[str, Any]]:
    """Per (task, family, r): test accuracy of ``first`` minus ``second`` on the same seed, with its statistics.

    Each row has the mean and sample sd of the paired gap, its 95 % t confidence interval
    (``ci_low``, ``ci_high``), the paired t-test p (``t_p``), the seeds ``first`` won, lost and
    tied, and the exact two-sided sign-test p (``sign_p``) and sign-flip p (``flip_p``); see
    :func:`convac.experiments._stats.paired_test`. ``first_wins`` repeats ``wins``. With
    ``pooled=True`` one more row per (task, family) with more than one r takes every (r, seed) pair as one unit, with
    ``r`` set to :data:`POOLED` (0); it tests the mean gap over the r values run, which are weighted
    by their seeds.

    Examples
    --------
    >>> cell = {"task": "local", "family": "relu", "r": 2}
    >>> records = [
    ...     {**cell, "schedule": "wide_base", "seed": 0, "test_accuracy": 0.75},
    ...     {**cell, "schedule": "wide_tip", "seed": 0, "test_accuracy": 0.5},
    ...     {**cell, "schedule": "wide_base", "seed": 1, "test_accuracy": 0.5},
    ...     {**cell, "schedule": "wide_tip", "seed": 1, "test_accuracy": 0.5},
    ...     {**cell, "schedule": "wide_base", "seed": 2, "test_accuracy": 1.0},  # no wide_tip partner
    ... ]
    >>> [(g["n_seeds"], g["gap_mean"], g["first_wins"], g["sign_p"]) for g in paired_gaps(records)]
    [(2, 0.125, 1, 1.0)]
    """
    groups: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    diffs = _differences(records, first, second)
    for (task, family, r, _), gap in diffs.items():
        groups[task, family, r].append(gap)
        if pooled and len({k[2] for k in diffs if k[:2] == (task, family)}) > 1:
            groups[task, family, POOLED].append(gap)
    rows = []
    for (task, family, r), gaps in sorted(groups.items(), key=lambda item: _pooled_last(*item[0])):
        fields = _stat_fields(paired_test(gaps))
        rows.append({"task": task, "family": family, "r": r, **fields, "first_wins": fields["wins"]})
    return rows


def interaction(
    records: Sequence[dict[str, Any]],
    first: str = "wide_base",
    second: str = "wide_tip",
    tasks: tuple[str, str] = ("local", "global"),
) -> list[dict[str, Any]]:
    """Test the task x schedule interaction: per seed, the paired gap on ``tasks[0]`` minus the one on ``tasks[1]``.

    The paper's claim is an interaction: ``first`` (wide-base) does better, relative to
    ``second`` (wide-tip), on the local task than on the global one. Per (family, r, seed) with
    both tasks finished, the contrast ``gap_local - gap_global`` is one number; with no interaction
    it is as likely positive as negative. One row per (family, r) and one pooled over r (``r`` =
    :data:`POOLED`), with the statistics of :func:`paired_gaps` on the contrasts (``flip_p``: the
    exact sign-flip permutation test, which swaps the task labels within a seed). Pooled rows
    appear only where there is more than one r.

    Examples
    --------
    >>> recs = [{"task": t, "family": "relu", "schedule": s, "r": 6, "seed": k, "test_accuracy": a}
    ...         for k in range(3) for t, s, a in [("local", "wide_base", 0.5), ("local", "wide_tip", 0.5),
    ...                                           ("global", "wide_base", 0.4), ("global", "wide_tip", 0.5)]]
    >>> [(row["r"], row["n_seeds"], round(row["gap_mean"], 3), row["sign_p"]) for row in interaction(recs)]
    [(6, 3, 0.1, 0.25)]
    """
    gaps = _differences(records, first, second)
    groups: dict[tuple[str, int], list[float]] = defaultdict(list)
    for (task, family, r, seed), gap in gaps.items():
        if task == tasks[0] and (tasks[1], family, r, seed) in gaps:
            contrast = gap - gaps[tasks[1], family, r, seed]
            groups[family, r].append(contrast)
            groups[family, POOLED].append(contrast)
    for family in {family for family, _ in groups}:
        if sum(1 for f, r in groups if f == family and r != POOLED) == 1:
            del groups[family, POOLED]  # one r: the pooled row would repeat it
    return [
        {"family": family, "r": r, "tasks": list(tasks), **_stat_fields(paired_test(values))}
        for (family, r), values in sorted(
            groups.items(), key=lambda item: (item[0][0], item[0][1] == POOLED, item[0][1])
        )
    ]


def per_seed(
    records: Sequence[dict[str, Any]], first: str = "wide_base", second: str = "wide_tip"
) -> list[dict[str, Any]]:
    """One row per (task, family, r, seed) that has both schedules: their accuracies and the paired gap.

    A paired gap compares two nets trained on exactly the same images in the same order, so its
    sign per seed (who won) is what a reader checks against the paper's single runs.

    Examples
    --------
    >>> cell = {"task": "global", "family": "relu", "r": 6, "seed": 0}
    >>> records = [{**cell, "schedule": "wide_base", "test_accuracy": 0.4, "train_accuracy": 0.5},
    ...            {**cell, "schedule": "wide_tip", "test_accuracy": 0.55, "train_accuracy": 0.6}]
    >>> row = per_seed(records)[0]
    >>> row["seed"], row["first_test"], round(row["gap"], 2)
    (0, 0.4, -0.15)
    """
    by_key = {(x["task"], x["family"], x["schedule"], x["r"], x["seed"]): x for x in records}
    rows = []
    for task, family, schedule, r, seed in sorted(by_key, key=_local_first):
        partner = by_key.get((task, family, second, r, seed))
        if schedule != first or partner is None:
            continue
        mine = by_key[task, family, first, r, seed]
        rows.append(
            {
                "task": task,
                "family": family,
                "r": r,
                "seed": seed,
                "first_test": mine["test_accuracy"],
                "first_train": mine["train_accuracy"],
                "second_test": partner["test_accuracy"],
                "second_train": partner["train_accuracy"],
                "gap": mine["test_accuracy"] - partner["test_accuracy"],
            }
        )
    return rows


def against_best(records: Sequence[dict[str, Any]], baselines: tuple[str, str] = HAND_MADE) -> list[dict[str, Any]]:
    """Every other schedule against the better of ``baselines`` on the same seed (biased; kept for old scripts).

    Per (task, family, schedule, r): the mean and std over seeds of its test accuracy minus the
    better baseline's, how many seeds it beat both, and which baseline was the better one per seed.
    The report no longer uses it: the per-seed maximum of two arms picks up their seed noise.
    For two arms of equal mean and seed-to-seed sd ``sd``, ``E[max(a, b)] = mean + sd/sqrt(pi)``,
    so a third arm *as good as both* scores ``-sd/sqrt(pi)`` (about ``-0.56 sd``) on average here;
    :func:`against_arms` compares with each arm and with their mean instead, which are unbiased.

    Examples
    --------
    >>> cell = {"task": "local", "family": "relu", "r": 6, "seed": 0}
    >>> records = [{**cell, "schedule": s, "test_accuracy": a}
    ...            for s, a in [("wide_base", 0.5), ("wide_tip", 0.6), ("designed", 0.65)]]
    >>> row = against_best(records)[0]
    >>> row["schedule"], round(row["gap_mean"], 2), row["wins"], row["best"]
    ('designed', 0.05, 1, ['wide_tip'])
    """
    acc = {(x["task"], x["family"], x["schedule"], x["r"], x["seed"]): x["test_accuracy"] for x in records}
    groups: dict[tuple[str, str, str, int], list[tuple[int, float, str]]] = defaultdict(list)
    for task, family, schedule, r, seed in sorted(acc, key=_local_first):
        if schedule in baselines:
            continue
        scores = [(acc.get((task, family, b, r, seed)), b) for b in baselines]
        if any(score is None for score, _ in scores):
            continue
        best_score, best = max((score, b) for score, b in scores if score is not None)
        groups[task, family, schedule, r].append((seed, acc[task, family, schedule, r, seed] - best_score, best))
    rows = []
    for (task, family, schedule, r), items in groups.items():
        gaps = [gap for _, gap, _ in items]
        mean, std = _mean_std(gaps)
        rows.append(
            {
                "task": task,
                "family": family,
                "schedule": schedule,
                "r": r,
                "n_seeds": len(items),
                "gap_mean": mean,
                "gap_std": std,
                "wins": sum(g > 0 for g in gaps),
                "seeds": [seed for seed, _, _ in items],
                "gaps": gaps,
                "best": [b for _, _, b in items],
            }
        )
    return rows


def check_baselines(records: Sequence[dict[str, Any]], baselines: Sequence[str]) -> tuple[str, ...]:
    """Return ``baselines`` as a tuple if each is a distinct schedule with cells in ``records``; else raise.

    Examples
    --------
    >>> recs = [{"schedule": s} for s in ("wide_tip", "uniform")]
    >>> check_baselines(recs, ["wide_tip", "uniform"])
    ('wide_tip', 'uniform')
    >>> check_baselines(recs, ["wide_tip", "wide"])
    Traceback (most recent call last):
        ...
    convac.errors.InputError: baseline 'wide' has no cells in these results; schedules present: uniform, wide_tip
    """
    if isinstance(baselines, str) or not all(isinstance(name, str) for name in baselines):
        raise InputError(f"baselines must be a list of schedule names, got {baselines!r}")
    names = tuple(baselines)
    if not names:
        raise InputError("give at least one baseline schedule to compare the other schedules with")
    if len(set(names)) != len(names):
        raise InputError(f"baselines has repeated names: {list(names)}")
    present = sorted({x["schedule"] for x in records})
    for name in names:
        if name not in present:
            raise InputError(
                f"baseline {name!r} has no cells in these results; schedules present: {', '.join(present)}"
            )
    return names


def against_arms(records: Sequence[dict[str, Any]], baselines: tuple[str, ...] = HAND_MADE) -> list[dict[str, Any]]:
    """Every other schedule (a designed net) against each of ``baselines`` and their mean, paired by seed.

    Per (task, family, schedule, r) and per comparison (``versus``: a baseline's name, or
    ``"mean"`` for the mean of all ``baselines`` on that seed): the statistics of
    :func:`paired_gaps` on ``schedule - versus``, over the seeds where every baseline finished.
    Not against the per-seed better baseline: that maximum is biased by about ``sd/sqrt(pi)``
    against any third arm (see :func:`against_best`).

    Examples
    --------
    >>> cell = {"task": "local", "family": "relu", "r": 6}
    >>> recs = [{**cell, "seed": k, "schedule": s, "test_accuracy": a} for k in range(3)
    ...         for s, a in [("wide_base", 0.5), ("wide_tip", 0.6), ("designed", 0.58)]]
    >>> [(row["versus"], round(row["gap_mean"], 3), row["wins"]) for row in against_arms(recs)]
    [('wide_base', 0.08, 3), ('wide_tip', -0.02, 0), ('mean', 0.03, 3)]
    """
    schedules = sorted({x["schedule"] for x in records} - set(baselines))
    rows = []
    for schedule in schedules:
        # Only seeds where every baseline finished, so the three comparisons share their seeds.
        complete = _differences(records, schedule, tuple(baselines))
        for versus in (*baselines, "mean"):
            diffs = complete if versus == "mean" else _differences(records, schedule, versus)
            groups: dict[tuple[str, str, int], list[float]] = defaultdict(list)
            for key in complete:
                groups[key[:3]].append(diffs[key])
            for (task, family, r), values in groups.items():
                rows.append(
                    {"task": task, "family": family, "schedule": schedule, "r": r, "versus": versus}
                    | _stat_fields(paired_test(values))
                )
    order = {name: i for i, name in enumerate((*baselines, "mean"))}
    return sorted(rows, key=lambda row: (*_local_first((row["task"], row["family"], row["schedule"], row["r"])),
                                         order[row["versus"]]))  # fmt: skip


def protocol_versions(records: Sequence[dict[str, Any]]) -> list[int]:
    """Return the protocol versions of ``records`` (:data:`~convac.experiments.inductive_bias.protocol.VERSIONS`).

    Records written before versions existed carry none and are version 1.

    Examples
    --------
    >>> protocol_versions([{"key": "a"}, {"key": "b", "protocol_version": 2}])
    [1, 2]
    """
    return sorted({int(x.get("protocol_version", 1)) for x in records})


_RECORD_FIELDS = ("key", "protocol", "task", "family", "schedule", "r", "seed", "test_accuracy")


def merge_results(sources: Sequence[str | Path]) -> list[dict[str, Any]]:
    r"""Read the result records of several sweeps into one list, refusing mixtures that cannot be compared.

    Each source is a sweep's ``--out`` directory or a ``results.jsonl`` file. All records must come
    from one training protocol (same data, images and optimiser: paired gaps compare nets trained
    on the same images), and a cell present in two sources must hold the same result there. A
    line whose accuracies are not fractions in [0, 1] (NaN, 7.5) is refused, and so are sources
    without a single finished cell.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> cell = {"protocol": "p", "task": "local", "family": "relu", "r": 6, "seed": 0}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name, schedule in [("a", "wide_base"), ("b", "wide_tip")]:
    ...         path = pathlib.Path(tmp, name + ".jsonl")
    ...         rec = {**cell, "schedule": schedule, "key": schedule, "test_accuracy": 0.5}
    ...         _ = path.write_text(json.dumps(rec) + "\n")
    ...     records = merge_results([pathlib.Path(tmp, "a.jsonl"), pathlib.Path(tmp, "b.jsonl")])
    >>> sorted(r["schedule"] for r in records)
    ['wide_base', 'wide_tip']
    """
    from convac.experiments._runner.store import read_records
    from convac.experiments.inductive_bias._results import check_record

    if isinstance(sources, (str, Path)):
        raise InputError("merge_results takes a list of result directories or files, not one path")
    if not sources:
        raise InputError("no results given: pass one or more sweep directories or results.jsonl files")
    merged: dict[str, tuple[dict[str, Any], Path]] = {}  # key -> (record, the file it came from)
    protocols: dict[str, Path] = {}
    for source in sources:
        path = Path(source)
        if path.is_dir():
            path = path / "results.jsonl"
        if not path.is_file():
            raise InputError(f"{source} is neither a sweep directory holding results.jsonl nor a results file")
        for number, record in read_records(path, "fix or remove that line", check_record):
            if any(k not in record for k in _RECORD_FIELDS):
                raise InputError(f"{path} line {number} is not an inductive-bias result record")
            protocols.setdefault(record["protocol"], path)
            if len(protocols) > 1:
                (first, first_path), (other, other_path) = protocols.items()
                raise InputError(
                    f"{first_path} and {other_path} come from different training protocols ({first} and {other}); "
                    "merge only sweeps run with the same data and protocol"
                )
            kept, kept_path = merged.setdefault(record["key"], (record, path))
            if kept is not record and kept["test_accuracy"] != record["test_accuracy"]:
                raise InputError(
                    f"cell {record['key']} has different results in {kept_path} and {path}; keep one of them"
                )
    if not merged:
        raise InputError(f"no finished cells in {', '.join(map(str, sources))}; run the sweep first")
    return [record for record, _ in merged.values()]


def write_report(
    records: Sequence[dict[str, Any]], out_dir: str | Path, baselines: Sequence[str] | None = None
) -> dict[str, Path]:
    """Write ``table.md``, ``table.csv`` and ``figure.png`` for ``records`` into ``out_dir`` (created if needed).

    ``table.md`` opens with the protocol version(s), then per cell accuracies and parameter counts,
    the wide-base minus wide-tip gaps per r and pooled over r, the task x schedule interaction,
    every seed, and every other schedule against each baseline and their mean (:func:`against_arms`).
    ``baselines`` defaults to the paper's two hand-made arms (:data:`HAND_MADE`); name others, e.g.
    ``("wide_base", "wide_tip", "uniform")``, to judge a designed arm against a third simple net too
    (:func:`check_baselines` refuses a name without cells).

    Examples
    --------
    >>> import tempfile
    >>> records = [{"task": t, "family": "relu", "schedule": s, "r": 2, "seed": 0, "test_accuracy": 0.5,
    ...             "train_accuracy": 0.5} for t in ("local", "global") for s in ("wide_base", "wide_tip")]
    >>> with tempfile.TemporaryDirectory() as out:
    ...     sorted(write_report(records, out))
    ['figure', 'table_csv', 'table_md']
    """
    chosen = HAND_MADE if baselines is None else check_baselines(records, baselines)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = summarize(records)
    files = {"table_md": out / "table.md", "table_csv": out / "table.csv", "figure": out / "figure.png"}
    versions = {v: VERSIONS.get(v, "unknown version") for v in protocol_versions(records)}
    files["table_md"].write_text(
        markdown(
            versions,
            rows,
            paired_gaps(records, pooled=True),
            interaction(records),
            per_seed(records),
            against_arms(records, chosen),
            baselines=None if baselines is None else chosen,
        )
    )
    with files["table_csv"].open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["task"])
        writer.writeheader()
        writer.writerows(rows)
    if rows:
        figure(rows, records, files["figure"])
    return files
