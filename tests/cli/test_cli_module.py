"""``convac analyze --module MODULE:FACTORY --input-shape C,H,W``: a PyTorch CNN from the command line."""

import json
import sys
import textwrap
from pathlib import Path

from convac.cli import main
from convac.fx import analyze_module, load_module_object

EXAMPLE_NET = f"{Path(__file__).resolve().parents[1] / 'fx' / 'cnn_shapes.py'}:example_net"


def test_module_table_is_analyze_module(capsys):
    assert main(["analyze", "--module", EXAMPLE_NET, "--input-shape", "1,8,8"]) == 0
    out = capsys.readouterr().out
    expected = analyze_module(load_module_object(EXAMPLE_NET), (1, 8, 8), name=EXAMPLE_NET)
    assert out.startswith(expected.table())
    assert "binding layers (every minimal cut): checkerboard: layer 0 (2+4)" in out


def test_module_json_and_a_factory_from_the_working_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_cli_nets.py").write_text(
        textwrap.dedent(
            """
            from torch import nn

            class Tiny(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.net = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.Conv1d(3, 4, 1), nn.MaxPool1d(2),
                                             nn.Conv1d(4, 4, 1), nn.AvgPool1d(2), nn.Flatten(), nn.Linear(4, 5))

                def forward(self, x):
                    return self.net(x)

            def tiny():
                return Tiny()

            instance = Tiny()
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "my_cli_nets", raising=False)
    for attr in ("tiny", "Tiny", "instance"):
        assert (
            main(["analyze", "--module", f"my_cli_nets:{attr}", "--input-shape", "2x4", "--json", "--rank", "no"]) == 0
        )
        data = json.loads(capsys.readouterr().out)["analyses"][0]
        assert data["name"] == f"my_cli_nets:{attr}"
        assert data["architecture"]["grid"] == [4] and data["architecture"]["channels"] == [4, 4]
        assert data["layer_labels"] == ["net.0", "net.1+net.2", "net.3+net.4"]
        assert [s["scale"] for s in data["scales"]] == ["checkerboard", "left_right"]
    assert "my_cli_nets" in sys.modules and str(tmp_path) not in sys.path


def test_module_next_to_its_twin_by_channels_ties_everywhere(capsys):
    argv = ["analyze", "--module", EXAMPLE_NET, "--input-shape", "1,8,8"]
    assert main([*argv, "--grid", "8x8", "--features", "4", "--channels", "3,2,2", "--outputs", "2"]) == 0
    table = capsys.readouterr().out.split("log2 min-cut   length")[-1].strip().splitlines()
    assert EXAMPLE_NET in table[0] and "[3,2,2]" in table[0]
    assert [line.split()[-1] for line in table[1:]] == ["tie"] * 5


def test_overlapping_module_prints_the_general_table_and_refuses_the_width_figure(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_overlap_nets.py").write_text(
        textwrap.dedent(
            """
            from torch import nn

            def net():
                return nn.Sequential(nn.Conv1d(1, 2, 1), nn.Conv1d(2, 2, 3, padding=1), nn.Flatten(), nn.Linear(16, 3),
                                     nn.Linear(3, 1))
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    argv = ["analyze", "--module", "my_overlap_nets:net", "--input-shape", "1,8", "--families", "left_right"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["analyses"][0]
    assert data["architecture"]["kind"] == "general" and data["scales"][0]["min_cut"] == 12
    assert data["scales"][0]["lower_bound"] is None and data["scales"][0]["generic_rank"] is None
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "general ConvAC (copy nodes)" in out and "binding layers" not in out
    assert main([*argv, "--width-figure", str(tmp_path / "w.png")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "needs a deep tree ConvAC" in err
