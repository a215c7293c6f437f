"""The one result store: fingerprinted header, whole fsynced lines, torn tails dropped, bad lines refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convac.errors import InputError
from convac.experiments._runner import ResultStore, default_workers, fingerprint, resolve_workers, run_tasks
from convac.experiments._runner.local import LocalExecutor
from convac.experiments._runner.signals import Interrupted
from convac.experiments._runner.workers import check_local_workers

CONFIG = {"lr": 0.1, "seeds": [0, 1]}


def _store(path: Path, config: dict = CONFIG, **kwargs) -> ResultStore:
    return ResultStore(path, config, key=lambda r: r["cell"], what="test", **kwargs)


configs = st.dictionaries(
    st.text(max_size=5), st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text())
)


@given(configs)
def test_fingerprint_is_stable_and_ignores_key_order(config: dict) -> None:
    reordered = dict(reversed(list(config.items())))
    assert fingerprint(config) == fingerprint(reordered) == fingerprint(json.loads(json.dumps(config)))


def test_header_then_one_whole_line_per_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.jsonl"
    store = _store(path)
    assert store.open() == {}
    synced, writes = [], []
    real_fsync, real_open = os.fsync, Path.open

    def counting_open(self: Path, mode: str = "r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        if "a" in mode:
            original = handle.write
            handle.write = lambda data: writes.append(data) or original(data)  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    monkeypatch.setattr(Path, "open", counting_open)
    store.append({"cell": 0, "loss": 1.5})
    store.append({"cell": 1, "loss": 0.5})
    assert len(writes) == 2 and all(w.endswith(b"\n") and w.count(b"\n") == 1 for w in writes)
    assert len(synced) == 2
    header, *records = map(json.loads, path.read_text().splitlines())
    assert header == {"kind": "header", "fingerprint": fingerprint(CONFIG), "config": CONFIG}
    assert records == [{"cell": 0, "loss": 1.5}, {"cell": 1, "loss": 0.5}]


def test_resume_skips_finished_cells_and_checks_the_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    store = _store(path)
    store.open()
    store.append({"cell": 3, "loss": 1.0})
    assert _store(path).open() == {3: {"cell": 3, "loss": 1.0}}
    with pytest.raises(InputError) as info:
        _store(path, {"lr": 0.2, "seeds": [0, 1]}).open()
    assert str(info.value) == (
        f"{path} was written by another test configuration (differs in: lr); "
        "use another --out or run again with --restart"
    )
    assert _store(path, {"lr": 0.2}).open(restart=True) == {}


def test_a_config_only_header_of_earlier_versions_still_resumes(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"kind": "header", "config": CONFIG}) + "\n" + json.dumps({"cell": 1}) + "\n")
    assert list(_store(path).open()) == [1]


def test_a_corrupt_line_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _store(path).open()
    with path.open("a") as fh:
        fh.write('{"cell": 0}\n{oops\n{"cell": 2}\n')
    with pytest.raises(InputError, match=rf"^{path} line 3 is not valid JSON; delete that line"):
        _store(path).open()
    path.write_text(path.read_text().replace("{oops", '"a string"'))
    with pytest.raises(InputError, match=rf"^{path} line 3 is not a result record;"):
        _store(path).open()
    checked = _store(path, check=lambda r: None if "cell" in r else "has no cell")
    path.write_text(path.read_text().replace('"a string"', '{"x": 1}'))
    with pytest.raises(InputError, match=rf"^{path} line 3 has no cell;"):
        checked.open()


def test_a_torn_last_line_is_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "r.jsonl"
    store = _store(path)
    store.open()
    store.append({"cell": 0})
    with path.open("ab") as fh:
        fh.write(b'{"cell": 1, "lo')  # a SIGKILL in the middle of the write
    again = _store(path)
    assert list(again.open()) == [0] and "removed a half-written last line" in caplog.text
    again.append({"cell": 1})
    assert [json.loads(x) for x in path.read_text().splitlines()[1:]] == [{"cell": 0}, {"cell": 1}]


def test_foreign_and_headerless_files(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"cell": 0}) + "\n")
    with pytest.raises(InputError, match="is not a convac test results file; use another --out or run again"):
        _store(path).open()
    assert list(_store(path, headerless_ok=True).open()) == [0]


def test_an_interrupt_keeps_every_finished_result(tmp_path: Path) -> None:
    store = _store(tmp_path / "r.jsonl")
    store.open()

    def cell(index: int, progress) -> dict:
        if index == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third cell runs
        return {"cell": index}

    with pytest.raises(Interrupted, match=r"^interrupted: 2 of 4 cells finished and saved in here; run the same"):
        run_tasks(LocalExecutor(), cell, [0, 1, 2, 3], lambda i, r: store.append(r),
                  saved=lambda: len(store.finished), total=4, where="here")  # fmt: skip
    assert list(_store(store.path).open()) == [0, 1]


def test_worker_defaults_come_from_the_cores() -> None:
    from convac._threads import available_cores

    cores = available_cores()
    assert default_workers() == cores and default_workers(threads=cores) == 1
    assert default_workers(threads=2) * 2 <= max(cores, 2)
    assert resolve_workers(None) == cores and resolve_workers(5) == 5
    with pytest.raises(
        InputError, match=rf"workers must be .*, got {cores + 1} \(this process may use {cores} cores\)"
    ):
        check_local_workers(cores + 1)
