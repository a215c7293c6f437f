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


# ---------------------------------------------------------------------------- experiment
def _str_list(text: str) -> list[str]:
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError("expected at least one comma-separated value")
    return values


def _schedule_list(text: str) -> list[str]:
    # Custom tokens NAME=m1,...,m6 contain commas themselves: split on ';' or on spaces between tokens,
    # and otherwise only before a NAME= or a registered name.
    import re

    parts = [p for p in re.split(r"[;\s]+|,(?=[A-Za-z])", text.strip()) if p]
    if not parts:
        raise argparse.ArgumentTypeError("expected at least one schedule")
    return parts


@command
def _experiment(sub: Any) -> None:
    p = sub.add_parser("experiment", help="the paper's experiments")
    inner = p.add_subparsers(dest="experiment", parser_class=_Parser, metavar="EXPERIMENT", required=True)
    q = inner.add_parser(
        "inductive-bias",
        help="wide-base vs wide-tip ReLU ConvNets (and ConvACs) on the local and global digit tasks",
    )
    q.add_argument("--profile", default="quick", help="quick (minutes on a CPU) or paper (60k/10k images)")
    q.add_argument("--out", required=True, help="results directory (resumed if it holds this configuration)")
    q.add_argument("--tasks", type=_str_list, help="comma-separated: local, global")
    q.add_argument(
        "--schedules",
        type=_schedule_list,
        help="wide_base, wide_tip, or NAME=m1,m2,m3,m4,m5,m6 (multipliers of r); several separated by ';'",
    )
    q.add_argument("--rs", type=_int_list, help="comma-separated width parameters r")
    q.add_argument("--seeds", type=_int_list, help="comma-separated seeds")
    q.add_argument("--families", type=_str_list, help="comma-separated: relu, convac")
    q.add_argument("--epochs", type=int)
    q.add_argument("--n-train", type=int)
    q.add_argument("--n-test", type=int)
    q.add_argument("--lr", type=float)
    q.add_argument("--batch-size", type=int)
    q.add_argument(
        "--mnist-dir", help="directory with the four MNIST IDX files (gz or not); default: bundled digits"
    )
    q.add_argument("--device", default="cpu", help="cpu or cuda")
    q.add_argument("--workers", type=int, default=1, help="process pool size (default 1: in this process)")
    q.add_argument("--no-progress", action="store_true")

    def run(args: argparse.Namespace) -> int:
        from convac.experiments.inductive_bias import profile, run_sweep

        sweep = profile(
            args.profile,
            tasks=args.tasks,
            schedules=args.schedules,
            rs=args.rs,
            seeds=args.seeds,
            families=args.families,
            epochs=args.epochs,
            n_train=args.n_train,
            n_test=args.n_test,
            lr=args.lr,
            batch_size=args.batch_size,
            source="mnist" if args.mnist_dir else None,
            mnist_dir=args.mnist_dir,
        )
        result = run_sweep(
            sweep, args.out, device=args.device, workers=args.workers, progress=not args.no_progress
        )
        print(f"{result.ran} cells run, {result.skipped} already done; results in {args.out}")
        if "table_md" in result.files:
            print(result.files["table_md"].read_text(), end="")
        return 0

    q.set_defaults(func=run)


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
