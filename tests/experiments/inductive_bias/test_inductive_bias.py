"""The inductive-bias sweep: results on disk, skip, resume after a hard kill, refusals, CLI errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from convac.cli import main
from convac.data.mnist import write_idx
from convac.errors import ConvacError
from convac.experiments.inductive_bias import Cell, Protocol, Sweep, load_results, profile, run_cell, run_sweep

TINY = Protocol(n_train=16, n_test=8, epochs=2, lr=3e-3, batch_size=8)
SWEEP = Sweep(TINY, tasks=("local",), schedules=("wide_base", "wide_tip"), rs=(1,), seeds=(0,))
SRC = str(Path(__file__).resolve().parents[3] / "src")
COMPARED = ("key", "train_accuracy", "test_accuracy", "final_loss", "channels", "n_params")


def _strip(record: dict) -> dict:
    out = {k: record[k] for k in COMPARED}
    out["losses"] = [h["loss"] for h in record["history"]]
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("ref")
    result = run_sweep(SWEEP, out, progress=False, report=False)
    assert result.ran == 2 and result.skipped == 0
    return result.records


def test_results_report_and_skip(reference, tmp_path_factory) -> None:
    out = tmp_path_factory.mktemp("skip")
    run_sweep(SWEEP, out, progress=False)
    text = (out / "results.jsonl").read_text()
    again = run_sweep(SWEEP, out, progress=False)
    assert again.ran == 0 and again.skipped == 2
    assert (out / "results.jsonl").read_text() == text  # nothing rewritten
    assert [_strip(r) for r in again.records] == [_strip(r) for r in reference]  # same seed, same numbers
    assert (out / "figure.png").read_bytes()[:4] == b"\x89PNG"
    csv_lines = (out / "table.csv").read_text().splitlines()
    assert csv_lines[0].startswith("task,family,schedule,r,n_seeds,test_mean") and len(csv_lines) == 3
    assert "wide_base" in (out / "table.md").read_text()
    assert not any((out / "checkpoints").iterdir())  # finished cells leave no checkpoint


def test_killed_run_resumes_to_the_same_result(reference, tmp_path) -> None:
    # A separate process is SIGKILLed right after the second cell's first checkpoint is written.
    script = f"""
import os, signal, sys, torch
sys.path.insert(0, {SRC!r})
from convac.experiments.inductive_bias import Protocol, Sweep, run_sweep
sweep = Sweep(Protocol(**{TINY.to_dict()!r}), tasks=("local",), schedules=("wide_base", "wide_tip"),
              rs=(1,), seeds=(0,))
def hook(cell, epoch, record):
    if cell.schedule == "wide_tip" and epoch == 1:
        os.kill(os.getpid(), signal.SIGKILL)
run_sweep(sweep, {str(tmp_path)!r}, progress=False, report=False, on_epoch=hook)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    done = load_results(tmp_path)
    assert [r["key"] for r in done] == ["local|relu|wide_base|r=1|seed=0"]
    ckpts = list((tmp_path / "checkpoints").glob("*.pt"))
    assert len(ckpts) == 1
    state = torch.load(ckpts[0], weights_only=True)  # plain tensors and containers only
    assert state["epoch"] == 1 and state["identity"]["cell"] == "local|relu|wide_tip|r=1|seed=0"
    assert set(state) >= {"model", "optimizer", "rng", "history"}

    resumed = run_sweep(SWEEP, tmp_path, progress=False, report=False)
    assert resumed.ran == 1 and resumed.skipped == 1
    assert resumed.records[1]["resumed_from_epoch"] == 1
    assert [_strip(r) for r in resumed.records] == [_strip(r) for r in reference]


def test_torn_last_line_is_ignored_and_repaired(reference, tmp_path, caplog) -> None:
    run_sweep(SWEEP, tmp_path, progress=False, report=False)
    path = tmp_path / "results.jsonl"
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "header"
    path.write_text(lines[0] + "\n" + lines[1] + "\n" + lines[2][:40])  # killed (SIGKILL) writing the second cell
    assert [r["key"] for r in load_results(tmp_path)] == [reference[0]["key"]]
    assert "ignoring a half-written last line" in caplog.text
    result = run_sweep(SWEEP, tmp_path, progress=False, report=False)
    assert result.ran == 1 and "removed a half-written last line" in caplog.text
    assert path.read_text().startswith(lines[0] + "\n" + lines[1] + "\n{")  # cut off, not left in the middle
    assert [_strip(r) for r in load_results(tmp_path)] == [_strip(r) for r in reference]


CLI_TINY = ["--tasks", "local", "--schedules", "wide_base;wide_tip", "--rs", "1", "--seeds", "0", "--n-train", "16"]
CLI_TINY += ["--n-test", "8", "--epochs", "2", "--batch-size", "8", "--no-progress"]


def _refused(capsys, out: Path, *match: str) -> None:
    """run_sweep and the CLI both refuse ``out`` with one line holding every piece of ``match``."""
    with pytest.raises(ConvacError) as info:
        run_sweep(SWEEP, out, progress=False, report=False)
    code, err = _cli(capsys, "--out", str(out), *CLI_TINY)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    for piece in match:
        assert piece in str(info.value) and piece in err, (piece, err)


def test_corrupt_or_foreign_checkpoint_is_refused_then_restart(reference, tmp_path, capsys) -> None:
    assert [c.key for c in SWEEP.cells()] == [r["key"] for r in reference]
    (tmp_path / "checkpoints").mkdir()
    ckpt = tmp_path / "checkpoints" / f"{SWEEP.cells()[0].filename}.pt"
    advice = "delete it (the cell then starts over) or run again with --restart"
    ckpt.write_bytes(b"not a checkpoint")
    _refused(capsys, tmp_path, f"checkpoint {ckpt} cannot be read", advice)
    torch.save(torch.zeros(3), ckpt)  # a torch file, not one of ours
    _refused(capsys, tmp_path, f"checkpoint {ckpt} belongs to another cell or protocol", advice)
    other = SWEEP.cells()[1]  # another cell's checkpoint under this cell's name
    run_cell(TINY, other, tmp_path / "other.pt")
    (tmp_path / "other.pt").replace(ckpt)
    _refused(capsys, tmp_path, "belongs to another cell or protocol")
    assert load_results(tmp_path) == []
    code, _ = _cli(capsys, "--out", str(tmp_path), *CLI_TINY, "--restart")
    assert code == 0 and not ckpt.exists()
    assert [_strip(r) for r in load_results(tmp_path)] == [_strip(r) for r in reference]


def test_malformed_results_or_protocol_file_is_refused_then_restart(reference, tmp_path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    run_sweep(SWEEP, tmp_path, progress=False)
    path = tmp_path / "results.jsonl"
    good = path.read_text().splitlines(keepends=True)
    advice = "delete that line (its cell then runs again) or run again with --restart"
    for bad, problem in [("{oops\n", "is not valid JSON"), ("[1, 2]\n", "is not a result record")]:
        path.write_text(good[0] + bad + good[1])
        _refused(capsys, tmp_path, f"{path} line 2 {problem}", advice)
        with pytest.raises(ConvacError, match="line 2"):
            load_results(tmp_path)
    (tmp_path / "protocol.json").write_text("{")
    _refused(capsys, tmp_path, "protocol.json is not a convac protocol file", "--restart")
    code, _ = _cli(capsys, "--out", str(tmp_path), *CLI_TINY, "--lr", "0.1", "--restart")
    assert code == 0 and json.loads((tmp_path / "protocol.json").read_text())["lr"] == 0.1
    assert [r["protocol"] for r in load_results(tmp_path)] != [r["protocol"] for r in reference]
    assert (tmp_path / "notes.txt").read_text() == "mine"  # --restart removes only what a sweep wrote


def test_other_configuration_is_refused_without_touching_results(reference, tmp_path) -> None:
    run_sweep(SWEEP, tmp_path, progress=False, report=False)
    before = (tmp_path / "results.jsonl").read_bytes()
    other = Sweep(Protocol(**{**TINY.to_dict(), "epochs": 4}), tasks=("local",), rs=(1,), seeds=(0,))
    with pytest.raises(ConvacError, match=r"another configuration \(differs in: epochs\)"):
        run_sweep(other, tmp_path, progress=False, report=False)
    assert (tmp_path / "results.jsonl").read_bytes() == before
    # A directory with results but no manifest is not adopted either.
    (tmp_path / "protocol.json").unlink()
    with pytest.raises(ConvacError, match="refusing to mix"):
        run_sweep(SWEEP, tmp_path, progress=False, report=False)
    assert (tmp_path / "results.jsonl").read_bytes() == before


def test_process_pool_gives_the_same_results(reference, tmp_path) -> None:
    result = run_sweep(SWEEP, tmp_path, progress=False, workers=2, report=False)
    assert result.ran == 2
    assert [_strip(r) for r in result.records] == [_strip(r) for r in reference]


def test_micro_batches_take_the_same_steps(reference, tmp_path) -> None:
    # Pieces of 3 do not divide the batch of 8: the last piece is short and must still weigh per image.
    sweep = Sweep(Protocol(**{**TINY.to_dict(), "micro_batch": 3}), tasks=("local",), rs=(1,), seeds=(0,))
    result = run_sweep(sweep, tmp_path, progress=False, report=False)
    assert result.ran == 2 and result.records[0]["protocol"] != reference[0]["protocol"]
    for mine, ref in zip(result.records, reference, strict=True):
        assert mine["key"] == ref["key"]
        losses = [h["loss"] for h in mine["history"]]
        assert losses == pytest.approx([h["loss"] for h in ref["history"]], rel=1e-5)
        assert mine["test_accuracy"] == ref["test_accuracy"] and mine["train_accuracy"] == ref["train_accuracy"]


def test_micro_batch_unset_keeps_old_fingerprints() -> None:
    # Results written before the field existed must still belong to their protocol.
    assert "micro_batch" not in TINY.to_dict()
    assert Protocol(**TINY.to_dict()).fingerprint == TINY.fingerprint
    assert Protocol(**{**TINY.to_dict(), "micro_batch": 4}).fingerprint != TINY.fingerprint
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ConvacError, match="micro_batch must be a positive integer"):
            Protocol(micro_batch=bad)


def test_profiles_and_grid_validation() -> None:
    paper = profile("paper")
    assert paper.protocol.n_train == 60000 and paper.protocol.n_test == 10000
    assert paper.rs == (6, 8, 10, 12, 16, 20, 24, 30) and len(paper.seeds) >= 3
    assert len(profile("quick").seeds) >= 3
    custom = Sweep(TINY, schedules=("wide_base", "mine=1,1,1,2,2,2"), rs=(2,), seeds=(0,))
    assert {c.channels[-1] for c in custom.cells()} == {2, 4}
    assert len({c.key for c in profile("paper").cells()}) == 2 * 2 * 8 * 3
    with pytest.raises(ConvacError, match="unknown task"):
        Sweep(TINY, tasks=("medium",))
    with pytest.raises(ConvacError, match="unknown schedule"):
        Sweep(TINY, schedules=("wide_mid",))
    with pytest.raises(ConvacError, match="unknown model family"):
        Sweep(TINY, families=("mlp",))
    with pytest.raises(ConvacError, match="unknown profile"):
        profile("huge")
    with pytest.raises(ConvacError, match="epochs must be a positive integer"):
        Protocol(epochs=0)
    with pytest.raises(ConvacError, match="canvas must be 64"):
        profile("quick", canvas=32)
    assert Cell("local", "relu", "wide_tip", 2, 0).channels == [2, 2, 4, 4, 8, 8]


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = main(["experiment", "inductive-bias", *args])
    return code, capsys.readouterr().err


def test_cli_errors_are_one_line_exit_2(tmp_path, capsys) -> None:
    small = ["--n-train", "8", "--n-test", "8", "--epochs", "1", "--rs", "1", "--seeds", "0", "--no-progress"]
    cases = [
        (["--tasks", "medium"], "unknown task 'medium'"),
        (["--schedules", "wide_mid"], "unknown schedule 'wide_mid'"),
        (["--mnist-dir", str(tmp_path / "nope")], "does not exist"),
        (["--profile", "huge"], "unknown profile"),
        (["--device", "tpu"], "device must be"),
        (["--micro-batch", "0"], "--micro-batch must be a positive integer"),
    ]
    for extra, message in cases:
        code, err = _cli(capsys, "--out", str(tmp_path / "o"), *small, *extra)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    corrupt = tmp_path / "mnist"
    corrupt.mkdir()
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        write_idx(corrupt / name, torch.zeros(2, 2, 2, dtype=torch.uint8).numpy())
    write_idx(corrupt / "train-labels-idx1-ubyte", torch.zeros(2, dtype=torch.uint8).numpy())
    (corrupt / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    code, err = _cli(capsys, "--out", str(tmp_path / "o"), *small, "--mnist-dir", str(corrupt))
    assert code == 2 and "cannot read IDX file" in err and len(err.strip().splitlines()) == 1


def test_cli_runs_and_refuses_a_foreign_directory(tmp_path, capsys) -> None:
    args = ["--out", str(tmp_path), "--tasks", "global", "--schedules", "wide_tip;d=1,1,1,1,1,1", "--rs", "1"]
    args += ["--seeds", "0", "--n-train", "8", "--n-test", "8", "--epochs", "1", "--batch-size", "8"]
    assert main(["experiment", "inductive-bias", *args, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2 cells run, 0 already done" in out and "| global | relu | d | 1 |" in out
    records = load_results(tmp_path)
    assert {r["schedule_token"] for r in records} == {"wide_tip", "d=1,1,1,1,1,1"}
    before = (tmp_path / "results.jsonl").read_bytes()
    code, err = _cli(capsys, *args, "--lr", "0.1", "--no-progress")
    assert code == 2 and "another configuration (differs in: lr)" in err
    assert (tmp_path / "results.jsonl").read_bytes() == before
    assert os.listdir(tmp_path / "checkpoints") == []


def test_convac_weights_field_keeps_committed_fingerprints() -> None:
    """The field at its default is left out of the fingerprint: committed results keep theirs."""
    assert "convac_weights" not in TINY.to_dict()
    signed = Protocol(**{**TINY.to_dict(), "convac_weights": "signed"})
    assert signed.to_dict()["convac_weights"] == "signed" and signed.fingerprint != TINY.fingerprint
    committed = Path(__file__).resolve().parents[3] / "docs" / "results" / "inductive_bias" / "quick-results.jsonl"
    stored = {json.loads(line)["protocol"] for line in committed.read_text().splitlines() if line.strip()}
    assert stored == {profile("quick", source="digits", protocol_version=1).protocol.fingerprint}
    for kind in ("signed", "neutral"):  # the committed ConvAC-family runs are the quick profile with that kind
        path = committed.parent / f"convac-{kind}-quick-r4-results.jsonl"
        stored = {json.loads(line)["protocol"] for line in path.read_text().splitlines() if line.strip()}
        assert stored == {
            profile("quick", convac_weights=kind, source="digits", protocol_version=1).protocol.fingerprint
        }
    neutral = Protocol(**{**TINY.to_dict(), "convac_weights": "neutral"})
    assert len({TINY.fingerprint, signed.fingerprint, neutral.fingerprint}) == 3
    with pytest.raises(ConvacError, match="convac_weights must be 'positive', 'signed' or 'neutral'"):
        Protocol(convac_weights="mixed")


# protocol.json of `convac experiment inductive-bias --out ...` (quick profile) before the real digits existed
OLD_QUICK_MANIFEST = {
    "batch_size": 16,
    "canvas": 64,
    "epochs": 6,
    "init": "data",
    "lr": 0.003,
    "mnist_dir": None,
    "n_test": 1000,
    "n_train": 2000,
    "source": "digits",
    "weight_decay": 0.0,
}


def test_real_digits_default_keeps_old_results_valid_and_resumable(tmp_path, capsys) -> None:
    assert Protocol().source == "mnist5k" and Protocol().to_dict()["resize"] == "area"
    old = profile("quick", source="digits", protocol_version=1)
    assert old.protocol.to_dict() == OLD_QUICK_MANIFEST  # nothing new enters an old protocol
    committed = Path(__file__).resolve().parents[3] / "docs" / "results" / "inductive_bias"
    paper = {json.loads(line)["protocol"] for line in (committed / "paper-r6-results.jsonl").open()}
    assert paper == {profile("paper", source="digits", micro_batch=8, protocol_version=1).protocol.fingerprint}
    # An old results directory resumes (nothing to run) under --source digits ...
    (tmp_path / "protocol.json").write_text(json.dumps(OLD_QUICK_MANIFEST, indent=1, sort_keys=True) + "\n")
    (tmp_path / "results.jsonl").write_bytes((committed / "quick-results.jsonl").read_bytes())
    result = run_sweep(old, tmp_path, progress=False, report=False)
    assert (result.ran, result.skipped) == (0, len(old.cells()))
    # ... and the new default refuses it, saying how to resume it.
    code, err = _cli(capsys, "--out", str(tmp_path), "--no-progress")
    assert code == 2 and "differs in: protocol_version, resize, source" in err and "add --source digits" in err
    code, err = _cli(capsys, "--out", str(tmp_path), "--no-progress", "--source", "digits")
    assert code == 2 and "differs in: protocol_version)" in err and "add --protocol-version 1" in err
    args = ["--out", str(tmp_path), "--no-progress", "--source", "digits", "--protocol-version", "1"]
    assert main(["experiment", "inductive-bias", *args]) == 0
    assert f"0 cells run, {len(old.cells())} already done" in capsys.readouterr().out
    # Full MNIST from IDX files was resized bilinearly before: old such directories resume with --resize bilinear.
    idx_old = {**OLD_QUICK_MANIFEST, "source": "mnist", "mnist_dir": "m"}
    assert Protocol(**{**idx_old, "resize": "bilinear", "protocol_version": 1}).to_dict() == idx_old
    assert Protocol(**idx_old, protocol_version=1).to_dict() == {**idx_old, "resize": "area"}
    assert Protocol(resize="max").fingerprint != Protocol().fingerprint
    # The init fix is protocol version 2: new sweeps carry it in their fingerprint, old ones keep theirs.
    assert Protocol().to_dict()["protocol_version"] == 2
    assert Protocol(protocol_version=1).fingerprint != Protocol().fingerprint
    for bad in (0, 3, True):
        with pytest.raises(ConvacError, match=r"protocol_version must be one of \[1, 2\]"):
            Protocol(protocol_version=bad)
    with pytest.raises(ConvacError, match="unknown resize method 'cubic'"):
        Protocol(resize="cubic")
    with pytest.raises(ConvacError, match="unknown digit source 'emnist'"):
        Protocol(source="emnist")


def test_cli_source_flags(tmp_path, capsys) -> None:
    code, err = _cli(capsys, "--out", str(tmp_path), "--source", "mnist")
    assert code == 2 and "--source mnist needs --mnist-dir" in err
    code, err = _cli(capsys, "--out", str(tmp_path), "--source", "digits", "--mnist-dir", str(tmp_path))
    assert code == 2 and "cannot go with --source digits" in err
