"""Flags shared by several commands, defined once, and the type functions that validate flag values.

A type function's error names its flag and what the flag allows, so a bad value is one line such as
``convac demo: error: --seed must be a non-negative integer, got 'x'``.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any

__all__ = [
    "ImageFlag",
    "IntFlag",
    "PositiveFloatFlag",
    "add_arch_flags",
    "add_data_source_flags",
    "add_executor_flags",
    "add_json",
    "add_no_progress",
    "add_seed",
    "add_threads",
    "float_option",
    "input_shape",
    "int_list",
    "int_option",
    "load_data_source",
    "schedule_list",
    "str_list",
    "windows_list",
]


class IntFlag:
    """Type function of an integer flag with a smallest allowed value."""

    def __init__(self, flag: str, minimum: int = 0) -> None:
        self.flag = flag
        self.minimum = minimum
        self.allowed = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")

    def __call__(self, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = self.minimum - 1
        if value < self.minimum:
            raise argparse.ArgumentTypeError(f"{self.flag} must be {self.allowed}, got {text!r}")
        return value


class PositiveFloatFlag:
    """Type function of a flag that takes a positive finite number."""

    def __init__(self, flag: str) -> None:
        self.flag = flag

    def __call__(self, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{self.flag} must be a positive number, got {text!r}")
        return value


class ImageFlag:
    """Type function of a flag naming a figure file: written exactly as given, so it needs an image suffix."""

    def __init__(self, flag: str) -> None:
        self.flag = flag

    def __call__(self, text: str) -> str:
        from convac._validation import IMAGE_SUFFIXES

        if not text.lower().endswith(IMAGE_SUFFIXES):
            raise argparse.ArgumentTypeError(
                f"{self.flag} must be a file name ending in {', '.join(IMAGE_SUFFIXES)}, got {text!r}"
            )
        return text


def int_option(p: Any, flag: str, minimum: int = 0, **kwargs: Any) -> argparse.Action:
    """Add an integer flag whose bad values name the flag; ``minimum`` is its smallest allowed value."""
    action: argparse.Action = p.add_argument(flag, type=IntFlag(flag, minimum), **kwargs)
    return action


def float_option(p: Any, flag: str, **kwargs: Any) -> argparse.Action:
    """Add a flag taking a positive finite number."""
    action: argparse.Action = p.add_argument(flag, type=PositiveFloatFlag(flag), **kwargs)
    return action


def int_list(text: str) -> tuple[int, ...]:
    """``"4, 4,2"`` -> (4, 4, 2); the library checks the values themselves."""
    try:
        values = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def str_list(text: str) -> tuple[str, ...]:
    """``"local, global"`` -> ("local", "global")."""
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if not values:
        raise argparse.ArgumentTypeError("expected at least one comma-separated value")
    return values


def schedule_list(text: str) -> tuple[str, ...]:
    """Schedule names and tokens ``NAME=m1,...,m6``, separated by ';' or spaces (or commas before a name)."""
    # Custom tokens contain commas themselves: split on ';' or on spaces between tokens, and otherwise
    # only before a NAME= or a registered name.
    parts = tuple(p for p in re.split(r"[;\s]+|,(?=[A-Za-z])", text.strip()) if p)
    if not parts:
        raise argparse.ArgumentTypeError("expected at least one schedule")
    return parts


def windows_list(text: str) -> list[Any]:
    """``2,2,3,7`` -> [2, 2, 3, 7]; ``2x2,3x2`` -> [(2, 2), (3, 2)] (one window per hidden layer)."""
    allowed = "comma-separated windows such as 2,2,3,7 (1D) or 2x2,2x2,7x7 (2D)"
    out: list[Any] = []
    for item in text.replace(" ", "").lower().split(","):
        parts = item.split("x")
        if not 1 <= len(parts) <= 2 or not all(v.isdigit() and int(v) >= 1 for v in parts):
            raise argparse.ArgumentTypeError(f"--windows must be {allowed}, got {text!r}")
        sizes = tuple(int(v) for v in parts)
        out.append(sizes[0] if len(sizes) == 1 else sizes)
    if len({isinstance(w, tuple) for w in out}) > 1:
        raise argparse.ArgumentTypeError(f"--windows must give every window the same way ({allowed}), got {text!r}")
    return out


def input_shape(text: str) -> tuple[int, ...]:
    """``1,28,28`` or ``1x28x28`` -> (1, 28, 28): one sample's C,H,W (or C,L)."""
    try:
        shape = tuple(int(v) for v in text.lower().replace("x", ",").replace(" ", "").split(","))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"--input-shape must be one sample's C,L or C,H,W in positive integers, e.g. 1,28,28; got {text!r}"
        )
    return shape


# ---------------------------------------------------------------------------- flags shared by commands
def add_seed(p: Any, help: str, default: int = 0) -> None:
    """``--seed``: a non-negative integer."""
    int_option(p, "--seed", 0, default=default, help=help)


def add_json(p: Any, help: str = "machine-readable output") -> None:
    """``--json``: print JSON instead of tables."""
    p.add_argument("--json", action="store_true", help=help)


def add_no_progress(p: Any) -> None:
    """``--no-progress``: no progress bar."""
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_threads(p: Any, default: int | None, why: str) -> None:
    """``--threads``: BLAS/OpenMP/torch threads of a single-process command (applied with convac._threads)."""
    int_option(
        p, "--threads", 1, default=default, help=f"CPU threads of BLAS, OpenMP and torch; {why} (default: {default})"
    )


def add_executor_flags(p: Any, workers: int | None, workers_help: str) -> None:
    """``--workers``, ``--executor`` and ``--ray-address``: where the cells of an experiment run."""
    int_option(p, "--workers", 1, default=workers, help=workers_help)
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


def add_arch_flags(p: Any, channels_help: str, paper_default: bool = False) -> None:
    """Add the architecture flags of ``analyze`` and ``design``: grid or inputs, features, windows, outputs, sharing."""
    # design defaults to the paper's geometry, where M, outputs and sharing are the paper's
    on_paper = "10 on the paper's geometry, else " if paper_default else ""
    unset = "the paper's 64x64" if paper_default else "none; give --grid or --inputs"
    p.add_argument("--grid", help=f"2D input grid HxW, e.g. 64x64 (default: {unset})")
    int_option(p, "--inputs", 1, help=f"1D input length N (default: {unset})")
    int_option(
        p,
        "--features",
        1,
        default=None if paper_default else 2,
        help=f"number M of representation features (default: {on_paper}2)",
    )
    int_option(p, "--window", 2, default=None, help="pooling window of every layer (default: 2)")
    p.add_argument(
        "--windows",
        type=windows_list,
        default=None,
        help="one pooling window per hidden layer, multiplying to the grid: 2,2,3,7 (1D) or 2x2,2x2,7x7 (2D) "
        "(default: --window at every layer)",
    )
    int_option(
        p, "--outputs", 1, default=None if paper_default else 1, help=f"number of outputs (default: {on_paper}1)"
    )
    p.add_argument(
        "--shared",
        action="store_true",
        help="weights shared across positions (a true convolution)"
        + ("; always on for the paper's geometry" if paper_default else ""),
    )
    if channels_help:
        p.add_argument("--channels", type=int_list, action="append", default=[], help=channels_help)


def add_data_source_flags(p: Any, samples_cap: int | None) -> None:
    """How ``data-entanglement`` and ``design --from-data`` read and sample a dataset.

    Without ``--samples``, a command with a ``samples_cap`` uses a seeded subset of at most that
    many samples (a smaller dataset whole); without a cap, all samples.
    """
    int_option(
        p,
        "--samples",
        1,
        help="seeded random subset of samples"
        + (" (default: all)" if samples_cap is None else f" (default: at most {samples_cap:,})"),
    )
    p.set_defaults(samples_cap=samples_cap)
    add_seed(p, "seed for the subset, block sampling and rearrangement")
    float_option(p, "--theta", default=1.0, help="feature map angle: phi(x) = (cos(pi theta x/2), sin(...))")
    int_option(p, "--max-blocks", 0, default=16, help="blocks evaluated per level, drawn at random (0: all)")
    int_option(p, "--label-column", 0, help="CSV column holding integer labels (default: none)")
    p.add_argument("--rescale", action="store_true", help="min-max scale a file's values to [0, 1]")
    p.add_argument("--no-labels", action="store_true", help="ignore labels: the data tensor of the inputs alone")


def load_data_source(args: argparse.Namespace) -> Any:
    """Return ``(x, y)`` of ``args.source`` as the data-source flags ask (``y`` None with --no-labels)."""
    from convac.datatensor._datasets import load_source

    cap = getattr(args, "samples_cap", None)
    n_samples = cap if args.samples is None else args.samples
    x, y = load_source(args.source, n_samples, args.seed, args.label_column, args.rescale, at_most=args.samples is None)
    return x, None if args.no_labels else y
