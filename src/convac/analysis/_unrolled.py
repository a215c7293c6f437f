"""How big the unrolled tensor network of a general spec is, counted before it is built.

With overlapping kernels an activation feeds several windows, and the min-cut graph of
:func:`convac.mincut.tensor_network_graph` holds one matrix per *path* from the top to it. The
count is exact and cheap: a window is a product of one range per axis, so the number of paths to a
position is a product of per-axis counts, and one step's matrices are a product of per-axis sums.

Examples
--------
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> from convac.mincut import tensor_network_graph
>>> spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(2, kernel=2), ConvStep(4, kernel=2)])
>>> unrolled_matrices(spec), len(tensor_network_graph(spec).nodes)
(6, 6)
"""

from __future__ import annotations

from convac._validation import instance, positive_int
from convac.errors import TooLargeError
from convac.spec import GeneralArchitecture

__all__ = ["MAX_UNROLLED_MATRICES", "check_unrolled_size", "unrolled_matrices"]

#: Most matrices :func:`convac.analysis.analyze` lets the unrolled network of a general spec have
#: (the default ``max_nodes`` of :func:`convac.mincut.tensor_network_graph`).
MAX_UNROLLED_MATRICES = 2_000_000


def _axis_paths(spec: GeneralArchitecture, axis: int) -> list[list[int]]:
    """``paths[l][c]``: the number of paths from the top to coordinate ``c`` of layer ``l`` along ``axis``."""
    counts = [1]  # the top layer has one position
    out = [counts]
    for index in reversed(range(spec.depth)):
        step = spec.steps[index]
        k, s, p, d = (step.kernel[axis], step.stride[axis], step.padding[axis], step.dilation[axis])  # type: ignore[index]
        size = spec.layer_grid(index)[axis]
        below = [0] * size
        for q, n in enumerate(counts):
            for j in range(k):
                c = q * s - p + d * j
                if 0 <= c < size:  # padding positions hold no activation
                    below[c] += n
        counts = below
        out.append(counts)
    out.reverse()
    return out


def unrolled_matrices(spec: GeneralArchitecture) -> int:
    """Return the number of matrices in the unrolled tensor network of ``spec`` (exact, without building it).

    Step ``i`` with channels contributes one matrix per path from the top to each position of
    layer ``i`` (a pooling step, ``channels=None``, contributes none). For a tree this is the number
    of (position, window member) pairs; every overlapping step multiplies it.

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> tree = GeneralArchitecture(grid=(8,), n_features=2, steps=[ConvStep(3, 2, 2), ConvStep(3, 4, 4)])
    >>> unrolled_matrices(tree)  # 8 inputs into 4 windows, then 4 positions into 1
    12
    >>> stacked = GeneralArchitecture(grid=(32, 32), n_features=2, steps=[ConvStep(4, 3, padding=1)] * 6
    ...                               + [ConvStep(2, 32, 32)])
    >>> unrolled_matrices(stacked)  # 1,024 input positions, 526 million paths
    526651404
    """
    instance(spec, "spec", GeneralArchitecture, "a convac.spec.GeneralArchitecture")
    per_axis = [_axis_paths(spec, axis) for axis in range(spec.ndim)]
    total = 0
    for index, step in enumerate(spec.steps):
        if step.channels is None:
            continue
        matrices = 1
        for paths in per_axis:
            matrices *= sum(paths[index])
        total += matrices
    return total


def check_unrolled_size(spec: GeneralArchitecture, limit: int = MAX_UNROLLED_MATRICES) -> int:
    """Refuse (:class:`~convac.errors.TooLargeError`) a spec whose unrolled network exceeds ``limit`` matrices.

    Returns the count otherwise. The count takes microseconds, building the network minutes.

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(16,), n_features=2, steps=[ConvStep(2, 3, padding=1)] * 4 + [ConvStep(2, 16)])
    >>> check_unrolled_size(spec, limit=10**6)
    1738
    >>> check_unrolled_size(spec, limit=1000)
    Traceback (most recent call last):
        ...
    convac.errors.TooLargeError: the unrolled tensor network of this spec would have 1,738 matrices ...
    """
    limit = positive_int(limit, "limit")
    count = unrolled_matrices(spec)
    if count > limit:
        shown = f"{count:,}" if count < 10**12 else f"about {float(count):.3g}"
        raise TooLargeError(
            f"the unrolled tensor network of this spec would have {shown} matrices (every overlapping kernel "
            f"copies each activation once per path to the top), over the limit of {limit:,} for the exact min-cut; "
            "use a smaller input grid, fewer overlapping steps, or windows that tile each grid (a tree)"
        )
    return count
