"""``convac design``: channel widths that maximise a correlation profile within a parameter budget."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from convac.cli._flags import add_arch_flags, add_data_source_flags, add_json, int_list, int_option, load_data_source
from convac.cli._parser import UsageError

__all__: list[str] = []

DESCRIPTION = (
    "Choose the channel number of every layer. --method feasible (the default with --from-data): the "
    "canonical-partition theorem as constraints, ln(min-cut) >= S + margin at every pooling level (S: the "
    "data's entanglement of each pooling block against the rest), at exactly the budget, the rest spent by "
    "--spend; it prints which level binds. --method objective (the default otherwise): maximise a correlation "
    "profile (a weighted sum, over length scales, of the fraction of the best log2 min-cut the budget allows "
    "there) within the budget. Without --grid/--inputs the network is the paper's: a 64x64 grid, M=10 "
    "features, 10 outputs, shared weights, 2x2 pooling, at the paper's budget 31r^2+50r at r = --reference-r. "
    "With --for-experiment it prints a schedule token for `convac experiment inductive-bias`."
)
EPILOG = (
    "examples:\n"
    "  convac design --profile local\n"
    "  convac design --grid 16x16 --features 4 --shared --budget 400 --profile checkerboard=1,left_right=3\n"
    "  convac design --for-experiment --profile global --token\n"
    "  convac design --for-experiment --from-data task:local --reference-r 6\n"
    "  convac design --method feasible --entropies 0.1,0.1,0.2,0.4,0.8,1.5 --reference-r 6"
)


def entropy_list(text: str) -> tuple[float, ...]:
    """``"0.1,0.5"`` -> (0.1, 0.5): entanglement per canonical level in nats, each finite and >= 0."""
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        values = ()
    if not values or not all(math.isfinite(v) and v >= 0 for v in values):
        raise argparse.ArgumentTypeError(
            f"--entropies must be comma-separated numbers >= 0 (nats per canonical level, finest first), got {text!r}"
        )
    return values


def precision_value(text: str) -> float:
    """Return a CI half-width in nats (0: every block)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"--precision must be a number >= 0 (nats; 0: every block), got {text!r}")
    return value


def multiplier_list(text: str) -> tuple[float, ...]:
    """``"1,2,3"`` -> (1.0, 2.0, 3.0): candidate multipliers of r, each positive and finite."""
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        values = ()
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise argparse.ArgumentTypeError(
            f"--multipliers must be comma-separated positive numbers (multipliers of r; channels are "
            f"max(1, round(m * r))), got {text!r}"
        )
    return values


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_arch_flags(p, "", paper_default=True)
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--profile",
        help="local (short-range correlations weigh most), global, or SCALE=WEIGHT,... "
        "(e.g. checkerboard=1,left_right=3) (default: local)",
    )
    what.add_argument(
        "--from-data",
        dest="source",
        metavar="SOURCE",
        help="profile = the data's entanglement per pooling level: digits, mnist5k, mnist1d, task:local, "
        "task:global (bundled digits; add :mnist5k for real MNIST) or a .npy/.npz/.csv file (the grid is "
        "the data's) (default: none, --profile decides)",
    )
    int_option(
        p,
        "--budget",
        1,
        help="parameter budget (Architecture.n_params: hidden + output weights) "
        "(default: the paper's 31r^2+50r at --reference-r on the paper's geometry; required with --grid/--inputs)",
    )
    p.add_argument("--widths", type=int_list, help="candidate widths per layer (default: 1,2,4,...,256)")
    p.add_argument(
        "--for-experiment",
        action="store_true",
        help="design multipliers of r on the paper's 64x64 geometry at budget 31r^2+50r and print the schedule token",
    )
    p.add_argument(
        "--r-values",
        type=int_list,
        help="with --for-experiment: r at which the budget must hold (default: the paper's 2,4,6,8,10,12,16,20,24,30)",
    )
    int_option(
        p,
        "--reference-r",
        1,
        default=8,
        help="r of the default budget 31r^2+50r, and at which --for-experiment evaluates the objective",
    )
    p.add_argument(
        "--multipliers",
        type=multiplier_list,
        help="with --for-experiment: candidate multipliers of r (default: 1,2,3,4,6,8)",
    )
    p.add_argument(
        "--name",
        help="schedule name in the token: a letter, then letters, digits, '_' or '-' (default: designed_<profile>)",
    )
    p.add_argument(
        "--token", action="store_true", help="print only the experiment schedule token (implies --for-experiment)"
    )
    _add_feasible_flags(p)
    add_json(p)
    add_data_source_flags(p, 200)
    # with --from-data the feasible method samples blocks to --precision; the objective method keeps 16
    _no_block_cap(p, "(default: no cap with --method feasible, where --precision decides; 16 with objective)")


def _no_block_cap(p: argparse.ArgumentParser, default: str) -> None:
    for action in p._actions:
        if action.dest == "max_blocks":
            action.default = None
            action.help = f"most blocks evaluated per level, drawn at random (0: all) {default}"


def _add_feasible_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--method",
        choices=["feasible", "objective"],
        help="feasible: ln(min-cut) >= S + margin at every canonical level, exactly the budget; objective: "
        "maximise a weighted min-cut profile within the budget (default: feasible with --from-data or "
        "--entropies, else objective)",
    )
    p.add_argument(
        "--entropies",
        type=entropy_list,
        help="with --method feasible and no data: entanglement per canonical level in nats, finest first "
        "(default: none)",
    )
    p.add_argument(
        "--margin",
        type=precision_value,
        help="feasible: nats every level must clear beyond its entanglement (default: ln 2, one bit)",
    )
    p.add_argument(
        "--spend",
        choices=["auto", "proportional", "entanglement", "uniform"],
        default="auto",
        help="feasible: how the budget the constraints leave free is spent: each level's own width gets "
        "log-slack in proportion to its entanglement (proportional), equal log-slack at every level "
        "(entanglement), one common width (uniform), or auto: the rule measured to suit --family, "
        "uniform for a ReLU net, proportional for a ConvAC (default: auto)",
    )
    p.add_argument(
        "--family",
        choices=["relu", "convac"],
        help="feasible: the kind of net the widths are for, which --spend auto follows (default: relu with "
        "--for-experiment, the paper's ReLU nets; convac otherwise)",
    )
    unmet = p.add_mutually_exclusive_group()
    unmet.add_argument(
        "--closest",
        action="store_true",
        help="feasible: when the budget cannot meet every level, print the design closest to feasible (every "
        "requirement lowered by one common amount) instead of refusing (default: refuse)",
    )
    unmet.add_argument(
        "--drop-unmet",
        action="store_true",
        help="feasible: when the budget cannot meet every level, drop the most demanding levels (no floor: the "
        "spend rule sizes them) and meet all the others, instead of refusing (default: refuse)",
    )
    p.add_argument(
        "--precision",
        type=precision_value,
        default=0.05,
        help="feasible with --from-data: sample blocks per level until the 95%% CI half-width of its mean "
        "entanglement is at most this many nats (0: every block, seed-free)",
    )


def run(args: argparse.Namespace) -> int:
    from convac.channel_design import parse_profile

    feasible = _method(args) == "feasible"
    # None: the library's default profile
    profile: Any = parse_profile(args.profile) if args.profile is not None and not feasible else None
    data_profile = None
    schedule_only = args.for_experiment or args.token
    if args.source is not None:
        data_profile = profile = _measure_data(args, schedule_only, feasible)
    elif feasible:
        if args.entropies is None:
            raise UsageError("--method feasible needs the data's entanglement: give --from-data or --entropies")
        profile = list(args.entropies)
    if schedule_only:
        result = _design_schedule(args, profile, feasible)
    else:
        result = _design_network(args, profile, data_profile, feasible)
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
        if feasible and args.spend == "auto":
            print(_auto_spend_note(args.family or ("relu" if schedule_only else "convac")))
    return 0


def _auto_spend_note(family: str) -> str:
    from convac.channel_design import FAMILY_SPEND

    (other,) = set(FAMILY_SPEND) - {family}
    return (
        f"Spend rule: --spend auto takes {FAMILY_SPEND[family]!r} for a {family} net (the rule measured to suit "
        f"it); --family {other} would take {FAMILY_SPEND[other]!r}, --spend RULE names one."
    )


def _method(args: argparse.Namespace) -> str:
    if args.method is not None:
        if args.method == "feasible" and args.profile is not None:
            raise UsageError("--profile weighs scales for --method objective; --method feasible takes --from-data")
        if args.method == "objective" and args.entropies is not None:
            raise UsageError("--entropies is for --method feasible; --method objective takes --profile")
        return str(args.method)
    return "feasible" if args.source is not None or args.entropies is not None else "objective"


def _measure_data(args: argparse.Namespace, schedule_only: bool, feasible: bool) -> Any:
    """Return the entanglement profile of --from-data, after the checks that need no measurement."""
    from convac.datatensor import canonical_entanglement
    from convac.spec._paper import PAPER_GRID

    if not schedule_only and args.budget is None and args.grid is None and args.inputs is None:
        raise UsageError("give --budget with --from-data (or --for-experiment for the paper's r)")
    x, y = load_data_source(args)
    grid = tuple(x.shape[1:])
    if schedule_only and grid != PAPER_GRID:
        raise UsageError(
            f"--for-experiment designs for the experiment's {_grid_text(PAPER_GRID)} grid, but the data of "
            f"{args.source} are {_grid_text(grid)}; use data on {_grid_text(PAPER_GRID)} (e.g. "
            "task:local) or drop --for-experiment and give --budget to design for the data's own grid"
        )
    # no progress bar: sampled blocks measure in seconds, and stderr stays free for a one-line error
    if not feasible:
        blocks = 16 if args.max_blocks is None else args.max_blocks
        return canonical_entanglement(x, y, args.theta, max_blocks=blocks or None, seed=args.seed)
    return canonical_entanglement(
        x, y, args.theta, max_blocks=args.max_blocks or None, seed=args.seed, precision=args.precision or None
    )


def _grid_text(grid: tuple[int, ...]) -> str:
    return "x".join(map(str, grid))


def _feasible_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"method": "feasible", "spend": args.spend}
    if args.family is not None:
        kwargs["family"] = args.family
    if args.closest:
        kwargs["infeasible"] = "closest"
    if args.drop_unmet:
        kwargs["infeasible"] = "drop"
    if args.margin is not None:
        kwargs["margin"] = args.margin
    return kwargs


def _design_schedule(args: argparse.Namespace, profile: Any, feasible: bool) -> Any:
    from convac.channel_design import design_schedule

    if feasible:
        return design_schedule(profile, r=args.reference_r, name=args.name, **_feasible_kwargs(args))
    kwargs: dict[str, Any] = {"reference_r": args.reference_r, "name": args.name}
    if profile is not None:
        kwargs["profile"] = profile
    if args.r_values:
        kwargs["r_values"] = args.r_values
    if args.multipliers:
        kwargs["multipliers"] = args.multipliers
    return design_schedule(**kwargs)


def _design_network(args: argparse.Namespace, profile: Any, data_profile: Any, feasible: bool) -> Any:
    from convac.analysis import parse_grid
    from convac.channel_design import design
    from convac.spec._paper import PAPER_GRID, PAPER_N_FEATURES, PAPER_N_OUTPUTS, paper_budget

    if args.grid is not None and args.inputs is not None:
        raise UsageError("give one of --grid HxW and --inputs N, not both")
    if data_profile is not None and args.grid is None and args.inputs is None:
        args.grid = _grid_text(tuple(data_profile.grid))  # a profile measured on data designs for the data's grid
    kwargs: dict[str, Any] = {"window": args.window, "windows": args.windows}
    if feasible:
        kwargs.update(_feasible_kwargs(args))
    if profile is not None:
        kwargs["profile"] = profile
    if args.widths:
        kwargs["widths"] = args.widths
    if args.grid is None and args.inputs is None:  # the paper's network, at its budget for --reference-r
        grid: tuple[int, ...] = PAPER_GRID
        budget = paper_budget(args.reference_r) if args.budget is None else args.budget
        features = PAPER_N_FEATURES if args.features is None else args.features
        outputs = PAPER_N_OUTPUTS if args.outputs is None else args.outputs
        kwargs["shared"] = True
    else:
        if args.budget is None:
            raise UsageError("give --budget with --grid/--inputs (the paper's budget is for 64x64)")
        grid = parse_grid(args.grid) if args.grid is not None else (args.inputs,)
        budget = args.budget
        features, outputs = args.features, args.outputs
        kwargs["shared"] = args.shared
    if features is not None:
        kwargs["n_features"] = features
    if outputs is not None:
        kwargs["n_outputs"] = outputs
    return design(grid, budget, **kwargs)
