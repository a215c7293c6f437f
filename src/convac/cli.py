"""The ``convac`` program. It parses arguments and calls the library; it holds no math.

Every failure the user can cause (bad flags, bad values, missing files) is printed as one
line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

__all__ = ["main"]


class UsageError(Exception):
    """A command-line mistake; printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        raise UsageError(f"{self.prog}: {message}")


Command = Callable[[argparse.Namespace], int]
_COMMANDS: list[Callable[[Any], None]] = []


def command(register: Callable[[Any], None]) -> Callable[[Any], None]:
    """Decorator: ``register(subparsers)`` adds one sub-command and sets its ``func``."""
    _COMMANDS.append(register)
    return register


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


# ---------------------------------------------------------------------------- demo
@command
def _demo(sub: Any) -> None:
    p = sub.add_parser("demo", help="build a deep ConvAC, print its table, check forward == contraction")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and inputs (default 0)")

    def run(args: argparse.Namespace) -> int:
        from convac.demo import run_demo

        result = run_demo(seed=args.seed)
        return 0 if result.max_relative_error < 1e-8 else 1

    p.set_defaults(func=run)


# ---------------------------------------------------------------------------- train
@command
def _train(sub: Any) -> None:
    p = sub.add_parser("train", help="train a deep 2D ConvAC on the bundled 8x8 digits")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels", type=_int_list, default=[32, 32, 32], help="three comma-separated widths")
    p.add_argument("--features", type=int, default=16, help="number M of Gaussian features")
    p.add_argument("--lr", type=float, default=0.03)
    p.add_argument("--weights", choices=["positive", "signed"], default="positive")
    p.add_argument("--json", action="store_true", help="print the history as JSON")
    p.add_argument("--no-progress", action="store_true")

    def run(args: argparse.Namespace) -> int:
        from convac.experiments.digits import DigitsConfig, train_digits

        config = DigitsConfig(
            epochs=args.epochs,
            seed=args.seed,
            channels=tuple(args.channels),
            n_features=args.features,
            lr=args.lr,
            weights=args.weights,
        )
        model, result = train_digits(config, progress=not args.no_progress)
        if args.json:
            print(json.dumps({"config": config.to_dict(), "history": result.history}, indent=1))
        else:
            print(model.arch.summary())
            for rec in result.history:
                print(
                    f"epoch {rec['epoch']:3d}  loss {rec['loss']:.4f}  train {rec['train_accuracy']:.4f}  "
                    f"test {rec['test_accuracy']:.4f}  ({rec['seconds']:.1f} s)"
                )
            print(f"test accuracy {result.test_accuracy:.4f}")
        return 0

    p.set_defaults(func=run)


# ---------------------------------------------------------------------------- verify
@command
def _verify(sub: Any) -> None:
    from convac.experiments.verify import SUITES

    p = sub.add_parser(
        "verify",
        help="check lower bound <= generic rank <= min-cut exactly, over grids of architectures/partitions",
        description="Exact check of the min-cut theorem (generic ranks over GF(p)). Suites: "
        + "; ".join(f"{name}: {spec.description}" for name, spec in SUITES.items()),
    )
    p.add_argument(
        "--suite",
        action="append",
        choices=[*SUITES, "all"],
        help="suite to run (repeatable; default: all)",
    )
    p.add_argument("--full", action="store_true", help="run every architecture and partition of the grid")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and weights (default 0)")
    p.add_argument("--workers", type=int, default=2, help="worker processes, 1 or 2 (default 2)")
    p.add_argument("--cells", type=int, default=None, help="architectures per suite (overrides the sample)")
    p.add_argument("--partitions", type=int, default=None, help="partitions per architecture (overrides)")
    p.add_argument("--prime", type=int, default=None, help="field size p, a prime <= 2^31-1 (default 2^31-1)")
    p.add_argument("--out", default="verify-results", help="directory for results and tables")
    p.add_argument("--no-progress", action="store_true")

    def run(args: argparse.Namespace) -> int:
        from convac.entanglement.finite_field import DEFAULT_PRIME
        from convac.experiments.verify import verify

        suites = None if not args.suite or "all" in args.suite else args.suite
        report = verify(
            suites,
            full=args.full,
            seed=args.seed,
            out=args.out,
            workers=args.workers,
            cells=args.cells,
            partitions=args.partitions,
            prime=DEFAULT_PRIME if args.prime is None else args.prime,
            progress=not args.no_progress,
            echo=print,
        )
        saved = ", ".join(map(str, report.files[-2:]))
        print(f"wall time {report.wall_seconds:.1f} s; table saved to {saved}")
        if not report.ok:
            print("convac verify: a proven inequality FAILED (see the status column)", file=sys.stderr)
            return 1
        return 0

    p.set_defaults(func=run)


# ---------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="convac", description="ConvACs as tensor networks: entanglement, min-cut, design.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for register in _COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program; returns the exit code (0 ok, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.version:
            from convac import __version__

            print(__version__)
            return 0
        if getattr(args, "func", None) is None:
            raise UsageError("convac: choose a command: " + ", ".join(sorted(_command_names(parser))))
        return int(args.func(args))
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError, KeyError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"convac: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("convac: interrupted; finished work is saved", file=sys.stderr)
        return 130


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


if __name__ == "__main__":
    sys.exit(main())
