"""``convac experiment``: the paper's experiments, one module per experiment."""

from __future__ import annotations

__all__: list[str] = []

DESCRIPTION = "The paper's experiments. `convac experiment EXPERIMENT --help` describes each."
EPILOG = "example:\n  convac experiment inductive-bias --out ib-quick"
DEST = "experiment"
METAVAR = "EXPERIMENT"
REQUIRED = True

#: experiment name -> (module under convac.cli.experiment, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "inductive-bias": (
        "inductive_bias",
        "wide-base vs wide-tip ReLU ConvNets (and ConvACs) on the local and global digit tasks",
    ),
    "report": (
        "report",
        "one table and figure from several inductive-bias sweeps (e.g. r = 6, r = 8, designed nets)",
    ),
    "function-entanglement": (
        "function_entanglement",
        "trained ConvACs' function entanglement per length scale vs min-cut, through training",
    ),
    "data-entanglement": (
        "data_entanglement",
        "does low data entanglement predict CNN accuracy? natural, permuted and rearranged feature orders",
    ),
    "feature-order": (
        "feature_order",
        "feature orders for a weight-sharing CNN: natural, permuted and each rearrange_features method",
    ),
    "scale-tasks": (
        "scale_tasks",
        "synthetic tasks with a known correlation scale: does the schedule that fits it win at equal budget?",
    ),
}
