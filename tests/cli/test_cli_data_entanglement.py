"""convac data-entanglement and convac design --from-data."""

import json

import numpy as np
import pytest

from convac.cli import main


def test_named_dataset_json_and_rearrange(tmp_path, capsys):
    out = tmp_path / "perm.npy"
    fig = tmp_path / "levels.png"
    rc = main(
        [
            "data-entanglement",
            "digits",
            "--samples",
            "60",
            "--max-blocks",
            "3",
            "--no-progress",
            "--json",
            "--rearrange",
            str(out),
            "--figure",
            str(fig),
            "--method",
            "kernighan_lin",
        ]
    )
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert [lv["side"] for lv in doc["given order"]["levels"]] == [1, 2, 4]
    perm = np.load(out)
    assert sorted(perm.tolist()) == list(range(64)) and doc["permutation"] == perm.tolist()
    assert fig.stat().st_size > 0


def test_user_file_text_output(tmp_path, capsys):
    x = np.random.default_rng(0).random((20, 8))
    np.save(tmp_path / "x.npy", x)
    assert main(["data-entanglement", str(tmp_path / "x.npy"), "--no-progress", "--max-blocks", "0"]) == 0
    text = capsys.readouterr().out
    assert "20 samples, grid (8,)" in text and "mean entropy" in text
    assert main(["data-entanglement", str(tmp_path / "x.npy"), "--grid", "2x4", "--no-progress"]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["data-entanglement", "nope"], "unknown data source"),
        (["data-entanglement", "task:local:mnist"], "unknown task source"),
        (["data-entanglement", "/no/such.npy"], "no such file"),
        (["data-entanglement", "digits", "--samples", "0"], "--samples"),
        (["data-entanglement", "digits", "--max-blocks", "-1"], "--max-blocks"),
        (["data-entanglement", "digits", "--grid", "3x3", "--samples", "5"], "--grid"),
        (["data-entanglement", "digits", "--samples", "5", "--theta", "-1", "--no-progress"], "theta"),
        (["data-entanglement", "digits", "--samples", "5", "--method", "x", "--rearrange", "p.npy"], "--method"),
        (["design", "--from-data", "digits", "--samples", "5"], "--budget"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_out_of_range_file_exit_2(tmp_path, capsys):
    np.save(tmp_path / "big.npy", np.full((4, 4), 7.0))
    assert main(["data-entanglement", str(tmp_path / "big.npy"), "--no-progress"]) == 2
    assert "[0, 1]" in capsys.readouterr().err
    assert main(["data-entanglement", str(tmp_path / "big.npy"), "--rescale", "--no-progress"]) == 0


def test_design_from_data(capsys):
    argv = ["design", "--from-data", "digits", "--samples", "40", "--max-blocks", "2", "--budget", "400", "--json"]
    rc = main([*argv, "--method", "objective"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["architecture"]["grid"] == [8, 8] and doc["n_params"] <= 400
    assert set(doc["profile"]) <= {"checkerboard", "blocks(2)", "blocks(4)"}
    assert [lv["side"] for lv in doc["data_profile"]["levels"]] == [1, 2, 4]
