"""``convac analyze``: min-cut, lower bound, cut layers and generic rank per length scale, for several networks."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from convac.cli._flags import ImageFlag, add_arch_flags, add_json, add_seed, input_shape, int_option
from convac.cli._parser import UsageError

__all__: list[str] = []

DESCRIPTION = (
    "For each network, at every length scale (checkerboard, blocks of 2, 4, ..., left/right, "
    "up/down): the min-cut of its tensor network (log2 of the largest separation rank it can reach), "
    "the lower bound, the layers every minimal cut runs through, and, for small networks, the exact "
    "generic rank. Several networks on one grid are compared side by side."
)
EPILOG = (
    "examples:\n"
    "  convac analyze --inputs 16 --channels 4,4,2,2 --channels 2,2,4,4\n"
    "  convac analyze --grid 8x8 --features 3 --channels 5,2,7 --json\n"
    "  convac analyze --compare-schedules wide_base,wide_tip --r 8 --figure scales.png\n"
    "  convac analyze --module mynets:lenet --input-shape 1,28,28"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_arch_flags(p, "channel numbers per layer, e.g. 4,4,2,2; repeat to compare several networks (default: none)")
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
    int_option(p, "--r", 1, default=8, help="width parameter r for --compare-schedules")
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
        type=input_shape,
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
    add_seed(p, "seed of the generic rank's random weights")
    add_json(p)
    p.add_argument(
        "--figure",
        type=ImageFlag("--figure"),
        metavar="PNG",
        help="write log2 min-cut vs length scale, side by side (default: no figure)",
    )
    p.add_argument(
        "--width-figure",
        type=ImageFlag("--width-figure"),
        metavar="PNG",
        help="write the layer-width x scale heat map of the first network (default: no figure)",
    )


def run(args: argparse.Namespace) -> int:
    from convac.analysis import analyze_many

    if args.input_shape is not None and not args.module:
        raise UsageError("--input-shape goes with --module")
    families = None if args.families is None else [f.strip() for f in args.families.split(",") if f.strip()]
    rank: bool | str = "auto" if args.rank == "auto" else args.rank == "yes"
    analyses = _module_analyses(args, families, rank) if args.module else []
    if not args.module or args.channels or args.arch or args.compare_schedules:
        analyses += analyze_many(_architectures(args), families=families, rank=rank, seed=args.seed)
    same_grid = len({a.arch.grid for a in analyses}) == 1
    _figures(analyses, args, same_grid)
    if args.json:
        print(json.dumps({"analyses": [a.to_dict() for a in analyses]}, indent=1))
    else:
        _print_analyses(analyses, args, same_grid)
    return 0


def _architectures(args: argparse.Namespace) -> dict[str, Any]:
    """Return the networks named on the command line: --channels, --arch files, --compare-schedules."""
    from convac.analysis import architecture_from_options, load_architecture, paper_pair
    from convac.spec._paper import split_schedules

    archs: dict[str, Any] = {}
    for chans in args.channels:
        arch = architecture_from_options(
            grid=args.grid,
            inputs=args.inputs,
            features=args.features,
            channels=list(chans),
            window=args.window,
            outputs=args.outputs,
            shared=args.shared,
            shallow=args.shallow,
            windows=args.windows,
        )
        archs[f"{'shallow ' if args.shallow else ''}{list(chans)}".replace(" ", "")] = arch
    for path in args.arch:
        for i, arch in enumerate(load_architecture(path)):
            archs[f"{path}[{i}]" if i else path] = arch
    if args.compare_schedules:
        archs.update(paper_pair(args.r, split_schedules(args.compare_schedules)))
    if not archs:
        raise UsageError(
            "give --channels (with --grid or --inputs), --arch FILE, --compare-schedules "
            "or --module MODULE:FACTORY (with --input-shape)"
        )
    return archs


@contextlib.contextmanager
def _working_directory_importable() -> Iterator[None]:
    """Put the working directory first on ``sys.path`` while --module loads, as ``python -m`` does.

    The library never edits ``sys.path``; the program does, for the modules the user names, and
    restores it afterwards (``main`` may run inside another program, e.g. a test).
    """
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)


def _module_analyses(args: argparse.Namespace, families: list[str] | None, rank: bool | str) -> list[Any]:
    """Return the analyses of the --module networks (torch is imported here, only when one is given)."""
    if args.input_shape is None:
        raise UsageError("--module needs --input-shape, one sample's C,H,W (or C,L), e.g. 1,28,28")
    from convac.fx import analyze_module, load_module_object

    with _working_directory_importable():
        modules = {spec: load_module_object(spec) for spec in args.module}
    return [
        analyze_module(module, args.input_shape, families=families, name=spec, rank=rank, seed=args.seed)
        for spec, module in modules.items()
    ]


def _figures(analyses: Sequence[Any], args: argparse.Namespace, same_grid: bool) -> None:
    if args.figure and not same_grid:
        raise UsageError("--figure draws networks side by side and needs one grid for all")
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
