"""``convac.data_entanglement``: how entangled a dataset's data tensor is across a partition of its features.

>>> import numpy as np, convac
>>> X = np.random.default_rng(0).random((50, 8))
>>> d = convac.data_entanglement(X, partition=convac.Partition.left_right(8))
>>> d.exact, d.n_samples, len(d.schmidt_values) <= 16
(True, 50, True)
>>> labels = np.arange(50) % 3
>>> convac.data_entanglement(X, labels, convac.Partition.left_right(8)).classes
(0, 1, 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from convac._validation import positive_int, real
from convac.datatensor._gram import feature_map, squared_schmidt_values
from convac.errors import ConvacTypeError, InputError, PartitionError
from convac.partitions import Partition
from convac.schmidt import Entanglement
from convac.schmidt import _measures as measures

__all__ = ["DATA_RANK_RTOL", "MAX_THETA", "DataEntanglement", "check_data", "check_targets", "data_entanglement"]

DATA_RANK_RTOL = 1e-7
"""Default relative tolerance of the Schmidt rank: the Gram route resolves ``λ_i`` down to about 1e-7 λ_1."""

MAX_THETA = 1e6
"""Largest ``theta`` accepted. ``φ(x)`` is periodic in ``θx`` with period 4, so beyond a few units
``θ`` only aliases the data, and from about 1e16 on ``πθx/2`` has lost every digit of ``x`` to
rounding, so the result is noise that looks like a measurement. 1e6 keeps ten digits of the angle."""


@dataclass(frozen=True)
class DataEntanglement:
    """Entanglement of a data tensor across one partition.

    ``entanglements`` holds one :class:`~convac.Entanglement` per data tensor: one for weights
    (or none given), one per class for integer labels (one-vs-rest ±1; ``classes`` aligned with it),
    and with ``batch_size`` one per class and batch. The measures (``entropy``, ``renyi``,
    ``geometric_measure``, ``schmidt_rank``) are their means. ``exact`` is False when random
    batches were used (then the Gram matrices saw only ``batch_size`` samples at a time).

    Examples
    --------
    >>> import numpy as np, convac
    >>> one = convac.data_entanglement(np.full((1, 4), 0.3), partition=convac.Partition.left_right(4))
    >>> one.schmidt_rank, one.entropy, one.exact    # a single sample is a product state
    (1, 0.0, True)
    >>> X, y = np.random.default_rng(0).random((12, 4)), np.arange(12) % 3
    >>> d = convac.data_entanglement(X, y, convac.Partition.left_right(4))
    >>> d.classes, len(d.entanglements)             # one one-vs-rest tensor per class
    ((0, 1, 2), 3)
    >>> bool(np.isclose(d.entropy, np.mean([e.entropy for e in d.entanglements])))
    True
    """

    entanglements: tuple[Entanglement, ...]
    classes: tuple[Any, ...] | None
    partition: Partition
    theta: float
    n_samples: int
    batch_size: int | None = None
    n_batches: int = 1

    @property
    def exact(self) -> bool:
        """True when every sample entered one Gram matrix (no random batches)."""
        return self.batch_size is None

    @property
    def schmidt_values(self) -> Any:
        """Normalised Schmidt values: one array, or a tuple of arrays (one per class and batch)."""
        if len(self.entanglements) == 1:
            return self.entanglements[0].schmidt_values
        return tuple(e.schmidt_values for e in self.entanglements)

    @property
    def entropy(self) -> float:
        """Mean von Neumann entropy (nats) over classes (and batches)."""
        return float(np.mean([e.entropy for e in self.entanglements]))

    def renyi(self, alpha: float) -> float:
        """Mean Rényi-α entropy."""
        return float(np.mean([e.renyi(alpha) for e in self.entanglements]))

    @property
    def geometric_measure(self) -> float:
        """Mean geometric measure ``sqrt(1 - λ_1²)``."""
        return float(np.mean([e.geometric_measure for e in self.entanglements]))

    @property
    def schmidt_rank(self) -> float:
        """Mean numerical Schmidt rank (an integer when there is one tensor)."""
        ranks = [e.schmidt_rank for e in self.entanglements]
        return ranks[0] if len(ranks) == 1 else float(np.mean(ranks))

    def per_class(self) -> dict[Any, float]:
        """Entropy per class (mean over batches); ``{None: entropy}`` without labels."""
        keys = self.classes if self.classes is not None else (None,) * len(self.entanglements)
        out: dict[Any, list[float]] = {}
        for k, e in zip(keys, self.entanglements, strict=True):
            out.setdefault(k, []).append(e.entropy)
        return {k: float(np.mean(v)) for k, v in out.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition.name,
            "side_a": list(self.partition.side_a),
            "theta": self.theta,
            "n_samples": self.n_samples,
            "exact": self.exact,
            "batch_size": self.batch_size,
            "n_batches": self.n_batches,
            "entropy": self.entropy,
            "renyi2": self.renyi(2),
            "geometric_measure": self.geometric_measure,
            "schmidt_rank": self.schmidt_rank,
            "per_class": {str(k): v for k, v in self.per_class().items()},
        }


def check_data(X: Any) -> tuple[npt.NDArray[np.float64], tuple[int, ...]]:
    """``X`` as float64 (n, N) and its feature grid ``(N,)`` or ``(H, W)``; InputError when not in [0, 1]."""
    if isinstance(X, (str, bytes)):
        raise ConvacTypeError(f"X must be a numeric array of shape (n, N) or (n, H, W), got {type(X).__name__}")
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("X must be a numeric array of shape (n, N) or (n, H, W) with values in [0, 1]") from None
    if arr.ndim not in (2, 3):
        raise InputError(f"X must have shape (n, N) or (n, H, W), got shape {arr.shape}")
    grid = tuple(int(s) for s in arr.shape[1:])
    if arr.shape[0] < 1 or int(np.prod(grid)) < 2:
        raise InputError(f"X needs at least 1 sample and 2 features, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError("X has NaN or infinite values; features must be finite numbers in [0, 1]")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0 or hi > 1:
        raise InputError(f"X must have values in [0, 1] (rescale it first), got values in [{lo:g}, {hi:g}]")
    return arr.reshape(arr.shape[0], -1), grid


def check_targets(y: Any, n: int) -> tuple[list[npt.NDArray[np.float64]], tuple[Any, ...] | None]:
    """Weight vectors of the data tensors and the classes: None -> ones; floats -> weights; ints -> one-vs-rest."""
    if y is None:
        return [np.ones(n)], None
    arr = np.asarray(y)
    if arr.shape != (n,):
        raise InputError(f"y must have one entry per sample, shape ({n},), got shape {arr.shape}")
    if arr.dtype.kind in "iub":
        classes = tuple(np.unique(arr).tolist())
        return [np.where(arr == c, 1.0, -1.0) for c in classes], classes
    if arr.dtype.kind != "f":
        raise InputError(f"y must be integer labels or float weights, got dtype {arr.dtype}")
    w = arr.astype(np.float64)
    if not np.isfinite(w).all():
        raise InputError("y has NaN or infinite weights; give finite numbers")
    if not np.any(w):
        raise InputError("y is all zeros: the data tensor is zero and has no Schmidt decomposition")
    return [w], None


def _check_theta(theta: Any) -> float:
    return real(theta, "theta", low=0.0, high=MAX_THETA, low_open=True)


def check_partition(partition: Any, grid: tuple[int, ...]) -> Partition:
    if not isinstance(partition, Partition):
        raise ConvacTypeError(f"partition must be a convac.Partition, got {type(partition).__name__}")
    n_features = int(np.prod(grid))
    if partition.n_inputs != n_features:
        raise PartitionError(
            f"the partition is of {partition.n_inputs} positions but X has {n_features} features; "
            f"build it for the data, e.g. Partition.left_right({grid if len(grid) == 2 else n_features})"
        )
    return partition


def _entanglement_of(
    lam2: npt.NDArray[np.float64], partition: Partition, output: int, rank_rtol: float
) -> Entanglement:
    total = float(lam2.sum())
    if total <= 0:
        raise InputError("the data tensor is zero (the weights cancel); its Schmidt decomposition is undefined")
    # Squared values within the eigensolver's round-off of zero are zero: without this floor a
    # rank-one tensor (identical samples) reports an entropy of 1e-48 instead of exactly 0.
    noise = 4 * lam2.size * np.finfo(np.float64).eps * float(lam2.max())
    lam = np.sqrt(np.where(lam2 > noise, lam2, 0.0))
    return Entanglement(measures.schmidt_values(lam), partition, "data-gram", output, 0.5 * math.log2(total), rank_rtol)


def data_entanglement(
    X: Any,
    y: Any = None,
    partition: Partition | None = None,
    theta: float = 1.0,
    *,
    batch_size: int | None = None,
    seed: int = 0,
    rank_rtol: float = DATA_RANK_RTOL,
) -> DataEntanglement:
    """Schmidt values and entanglement measures of the data tensor of ``(X, y)`` across ``partition``.

    ``X``: (n, N) with values in [0, 1], or (n, H, W) (positions row-major). ``y``: None (all
    ones), float weights (n,), or integer labels (one data tensor per class, ``+1`` on the class and
    ``-1`` elsewhere; the measures are averaged over classes). The data tensor is
    ``D = Σ_m y_m ⊗_j φ(x_j^m)``, ``φ(x) = (cos(πθx/2), sin(πθx/2))`` (the reference code's θ is
    half of this one). It is the coefficient tensor of a shallow ConvAC with one hidden channel per
    sample, and its Schmidt values are computed exactly from Gram matrices over all samples
    (:mod:`convac.datatensor._gram`): cost ``O(n² N + n³)``, memory a few ``n x n`` float64 matrices.

    Squared Schmidt values below the solver's round-off (``4 k eps λ_1²`` for ``k`` values) are
    returned as exact zeros, so data without variation (every sample the same) is a product
    state with entropy exactly 0 and Schmidt rank 1.

    ``batch_size`` (off by default) splits a seeded random permutation of the samples into
    batches of that size and averages over them, as the reference code does; the result then says
    ``exact=False``.

    >>> import numpy as np, convac
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])     # φ(0)⊗φ(0) + φ(1)⊗φ(1): a Bell pair
    >>> d = convac.data_entanglement(X, partition=convac.Partition(2, [0]))
    >>> np.round(d.schmidt_values, 6).tolist(), round(float(d.entropy / np.log(2)), 6)
    ([0.707107, 0.707107], 1.0)
    >>> same = convac.data_entanglement(np.full((10, 4), 0.3), partition=convac.Partition(4, [0, 1]))
    >>> same.entropy, same.schmidt_rank
    (0.0, 1)
    """
    x, grid = check_data(X)
    n = x.shape[0]
    if partition is None:
        raise PartitionError("give a partition of the features, e.g. convac.Partition.left_right(N)")
    partition = check_partition(partition, grid)
    t = _check_theta(theta)
    measures.schmidt_rank([1.0], rank_rtol)
    weights, classes = check_targets(y, n)
    u, v = feature_map(x, t)
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size")
        order = np.random.default_rng(seed).permutation(n)
        batches = [order[i : i + int(batch_size)] for i in range(0, n, int(batch_size))]
    else:
        batches = [np.arange(n)]
    ents: list[Entanglement] = []
    keys: list[Any] = []
    for idx in batches:
        live = [out for out, w in enumerate(weights) if np.any(w[idx])]
        spectra = squared_schmidt_values(
            u[idx], v[idx], partition.side_a, partition.side_b, [weights[out][idx] for out in live]
        )
        for out, lam2 in zip(live, spectra, strict=True):
            ents.append(_entanglement_of(lam2, partition, out, rank_rtol))
            keys.append(None if classes is None else classes[out])
    return DataEntanglement(
        entanglements=tuple(ents),
        classes=None if classes is None else tuple(keys),
        partition=partition,
        theta=t,
        n_samples=n,
        batch_size=None if batch_size is None else int(batch_size),
        n_batches=len(batches),
    )
