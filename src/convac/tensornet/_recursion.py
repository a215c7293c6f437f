"""THE coefficient recursion: one loop for tree and general specs, in float64 or mod a prime.

The coefficient tensor ``A`` of a ConvAC is what its tensor network contracts to with the input
legs open (docs/theory.md §1). It is built activation by activation. An activation is an array
with one axis per input (size ``M`` for the inputs in its receptive field, size 1 elsewhere) and a
last axis over its channels; input ``j`` starts as the identity on its own axis (a one-hot feature
picks its channel). A step maps every member of a window by its matrix (a 1x1 convolution; none
for pure pooling) and multiplies the members entrywise with numpy broadcasting. Members of a tree
window have disjoint receptive fields, so the product is the outer product of the hierarchical
Tucker recursion; members of an overlapping window share input axes, which broadcasting
evaluates at one value: the copy delta of the input. So one loop serves
:class:`~convac.spec.Architecture` (:func:`tree_steps`) and
:class:`~convac.spec.GeneralArchitecture` (:func:`general_steps`), and the arithmetic is a
parameter: ``prime=None`` is float64, a prime is exact residues mod p.

Examples
--------
>>> import numpy as np
>>> from convac.spec import Architecture
>>> arch = Architecture.shallow(n_inputs=2, n_features=2, hidden=1)
>>> w = [np.array([[[1.0], [2.0]], [[3.0], [4.0]]])]  # W^{0,j}: (positions, M, channels)
>>> recursion(2, 2, tree_steps(arch, w), np.array([1.0]), None).tolist()  # A[a, b] = w0[a] * w1[b]
[[3.0, 4.0], [6.0, 8.0]]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from convac.errors import InternalError
from convac.tensornet._arithmetic import _matmul

if TYPE_CHECKING:
    from convac.partitions import Partition
    from convac.spec import Architecture, GeneralArchitecture

__all__ = ["general_steps", "matricize", "matricize_stack", "recursion", "tree_steps"]

#: One window of a step: the flat indices of its members in the layer below, and each member's
#: matrix ``(C_in, C_out)`` (None: a pure pooling step, the activation is used as it is).
Window = tuple[Sequence[int], Sequence["np.ndarray | None"]]


def _apply(act: np.ndarray, matrix: np.ndarray, prime: int | None) -> np.ndarray:
    # One 2D product over every input axis at once (BLAS), not a batched matmul over N axes.
    flat = act.reshape(-1, act.shape[-1])
    out = flat @ matrix if prime is None else _matmul(flat, matrix, prime)
    return out.reshape((*act.shape[:-1], matrix.shape[-1]))


def recursion(
    n_inputs: int, n_features: int, steps: Iterable[Iterable[Window]], output: np.ndarray, prime: int | None
) -> np.ndarray:
    """Contract a ConvAC's tensor network to its coefficient tensor, shape ``(n_features,) * n_inputs``.

    ``steps`` yields, per layer, its windows in output-position order (flat, row-major);
    ``output`` is the top's vector of ``C_L`` weights for one score. ``prime=None`` computes in
    float64; a prime computes exactly mod p (int64 residues; weights must already be residues).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[1, 2], [3, 4]])
    >>> steps = [[((0, 1), (w, w))]]  # one window holding both inputs, each through w
    >>> recursion(2, 2, steps, np.array([1, 1]), 5).tolist()  # sum_r w[a, r] w[b, r] mod 5
    [[0, 1], [1, 0]]
    """
    dtype = np.float64 if prime is None else np.int64

    def leaf(j: int, matrix: np.ndarray | None) -> np.ndarray:
        # Input j is the identity on its own axis, so its image under a matrix is the matrix itself.
        shape = [1] * n_inputs + [n_features if matrix is None else matrix.shape[-1]]
        shape[j] = n_features
        return (np.eye(n_features, dtype=dtype) if matrix is None else np.asarray(matrix, dtype=dtype)).reshape(shape)

    acts: list[np.ndarray] | None = None  # None: the inputs themselves, built on first use
    for step in steps:
        pooled: list[np.ndarray] = []
        for members, matrices in step:
            out: np.ndarray | None = None
            for member, matrix in zip(members, matrices, strict=True):
                if acts is None:
                    a = leaf(member, matrix)
                else:
                    a = acts[member] if matrix is None else _apply(acts[member], matrix, prime)
                out = a if out is None else (out * a if prime is None else out * a % prime)
            if out is None:
                raise InternalError("a pooling window of the coefficient recursion has no members")
            pooled.append(out)
        acts = pooled
    if acts is None:  # no steps: not a ConvAC
        raise InternalError("the coefficient recursion was given no steps")
    if len(acts) != 1:
        raise InternalError(f"the coefficient recursion ended with {len(acts)} activations, not one")
    tensor = _apply(acts[0], np.asarray(output, dtype=dtype)[:, None], prime)[..., 0]
    # An input that no window reads keeps a size-1 axis: the score does not depend on it.
    return np.ascontiguousarray(np.broadcast_to(tensor, (n_features,) * n_inputs))


def tree_steps(arch: Architecture, weights: Sequence[np.ndarray]) -> Iterator[list[Window]]:
    """Yield the windows of an :class:`~convac.spec.Architecture`; ``weights[l][j]`` is ``W^{l,j}``.

    Examples
    --------
    >>> import numpy as np
    >>> from convac.spec import Architecture
    >>> arch = Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 2])
    >>> w = [np.zeros((4, 2, 3)), np.zeros((2, 3, 2))]
    >>> [[members for members, _ in step] for step in tree_steps(arch, w)]
    [[(0, 1), (2, 3)], [(0, 1)]]
    """
    for layer in range(arch.depth):
        w = weights[layer]
        yield [(window, [w[j] for j in window]) for window in arch.pool_windows(layer)]


def general_steps(spec: GeneralArchitecture, weights: Sequence[np.ndarray]) -> Iterator[list[Window]]:
    """Yield the windows of a :class:`~convac.spec.GeneralArchitecture`, weights in ``conv_matrices`` order.

    Examples
    --------
    >>> import numpy as np
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(None, kernel=2), ConvStep(2, kernel=2)])
    >>> [[members for members, _ in step] for step in general_steps(spec, [np.eye(2)] * 2)]
    [[[0, 1], [1, 2]], [[0, 1]]]
    """
    node = 0
    for index, step in enumerate(spec.steps):
        below = spec.layer_grid(index)
        windows: list[Window] = []
        for q in itertools.product(*(range(g) for g in spec.layer_grid(index + 1))):
            coords = spec.window(index, q)
            members = [int(np.ravel_multi_index(c, below)) for c in coords]
            if step.channels is None:
                windows.append((members, [None] * len(members)))
            else:
                windows.append((members, list(weights[node : node + len(members)])))
                node += len(members)
        yield windows


def matricize(tensor: np.ndarray, partition: Partition) -> np.ndarray:
    """Return ``[A]_{A,B}``: rows over side A's inputs, columns over side B's, each in increasing order.

    Examples
    --------
    >>> import numpy as np, convac
    >>> A = np.arange(8).reshape(2, 2, 2)
    >>> matricize(A, convac.Partition(3, side_a=[1])).tolist()  # rows: input 1; columns: inputs 0, 2
    [[0, 1, 4, 5], [2, 3, 6, 7]]
    """
    a, b = partition.side_a, partition.side_b
    rows = math.prod(tensor.shape[i] for i in a)
    return np.transpose(tensor, (*a, *b)).reshape(rows, -1)


def matricize_stack(tensor: np.ndarray, partitions: Sequence[Partition]) -> np.ndarray:
    """``np.stack([matricize(tensor, q) for q in partitions])`` (same side sizes) with one copy, not two.

    Examples
    --------
    >>> import numpy as np, convac
    >>> A = np.arange(8).reshape(2, 2, 2)
    >>> parts = [convac.Partition(3, side_a=[0]), convac.Partition(3, side_a=[2])]
    >>> matricize_stack(A, parts).shape
    (2, 2, 4)
    """
    rows = math.prod(tensor.shape[i] for i in partitions[0].side_a)
    out = np.empty((len(partitions), rows, tensor.size // max(rows, 1)), dtype=tensor.dtype)
    for j, part in enumerate(partitions):
        np.copyto(out[j].reshape(tensor.shape), np.transpose(tensor, list(part.side_a) + list(part.side_b)))
    return out
