"""The ``convac`` program. It parses arguments and calls the library; it holds no math.

Every failure the user can cause (bad flags, bad values, missing files) is printed as one
line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
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
    p = sub.add_parser(
        "demo",
        help="the tour: architecture, tensor network, entanglement and min-cut, designs, a short training run",
    )
    p.add_argument("--out", default="convac-report", help="report folder (default: convac-report)")
    p.add_argument("--seed", type=int, default=0, help="seed for every weight, input and split (default 0)")
    p.add_argument("--epochs", type=int, default=3, help="epochs of the short training run (default 3)")

    def run(args: argparse.Namespace) -> int:
        from convac.report import run_tour

        if args.epochs < 1:
            raise UsageError(f"convac demo: --epochs must be at least 1, got {args.epochs}")
        result = run_tour(out_dir=args.out, seed=args.seed, epochs=args.epochs)
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
    p.add_argument(
        "--weights",
        choices=["positive", "signed"],
        default="positive",
        help="positive (exp-parametrised; logits log h_y) or signed (logits: unit score vector x learned temperature)",
    )
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
        from convac.experiments.verify import verify
        from convac.ranks._finite_field import DEFAULT_PRIME

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


# ---------------------------------------------------------------------------- analyze
def _add_arch_flags(p: Any, channels_help: str) -> None:
    p.add_argument("--grid", help="2D input grid HxW, e.g. 64x64")
    p.add_argument("--inputs", type=int, help="1D input length N")
    p.add_argument("--features", type=int, default=2, help="number M of representation features (default 2)")
    p.add_argument("--window", type=int, default=2, help="pooling window (default 2)")
    p.add_argument("--outputs", type=int, default=1, help="number of outputs (default 1)")
    p.add_argument("--shared", action="store_true", help="weights shared across positions (a true convolution)")
    p.add_argument("--channels", type=_int_list, action="append", default=[], help=channels_help)


@command
def _analyze(sub: Any) -> None:
    p = sub.add_parser(
        "analyze",
        help="min-cut, lower bound, cut layers and generic rank at every length scale, for one or more networks",
    )
    _add_arch_flags(p, "channel numbers per layer, e.g. 4,4,2,2; repeat to compare several networks")
    p.add_argument("--shallow", action="store_true", help="a shallow ConvAC (--channels Z)")
    p.add_argument("--arch", action="append", default=[], metavar="FILE", help="YAML/JSON architecture file(s)")
    p.add_argument(
        "--compare-schedules",
        metavar="NAMES",
        help="the paper's 64x64, M=10 networks for these schedules, e.g. wide_base,wide_tip,designed=6,2,2,1,1,1 (--r)",
    )
    p.add_argument("--r", type=int, default=8, help="width parameter r for --compare-schedules (default 8)")
    p.add_argument("--families", help="comma-separated: checkerboard,blocks,left_right,up_down (default all)")
    p.add_argument("--rank", choices=["auto", "yes", "no"], default="auto", help="exact generic rank (auto: small)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generic rank's random weights")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--figure", metavar="PNG", help="write log2 min-cut vs length scale, side by side")
    p.add_argument("--width-figure", metavar="PNG", help="write the layer-width x scale heat map (first network)")

    def run(args: argparse.Namespace) -> int:
        from convac.analysis import (
            analyze_many,
            architecture_from_options,
            compare_table,
            layer_names,
            load_architecture,
            paper_pair,
        )
        from convac.analysis._figures import plot_layer_width_effect, plot_scales
        from convac.analysis._paper import split_schedules

        archs: dict[str, Any] = {}
        for chans in args.channels:
            arch = architecture_from_options(
                grid=args.grid,
                inputs=args.inputs,
                features=args.features,
                channels=chans,
                window=args.window,
                outputs=args.outputs,
                shared=args.shared,
                shallow=args.shallow,
            )
            archs[f"{'shallow ' if args.shallow else ''}{chans}".replace(" ", "")] = arch
        for path in args.arch:
            for i, arch in enumerate(load_architecture(path)):
                archs[f"{path}[{i}]" if i else path] = arch
        if args.compare_schedules:
            archs.update(paper_pair(args.r, split_schedules(args.compare_schedules)))
        if not archs:
            raise UsageError(
                "convac analyze: give --channels (with --grid or --inputs), --arch FILE or --compare-schedules"
            )
        families = None if args.families is None else [f.strip() for f in args.families.split(",") if f.strip()]
        rank: bool | str = "auto" if args.rank == "auto" else args.rank == "yes"
        analyses = analyze_many(archs, families=families, rank=rank, seed=args.seed)
        same_grid = len({a.arch.grid for a in analyses}) == 1
        if args.figure:
            if not same_grid:
                raise UsageError("convac analyze: --figure draws networks side by side and needs one grid for all")
            plot_scales(analyses, args.figure)
        if args.width_figure:
            plot_layer_width_effect(analyses[0].arch, args.width_figure, analyses[0].name)
        if args.json:
            out: dict[str, Any] = {"analyses": [a.to_dict() for a in analyses]}
            print(json.dumps(out, indent=1))
            return 0
        for a in analyses:
            print(a.table())
            binding = [f"{r.label}: {layer_names(r.binding)}" for r in a.rows if r.binding is not None]
            if binding:
                print("  binding layers (every minimal cut): " + "; ".join(binding))
            print()
        if len(analyses) > 1 and same_grid:
            print(compare_table(analyses))
        for path in (args.figure, args.width_figure):
            if path:
                print(f"wrote {path}")
        return 0

    p.set_defaults(func=run)


# ---------------------------------------------------------------------------- design
@command
def _design(sub: Any) -> None:
    p = sub.add_parser("design", help="choose channel widths that maximise a correlation profile within a budget")
    _add_arch_flags(p, argparse.SUPPRESS)
    p.add_argument(
        "--profile", default="local", help="local, global, or SCALE=WEIGHT,... (e.g. checkerboard=1,left_right=3)"
    )
    p.add_argument("--budget", type=int, help="parameter budget (Architecture.n_params: hidden + output weights)")
    p.add_argument("--widths", type=_int_list, help="candidate widths per layer (default 1,2,4,...,256)")
    p.add_argument(
        "--for-experiment",
        action="store_true",
        help="design multipliers of r on the paper's 64x64 geometry at budget 31r^2+50r and print the schedule token",
    )
    p.add_argument(
        "--r-values", type=_int_list, help="r at which the budget must hold (default 2,4,6,8,10,12,16,20,24,30)"
    )
    p.add_argument("--reference-r", type=int, default=8, help="r at which the objective is evaluated (default 8)")
    p.add_argument("--multipliers", help="candidate multipliers of r (default 1,2,3,4,6,8)")
    p.add_argument("--name", help="schedule name in the token (default designed_<profile>)")
    p.add_argument("--token", action="store_true", help="print only the experiment schedule token")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(args: argparse.Namespace) -> int:
        from convac.analysis import parse_grid
        from convac.channel_design import DEFAULT_MULTIPLIERS, DEFAULT_WIDTHS, design, design_schedule, parse_profile

        profile = parse_profile(args.profile)
        if args.for_experiment or args.token:
            kwargs: dict[str, Any] = {"reference_r": args.reference_r, "name": args.name}
            if args.r_values:
                kwargs["r_values"] = args.r_values
            mults = DEFAULT_MULTIPLIERS
            if args.multipliers:
                try:
                    mults = tuple(float(m) for m in args.multipliers.split(","))
                except ValueError:
                    raise UsageError(
                        f"convac design: --multipliers must be numbers, got {args.multipliers!r}"
                    ) from None
            result = design_schedule(profile, multipliers=mults, **kwargs)
        else:
            if args.budget is None:
                raise UsageError("convac design: give --budget (or --for-experiment for the paper's geometry)")
            if (args.grid is None) == (args.inputs is None):
                raise UsageError("convac design: give exactly one of --grid HxW and --inputs N")
            grid = parse_grid(args.grid) if args.grid is not None else (args.inputs,)
            result = design(
                grid,
                args.budget,
                profile,
                n_features=args.features,
                window=args.window,
                n_outputs=args.outputs,
                shared=args.shared,
                widths=args.widths or DEFAULT_WIDTHS,
            )
        if args.token:
            print(result.token())
        elif args.json:
            print(json.dumps(result.to_dict(), indent=1))
        else:
            print(result)
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
        "--micro-batch",
        type=int,
        help="split each batch into pieces of this size, gradients summed (same step; 2-4x faster on a CPU at 128)",
    )
    q.add_argument(
        "--convac-weights",
        choices=["positive", "signed"],
        help="weight kind of the convac family (default positive; signed is the one that learns these tasks)",
    )
    q.add_argument("--mnist-dir", help="directory with the four MNIST IDX files (gz or not); default: bundled digits")
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
            micro_batch=args.micro_batch,
            convac_weights=args.convac_weights,
            source="mnist" if args.mnist_dir else None,
            mnist_dir=args.mnist_dir,
        )
        result = run_sweep(sweep, args.out, device=args.device, workers=args.workers, progress=not args.no_progress)
        print(f"{result.ran} cells run, {result.skipped} already done; results in {args.out}")
        if "table_md" in result.files:
            print(result.files["table_md"].read_text(), end="")
        return 0

    q.set_defaults(func=run)

    f = inner.add_parser(
        "function-entanglement",
        help="trained ConvACs' function entanglement per length scale vs min-cut, through training",
    )
    f.add_argument("--out", required=True, help="results directory (resumed if it holds this configuration)")
    f.add_argument("--tasks", type=_str_list, default=["local", "global"], help="comma-separated: local, global")
    f.add_argument(
        "--schedules", type=_schedule_list, default=["wide_base", "wide_tip"], help="schedules, ';'-separated"
    )
    f.add_argument("--seeds", type=_int_list, default=[0, 1], help="comma-separated seeds")
    f.add_argument("--r", type=int, default=2, help="width parameter r (default 2)")
    f.add_argument("--epochs", type=int, help="default 5 (20 with --digits)")
    f.add_argument("--n-train", type=int, default=2000)
    f.add_argument("--n-test", type=int, default=500)
    f.add_argument("--lr", type=float, default=3e-3)
    f.add_argument("--batch-size", type=int, default=16)
    f.add_argument("--n-gram", type=int, default=256, help="training images that define the feature Gram")
    f.add_argument("--max-cut", type=int, default=1024, help="probe only partitions with min-cut up to this")
    f.add_argument("--weights", default="signed", help="ConvAC weight kind: signed (default) or positive")
    f.add_argument(
        "--digits",
        action="store_true",
        help="instead: the bundled-digits ConvAC of 'convac train' (seeds and epochs apply; default 20 epochs)",
    )
    f.add_argument("--no-progress", action="store_true")

    def run_fe(args: argparse.Namespace) -> int:
        from convac.experiments.function_entanglement import run_digits_tracking, run_function_entanglement

        if args.digits:
            records = run_digits_tracking(args.out, tuple(args.seeds), args.epochs or 20, progress=not args.no_progress)
        else:
            records = run_function_entanglement(_fe_config(args), args.out, progress=not args.no_progress)
        print(f"{len(records)} cells in {args.out}")
        table = Path(args.out) / "table.md"
        if table.exists():
            print(table.read_text(), end="")
        return 0

    def _fe_config(args: argparse.Namespace) -> Any:
        from convac.experiments.function_entanglement import FunctionEntanglementConfig

        return FunctionEntanglementConfig(
            tasks=tuple(args.tasks),
            schedules=tuple(args.schedules),
            seeds=tuple(args.seeds),
            r=args.r,
            n_train=args.n_train,
            n_test=args.n_test,
            epochs=args.epochs or 5,
            lr=args.lr,
            batch_size=args.batch_size,
            n_gram=args.n_gram,
            max_cut=args.max_cut,
            weights=args.weights,
        )

    f.set_defaults(func=run_fe)


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
    except (ValueError, TypeError, OSError, KeyError, ImportError) as exc:
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
