"""The paper's geometry (docs/theory.md §6) as ConvAC architectures, for analysis and design.

64 x 64 inputs, a representation of ``M = 10`` channels, six hidden layers of 1x1 conv and 2x2
pooling, 10 outputs, shared weights (a true convolution). With shared weights ``n_params`` is
exactly the paper's count of hidden and output weights, ``31 r^2 + 50 r`` for both schedules.

Examples
--------
>>> paper_architecture(wide_base(8)).n_params == paper_budget(8) == paper_architecture(wide_tip(8)).n_params
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from convac.architecture import Architecture
from convac.models.schedules import SCHEDULES, parse_schedule, wide_base, wide_tip

__all__ = [
    "PAPER_GRID",
    "PAPER_N_FEATURES",
    "PAPER_N_OUTPUTS",
    "PAPER_R_VALUES",
    "PAPER_SCHEDULES",
    "paper_architecture",
    "paper_budget",
    "paper_schedule",
    "split_schedules",
    "wide_base",
    "wide_tip",
]

PAPER_GRID = (64, 64)
PAPER_N_FEATURES = 10
PAPER_N_OUTPUTS = 10
#: The paper's width parameters, and the quick profile's smaller ones.
PAPER_R_VALUES: tuple[int, ...] = (2, 4, 6, 8, 10, 12, 16, 20, 24, 30)


# One registry of schedules for the whole package: the experiment's (convac.models.schedules).
PAPER_SCHEDULES: dict[str, Callable[[int], list[int]]] = SCHEDULES


def paper_schedule(name: str, r: int) -> list[int]:
    """Return the channels at width ``r`` of a schedule name or token.

    ``name`` is a registered schedule (``wide_base``, ``wide_tip``) or a token ``NAME=m1,...,m6``
    (multipliers of r: ``max(1, round(m * r))``, as the experiment reads it).

    Examples
    --------
    >>> paper_schedule("wide_tip", 1), paper_schedule("mine=6,2,2,1,1,1", 4)
    ([1, 1, 2, 2, 4, 4], [24, 8, 8, 4, 4, 4])
    """
    return parse_schedule(name).channels(r)


def split_schedules(text: str) -> list[str]:
    """Split ``"wide_base,wide_tip,mine=6,2,2,1,1,1"`` into schedule names and tokens.

    Examples
    --------
    >>> split_schedules("wide_base,wide_tip,mine=6,2,2,1,1,1")
    ['wide_base', 'wide_tip', 'mine=6,2,2,1,1,1']
    """
    out: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if out and "=" in out[-1] and item.replace(".", "", 1).isdigit():
            out[-1] += "," + item
        else:
            out.append(item)
    return out


def paper_architecture(channels: Sequence[int]) -> Architecture:
    """Return the paper's 64x64, M=10, 10-output, shared-weight ConvAC with these six channel numbers.

    Examples
    --------
    >>> arch = paper_architecture([4, 4, 2, 2, 1, 1])
    >>> arch.grid, arch.n_features, arch.shared, arch.n_params == 31 * 1 + 50 * 1
    ((64, 64), 10, True, True)
    """
    return Architecture.deep_2d(
        height=PAPER_GRID[0],
        width=PAPER_GRID[1],
        n_features=PAPER_N_FEATURES,
        channels=channels,
        n_outputs=PAPER_N_OUTPUTS,
        shared=True,
    )


def paper_budget(r: int) -> int:
    """Return the paper's parameter count ``31 r^2 + 50 r`` (hidden and output layers).

    Examples
    --------
    >>> paper_budget(8)
    2384
    """
    return 31 * r * r + 50 * r
