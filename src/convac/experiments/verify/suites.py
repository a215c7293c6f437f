"""The verify suites: grids of architectures and partitions, sampled into cells."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convac.errors import InputError
from convac.experiments._suite_info import SUITE_DESCRIPTIONS
from convac.partitions import Partition
from convac.ranks._finite_field import FAST_PRIME, check_prime
from convac.spec import Architecture

FORMAT_VERSION = 2

PAPER_BONDS = (2, 3, 5, 7, 11, 13)
VERIFY_PRIME = FAST_PRIME
"""The field of ``verify``: p = 4194301 < 2²², small enough for the float64 BLAS rank route."""
VERIFY_REDRAWS = 2
"""Fresh weight draws for a case below the min-cut: each squares the Schwartz–Zippel bound again."""
VERIFY_MIN_PRIME = 65521
"""The smallest field ``verify`` accepts (the largest prime below 2¹⁶).

A rank over GF(p) equals the generic (real) rank only with probability about ``1 - D r / p``
(Schwartz–Zippel: ``D`` the degree of the minors, ``r`` the rank). Over a tiny field that bound
is vacuous and ranks fall below the power-of-p lower bound for no reason but the field: with
``p = 3`` the paper suite reports "a proven inequality FAILED" although nothing failed over the
reals. From about 2¹⁶ on, the bound of the suites' largest cases is small, and ``redraws`` fresh
draws square it again."""

__all__ = [
    "SUITES",
    "VERIFY_MIN_PRIME",
    "VERIFY_PRIME",
    "VERIFY_REDRAWS",
    "Cell",
    "SuiteSpec",
    "check_verify_prime",
    "suite_cells",
]


def check_verify_prime(prime: object) -> int:
    """``prime`` checked: a prime of at least :data:`VERIFY_MIN_PRIME` (else an InputError).

    Examples
    --------
    >>> check_verify_prime(4194301)
    4194301
    >>> check_verify_prime(3)
    Traceback (most recent call last):
    ...
    convac.errors.InputError: verify's prime must be at least 65521: over a smaller field ranks are not generic ...
    """
    value = check_prime(prime)
    if value < VERIFY_MIN_PRIME:
        raise InputError(
            f"verify's prime must be at least {VERIFY_MIN_PRIME}: over a smaller field ranks are not generic "
            f"and the proven bounds seem to fail; got {value}"
        )
    return value


# ---------------------------------------------------------------------------- suites
def _balanced(n: int) -> list[tuple[int, ...]]:
    """All balanced partitions of n positions once each (position 0 on side A): C(n, n/2)/2."""
    return [(0, *rest) for rest in itertools.combinations(range(1, n), n // 2 - 1)]


def _all_bipartitions(n: int) -> list[tuple[int, ...]]:
    """Every bipartition into two non-empty sides once (position 0 on side A): 2^(n-1) - 1."""
    out: list[tuple[int, ...]] = []
    for size in range(0, n - 1):
        out.extend((0, *rest) for rest in itertools.combinations(range(1, n), size))
    return out


def _named(arch: Architecture) -> list[tuple[int, ...]]:
    """Return the paper's named partitions of ``arch`` (left/right, interleaved; up/down in 2D)."""
    parts = [Partition.left_right(arch), Partition.interleaved(arch)]
    if arch.ndim == 2:
        parts.append(Partition.up_down(arch))
    return [_canonical(p.side_a, arch.n_inputs) for p in parts]


def _canonical(side_a: Iterable[int], n: int) -> tuple[int, ...]:
    a = tuple(sorted(side_a))
    return a if 0 in a else tuple(sorted(set(range(n)) - set(a)))


def _paper_archs(shared: bool) -> list[Architecture]:
    return [
        Architecture.deep_1d(n_inputs=16, n_features=2, channels=list(ch), shared=shared)
        for ch in itertools.permutations(PAPER_BONDS, 4)
    ]


def _archs_2d() -> list[Architecture]:
    bonds = (2, 3, 4, 5, 7)
    return [Architecture.deep_2d(height=4, width=4, n_features=2, channels=[a, b]) for a in bonds for b in bonds]


def _archs_shallow() -> list[Architecture]:
    return [
        Architecture.shallow(n_inputs=n, n_features=m, hidden=z)
        for n in (4, 6, 8)
        for m in (2, 3)
        for z in (1, 2, 3, 5, 7, 16, 40)
    ]


def _archs_powers() -> list[Architecture]:
    out = []
    for ch in itertools.product((2, 4, 8, 16), repeat=4):
        out.append(Architecture.deep_1d(n_inputs=16, n_features=2, channels=list(ch)))
    for ch in itertools.product((3, 9, 27), repeat=3):
        out.append(Architecture.deep_1d(n_inputs=8, n_features=3, channels=list(ch)))
    for ch in itertools.product((2, 4, 16), repeat=3):
        out.append(Architecture.deep_1d(n_inputs=8, n_features=4, channels=list(ch)))
    return out


@dataclass(frozen=True)
class SuiteSpec:
    """A named grid of architectures and partitions.

    It holds the full list of architectures, the full list of partitions of each, and the
    sample sizes used without ``full``.

    Examples
    --------
    >>> spec = SUITES["shallow"]
    >>> spec.name, len(spec.architectures()), spec.default_cells
    ('shallow', 42, 42)
    """

    name: str
    description: str
    architectures: Callable[[], list[Architecture]]
    partitions: Callable[[Architecture], list[tuple[int, ...]]]
    default_cells: int
    default_partitions: int


SUITES: dict[str, SuiteSpec] = {
    spec.name: spec
    for spec in (
        SuiteSpec(
            "paper",
            SUITE_DESCRIPTIONS["paper"],
            lambda: _paper_archs(shared=False),
            lambda arch: _balanced(arch.n_inputs),
            10,
            250,
        ),
        SuiteSpec(
            "2d",
            SUITE_DESCRIPTIONS["2d"],
            _archs_2d,
            lambda arch: _balanced(arch.n_inputs),
            12,
            150,
        ),
        SuiteSpec(
            "shared",
            SUITE_DESCRIPTIONS["shared"],
            lambda: _paper_archs(shared=True),
            lambda arch: _balanced(arch.n_inputs),
            6,
            150,
        ),
        SuiteSpec(
            "shallow",
            SUITE_DESCRIPTIONS["shallow"],
            _archs_shallow,
            lambda arch: _all_bipartitions(arch.n_inputs),
            42,
            127,
        ),
        SuiteSpec(
            "powers",
            SUITE_DESCRIPTIONS["powers"],
            _archs_powers,
            lambda arch: _balanced(arch.n_inputs),
            10,
            100,
        ),
    )
}
"""The verify suites by name (``paper``, ``2d``, ``shared``, ``shallow``, ``powers``)."""


@dataclass(frozen=True)
class Cell:
    """One unit of work: an architecture and its partitions (side A, position 0 on it).

    Examples
    --------
    >>> cell = suite_cells("powers", cells=1, partitions=3, seed=0)[0]
    >>> cell.suite, all(0 in side_a for side_a in cell.partitions)
    ('powers', True)
    >>> from convac.experiments.verify import run_cell
    >>> record = run_cell(cell)
    >>> record["cases"] == len(cell.partitions), record["above"], record["equal"] == record["cases"]
    (True, 0, True)
    """

    suite: str
    index: int
    arch: dict[str, Any]
    partitions: tuple[tuple[int, ...], ...]
    seed: int
    prime: int = VERIFY_PRIME
    redraws: int = VERIFY_REDRAWS


def _sample(rng: np.random.Generator, items: Sequence[Any], k: int | None) -> list[Any]:
    if k is None or k >= len(items):
        return list(items)
    idx = np.sort(rng.choice(len(items), size=k, replace=False))
    return [items[i] for i in idx]


def suite_cells(
    suite: str,
    *,
    full: bool = False,
    seed: int = 0,
    cells: int | None = None,
    partitions: int | None = None,
    prime: int = VERIFY_PRIME,
    redraws: int = VERIFY_REDRAWS,
) -> list[Cell]:
    """Return the cells of a suite: all of its grid with ``full``, else a sample reproducible from ``seed``.

    ``cells`` / ``partitions`` override the sample sizes (architectures, partitions per
    architecture); sampled cells always include the named partitions (left/right,
    interleaved, up/down).

    Examples
    --------
    >>> [len(c.partitions) for c in suite_cells("paper", cells=2, partitions=10)]
    [12, 12]
    >>> len(suite_cells("paper", full=True)), len(suite_cells("paper", full=True)[0].partitions)
    (360, 6435)
    """
    spec = _spec(suite)
    archs = spec.architectures()
    suite_key = int.from_bytes(suite.encode(), "little") % 2**32
    rng = np.random.default_rng([seed, suite_key])
    n_cells = None if full and cells is None else (cells if cells is not None else spec.default_cells)
    n_parts = (
        None if full and partitions is None else (partitions if partitions is not None else spec.default_partitions)
    )
    chosen = _sample(rng, list(enumerate(archs)), n_cells)
    out = []
    for index, arch in chosen:
        all_parts = spec.partitions(arch)
        cell_rng = np.random.default_rng([seed, suite_key, index])
        if n_parts is None:
            parts = all_parts
        else:
            named = [p for p in _named(arch) if p in set(all_parts)]
            rest = [p for p in all_parts if p not in set(named)]
            parts = named + _sample(cell_rng, rest, n_parts)
        cell_seed = int(np.random.SeedSequence([seed, suite_key, index]).generate_state(1)[0])
        out.append(Cell(suite, index, arch.to_dict(), tuple(parts), cell_seed, prime, redraws))
    return out


def _spec(suite: str) -> SuiteSpec:
    if suite not in SUITES:
        raise InputError(f"unknown verify suite {suite!r}; choose from {', '.join(SUITES)}")
    return SUITES[suite]
