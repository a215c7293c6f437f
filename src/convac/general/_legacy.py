"""The old ``convac.general`` functions whose results differ from the new ones (kept one release).

``min_cut`` numbers ``.layers`` as the general spec's activation layers (0 = the inputs), as it
did; :func:`convac.min_cut` numbers them as :class:`convac.MinCut` documents (-1 = the inputs).

Examples
--------
>>> import convac
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(10,), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(5, kernel=9)])
>>> part = convac.Partition(10, side_a=range(1, 6))
>>> min_cut(spec, part).layers, convac.min_cut(spec, part).layers
((0, 2), (-1, 1))
"""

from __future__ import annotations

import dataclasses

from convac.mincut import MinCut
from convac.mincut import min_cut as _min_cut
from convac.partitions import Partition
from convac.ranks import DEFAULT_PRIME
from convac.ranks import generic_rank as _generic_rank
from convac.spec import GeneralArchitecture
from convac.tensornet._coefficient import DEFAULT_MAX_BYTES

__all__ = ["generic_rank", "min_cut"]


@dataclasses.dataclass(frozen=True, eq=False)
class _SpecLayersMinCut(MinCut):
    """A :class:`~convac.MinCut` whose ``.layers`` count activation layers from 0 = the inputs."""

    @property
    def layers(self) -> tuple[int, ...]:
        """Sorted layers with cut bonds (0 = input edges), the old convac.general numbering."""
        return tuple(sorted({e.layer for e in self.edges}))


def min_cut(spec: GeneralArchitecture, partition: Partition) -> MinCut:
    """``convac.min_cut(spec, partition, method="exact_flow")`` with the old ``.layers`` numbering.

    >>> import convac
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(4,), n_features=2,
    ...     steps=[ConvStep(3, kernel=2, stride=2), ConvStep(5, kernel=2)])
    >>> min_cut(spec, convac.Partition.left_right(spec)).layers
    (1,)
    """
    cut = _min_cut(spec, partition, method="exact_flow")
    return _SpecLayersMinCut(**{f.name: getattr(cut, f.name) for f in dataclasses.fields(cut)})


def generic_rank(
    spec: GeneralArchitecture,
    partition: Partition,
    seed: int = 0,
    prime: int = DEFAULT_PRIME,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> int:
    """:func:`convac.generic_rank` with the old default size limit of the general path (512 MiB).

    >>> import convac
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(6,), n_features=2, steps=[ConvStep(4, kernel=3), ConvStep(4, kernel=4)])
    >>> generic_rank(spec, convac.Partition(6, side_a=[0, 2, 4]))
    8
    """
    return _generic_rank(spec, partition, seed=seed, prime=prime, max_bytes=max_bytes)
