"""The ``convac`` program. It parses arguments and calls the library; it holds no math.

One module per command (``convac.cli.analyze``, ``convac.cli.experiment.inductive_bias``, ...),
each with ``DESCRIPTION``, ``EPILOG``, ``add_arguments(parser)`` and ``run(args) -> exit code``; a
group of sub-commands (``convac.cli.experiment``) has a ``COMMANDS`` table of its own instead. The
tables below name every command with its one-line help, so ``convac --help`` imports no command
module and ``convac analyze ...`` imports only ``convac.cli.analyze``; library modules are imported
inside each ``run``, so ``analyze``, ``design`` and ``verify`` never import torch (nor matplotlib
unless a figure is asked for).

Every failure the user can cause is printed as one line on stderr with exit code 2, never a
traceback: ``convac COMMAND: error: MESSAGE`` for bad flags, ``convac: error: MESSAGE`` for what
the library refuses (a ConvacError) or the file system (an OSError). Any other exception is a bug
in convac and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from convac.cli._parser import CommandParser, UsageError
from convac.errors import ConvacError

__all__ = ["build_parser", "main"]

#: command name -> (module under convac.cli, one-line help shown by ``convac --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "demo",
        "the tour: architecture, tensor network, entanglement and min-cut, designs, a short training run",
    ),
    "train": ("train", "train a deep 2D ConvAC on the bundled 8x8 digits"),
    "verify": (
        "verify",
        "check lower bound <= generic rank <= min-cut exactly, over grids of architectures/partitions",
    ),
    "analyze": (
        "analyze",
        "min-cut, lower bound, cut layers and generic rank at every length scale, for one or more networks",
    ),
    "design": ("design", "choose channel widths that maximise a correlation profile within a budget"),
    "advise": (
        "advise",
        "for your own CNN: the layer each scale binds, layers too narrow for a dataset, widths at the same count",
    ),
    "data-entanglement": (
        "data_entanglement",
        "entanglement of a dataset per pooling level (is it suited to a CNN?), and a better feature order",
    ),
    "wavefunction": (
        "wavefunction",
        "train a ConvAC as a variational wave function and compare its entanglement with the exact ground state",
    ),
    "experiment": ("experiment", "the paper's experiments"),
}

DESCRIPTION = (
    "ConvACs (convolutional arithmetic circuits) as tensor networks: which correlations a "
    "network can model (min-cut, entanglement, exact generic ranks), channel widths designed for a "
    "correlation profile, and the paper's experiments. `convac COMMAND --help` explains each command."
)
EPILOG = (
    "examples:\n"
    "  convac demo\n"
    "  convac analyze --compare-schedules wide_base,wide_tip\n"
    "  convac design --profile local\n"
    "  convac verify --suite shallow"
)


def _chosen(argv: Sequence[str], names: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """Return the command the arguments name (their first non-flag word, if a known command) and what follows it."""
    for i, word in enumerate(argv):
        if not word.startswith("-"):
            return (word, list(argv[i + 1 :])) if word in names else (None, [])
    return None, []


def add_commands(parser: argparse.ArgumentParser, package: str, argv: Sequence[str] | None) -> None:
    """Add the sub-commands of ``package`` (its ``COMMANDS`` table) to ``parser``.

    With ``argv`` None every command is built (for tests and documentation); otherwise only the one
    ``argv`` names, and the others are bare entries that show their help line.
    """
    group = importlib.import_module(package)
    sub = parser.add_subparsers(
        dest=getattr(group, "DEST", "command"),
        parser_class=CommandParser,
        metavar=getattr(group, "METAVAR", "COMMAND"),
        required=getattr(group, "REQUIRED", False),
    )
    chosen, rest = (None, None) if argv is None else _chosen(argv, group.COMMANDS)
    for name, (module_name, help_line) in group.COMMANDS.items():
        p = sub.add_parser(name, help=help_line)
        if argv is not None and name != chosen:
            continue
        module = importlib.import_module(f"{package}.{module_name}")
        p.description, p.epilog = module.DESCRIPTION, module.EPILOG
        if hasattr(module, "COMMANDS"):  # a group of sub-commands
            add_commands(p, module.__name__, rest)
        else:
            module.add_arguments(p)
            p.set_defaults(func=module.run, command_prog=p.prog)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Return the parser of ``convac``: every command, or with ``argv`` only the one it names."""
    parser = CommandParser(prog="convac", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    add_commands(parser, __name__, argv)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program; returns the exit code (0 ok, 1 a failed check, 2 bad input)."""
    words = sys.argv[1:] if argv is None else list(argv)
    prog = "convac"
    try:
        parser = build_parser(words)
        args = parser.parse_args(words)
        prog = getattr(args, "command_prog", prog)
        if args.version:
            from convac import __version__

            print(__version__)
            return 0
        if getattr(args, "func", None) is None:
            raise UsageError("choose a command: " + ", ".join(sorted(COMMANDS)))
        return int(args.func(args))
    # Only errors about the user's input become one line: a usage error, a ConvacError (bad values,
    # types, sizes, missing optional dependency) or an OSError (a file or directory). Anything else
    # is a bug in convac and keeps its traceback.
    except (UsageError, ConvacError, OSError) as exc:
        # A usage error names the command whose flags were wrong; an error from the library says
        # "convac: error:" as before (tests/experiments/test_verify.py pins that line).
        where = (exc.prog or prog) if isinstance(exc, UsageError) else "convac"
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{where}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM during a sweep: its message says what was saved
        print(f"convac: {str(exc) or 'interrupted'}", file=sys.stderr)
        code = 128 + int(getattr(exc, "signum", 2))  # 130 for SIGINT, 143 for SIGTERM
        if argv is None:  # the program itself: finished work is on disk, so skip the seconds-long teardown
            _exit_now(code)  # of torch's import graph and stop at once
        return code


def _exit_now(code: int) -> NoReturn:
    import os

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
