"""``convac.entanglement``: the Schmidt decomposition of a ConvAC across a partition of its inputs.

The method is chosen from :data:`METHODS` (opt_einsum style): ``"dense"`` builds the
coefficient tensor and takes an SVD (``M**N`` memory), ``"network"`` works on the tensor
network with cost exponential only in the min-cut, and ``"auto"`` picks dense when
``M**N <= 2**20`` and network otherwise.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2])
>>> model = convac.DeepConvAC(arch, seed=0, weights="signed")
>>> ent = convac.entanglement(model, convac.Partition.left_right(arch))
>>> ent.method, ent.schmidt_rank
('dense', 2)
>>> bool(ent.entropy <= np.log(2) + 1e-12)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convac._validation import choice, instance, output_index
from convac.partitions import Partition
from convac.schmidt import _measures as measures
from convac.schmidt._dense import dense_singular_values
from convac.schmidt._network import DEFAULT_MAX_CUT, network_singular_values
from convac.tensornet._coefficient import DEFAULT_MAX_BYTES
from convac.tensornet._network import ConvACTensorNetwork, to_tensor_network

__all__ = ["AUTO_DENSE_MAX_ENTRIES", "METHODS", "Entanglement", "entanglement"]

AUTO_DENSE_MAX_ENTRIES = 1 << 20
"""``method="auto"`` uses the dense path up to this many coefficient-tensor entries."""


@dataclass(frozen=True)
class Entanglement:
    """The Schmidt decomposition of ``A^output`` across ``partition``.

    ``schmidt_values``: normalised (``Σ λ² = 1``), descending, float64; zeros may trail
    (their number depends on the method and never changes a measure). ``log2_norm`` is
    ``log2`` of the Frobenius norm of the coefficient tensor. ``schmidt_rank`` counts
    ``λ_i > rank_rtol * λ_1`` (default :data:`~convac.schmidt._measures.DEFAULT_RANK_RTOL`
    = 1e-12): a float rank, not an exact one (see ``convac.generic_rank`` for that).

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2])
    >>> model = convac.DeepConvAC(arch, seed=0, weights="signed").double()
    >>> ent = convac.entanglement(model, convac.Partition.interleaved(arch))
    >>> ent.schmidt_rank, round(float((ent.schmidt_values ** 2).sum()), 12)
    (16, 1.0)
    >>> ent.entropy <= ent.renyi(0.5) and 0 <= ent.geometric_measure < 1
    True
    """

    schmidt_values: np.ndarray = field(repr=False)
    partition: Partition
    method: str
    output: int = 0
    log2_norm: float = math.nan
    rank_rtol: float = measures.DEFAULT_RANK_RTOL

    @property
    def entropy(self) -> float:
        """Von Neumann entropy ``-Σ λ² ln λ²`` (natural log)."""
        return measures.entropy(self.schmidt_values)

    def renyi(self, alpha: float) -> float:
        """Rényi-α entropy (``alpha=1``: von Neumann; ``alpha=inf``: min-entropy; ``alpha >= 0``)."""
        return measures.renyi_entropy(self.schmidt_values, alpha)

    @property
    def geometric_measure(self) -> float:
        """``sqrt(1 - λ_1²)``."""
        return measures.geometric_measure(self.schmidt_values)

    @property
    def schmidt_rank(self) -> int:
        """Number of Schmidt values above ``rank_rtol * λ_1``."""
        return measures.schmidt_rank(self.schmidt_values, self.rank_rtol)

    def summary(self) -> str:
        """One line: partition, method, entropy, rank, geometric measure."""
        return (
            f"{self.partition.name} partition ({self.method}): entropy {self.entropy:.6g} nats, "
            f"Schmidt rank {self.schmidt_rank} (rtol {self.rank_rtol:g}), "
            f"geometric measure {self.geometric_measure:.6g}"
        )


SchmidtMethod = Callable[..., tuple[np.ndarray, int]]


def _dense(tn: ConvACTensorNetwork, partition: Partition, output: int, **options: Any) -> tuple[np.ndarray, int]:
    return dense_singular_values(tn, partition, output, max_bytes=options.get("max_bytes", DEFAULT_MAX_BYTES))


def _network(tn: ConvACTensorNetwork, partition: Partition, output: int, **options: Any) -> tuple[np.ndarray, int]:
    return network_singular_values(tn, partition, output, max_cut=options.get("max_cut", DEFAULT_MAX_CUT))


METHODS: dict[str, SchmidtMethod] = {"dense": _dense, "network": _network}
"""Registry of Schmidt-value backends: name -> ``f(tn, partition, output, **options) -> (s, log2 scale)``."""


def entanglement(
    model: Any,
    partition: Partition,
    output: int = 0,
    method: str = "auto",
    *,
    max_cut: int = DEFAULT_MAX_CUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    rank_rtol: float = measures.DEFAULT_RANK_RTOL,
) -> Entanglement:
    """Entanglement of ``model``'s coefficient tensor ``A^output`` across ``partition``.

    ``model`` is a DeepConvAC / ShallowConvAC (trained or not) or a
    :class:`~convac.tensornet._network.ConvACTensorNetwork`. ``method``: ``"auto"``,
    ``"dense"`` or ``"network"`` (see :data:`METHODS`); the network path refuses cuts above
    ``max_cut`` and the dense path tensors above ``max_bytes``, each with a
    :class:`~convac.errors.TooLargeError` naming the size.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=1024, n_features=2, channels=[2] * 10)
    >>> ent = convac.entanglement(convac.DeepConvAC(arch, seed=0), convac.Partition.left_right(arch))
    >>> ent.method, len(ent.schmidt_values)
    ('network', 2)
    """
    tn = model if isinstance(model, ConvACTensorNetwork) else to_tensor_network(model)
    arch = tn.arch
    instance(partition, "partition", Partition, "a convac.Partition")
    partition.check_fits(arch)
    output_index(output, arch.n_outputs)
    choice(method, "method", ["auto", *sorted(METHODS)])
    if method == "auto":
        method = "dense" if arch.n_features**arch.n_inputs <= AUTO_DENSE_MAX_ENTRIES else "network"
    measures.schmidt_rank([1.0], rank_rtol)  # validates rank_rtol before any work
    s, log2_scale = METHODS[method](tn, partition, int(output), max_cut=max_cut, max_bytes=max_bytes)
    lam = measures.schmidt_values(s)
    log2_norm = float(np.log2(np.linalg.norm(s / s.max())) + np.log2(s.max()) + log2_scale)
    return Entanglement(lam, partition, method, int(output), log2_norm, rank_rtol)
