"""The coefficient tensor of a general (overlapping) ConvAC: its weights, in float64 and exactly mod p.

With copy deltas the network is no longer multilinear in each input's feature vector ``v_j`` (a
re-used activation enters several products), so the coefficient tensor is defined as what the
tensor network with its copy deltas and open input legs contracts to:
``A[d_1, ..., d_N] = h(e_{d_1}, ..., e_{d_N})``, the score on one-hot features (a discrete input
with a one-hot representation, where ``h = <A, v_1 x ... x v_N>`` holds exactly). This is the
tensor whose matricizations :func:`convac.min_cut` bounds. It is computed by the one recursion of
:mod:`convac.tensornet._recursion`: a re-used activation is computed once and read by every window
that holds it (the network's own semantics; its tensor network is the unrolled tree of
:func:`convac.mincut.tensor_network_graph`, with the same matrix at every copy). Weights are
unshared: one matrix ``W^{l,q,c}`` per step ``l``, output position ``q`` and window member ``c``.

Examples
--------
>>> import convac
>>> from convac.spec import ConvStep, GeneralArchitecture
>>> spec = GeneralArchitecture(grid=(6,), n_features=2, steps=[ConvStep(2, kernel=3), ConvStep(2, kernel=4)])
>>> part = convac.Partition(6, side_a=[0, 1, 2])
>>> convac.generic_rank(spec, part), convac.min_cut(spec, part).value
(8, 8)
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from convac._validation import instance, non_negative_int
from convac.errors import InputError
from convac.spec import GeneralArchitecture
from convac.tensornet._arithmetic import DEFAULT_PRIME, check_prime
from convac.tensornet._coefficient import DEFAULT_MAX_BYTES, check_dense_size
from convac.tensornet._recursion import general_steps, recursion

__all__ = ["conv_matrices", "general_coefficient_tensor", "general_coefficient_tensor_mod", "random_weights"]


def _check_spec(spec: Any) -> GeneralArchitecture:
    return instance(spec, "spec", GeneralArchitecture, "a convac.spec.GeneralArchitecture")


def conv_matrices(spec: GeneralArchitecture) -> list[tuple[int, tuple[int, ...], tuple[int, ...]]]:
    """Return the ``(step, output position, window member)`` of every weight matrix, in weight order.

    Pure pooling steps (``channels=None``) have none.

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(None, kernel=2), ConvStep(3, kernel=2)])
    >>> conv_matrices(spec)
    [(1, (0,), (0,)), (1, (0,), (1,))]
    """
    spec = _check_spec(spec)
    return [
        (step, q, c)
        for step in range(spec.depth)
        if spec.steps[step].channels is not None
        for q in itertools.product(*(range(g) for g in spec.layer_grid(step + 1)))
        for c in spec.window(step, q)
    ]


def random_weights(spec: GeneralArchitecture, seed: int = 0, prime: int | None = None) -> list[np.ndarray]:
    """Return random unshared weights: one matrix ``W^{l,q,c}`` per matrix of :func:`conv_matrices`, then the output.

    Matrices come in the order of :func:`conv_matrices` (step, then output position row-major,
    then window member), each of shape ``(C_l, C_{l+1})``; ``weights[-1]`` has shape ``(C_L,)``
    (the output layer's row for one score). Standard normal float64 when ``prime`` is None, else
    integers uniform in ``0 .. prime - 1``.

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(4, kernel=2), ConvStep(3, kernel=2)])
    >>> [w.shape for w in random_weights(spec)]
    [(2, 4), (2, 4), (2, 4), (2, 4), (4, 3), (4, 3), (3,)]
    >>> conv_matrices(spec)[:3]
    [(0, (0,), (0,)), (0, (0,), (1,)), (0, (1,), (1,))]
    >>> random_weights(spec, prime=7)[0].dtype
    dtype('int64')
    """
    spec = _check_spec(spec)
    rng = np.random.default_rng(non_negative_int(seed, "seed"))
    ch = spec.channels
    shapes = [(ch[step], ch[step + 1]) for step, _, _ in conv_matrices(spec)] + [(ch[-1],)]
    if prime is None:
        return [rng.standard_normal(s) for s in shapes]
    prime = check_prime(prime)
    return [rng.integers(0, prime, s, dtype=np.int64) for s in shapes]


def _contract(spec: GeneralArchitecture, weights: list[np.ndarray], prime: int | None) -> np.ndarray:
    return recursion(spec.n_inputs, spec.n_features, general_steps(spec, weights[:-1]), weights[-1], prime)


def _check_weights(spec: GeneralArchitecture, weights: Any) -> list[np.ndarray]:
    expected = [w.shape for w in random_weights(spec)]
    if not isinstance(weights, (list, tuple)) or len(weights) != len(expected):
        raise InputError(
            f"weights must be a list of {len(expected)} arrays (one per graph node, then the output vector), "
            "as random_weights(spec) returns"
        )
    out = []
    for i, (w, shape) in enumerate(zip(weights, expected, strict=True)):
        arr = np.asarray(w, dtype=np.float64)
        if arr.shape != shape or not np.isfinite(arr).all():
            raise InputError(f"weights[{i}] must be a finite array of shape {shape}, got shape {arr.shape}")
        out.append(arr)
    return out


def _size(spec: GeneralArchitecture, max_bytes: int, what: str) -> None:
    # Intermediate activations carry up to max(C) channels over the full tensor.
    check_dense_size(spec.n_features, spec.n_inputs, max_bytes // max(spec.channels), what=what)


def general_coefficient_tensor(
    spec: GeneralArchitecture, weights: Any = None, *, seed: int = 0, max_bytes: int = DEFAULT_MAX_BYTES
) -> np.ndarray:
    """Return the float64 coefficient tensor ``A`` (shape ``(M,) * N``) for ``weights``.

    ``weights`` defaults to ``random_weights(spec, seed)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(2, kernel=2), ConvStep(2, kernel=2)])
    >>> w = random_weights(spec, seed=1)
    >>> A = general_coefficient_tensor(spec, w)
    >>> # input 1 is copied into both windows: entry (0, 1, 0) evaluates it at d_1 = 1 twice
    >>> left = (w[0][0] * w[1][1]) @ w[4]  # W^{0,(0),(0)} e_0 * W^{0,(0),(1)} e_1
    >>> right = (w[2][1] * w[3][0]) @ w[5]  # W^{0,(1),(1)} e_1 * W^{0,(1),(2)} e_0
    >>> bool(np.isclose(A[0, 1, 0], (left * right) @ w[6]))
    True
    """
    spec = _check_spec(spec)
    weights = random_weights(spec, seed) if weights is None else _check_weights(spec, weights)
    _size(spec, max_bytes, "tensor")
    return _contract(spec, weights, None)


def general_coefficient_tensor_mod(
    spec: GeneralArchitecture, seed: int = 0, prime: int = DEFAULT_PRIME, max_bytes: int = DEFAULT_MAX_BYTES
) -> np.ndarray:
    """Return ``A mod p`` (int64, shape ``(M,) * N``) for the weights ``random_weights(spec, seed, prime)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convac.spec import ConvStep, GeneralArchitecture
    >>> spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(3, kernel=3), ConvStep(2, kernel=2)])
    >>> exact = general_coefficient_tensor(spec, [w.astype(float) for w in random_weights(spec, seed=2, prime=13)])
    >>> bool((general_coefficient_tensor_mod(spec, seed=2, prime=13) == np.round(exact).astype(np.int64) % 13).all())
    True
    """
    spec = _check_spec(spec)
    prime = check_prime(prime)
    _size(spec, max_bytes, "tensor mod p")
    return _contract(spec, random_weights(spec, seed, prime), prime)
