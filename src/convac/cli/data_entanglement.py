"""``convac data-entanglement``: a dataset's entanglement per pooling level, and a feature order that lowers it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from convac.cli._flags import ImageFlag, add_data_source_flags, add_json, add_no_progress, load_data_source
from convac.cli._parser import UsageError

__all__: list[str] = []

DESCRIPTION = (
    "Measure the entanglement of a dataset's data tensor (each sample's features mapped to "
    "(cos, sin) pairs and summed, one-vs-rest per class) across the canonical partitions of a pooling tree, "
    "exactly from Gram matrices over the samples, and report the mean per level: low entanglement at a level "
    "means a locally connected network can fit the task at that scale. --rearrange writes a feature order "
    "that lowers it (recursive balanced bisection of the |correlation| graph)."
)
EPILOG = (
    "examples:\n"
    "  convac data-entanglement digits --samples 500 --json\n"
    "  convac data-entanglement mnist1d --rearrange perm.txt --figure mnist1d.png\n"
    "  convac data-entanglement my.csv --label-column 0 --rescale"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source",
        help="digits, mnist5k, mnist1d, task:local, task:global (bundled digits; add :mnist5k for real "
        "MNIST, e.g. task:local:mnist5k), or a .npy/.npz/.csv file",
    )
    add_data_source_flags(p, None)
    p.add_argument("--grid", help="lay the features out as HxW (default: the data's own shape)")
    p.add_argument(
        "--rearrange",
        metavar="OUT",
        help="write rearrange_features' permutation to OUT, .npy or .txt (default: not written)",
    )
    p.add_argument(
        "--method",
        default="auto",
        help="rearrangement: entanglement (1D: blocks ordered and oriented; 2D: embedding layout), "
        "entanglement-blocks, entanglement-unordered, greedy-chain, spectral, igtd, "
        "or auto, metis, kernighan_lin (the unordered bisection with that bisector; default: auto)",
    )
    p.add_argument(
        "--figure", type=ImageFlag("--figure"), metavar="PNG", help="write the per-level figure here (default: none)"
    )
    add_json(p)
    add_no_progress(p)


def run(args: argparse.Namespace) -> int:
    from convac.datatensor import canonical_entanglement, plot_profiles
    from convac.datatensor._rearrange import LEGACY_METHODS, METHODS

    if args.method not in (*METHODS, *LEGACY_METHODS):
        raise UsageError(f"--method must be one of {', '.join((*METHODS, *LEGACY_METHODS))}; got {args.method!r}")
    x, y = _data(args)
    opts = {"max_blocks": args.max_blocks or None, "seed": args.seed, "progress": not args.no_progress}
    profiles = {"given order": canonical_entanglement(x, y, args.theta, **opts)}
    perm = None
    if args.rearrange:
        perm = _rearrange(x, y, args)
        xr = x.reshape(len(x), -1)[:, perm].reshape(x.shape)
        profiles["rearranged"] = canonical_entanglement(xr, y, args.theta, **opts)
    if args.figure:
        plot_profiles(profiles, args.figure, title=f"{args.source}: data entanglement per level")
    if args.json:
        doc: dict[str, Any] = {"source": args.source, **{k: v.to_dict() for k, v in profiles.items()}}
        if perm is not None:
            doc["permutation"] = perm.tolist()
        print(json.dumps(doc, indent=1))
        return 0
    for name, prof in profiles.items():
        print(
            f"{args.source}, {name}: {prof.n_samples} samples, grid {prof.grid}, theta {prof.theta:g}"
            + (" (blocks sampled)" if prof.sampled else "")
        )
        print(prof.table())
    if args.rearrange:
        print(f"permutation written to {args.rearrange}")
    return 0


def _data(args: argparse.Namespace) -> tuple[Any, Any]:
    """Return the samples of ``args.source``, laid out on --grid if given."""
    import numpy as np

    grid: tuple[int, ...] = ()
    if args.grid is not None:
        try:
            grid = tuple(int(v) for v in args.grid.lower().split("x"))
        except ValueError:
            grid = ()
        if len(grid) not in (1, 2) or min(grid) < 1:
            raise UsageError(f"--grid is N or HxW such as 28x28, got {args.grid!r}")
    x, y = load_data_source(args)
    if grid:
        if int(np.prod(grid)) != int(np.prod(x.shape[1:])):
            raise UsageError(
                f"--grid {args.grid} has {int(np.prod(grid))} positions but the data "
                f"have {int(np.prod(x.shape[1:]))} features"
            )
        x = x.reshape(len(x), *grid)
    return x, y


def _rearrange(x: Any, y: Any, args: argparse.Namespace) -> Any:
    """Return the permutation of rearrange_features, written to --rearrange (.npy, else text)."""
    from pathlib import Path

    import numpy as np

    from convac.datatensor import rearrange_features

    perm = rearrange_features(x, y, method=args.method, seed=args.seed)
    out = Path(args.rearrange)
    if out.suffix.lower() == ".npy":
        np.save(out, perm)
    else:
        np.savetxt(out, perm, fmt="%d")
    return perm
