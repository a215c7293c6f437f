"""Flags derived from config dataclasses: parsers from annotations, defaults never written twice."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field, fields

import pytest

from convac.cli import build_parser, main
from convac.cli._config_flags import Field, add_config_flags, config_defaults, config_values, show_default
from convac.cli._flags import IntFlag, PositiveFloatFlag
from convac.cli._parser import CommandParser, UsageError
from convac.errors import InternalError


@dataclass(frozen=True)
class Toy:
    epochs: int = 3
    seed: int = 0
    lr: float = 0.5
    kind: str = "a"
    seeds: tuple[int, ...] = (0, 1)
    names: tuple[str, ...] = ("x", "y")
    micro: int | None = None
    grid: tuple[int, ...] = field(default_factory=lambda: (8, 8))


TABLE = {
    "epochs": Field("passes"),
    "seed": Field("seed", minimum=0),
    "lr": Field("rate"),
    "kind": Field("kind", choices=("a", "b")),
    "seeds": Field("seeds"),
    "names": Field("names"),
    "micro": Field("pieces (default: whole batches)"),
    "grid": Field("grid, default {default} (default: {default})", flag="--canvas"),
}


def _parser() -> argparse.ArgumentParser:
    p = CommandParser(prog="toy")
    add_config_flags(p, Toy, TABLE)
    return p


def test_types_follow_the_annotations():
    actions = {a.dest: a for a in _parser()._actions}
    assert isinstance(actions["epochs"].type, IntFlag) and actions["epochs"].type.minimum == 1
    assert isinstance(actions["seed"].type, IntFlag) and actions["seed"].type.minimum == 0
    assert isinstance(actions["micro"].type, IntFlag)  # int | None: an int flag left unset
    assert isinstance(actions["lr"].type, PositiveFloatFlag)
    assert actions["kind"].type is None and actions["kind"].choices == ("a", "b")
    assert actions["grid"].option_strings == ["--canvas"]
    assert all(a.default is None for a in actions.values() if a.dest in TABLE)


def test_only_given_values_reach_the_config():
    args = _parser().parse_args(["--seeds", "4, 5", "--names", "p,q", "--lr", "0.25", "--canvas", "4,4"])
    given = config_values(args, TABLE)
    assert given == {"seeds": (4, 5), "names": ("p", "q"), "lr": 0.25, "grid": (4, 4)}
    config = Toy(**given)
    assert config == Toy(lr=0.25, seeds=(4, 5), names=("p", "q"), grid=(4, 4))
    assert Toy(**config_values(_parser().parse_args([]), TABLE)) == Toy()


def test_help_shows_the_dataclass_defaults():
    helps = {a.dest: a.help for a in _parser()._actions}
    assert helps["epochs"] == "passes (default: 3)"
    assert helps["seeds"] == "seeds (default: 0,1)" and helps["names"] == "names (default: x,y)"
    assert helps["micro"] == "pieces (default: whole batches)"
    assert helps["grid"] == "grid, default 8,8 (default: 8,8)"
    p = CommandParser(prog="toy")
    add_config_flags(p, Toy, {"epochs": Field("passes")}, default_text="(default: the profile's)")
    assert p._actions[-1].help == "passes (default: the profile's)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "--epochs must be a positive integer, got '0'"),
        (["--seed", "-1"], "--seed must be a non-negative integer, got '-1'"),
        (["--lr", "inf"], "--lr must be a positive number, got 'inf'"),
        (["--seeds", "a"], "expected comma-separated integers"),
        (["--kind", "c"], "invalid choice"),
    ],
)
def test_bad_values_name_the_flag(argv, message):
    with pytest.raises(UsageError, match=message) as info:
        _parser().parse_args(argv)
    assert info.value.prog == "toy"


def test_a_table_that_does_not_match_the_dataclass_is_a_bug():
    with pytest.raises(InternalError, match="Toy has no field 'epoch'"):
        add_config_flags(CommandParser(), Toy, {"epoch": Field("typo")})

    @dataclass
    class Odd:
        flag: bool = False
        table: dict[str, int] = field(default_factory=dict)

    for name in ("flag", "table"):
        with pytest.raises(InternalError, match="no command-line parser"):
            add_config_flags(CommandParser(), Odd, {name: Field("x")})


def test_show_default_and_config_defaults():
    assert show_default((1, 2)) == "1,2" and show_default(None) == "none" and show_default("a") == "a"
    assert config_defaults(Toy)["grid"] == (8, 8) and config_defaults(Toy)["micro"] is None


# ---------------------------------------------------------------------------- the real commands
def _commands() -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser) -> None:
        found[parser.prog] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    walk(child)

    walk(build_parser())
    return found


def _derived():
    from convac.cli import train
    from convac.cli.experiment import data_entanglement, function_entanglement, scale_tasks
    from convac.experiments.data_entanglement import ValidationConfig
    from convac.experiments.digits import DigitsConfig
    from convac.experiments.function_entanglement import FunctionEntanglementConfig
    from convac.experiments.scale_tasks import ScaleTasksConfig

    return [
        ("convac train", DigitsConfig, train.FIELDS),
        ("convac experiment function-entanglement", FunctionEntanglementConfig, function_entanglement.FIELDS),
        ("convac experiment data-entanglement", ValidationConfig, data_entanglement.FIELDS),
        ("convac experiment scale-tasks", ScaleTasksConfig, scale_tasks.FIELDS),
    ]


def test_every_derived_flag_shows_its_dataclass_default():
    parsers = _commands()
    for prog, config, table in _derived():
        defaults = config_defaults(config)
        actions = {a.dest: a for a in parsers[prog]._actions}
        for name in table:
            assert f"(default: {show_default(defaults[name])}" in actions[name].help, (prog, name)
            assert actions[name].default is None


def test_inductive_bias_flags_are_sweep_and_protocol_fields():
    from convac.cli.experiment import inductive_bias
    from convac.experiments.inductive_bias import Protocol, Sweep

    assert set(inductive_bias.GRID) <= {f.name for f in fields(Sweep)}
    assert set(inductive_bias.PROTOCOL) <= {f.name for f in fields(Protocol)}


def test_train_without_flags_runs_the_dataclass_defaults(monkeypatch, capsys):
    from convac.experiments import digits

    seen = []

    def fake(config, progress):
        seen.append(config)
        raise KeyboardInterrupt

    monkeypatch.setattr(digits, "train_digits", fake)
    assert main(["train"]) == 130
    assert main(["train", "--features", "4", "--channels", "8,8,8", "--seed", "3"]) == 130
    capsys.readouterr()
    assert seen[0] == digits.DigitsConfig()
    assert seen[1] == digits.DigitsConfig(n_features=4, channels=(8, 8, 8), seed=3)


def test_experiment_data_entanglement_summarises_finished_cells(tmp_path, capsys):
    from convac.experiments.data_entanglement import ORDERS, ValidationConfig

    cells = tmp_path / "cells"
    cells.mkdir()
    for order, acc in zip(ORDERS, (0.875, 0.75, 0.8125), strict=True):
        rec = {"dataset": "mnist5k", "order": order, "seed": 0, "test_accuracy": acc, "train_accuracy": 1.0}
        (cells / f"mnist5k_{order}_seed0.json").write_text(
            json.dumps({**rec, "levels": [{"side": 1, "mean_entropy": 0.5}]})
        )
    argv = ["experiment", "data-entanglement", "--out", str(tmp_path), "--datasets", "mnist5k", "--seeds", "0"]
    assert main([*argv, "--epochs-2d", "2", "--no-progress"]) == 0
    assert "3 rows in" in capsys.readouterr().out and (tmp_path / "table.md").exists()
    written = json.loads((tmp_path / "config_mnist5k.json").read_text())
    expected = asdict(ValidationConfig(datasets=("mnist5k",), seeds=(0,), epochs_2d=2))
    assert written == json.loads(json.dumps(expected))
