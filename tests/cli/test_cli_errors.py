"""Every bad input a new user can type gets one stderr line naming what was wrong, exit code 2.

And nothing else does: an internal bug (a plain TypeError, KeyError, IndexError) keeps its
traceback instead of being reported as bad input.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np
import pytest

from convac.cli import build_parser, main
from convac.cli._flags import IntFlag
from convac.data.mnist import write_idx

EXAMPLE_NET = f"{Path(__file__).resolve().parents[1] / 'fx' / 'cnn_shapes.py'}:example_net"


def _one_line_exit_2(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err, err
    return err


TWENTY = ",".join(["2"] * 20)

CASES = [
    # sizes that cannot be allocated: named with the limit, no "array is too big"
    (
        ["analyze", "--inputs", "1099511627776", "--shallow", "--channels", "2"],
        "has 1,099,511,627,776 input positions, over the limit of 4,194,304",
    ),
    (
        ["analyze", "--grid", "1048576x1048576", "--channels", TWENTY],
        "1,099,511,627,776 input positions, over the limit",
    ),
    (
        ["analyze", "--inputs", "1099511627776", "--channels", "2"],
        "has 40 hidden layers, got 1 entries",
    ),
    (
        ["train", "--channels", "100000,100000,100000"],
        "has 200,103,400,000 parameters, which would need 745 GiB as float32",
    ),
    (["train", "--channels", "100000,100000,100000"], "over the limit of 4 GiB"),
    (
        ["analyze", "--inputs", "4", "--channels", "1000000000,1000000000", "--rank", "yes"],
        "the exact rank's intermediate matrices mod p would need 119 GiB, over the limit of 4 GiB",
    ),
    (["train", "--channels", "2,0,2"], "channels[1] must be a positive integer, got 0"),
    (["train", "--channels", "a,b"], "argument --channels: expected comma-separated integers"),
    (["train", "--lr", "0"], "--lr must be a positive number, got '0'"),
    (["train", "--lr", "nan"], "--lr must be a positive number, got 'nan'"),
    (["train", "--weights", "complex"], "invalid choice"),
    # integer flags whose value parses but is not allowed by the library
    (["verify", "--workers", "3"], "workers must be 1 or 2, got 3"),
    (["verify", "--prime", "4"], "prime must be a prime number"),
    (["verify", "--suite", "bogus"], "invalid choice"),
    (["analyze", "--inputs", "1", "--channels", "2", "--shallow"], "at least 2 inputs"),
    (["analyze", "--inputs", "12", "--channels", "2,2"], "power of the window size 2"),
    # figure paths: written exactly as given, so they need an image suffix
    (["analyze", "--inputs", "8", "--channels", "2,2,2", "--figure", "adir"], "--figure must be a file name ending in"),
    (["analyze", "--inputs", "8", "--channels", "2,2,2", "--width-figure", "a.txt"], "--width-figure must be"),
    # experiment lists and sizes
    (["experiment", "inductive-bias", "--out", "unused", "--rs", "0"], "every r must be a positive integer, got 0"),
    (
        ["experiment", "inductive-bias", "--out", "unused", "--seeds", "-1"],
        "every seed must be a non-negative integer, got -1",
    ),
    (["design", "--inputs", "16", "--budget", "300", "--profile", "checkerboard=-1"], "must be a non-negative number"),
    (["design", "--inputs", "16", "--budget", "300", "--widths", "0"], "positive"),
    (["analyze", "--inputs", "8", "--channels", "2,2,2", "--families", " , "], "families must name at least one"),
    ([], "choose a command"),
    # --module: a PyTorch CNN by MODULE:FACTORY and one sample's shape
    (["analyze", "--module", "convac.fx", "--input-shape", "1,8,8"], "MODULE:ATTRIBUTE"),
    (["analyze", "--module", "no_such_pkg.nets:lenet", "--input-shape", "1,8,8"], "cannot import 'no_such_pkg.nets'"),
    (["analyze", "--module", "convac.fx:nope", "--input-shape", "1,8,8"], "has no attribute 'nope'"),
    (["analyze", "--module", "convac:__version__", "--input-shape", "1,8,8"], "is a str, not"),
    (["analyze", "--module", "convac.fx:load_module_object", "--input-shape", "1,8,8"], "with no arguments failed"),
    (["analyze", "--module", EXAMPLE_NET], "--module needs --input-shape"),
    (["analyze", "--inputs", "8", "--channels", "2,2,2", "--input-shape", "1,8"], "--input-shape goes with --module"),
    (["analyze", "--module", EXAMPLE_NET, "--input-shape", "1,8"], "does not run on inputs"),
    (["analyze", "--module", EXAMPLE_NET, "--input-shape", "8"], "--input-shape must be"),
    (["analyze", "--module", EXAMPLE_NET, "--input-shape", "1,0,8"], "--input-shape must be"),
    (["analyze", "--module", EXAMPLE_NET, "--input-shape", "1,a,8"], "--input-shape must be"),
]


@pytest.mark.parametrize(("argv", "fragment"), CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_is_one_line_exit_2(argv, fragment, capsys):
    _one_line_exit_2(argv, fragment, capsys)


def _int_flags() -> list[tuple[list[str], str, int]]:
    """(command words, flag, smallest allowed value) of every integer flag of every command."""
    found = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*words, name])
            elif isinstance(action.type, IntFlag):
                found.append((words, action.type.flag, action.type.minimum))

    walk(build_parser(), [])
    return found


INT_FLAGS = _int_flags()


def test_every_int_flag_is_covered():
    flags = {flag for _, flag, _ in INT_FLAGS}
    assert {"--seed", "--epochs", "--workers", "--inputs", "--budget", "--micro-batch", "--prime"} <= flags
    commands = {" ".join(words) for words, _, _ in INT_FLAGS}
    assert commands == {
        "demo",
        "train",
        "verify",
        "analyze",
        "design",
        "advise",
        "experiment inductive-bias",
        "data-entanglement",
        "experiment function-entanglement",
        "experiment data-entanglement",
        "experiment feature-order",
        "experiment scale-tasks",
        "wavefunction",
    }


@pytest.mark.parametrize(("words", "flag", "minimum"), INT_FLAGS, ids=[f"{' '.join(w)} {f}" for w, f, _ in INT_FLAGS])
@pytest.mark.parametrize("value", ["x", "2.5", "below"])
def test_every_int_flag_names_itself(words, flag, minimum, value, capsys):
    text = str(minimum - 1) if value == "below" else value
    allowed = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
    err = _one_line_exit_2([*words, flag, text], f"{flag} must be {allowed}, got {text!r}", capsys)
    assert err.startswith(f"convac {' '.join(words)}: error: {flag} must be")


def test_figure_is_written_exactly_where_asked(tmp_path, capsys):
    out = tmp_path / "adir" / "scales.svg"
    assert main(["analyze", "--inputs", "8", "--channels", "2,2,2", "--rank", "no", "--figure", str(out)]) == 0
    assert out.is_file() and out.read_bytes().lstrip().startswith(b"<?xml")
    assert sorted(p.name for p in out.parent.iterdir()) == ["scales.svg"]
    capsys.readouterr()
    # a suffix-less path is refused before any file appears
    _one_line_exit_2(["analyze", "--inputs", "8", "--channels", "2,2,2", "--figure", str(tmp_path / "b")], "", capsys)
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.png").exists()


def _mnist_dir(tmp_path, images_gz: bytes):
    d = tmp_path / "mnist"
    d.mkdir()
    (d / "train-images-idx3-ubyte.gz").write_bytes(images_gz)
    write_idx(d / "train-labels-idx1-ubyte", np.zeros(2, np.uint8))
    write_idx(d / "t10k-images-idx3-ubyte", np.zeros((2, 8, 8), np.uint8))
    write_idx(d / "t10k-labels-idx1-ubyte", np.zeros(2, np.uint8))
    return d


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        # the header announces 2^40 bytes: refused before decompressing any data
        (bytes([0, 0, 8, 3]) + (1 << 20).to_bytes(4, "big") * 2 + (1).to_bytes(4, "big"), "over the limit of"),
        # the header announces 2x8x8 = 128 bytes, then 16 MiB of zeros follow
        (bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 8]) + bytes(1 << 24), "file has more than 128"),
    ],
)
def test_gzip_bomb_in_mnist_dir_is_refused_by_size(tmp_path, capsys, payload, fragment):
    d = _mnist_dir(tmp_path, gzip.compress(payload, compresslevel=1))
    argv = ["experiment", "inductive-bias", "--out", str(tmp_path / "o"), "--mnist-dir", str(d), "--no-progress"]
    _one_line_exit_2(argv, fragment, capsys)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--n-train", "1000000000"], "1,000,000,000 placed digits would need 22.4 GiB, over the limit of 4 GiB"),
        (
            ["--rs", "100000", "--families", "relu", "--n-train", "8"],
            "has 310,006,400,110 parameters, which would need 1.13 TiB",
        ),
    ],
)
def test_experiment_too_large_is_refused(tmp_path, capsys, extra, fragment):
    argv = ["experiment", "inductive-bias", "--out", str(tmp_path), "--epochs", "1", "--n-test", "8", "--no-progress"]
    _one_line_exit_2([*argv, "--tasks", "local", "--seeds", "0", *extra], fragment, capsys)


@pytest.mark.parametrize("bug", [TypeError("internal"), KeyError("internal"), IndexError("internal")])
def test_an_internal_bug_keeps_its_traceback(monkeypatch, bug):
    import convac.analysis

    def broken(*args: object, **kwargs: object) -> None:
        raise bug

    monkeypatch.setattr(convac.analysis, "analyze_many", broken)
    with pytest.raises(type(bug)):
        main(["analyze", "--inputs", "8", "--channels", "2,2,2"])
