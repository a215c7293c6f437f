"""convac advise on the command line: table, JSON with the same count, one-line errors."""

import json

import pytest

from convac.cli import main

NET = "tests/fx/cnn_shapes.py:LeNet5"


def test_advise_lenet_table_and_json(capsys):
    assert main(["advise", "--module", NET, "--input-shape", "1,28,28", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_params"] == doc["suggested_params"] == 61706
    names = [lw["name"] for lw in doc["layers"]]
    assert names == ["conv1", "conv2", "fc1", "fc2", "fc3"] and doc["layers"][-1]["fixed"]
    binds = {lw["name"]: lw["binds"] for lw in doc["layers"]}
    assert "blocks(2)" in binds["conv2"] and "left_right" in binds["fc1"]


def test_advise_from_data(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    np.save(tmp_path / "img.npy", rng.random((30, 8, 8)))
    path = tmp_path / "net.py"
    path.write_text(
        "from torch import nn\n"
        "def net():\n"
        "    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 16, 3, "
        "padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 32), nn.Linear(32, 10))\n"
    )
    argv = ["advise", "--module", f"{path}:net", "--input-shape", "1,8,8", "--from-data", str(tmp_path / "img.npy")]
    assert main([*argv, "--multiple", "1"]) == 0
    out = capsys.readouterr().out
    assert "data entanglement of" in out and "too narrow for the data" in out and "suggested" in out
    assert main([*argv, "--json", "--precision", "0"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["layers"][0]["too_narrow"] and doc["layers"][0]["suggested"] >= doc["layers"][0]["lower_bound"]
    # exactly the count, or the closest below with the shortfall said
    assert doc["n_params"] == doc["suggested_params"] or (
        doc["fill"] == "below" and f"{doc['n_params'] - doc['suggested_params']} fewer" in doc["notes"][0]
    )


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["advise", "--module", NET], "--input-shape"),
        (["advise", "--module", NET, "--input-shape", "1,28,28", "--multiple", "0"], "--multiple"),
        (["advise", "--module", NET, "--input-shape", "1,28,28", "--margin", "-1"], "--margin"),
        (["advise", "--module", NET, "--input-shape", "1,28,28", "--from-data", "digits"], "the net reads 28x28"),
        (["advise", "--module", "tests/fx/cnn_shapes.py:Nope", "--input-shape", "1,28,28"], "Nope"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err


def test_advise_resnet18_from_the_zoo_keeps_ties_and_the_count(tmp_path, capsys):
    import numpy as np
    from torch import nn

    from convac.fx.zoo import resnet18

    np.save(tmp_path / "img.npy", np.random.default_rng(0).random((40, 32, 32)))
    args = ["advise", "--module", "convac.fx.zoo:resnet18", "--input-shape", "3,32,32"]
    assert main([*args, "--from-data", str(tmp_path / "img.npy"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    net = resnet18()
    torch_count = sum(p.numel() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) for p in m.parameters())
    assert doc["n_params"] == doc["suggested_params"] == torch_count
    layers = {lw["name"]: lw for lw in doc["layers"]}
    # the stem and the second convolution of each identity block are summed: one tie group, one width
    assert {layers[n]["tie_group"] for n in ("0", "4.conv2", "5.conv2")} == {"0"}
    for group in {lw["tie_group"] for lw in doc["layers"]} - {None}:
        assert len({lw["suggested"] for lw in doc["layers"] if lw["tie_group"] == group}) == 1
    for lw in doc["layers"]:
        assert lw["suggested"] >= lw["lower_bound"] and lw["too_narrow"] == (lw["channels"] < lw["lower_bound"])
    # random pixels carry more than 64 channels of block entanglement: the first stage widens
    assert layers["4.conv1"]["too_narrow"] and layers["4.conv1"]["suggested"] > 64
    assert "blocks(2)" in layers["0"]["binds"] and layers["14"]["fixed"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "tied to 0" in out and "classifier (kept)" in out
