"""Every flag of every convac command explains itself and shows its default; every command has an example."""

import argparse
import json

import pytest

from convac.cli import build_parser, main

# Flags for which a default means nothing: switches, --help, --version.
_NO_DEFAULT = (argparse._HelpAction, argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._VersionAction)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every (sub)command's parser by its full name, walking nested sub-commands."""
    found = {parser.prog: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.update(_subparsers(child))
    return found


PARSERS = _subparsers(build_parser())


def test_every_command_is_walked():
    names = set(PARSERS)
    for command in ("demo", "train", "verify", "analyze", "design", "experiment", "experiment inductive-bias"):
        assert f"convac {command}" in names


@pytest.mark.parametrize("prog", sorted(PARSERS))
def test_every_option_has_help_and_shows_its_default(prog):
    parser = PARSERS[prog]
    parser.format_help()  # runs the help hooks that fill in text needing a heavy import
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not action.option_strings or isinstance(action, argparse._SubParsersAction):
            continue
        flag = "/".join(action.option_strings)
        assert action.help and action.help.strip(), f"{prog} {flag} has no help"
        if isinstance(action, _NO_DEFAULT) or action.required:  # a required flag has no default
            continue
        text = formatter._expand_help(action)
        assert "(default" in text, f"{prog} {flag} does not show its default: {text!r}"
        if action.default not in (None, [], argparse.SUPPRESS) and "%(default)" not in action.help:
            # Shown by the formatter: the printed value must be the real one.
            assert f"(default: {action.default})" in text, text


@pytest.mark.parametrize("prog", sorted(PARSERS))
def test_every_command_has_a_description_and_an_example(prog):
    parser = PARSERS[prog]
    assert parser.description and len(parser.description) > 40, prog
    assert parser.epilog and "convac " in parser.epilog, prog
    for line in parser.epilog.splitlines()[1:]:
        assert line.strip().startswith("convac"), line


def test_profile_help_lists_what_each_profile_sets(capsys):
    from convac.experiments.inductive_bias import PROFILES

    with pytest.raises(SystemExit):
        main(["experiment", "inductive-bias", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, sweep in PROFILES.items():
        own = text.split(f"{name}: ", 1)[1].split(";", 1)[0]
        assert f"rs={','.join(map(str, sweep.rs))}" in own
        assert f"epochs={sweep.protocol.epochs}" in own and f"n_train={sweep.protocol.n_train}" in own
        assert f"batch_size={sweep.protocol.batch_size}" in own


def test_help_is_printed_for_every_command(capsys):
    for prog in PARSERS:
        argv = [*prog.split()[1:], "--help"]
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: {prog}") and ("examples:" in out or "example:" in out)


def test_design_as_typed_runs_on_the_paper_geometry(capsys):
    from convac.spec._paper import PAPER_GRID, PAPER_N_FEATURES, PAPER_N_OUTPUTS, paper_budget

    assert main(["design", "--profile", "local", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    arch = data["architecture"]
    assert tuple(arch["grid"]) == PAPER_GRID and arch["n_features"] == PAPER_N_FEATURES
    assert arch["n_outputs"] == PAPER_N_OUTPUTS and arch["shared"] is True
    assert data["budget"] == paper_budget(8) and data["n_params"] <= paper_budget(8)
    assert main(["design", "--profile", "local", "--reference-r", "4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["budget"] == paper_budget(4)


def test_design_with_a_grid_names_the_missing_flag(capsys):
    assert main(["design", "--grid", "16x16"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "give --budget" in err
    assert main(["design", "--grid", "16x16", "--inputs", "16", "--budget", "400"]) == 2
    assert "not both" in capsys.readouterr().err
