"""``convac advise``: for a PyTorch CNN, the layer each scale binds, layers too narrow for a dataset, better widths."""

from __future__ import annotations

import argparse
import json
from typing import Any

from convac.cli._flags import add_data_source_flags, add_json, input_shape, int_option
from convac.cli._parser import UsageError
from convac.cli.design import _no_block_cap

__all__: list[str] = []

DESCRIPTION = (
    "Advice for your own CNN (convolutions, grouped or depthwise too, poolings, residual sums, concatenations and "
    "Linear layers): per length scale, which "
    "layer its min-cut runs through; with --from-data, which layers are too narrow for the data's "
    "entanglement under the canonical partitions (ln width >= S + margin, the rule of `convac design "
    "--method feasible`); and suggested widths at exactly the net's parameter count (convolutions and Linear "
    "layers), keeping its shape, in multiples of --multiple, layers a residual sum or depthwise convolution "
    "ties kept equal."
)
EPILOG = (
    "examples:\n"
    "  convac advise --module tests/fx/cnn_shapes.py:LeNet5 --input-shape 1,28,28\n"
    "  convac advise --module tests/fx/cnn_shapes.py:LeNet5 --input-shape 1,28,28 --from-data mnist5k --samples 200\n"
    "  convac advise --module convac.fx.zoo:resnet18 --input-shape 3,32,32"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--module",
        required=True,
        metavar="MODULE:NAME",
        help="a PyTorch CNN, as module:attribute or file.py:attribute naming an nn.Module or a no-argument factory",
    )
    p.add_argument("--input-shape", type=input_shape, required=True, help="one sample's shape: C,H,W (2D) or C,L (1D)")
    p.add_argument(
        "--from-data",
        dest="source",
        metavar="SOURCE",
        help="a dataset of the net's input size (digits, mnist5k, mnist1d, task:..., or a .npy/.npz/.csv file): "
        "its canonical-partition entanglement per level (default: none, no data verdict)",
    )
    int_option(p, "--multiple", 1, default=8, help="suggested widths are multiples of this (default: 8)")
    p.add_argument("--margin", type=float, help="nats each level must clear beyond its entanglement (default: ln 2)")
    p.add_argument(
        "--precision",
        type=float,
        default=0.05,
        help="with --from-data: sample blocks per level to this 95%% CI half-width in nats (0: every block)",
    )
    add_json(p)
    add_data_source_flags(p, 200)
    _no_block_cap(p, "(default: no cap; --precision decides)")


def run(args: argparse.Namespace) -> int:
    from convac.cli.analyze import _working_directory_importable
    from convac.fx import load_module_object
    from convac.fx._advice import advise

    if args.margin is not None and not args.margin >= 0:
        raise UsageError(f"--margin must be a number >= 0 (nats), got {args.margin}")
    if not args.precision >= 0:
        raise UsageError(f"--precision must be a number >= 0 (nats; 0: every block), got {args.precision}")
    with _working_directory_importable():
        module = load_module_object(args.module)
    data = _profile(args) if args.source is not None else None
    kwargs: dict[str, Any] = {"data": data, "multiple": args.multiple}
    if args.margin is not None:
        kwargs["margin"] = args.margin
    result = advise(module, args.input_shape, **kwargs)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        if data is not None:
            print(f"data entanglement of {args.source} per pooling level ({data.n_samples} samples):")
            print(data.table())
            print()
        print(result)
    return 0


def _profile(args: argparse.Namespace) -> Any:
    from convac.cli._flags import load_data_source
    from convac.datatensor import canonical_entanglement

    x, y = load_data_source(args)
    grid = tuple(x.shape[1:])
    if grid != tuple(args.input_shape[1:]):
        raise UsageError(
            f"the data of {args.source} are {'x'.join(map(str, grid))}, but the net reads "
            f"{'x'.join(map(str, args.input_shape[1:]))}; give data of the net's input size"
        )
    return canonical_entanglement(
        x, y, args.theta, max_blocks=args.max_blocks or None, seed=args.seed, precision=args.precision or None
    )
