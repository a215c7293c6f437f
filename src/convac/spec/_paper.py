"""The paper's geometry and channel schedules, defined once (docs/theory.md §6).

**Geometry.** 64 x 64 inputs, a representation of ``M = 10`` channels, six hidden layers of 1x1
conv and 2x2 pooling, 10 outputs, shared weights (a true convolution). With shared weights
``n_params`` is exactly the paper's count of hidden and output weights, ``31 r^2 + 50 r`` for both
schedules (:func:`paper_budget`).

**Schedules**: how the width of a six-layer network is spread over depth.

A schedule maps the width parameter ``r`` to one channel number per hidden layer
(shallow to deep). The paper's two are registered by name; a custom schedule is a
token ``NAME=m1,m2,m3,m4,m5,m6`` of multipliers of ``r`` (channels are
``max(1, round(m_i * r))``), which is how a designed network joins a sweep.

Examples
--------
>>> wide_base(2), wide_tip(2)
([8, 8, 4, 4, 2, 2], [2, 2, 4, 4, 8, 8])
>>> s = parse_schedule("mine=1,1.5,2,2,3,4")
>>> s.name, s.channels(4)
('mine', [4, 6, 8, 8, 12, 16])
>>> parse_schedule("wide_tip").channels(3)
[3, 3, 6, 6, 12, 12]
>>> paper_architecture(wide_base(8)).n_params == paper_budget(8) == paper_architecture(wide_tip(8)).n_params
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from convac._validation import positive_int
from convac.errors import ConvacTypeError, InputError
from convac.spec._tree import Architecture

__all__ = [
    "N_LAYERS",
    "PAPER_GRID",
    "PAPER_N_FEATURES",
    "PAPER_N_OUTPUTS",
    "PAPER_R_VALUES",
    "PAPER_SCHEDULES",
    "SCHEDULES",
    "Schedule",
    "paper_architecture",
    "paper_budget",
    "paper_schedule",
    "parse_schedule",
    "split_schedules",
    "wide_base",
    "wide_tip",
]

#: Hidden layers of the paper's network (and of every schedule).
N_LAYERS = 6
PAPER_GRID = (64, 64)
PAPER_N_FEATURES = 10
PAPER_N_OUTPUTS = 10
#: The paper's width parameters, and the quick profile's smaller ones.
PAPER_R_VALUES: tuple[int, ...] = (2, 4, 6, 8, 10, 12, 16, 20, 24, 30)


def wide_base(r: int) -> list[int]:
    """Return the paper's wide-base schedule ``[4r, 4r, 2r, 2r, r, r]`` (many channels near the input).

    Examples
    --------
    >>> wide_base(3)
    [12, 12, 6, 6, 3, 3]
    """
    return [4 * r, 4 * r, 2 * r, 2 * r, r, r]


def wide_tip(r: int) -> list[int]:
    """Return the paper's wide-tip schedule ``[r, r, 2r, 2r, 4r, 4r]`` (many channels near the output).

    Examples
    --------
    >>> wide_tip(3)
    [3, 3, 6, 6, 12, 12]
    """
    return [r, r, 2 * r, 2 * r, 4 * r, 4 * r]


SCHEDULES: dict[str, Callable[[int], list[int]]] = {"wide_base": wide_base, "wide_tip": wide_tip}
"""The paper's registered schedules: name -> channels at width r."""

#: The same registry under the name the analysis code uses.
PAPER_SCHEDULES = SCHEDULES

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Schedule:
    """A named schedule: ``multipliers`` of ``r`` per layer (the registered ones are multipliers too).

    Examples
    --------
    >>> s = parse_schedule("mine=6,2,2,1,1,1")
    >>> s.name, s.channels(4), s.token
    ('mine', [24, 8, 8, 4, 4, 4], 'mine=6,2,2,1,1,1')
    """

    name: str
    multipliers: tuple[float, ...]

    def channels(self, r: int) -> list[int]:
        """Channel numbers for width parameter ``r``: ``max(1, round(m_i * r))`` per layer."""
        r = positive_int(r, "r")
        return [max(1, round(m * r)) for m in self.multipliers]

    @property
    def token(self) -> str:
        """The token that :func:`parse_schedule` turns back into this schedule."""
        if self.name in SCHEDULES:
            return self.name
        return f"{self.name}=" + ",".join(f"{m:g}" for m in self.multipliers)


def parse_schedule(token: str) -> Schedule:
    """Return a registered name (``wide_base``, ``wide_tip``) or ``NAME=m1,...,m6``; errors say what is allowed.

    Examples
    --------
    >>> parse_schedule("wide_tip").channels(2)
    [2, 2, 4, 4, 8, 8]
    >>> parse_schedule("wide")
    Traceback (most recent call last):
        ...
    convac.errors.InputError: unknown schedule 'wide'; ...
    """
    if not isinstance(token, str):
        raise ConvacTypeError(f"a schedule must be a string, got {type(token).__name__}")
    token = token.strip()
    if token in SCHEDULES:
        return Schedule(token, tuple(float(c) for c in SCHEDULES[token](1)))
    allowed = f"allowed: {', '.join(sorted(SCHEDULES))}, or NAME=m1,m2,m3,m4,m5,m6 (multipliers of r)"
    if "=" not in token:
        raise InputError(f"unknown schedule {token!r}; {allowed}")
    name, _, values = token.partition("=")
    name = name.strip()
    if not _NAME.match(name) or name in SCHEDULES:
        raise InputError(
            f"bad schedule name {name!r} in {token!r}: use letters, digits, '_' or '-', not a registered name"
        )
    try:
        multipliers = tuple(float(v) for v in values.split(","))
    except ValueError:
        raise InputError(f"schedule {token!r}: multipliers must be numbers; {allowed}") from None
    if len(multipliers) != N_LAYERS:
        raise InputError(f"schedule {token!r} has {len(multipliers)} multipliers; {allowed}")
    if not all(math.isfinite(m) and m > 0 for m in multipliers):
        raise InputError(f"schedule {token!r}: multipliers must be positive and finite")
    return Schedule(name, multipliers)


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
