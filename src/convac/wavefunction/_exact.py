"""Exact references: ground states by sparse Lanczos, and Schmidt spectra of any state vector.

Examples
--------
>>> import convac
>>> from convac.wavefunction import heisenberg
>>> energy, state = ground_state(heisenberg((8,)))
>>> round(energy, 8)                                   # 4 * (-3.651093409) for J S.S, S = sigma/2
-14.60437364
>>> ent = state_entanglement(state, convac.Partition.left_right((8,)))
>>> ent.schmidt_rank <= 16, round(float((ent.schmidt_values ** 2).sum()), 12)
(True, 1.0)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse.linalg as spla

from convac._validation import finite_array, instance, integer
from convac.errors import InputError, InternalError
from convac.partitions import Partition
from convac.schmidt import Entanglement, schmidt_values
from convac.wavefunction._hamiltonian import Hamiltonian

__all__ = ["ground_state", "state_entanglement", "state_schmidt_values"]

#: Below this dimension the dense eigensolver is used (Lanczos gains nothing and can miss on tiny spaces).
_DENSE_DIM = 512


def ground_state(H: Hamiltonian, magnetization: int | None = None, *, seed: int = 0) -> tuple[float, np.ndarray]:
    """Ground energy and a normalised ground state of ``H`` (float64, full 2^N basis).

    Sparse Lanczos (``scipy.sparse.linalg.eigsh``, smallest algebraic) on ``H.to_sparse()``;
    with ``magnetization`` only that ``sum sz`` sector is diagonalised and the state is
    embedded back into the full basis (zeros elsewhere). The state's sign is fixed so its
    largest-magnitude entry is positive. N is limited to
    :data:`~convac.wavefunction._hamiltonian.MAX_SPARSE_SITES`.

    Examples
    --------
    >>> from convac.wavefunction import tfim
    >>> e, psi = ground_state(tfim((4,), field=1.0))
    >>> round(e, 6), psi.shape
    (-5.226252, (16,))
    """
    instance(H, "H", Hamiltonian, "a convac.wavefunction Hamiltonian (tfim, heisenberg or j1j2)")
    seed = integer(seed, "seed", minimum=0)
    states = H.basis(magnetization)
    matrix = H.to_sparse(magnetization)
    dim = matrix.shape[0]
    if dim <= _DENSE_DIM:
        values, vectors = np.linalg.eigh(matrix.toarray())
        energy, vector = float(values[0]), vectors[:, 0]
    else:
        v0 = np.random.default_rng(seed).standard_normal(dim)
        values, vectors = spla.eigsh(matrix, k=1, which="SA", v0=v0, tol=1e-12, ncv=min(dim - 1, 40))
        energy, vector = float(values[0]), vectors[:, 0]
    vector = vector / np.linalg.norm(vector)
    vector = vector * np.sign(vector[np.argmax(np.abs(vector))])
    residual = np.linalg.norm(matrix @ vector - energy * vector)
    if not residual < 1e-6 * max(1.0, abs(energy)):
        raise InternalError(f"Lanczos did not converge: residual {residual:.3g} at energy {energy:.12g}")
    full = np.zeros(2**H.n_sites)
    full[states] = vector
    return energy, full


def _check_state(state: Any, partition: Partition) -> np.ndarray:
    instance(partition, "partition", Partition, "a convac.Partition")
    arr = np.asarray(state)
    if np.iscomplexobj(arr):
        if not np.isfinite(arr).all():
            raise InputError("state must be finite")
    else:
        arr = finite_array(arr, "state")
    n = partition.n_inputs
    if arr.ndim != 1 or arr.size != 2**n:
        raise InputError(
            f"state must be a vector of 2^N = {2**n} amplitudes for the partition's N = {n} spins, "
            f"got shape {arr.shape}"
        )
    if not np.any(arr):
        raise InputError("state is the zero vector: it has no Schmidt decomposition")
    return arr


def state_schmidt_values(state: Any, partition: Partition) -> np.ndarray:
    """Normalised Schmidt values (descending, ``sum lambda^2 = 1``) of ``state`` across ``partition``.

    ``state`` has ``2^N`` entries in the basis order of
    :mod:`convac.wavefunction._hamiltonian` (site 0 most significant), real or complex.

    Examples
    --------
    >>> import convac
    >>> bell = np.array([1.0, 0, 0, 1.0])
    >>> state_schmidt_values(bell, convac.Partition(2, [0])).round(6).tolist()
    [0.707107, 0.707107]
    """
    arr = _check_state(state, partition)
    n = partition.n_inputs
    tensor = arr.reshape((2,) * n).transpose(list(partition.side_a) + list(partition.side_b))
    matrix = tensor.reshape(2 ** len(partition.side_a), -1)
    return schmidt_values(np.linalg.svd(matrix, compute_uv=False))


def state_entanglement(state: Any, partition: Partition) -> Entanglement:
    """Return the Schmidt decomposition of ``state`` across ``partition`` as a :class:`convac.Entanglement`.

    Entropy, Rényi entropies, geometric measure and numerical Schmidt rank come from
    :mod:`convac.schmidt`, exactly as for a ConvAC's coefficient tensor.

    Examples
    --------
    >>> import convac
    >>> ghz = np.zeros(8); ghz[[0, 7]] = 1.0
    >>> ent = state_entanglement(ghz, convac.Partition(3, [0]))
    >>> bool(abs(ent.entropy - np.log(2)) < 1e-12), ent.schmidt_rank
    (True, 2)
    """
    lam = state_schmidt_values(state, partition)
    norm = float(np.linalg.norm(np.asarray(state)))
    return Entanglement(lam, partition, "dense", 0, math.log2(norm))
