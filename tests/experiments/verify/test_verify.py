"""convac verify: the theorem check finds what it should, resumes, skips, refuses foreign files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import convac
from convac import Architecture, Partition
from convac.cli import main
from convac.errors import ConvacError
from convac.experiments import verify as verify_mod
from convac.experiments.verify import (
    SUITES,
    is_power_family,
    lower_bound_values,
    run_cell,
    suite_cells,
    verify,
)
from convac.experiments.verify import cell as cell_mod
from convac.experiments.verify import run as run_mod

TIMING = {"seconds", "seconds_cut", "seconds_rank", "cpu_seconds"}


def _records(path: Path) -> list[dict]:
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "header"
    return [json.loads(line) for line in lines[1:]]


def _strip(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in TIMING}


def _tiny(tmp_path: Path, **kw: object) -> convac.VerifyReport:
    args = {"out": tmp_path, "cells": 2, "partitions": 3, "workers": 1, "progress": False}
    args.update(kw)
    return verify(["powers"], **args)  # type: ignore[arg-type]


def test_paper_grid_is_360_arrangements_by_6435_partitions() -> None:
    cells = suite_cells("paper", full=True)
    assert len(cells) == 360 and {len(c.partitions) for c in cells} == {6435}
    channels = {tuple(c.arch["channels"]) for c in cells}
    assert len(channels) == 360
    assert all(len(set(ch)) == 4 and set(ch) <= {2, 3, 5, 7, 11, 13} for ch in channels)
    parts = cells[0].partitions
    assert len(set(parts)) == 6435 and all(len(p) == 8 and p[0] == 0 for p in parts)


def test_samples_are_seeded_and_contain_named_partitions() -> None:
    a = suite_cells("2d", seed=1, cells=3, partitions=5)
    assert a == suite_cells("2d", seed=1, cells=3, partitions=5)
    assert a != suite_cells("2d", seed=2, cells=3, partitions=5)
    arch = Architecture.from_dict(a[0].arch)
    checker = Partition.checkerboard(arch).side_a
    assert checker in a[0].partitions and len(a[0].partitions) == 5 + 3
    with pytest.raises(ConvacError, match="unknown verify suite"):
        suite_cells("nope")


def test_is_power_family() -> None:
    assert is_power_family(Architecture.deep_1d(8, 4, [2, 8, 16]))
    assert is_power_family(Architecture.deep_1d(8, 3, [9, 27, 1]))
    assert not is_power_family(Architecture.deep_1d(8, 2, [2, 3, 4]))
    assert not is_power_family(Architecture.deep_1d(8, 4, [8, 6, 2]))
    assert is_power_family(Architecture.shallow(n_inputs=4, n_features=2, hidden=16))


def test_vectorised_lower_bound_matches_min_cut_lower_bound() -> None:
    rng = np.random.default_rng(0)
    for arch in (
        Architecture.deep_1d(16, 2, [13, 5, 13, 2]),
        Architecture.deep_1d(8, 3, [7, 2, 10]),
        Architecture.deep_2d(4, 4, 2, [5, 3]),
    ):
        masks = rng.random((25, arch.n_inputs)) < 0.5
        masks[:, 0], masks[:, 1] = True, False
        expected = [convac.min_cut_lower_bound(arch, Partition.from_mask(m)) for m in masks]
        assert lower_bound_values(arch, masks) == expected


def test_run_cell_is_a_pure_function() -> None:
    cell = suite_cells("shared", cells=1, partitions=2)[0]
    first, second = run_cell(cell), run_cell(cell)
    assert _strip(first) == _strip(second)
    assert first["cases"] == 4 and first["above"] == 0


def test_verify_checks_every_case(tmp_path: Path) -> None:
    report = _tiny(tmp_path)
    (row,) = report.rows
    assert row.cases == 2 * (3 + 2) and row.equal == row.cases and report.ok
    assert row.power_cases == row.cases and row.power_mismatch == 0
    table = (tmp_path / "verify.md").read_text()
    assert "| powers | 2 | 10 | 10 | 0 |" in table
    csv_lines = (tmp_path / "verify.csv").read_text().splitlines()
    assert csv_lines[0].startswith("suite,architectures,cases") and csv_lines[1].startswith("powers,2,10,")


def test_rerun_skips_finished_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _tiny(tmp_path)
    before = (tmp_path / "powers.jsonl").read_text()

    def fail(cell: object) -> dict:
        raise AssertionError("a finished cell was recomputed")

    monkeypatch.setattr(run_mod, "run_cell", fail)
    again = _tiny(tmp_path)
    assert (tmp_path / "powers.jsonl").read_text() == before
    assert again.rows == first.rows


def test_interrupted_run_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _records(_tiny(tmp_path / "ref").files[0])
    real = run_mod.run_cell
    calls = []

    def interrupt_after_one(cell: verify_mod.Cell) -> dict:
        if calls:
            raise KeyboardInterrupt
        calls.append(cell.index)
        return real(cell)

    monkeypatch.setattr(run_mod, "run_cell", interrupt_after_one)
    with pytest.raises(KeyboardInterrupt):
        _tiny(tmp_path / "run")
    path = tmp_path / "run" / "powers.jsonl"
    assert len(_records(path)) == 1
    monkeypatch.setattr(run_mod, "run_cell", real)
    _tiny(tmp_path / "run")
    got = sorted(_records(path), key=lambda r: r["index"])
    assert [_strip(r) for r in got] == [_strip(r) for r in sorted(reference, key=lambda r: r["index"])]


def test_process_pool_gives_the_same_records(tmp_path: Path) -> None:
    one = _records(verify(["shallow"], out=tmp_path / "1", cells=3, partitions=3, workers=1, progress=False).files[0])
    two = _records(verify(["shallow"], out=tmp_path / "2", cells=3, partitions=3, workers=2, progress=False).files[0])
    assert sorted(map(str, map(_strip, one))) == sorted(map(str, map(_strip, two)))


def test_half_written_line_is_dropped_and_redone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    report = _tiny(tmp_path)
    path = report.files[0]
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][:25])  # killed (SIGKILL) mid-write
    again = _tiny(tmp_path)
    assert "removed a half-written last line" in caplog.text and str(path) in caplog.text
    assert [_strip(r) for r in _records(path)] == [_strip(json.loads(x)) for x in lines[1:]]
    assert again.rows[0].cases == report.rows[0].cases


def test_foreign_or_corrupt_results_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tiny(tmp_path)
    with pytest.raises(ConvacError, match=r"another verify configuration .*partitions.*--restart"):
        _tiny(tmp_path, partitions=4)
    with pytest.raises(ConvacError, match=r"another verify configuration .*seed"):
        _tiny(tmp_path, seed=3)
    path = tmp_path / "powers.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    cli = ["verify", "--suite", "powers", "--cells", "2", "--partitions", "3", "--workers", "1", "--out", str(tmp_path)]
    for bad, problem in [("{not json\n", "is not valid JSON"), ('{"kind": "cell"}\n', "is not a verify cell record")]:
        path.write_text(lines[0] + bad + "".join(lines[1:]))
        message = f"{path} line 2 {problem}; delete that line (its cell then runs again) or run again with --restart"
        with pytest.raises(ConvacError, match=re.escape(message)):
            _tiny(tmp_path)
        assert main([*cli, "--no-progress"]) == 2
        assert capsys.readouterr().err.strip().splitlines() == [f"convac: error: {message} to start over"]
    path.write_text("hello\n")
    with pytest.raises(ConvacError, match="not a convac verify results file"):
        _tiny(tmp_path)
    assert main([*cli, "--no-progress", "--restart"]) == 0  # deletes the file and starts over
    assert [_strip(r) for r in _records(path)] == [_strip(json.loads(x)) for x in lines[1:]]
    assert _tiny(tmp_path, partitions=4, restart=True).rows[0].cases == 2 * (4 + 2)


def test_verify_reports_violations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A rank above the min-cut (impossible) must fail the check; so must one below the
    # proven lower bound. In the shared suite the lower bound is only measured.
    real = cell_mod.generic_ranks

    def too_high(arch: Architecture, parts: list, seed: int, prime: int, cap: list) -> list:
        return [c for c in cap]  # = min_cut + 1

    monkeypatch.setattr(cell_mod, "generic_ranks", too_high)
    report = _tiny(tmp_path / "a")
    assert not report.ok and report.rows[0].above == report.rows[0].cases
    assert "FAIL" in report.to_markdown()

    def too_low(arch: Architecture, parts: list, seed: int, prime: int, cap: list) -> list:
        return [max(1, c // 2 - 1) for c in real(arch, parts, seed=seed, prime=prime, cap=cap)]

    monkeypatch.setattr(cell_mod, "generic_ranks", too_low)
    low = _tiny(tmp_path / "b")
    assert not low.ok and low.rows[0].under_lower > 0 and low.rows[0].redrawn > 0
    shared = verify(["shared"], out=tmp_path / "c", cells=1, partitions=3, workers=1, progress=False)
    assert shared.ok and shared.rows[0].under_lower > 0 and not shared.rows[0].lower_proven
    assert "(not proven)" in shared.to_markdown()


def test_verify_bad_arguments(tmp_path: Path) -> None:
    for kwargs, match in [
        ({"workers": 10**6}, "workers must be .*this process may use"),
        ({"prime": 3}, "prime must be at least 65521"),
        ({"cells": 0}, "cells must be a positive integer"),
        ({"seed": -1}, "seed"),
        ({"prime": 2**31}, "prime-field overflow"),
    ]:
        with pytest.raises(ValueError, match=match):
            verify(["powers"], out=tmp_path, progress=False, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConvacError, match="unknown verify suite"):
        verify(["powers", "bogus"], out=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConvacError, match="not a directory"):
        verify(["powers"], out=tmp_path / "file")


def test_cli_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "cli")
    base = ["verify", "--suite", "shallow", "--cells", "2", "--partitions", "3", "--workers", "1"]
    assert main([*base, "--out", out, "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "| shallow | 2 |" in text and Path(out, "verify.csv").exists()
    bad = [
        ["verify", "--suite", "nope"],
        ["verify", "--workers", "3", "--out", out],
        ["verify", "--prime", "15", "--out", out],
        ["verify", "--cells", "zero"],
        [*base, "--partitions", "4", "--out", out],  # a results file from another configuration
    ]
    for argv in bad:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err


def test_suites_are_documented() -> None:
    assert set(SUITES) == {"paper", "2d", "shared", "shallow", "powers"}
    assert all(spec.description for spec in SUITES.values())
