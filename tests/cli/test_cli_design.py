"""convac analyze / convac design on the command line: tables, JSON, figures, one-line errors."""

import json
import math

import pytest

from convac import Architecture, min_cut
from convac.analysis import scales
from convac.cli import main
from convac.spec._paper import parse_schedule


def test_analyze_flags_table_and_json(capsys):
    assert main(["analyze", "--inputs", "16", "--features", "2", "--channels", "4,4,2,2", "--channels", "2,2,4,4"]) == 0
    out = capsys.readouterr().out
    assert "log2 min-cut" in out and "largest" in out and "binding layers" in out
    assert main(["analyze", "--grid", "8x8", "--features", "3", "--channels", "5,2,7", "--json", "--rank", "no"]) == 0
    data = json.loads(capsys.readouterr().out)
    arch = Architecture.deep_2d(8, 8, 3, [5, 2, 7])
    rows = data["analyses"][0]["scales"]
    assert [r["scale"] for r in rows] == [s.label for s in scales(arch)]
    for row, s in zip(rows, scales(arch), strict=True):
        assert int(row["min_cut"]) == min_cut(arch, s.partition(arch)).value


def test_analyze_arch_file_and_figures(tmp_path, capsys):
    spec = tmp_path / "arch.yaml"
    spec.write_text("kind: deep\ngrid: [8, 8]\nn_features: 2\nchannels: [4, 4, 2]\n")
    jspec = tmp_path / "arch.json"
    jspec.write_text(json.dumps([Architecture.deep_2d(8, 8, 2, [2, 4, 4]).to_dict()]))
    fig, wfig = tmp_path / "scales.png", tmp_path / "width.png"
    argv = ["analyze", "--arch", str(spec), "--arch", str(jspec), "--figure", str(fig), "--width-figure", str(wfig)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"wrote {fig}" in out and fig.stat().st_size > 0 and wfig.stat().st_size > 0


def test_analyze_compare_schedules(capsys):
    assert main(["analyze", "--compare-schedules", "wide_base,wide_tip", "--r", "2", "--json"]) == 0
    base, tip = json.loads(capsys.readouterr().out)["analyses"]
    assert base["name"] == "wide_base(2)" and tip["architecture"]["channels"] == [2, 2, 4, 4, 8, 8]
    assert base["scales"][0]["log2_min_cut"] > tip["scales"][0]["log2_min_cut"]
    assert base["scales"][-1]["log2_min_cut"] < tip["scales"][-1]["log2_min_cut"]


def test_design_cli(capsys):
    assert main(["design", "--for-experiment", "--profile", "global", "--token"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("designed_global=") and len(token.split("=")[1].split(",")) == 6
    assert main(["design", "--grid", "16x16", "--features", "4", "--shared", "--budget", "400", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_params"] <= 400 and "Why" in data["explanation"]
    assert main(["design", "--inputs", "16", "--budget", "300", "--profile", "checkerboard=1,left_right=1"]) == 0
    assert "experiment schedule token" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["design", "--for-experiment", "--profile", "medium"], "unknown profile preset"),
        (["design", "--inputs", "16", "--budget", "3"], "below the cheapest network"),
        (["design", "--inputs", "16"], "--budget"),
        (["design", "--inputs", "16", "--budget", "300", "--profile", "zigzag=1"], "unknown partition"),
        (["design", "--for-experiment", "--multipliers", "a,b"], "--multipliers"),
        (["analyze", "--inputs", "16", "--channels", "2,2,2,2", "--families", "zigzag"], "unknown partition family"),
        (["analyze", "--compare-schedules", "wide_middle"], "unknown schedule"),
        (["analyze"], "give --channels"),
        (["analyze", "--grid", "8x4", "--channels", "2,2"], "square"),
        (["analyze", "--inputs", "16", "--channels", "2,2"], "one entry per hidden layer"),
        (["analyze", "--arch", "/nonexistent/arch.yaml"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("kind: deep\ngrid: [8, 8\n", "not valid YAML"),
        ("kind: deep\ngrid: [8, 8]\nn_features: 2\n", "missing field"),
        ("kind: deep\ngrid: [8, 8]\nn_features: 2\nchannels: [2, 2]\ncolour: red\n", "unknown architecture field"),
        ("- 3\n", "must be a mapping"),
        ("[]\n", "holds no architecture"),
        ("kind: deep\ngrid: [8, 8]\nn_features: 2\nchannels: [2, 2]\n", "one entry per hidden layer"),
    ],
)
def test_malformed_architecture_file(tmp_path, capsys, text, fragment):
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    assert main(["analyze", "--arch", str(spec)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err
    from convac.analysis import load_architecture

    with pytest.raises(ValueError, match=fragment):
        load_architecture(spec)


def test_from_data_file_smaller_than_the_default_sample_cap(tmp_path, capsys):
    # The default --samples of design --from-data is a cap (200): a 50-sample file is used whole.
    import numpy as np

    path = tmp_path / "small.npy"
    np.save(path, np.random.default_rng(0).random((50, 16)))
    assert main(["design", "--from-data", str(path), "--budget", "800"]) == 0
    out = capsys.readouterr().out
    assert "(50 samples)" in out and "feasible design" in out and "800 params (budget 800, equal)" in out
    assert main(["design", "--from-data", str(path), "--budget", "200", "--method", "objective"]) == 0
    assert "(50 samples)" in capsys.readouterr().out


def test_feasible_design_on_the_command_line(capsys):
    entropies = "0.02,0.06,0.08,0.23,0.58,1.14"
    assert main(["design", "--entropies", entropies, "--reference-r", "6", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"] == "feasible" and doc["n_params"] == doc["budget"] == 31 * 36 + 50 * 6
    assert all(lv["slack"] >= 0 for lv in doc["levels"]) and doc["margin"] == pytest.approx(math.log(2))
    assert doc["spend"] == "proportional"  # --spend auto, and a ConvAC unless --for-experiment
    assert main(["design", "--entropies", entropies, "--reference-r", "6", "--family", "relu", "--json"]) == 0
    relu = json.loads(capsys.readouterr().out)
    assert relu["spend"] == "uniform" and relu["n_params"] == doc["n_params"]
    argv = ["design", "--for-experiment", "--entropies", entropies, "--reference-r", "6", "--name", "mine", "--token"]
    assert main(argv) == 0
    token = capsys.readouterr().out.strip()  # the experiment's nets are ReLU nets: the relu rule
    assert token.startswith("mine=") and parse_schedule(token).channels(6) == relu["channels"]
    assert main([*argv[:-1], "--spend", "proportional", "--token"]) == 0
    assert parse_schedule(capsys.readouterr().out.strip()).channels(6) == doc["channels"]
    assert main(["design", "--for-experiment", "--entropies", entropies, "--reference-r", "6"]) == 0
    assert "--spend auto takes 'uniform' for a relu net" in capsys.readouterr().out
    assert main(["design", "--entropies", entropies, "--reference-r", "6", "--margin", "0", "--spend", "uniform"]) == 0
    out = capsys.readouterr().out
    assert "feasible design" in out and "'uniform'" in out and "1416 params (budget 1416, equal)" in out


def test_an_infeasible_budget_on_the_command_line_refuses_or_gives_closest_or_drops(capsys):
    entropies = "0.1,0.25,0.45,0.77,1.48,3.19"  # the global task's profile: infeasible at r = 6
    argv = ["design", "--for-experiment", "--entropies", entropies, "--reference-r", "6"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--closest" in err and "--drop-unmet" in err
    assert main([*argv, "--closest", "--json"]) == 0
    closest = json.loads(capsys.readouterr().out)
    assert closest["shortfall"] < 0 and closest["dropped"] == [] and closest["feasible_from"] == 3439
    assert main([*argv, "--drop-unmet", "--json"]) == 0
    dropped = json.loads(capsys.readouterr().out)
    assert dropped["dropped"] == [32] and dropped["shortfall"] == 0 and dropped["n_params"] == 1416
    assert main([*argv, "--drop-unmet"]) == 0
    out = capsys.readouterr().out
    assert "levels dropped (infeasible) design" in out and "reaches it at r = 10 (3600)" in out
    assert main([*argv, "--drop-unmet", "--closest"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not allowed with argument" in err


def test_feasible_design_from_data_reports_the_precision(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    x = 1 / (1 + np.exp(-np.cumsum(rng.normal(size=(40, 16)), axis=1) / 3))
    np.save(tmp_path / "walk.npy", x)
    argv = ["design", "--from-data", str(tmp_path / "walk.npy"), "--budget", "120", "--shared", "--features", "4"]
    assert main([*argv, "--json", "--precision", "0.05"]) == 0
    doc = json.loads(capsys.readouterr().out)
    levels = doc["data_profile"]["levels"]
    assert doc["data_profile"]["precision"] == 0.05 and all(
        lv["ci95"] <= 0.05 or lv["n_evaluated"] == lv["n_blocks"] for lv in levels
    )
    assert [lv["entropy"] for lv in doc["levels"]] == pytest.approx([lv["mean_entropy"] for lv in levels])
    assert doc["n_params"] == 120
    assert main([*argv, "--json", "--precision", "0"]) == 0
    exact = json.loads(capsys.readouterr().out)["data_profile"]
    assert not exact["sampled_blocks"] and all(lv["ci95"] == 0 for lv in exact["levels"])


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["design", "--method", "feasible"], "give --from-data or --entropies"),
        (["design", "--method", "feasible", "--profile", "local"], "--method feasible takes --from-data"),
        (["design", "--method", "objective", "--entropies", "0.1"], "--entropies is for --method feasible"),
        (["design", "--entropies", "0.1,x"], "--entropies must be"),
        (["design", "--entropies", "0.1,0.2"], "has 2 levels but the network has 6 layers"),
        (["design", "--entropies", "3,0,0,0,0,0", "--margin", "0"], "level 0 (blocks of side 1) has entanglement 3"),
        (["design", "--entropies", "0.1,0.1,1.5,2,0.1,0.1", "--reference-r", "2"], "the most demanding is level 3"),
        (["design", "--entropies", "0.1", "--precision", "-1"], "--precision must be"),
        (["design", "--entropies", "0.1", "--spend", "greedy"], "invalid choice"),
    ],
)
def test_feasible_bad_input_is_one_line_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err
