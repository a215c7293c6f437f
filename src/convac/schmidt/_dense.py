"""Dense path: Schmidt values from the SVD of the matricized coefficient tensor (small N only).

Rows of the matricization are the side-A positions in increasing order, columns the
side-B positions; the SVD is in float64. Cost: ``M**N`` memory.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
>>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
>>> s, log2_scale = dense_singular_values(tn, convac.Partition.left_right(arch))
>>> len(s)
4
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from convac.partitions import Partition
from convac.tensornet._coefficient import DEFAULT_MAX_BYTES
from convac.tensornet._network import ConvACTensorNetwork

__all__ = ["dense_singular_values", "matricize"]


def matricize(tensor: np.ndarray, partition: Partition) -> np.ndarray:
    """``[A]_{A,B}``: rows indexed by side A's positions, columns by side B's (increasing order).

    Examples
    --------
    >>> matricize(np.arange(8.0).reshape(2, 2, 2), Partition(3, side_a=[1])).shape
    (2, 4)
    """
    a, b = partition.side_a, partition.side_b
    rows = int(np.prod([tensor.shape[i] for i in a]))
    return np.transpose(tensor, (*a, *b)).reshape(rows, -1)


def dense_singular_values(
    tn: ConvACTensorNetwork, partition: Partition, output: int | Sequence[int] = 0, max_bytes: int = DEFAULT_MAX_BYTES
) -> Any:
    """Singular values of ``[A^output]_{A,B}`` as (s, scale): true values are ``s * 2**scale``.

    With a sequence of outputs: a list of such pairs, from one contraction of all outputs.
    """
    if isinstance(output, Sequence):
        mantissa, exponent = tn.contract(output=None, return_exponent=True, max_bytes=max_bytes)
        return [
            (np.linalg.svd(matricize(mantissa[..., y], partition), compute_uv=False), int(exponent)) for y in output
        ]
    mantissa, exponent = tn.contract(output=output, return_exponent=True, max_bytes=max_bytes)
    s = np.linalg.svd(matricize(mantissa, partition), compute_uv=False)
    return s, int(exponent)
