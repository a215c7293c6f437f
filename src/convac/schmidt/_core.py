"""``convac.entanglement``: the Schmidt decomposition of a ConvAC across a partition of its inputs.

The method is chosen from :data:`METHODS` (opt_einsum style): ``"dense"`` builds the
coefficient tensor and takes an SVD (``M**N`` memory), ``"network"`` works on the tensor
network with cost exponential only in the min-cut, and ``"auto"`` picks the cheaper of the
two by a measured cost model when ``M**N <= 2**20`` and network otherwise.

With ``feature_gram`` the result is the entanglement of the *function* ``h_y`` in
``L²(μ_1) ⊗ … ⊗ L²(μ_N)`` (docs/theory.md §8) instead of that of the coefficient
tensor in the basis of the M representation functions: mode ``j`` of ``A`` is multiplied
by the symmetric square root ``R_j`` of the Gram matrix ``G_j = E_μ_j[f(x) f(x)ᵀ]``
(any ``R`` with ``RᵀR = G`` gives the same Schmidt values). ``R_j`` acts on input leg
``j`` only, so it is folded into the first layer's weights at position ``j`` (shared weights
are un-shared for that) and both paths run unchanged. :func:`feature_gram` gives an
empirical ``G`` from patches.

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

The features in another basis, ``f -> T f``, with ``T^{-T}`` absorbed into the first
layer: the same function, so the same function entanglement (Gram ``T G Tᵀ``), while the
coefficient tensor's entanglement changes:

>>> import copy, torch
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2], n_outputs=2)
>>> model = convac.DeepConvAC(arch, seed=0, weights="signed").double()
>>> T, G = np.array([[2.0, 1.0], [0.0, 1.0]]), np.array([[1.0, 0.6], [0.6, 1.0]])
>>> other = copy.deepcopy(model)
>>> with torch.no_grad():
...     _ = other.conv[0].copy_(torch.as_tensor(np.linalg.inv(T).T) @ other.conv[0])
>>> part = convac.Partition.interleaved(arch)
>>> [round(e.entropy, 4) for e in convac.entanglement(model, part, output="all", feature_gram=G)]
[0.2559, 0.3248]
>>> [round(e.entropy, 4) for e in convac.entanglement(other, part, output="all", feature_gram=T @ G @ T.T)]
[0.2559, 0.3248]
>>> [round(e.entropy, 4) for e in convac.entanglement(model, part, output="all")]
[0.1899, 0.2328]
>>> [round(e.entropy, 4) for e in convac.entanglement(other, part, output="all")]
[0.0237, 0.0219]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convac._validation import choice, instance, output_index, positive_int, size_limit
from convac.errors import InputError
from convac.partitions import Partition
from convac.schmidt import _measures as measures
from convac.schmidt._dense import dense_singular_values
from convac.schmidt._gram import gram_root
from convac.schmidt._network import DEFAULT_MAX_CUT, check_cut, network_singular_values
from convac.schmidt._network_gram import NETWORK_MAX_BYTES, gram_singular_values
from convac.tensornet._coefficient import DEFAULT_MAX_BYTES
from convac.tensornet._network import ConvACTensorNetwork, to_tensor_network

__all__ = ["AUTO_DENSE_MAX_ENTRIES", "AUTO_SVD_MAX_CUT", "METHODS", "SOLVERS", "Entanglement", "entanglement"]

AUTO_DENSE_MAX_ENTRIES = 1 << 20
"""``method="auto"`` never uses the dense path above this many coefficient-tensor entries; below, it
picks the cheaper path by a measured cost model (dense: ``M**N`` entries and the matricization's
SVD; network: its nodes and the min-cut ``D**3``)."""

AUTO_SVD_MAX_CUT = 256
"""``solver="auto"`` on the network path: the SVD route up to this min-cut, the Gram route above.

Measured (benchmarks/bench_entanglement_paths.py): at D <= 256 the two cost about the same
(the per-node work dominates), at D = 1024 the SVD route is several times slower."""

SOLVERS = ("auto", "svd", "eigh")
"""How the network path gets the spectrum: ``"svd"``: square-root side factors (QR) and an SVD,
small Schmidt values accurate to ``eps * λ_1``; ``"eigh"``: side Gram matrices and one
``eigvalsh``, faster and smaller at large min-cuts, small values accurate to ``(D + N) * eps * λ_1² / λ_i²``
relative, those below ``sqrt(D * eps) * λ_1`` returned as zeros (see ``convac.schmidt._network_gram``);
``"auto"``: ``"svd"`` up to :data:`AUTO_SVD_MAX_CUT`, ``"eigh"`` above."""


@dataclass(frozen=True)
class Entanglement:
    """The Schmidt decomposition of ``A^output`` across ``partition``.

    ``schmidt_values``: normalised (``Σ λ² = 1``), descending, float64; zeros may trail
    (their number depends on the method and never changes a measure). ``log2_norm`` is
    ``log2`` of the Frobenius norm of the coefficient tensor (with a feature Gram: of the
    function's ``L²(μ)`` norm; ``function`` is then True). ``schmidt_rank`` counts
    ``λ_i > rank_rtol * λ_1`` (default :data:`~convac.schmidt._measures.DEFAULT_RANK_RTOL`
    = 1e-12): a float rank, not an exact one (see ``convac.generic_rank`` for that).
    ``solver`` is ``"svd"`` or ``"eigh"`` (see :data:`SOLVERS`): with ``"eigh"`` values below
    ``sqrt(D * eps) * λ_1`` are zeros, so the rank counts only values above that floor.

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
    function: bool = False
    solver: str = "svd"

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
        what = "function" if self.function else "coefficients"
        return (
            f"{self.partition.name} partition ({self.method}, {what}, output {self.output}): "
            f"entropy {self.entropy:.6g} nats, "
            f"Schmidt rank {self.schmidt_rank} (rtol {self.rank_rtol:g}), "
            f"geometric measure {self.geometric_measure:.6g}"
        )


SchmidtMethod = Callable[..., Any]


def _dense(tn: ConvACTensorNetwork, partition: Partition, output: Any, **options: Any) -> Any:
    limit = options.get("max_bytes") or DEFAULT_MAX_BYTES
    return dense_singular_values(tn, partition, output, max_bytes=limit)


def _network(tn: ConvACTensorNetwork, partition: Partition, output: Any, **options: Any) -> Any:
    max_cut = options.get("max_cut", DEFAULT_MAX_CUT)
    limit = options.get("max_bytes") or NETWORK_MAX_BYTES
    # One min-cut serves the solver choice, the size check and the side factors (0.1 s at N = 65,536).
    cut = check_cut(tn, partition, max_cut)
    if _network_solver(cut.value, options.get("solver", "auto")) == "eigh":
        pairs = gram_singular_values(
            tn, partition, [output] if isinstance(output, int) else output, max_cut, limit, cut=cut
        )
        return pairs[0] if isinstance(output, int) else pairs
    d = cut.value
    width = max((*tn.arch.channels, tn.arch.n_features))
    # The SVD route's largest arrays: a QR of (width * D) rows, its copy, and the D x D product.
    size_limit(
        f"the network path (SVD route) on this cut (min-cut {d})",
        3 * 8 * (width * d) ** 2,
        limit,
        hint='; use solver="eigh", raise max_bytes, or choose a partition with a smaller min-cut',
    )
    return network_singular_values(tn, partition, output, max_cut=max_cut, cut=cut)


def _auto_method(tn: ConvACTensorNetwork, partition: Partition, max_cut: int) -> str:
    """Dense or network, from a cost model measured on this project's machine.

    Dense: contracting ``M**N`` entries plus an SVD of the ``M**|A| x M**|B|`` matricization.
    Network: a fixed and a per-node cost plus about a dozen ``D**3`` (side factors and the
    final SVD or Gram eigensolve). The constants are fitted to warm minimum times
    (benchmarks/bench_entanglement_paths.py): e.g. N = 16, channels 4, a balanced cut of
    min-cut 256 (full rank) is faster dense, the same N at min-cut 128 or a left/right cut is
    faster on the network, and at N = 18-20 the network wins by 50-300x on low cuts.
    """
    arch = tn.arch
    m, n = arch.n_features, arch.n_inputs
    if m**n > AUTO_DENSE_MAX_ENTRIES:
        return "network"
    rows, cols = m ** len(partition.side_a), m ** len(partition.side_b)
    dense = m**n * 2e-7 + 4 * rows * cols * min(rows, cols) / 5e9
    nodes = sum(arch.positions(layer) for layer in range(arch.depth + 1))
    network_fixed = 2e-3 + nodes * 2e-5
    if dense <= network_fixed:
        # The same answer as below without the min-cut, whose cost is a sizeable part of a
        # dense call this small (N <= 10 or so).
        return "dense"
    from convac.mincut._graph import CutGraph
    from convac.mincut._tree import solve_one

    # The exact min-cut value alone, by the scalar DP: 0.013 ms at N = 16 against 0.67 ms for
    # min_cut() (which also builds the cut's edges), so deciding stays a small part of a call.
    d = solve_one(CutGraph.from_arch(arch), partition.mask)
    if d > max_cut:
        return "dense"
    return "dense" if dense <= network_fixed + 12 * d**3 / 5e9 else "network"


def _network_solver(cut_value: int, solver: str) -> str:
    if solver != "auto":
        return solver
    return "svd" if cut_value <= AUTO_SVD_MAX_CUT else "eigh"


METHODS: dict[str, SchmidtMethod] = {"dense": _dense, "network": _network}
"""Registry of Schmidt-value backends: name -> ``f(tn, partition, output, **options)``.

``output`` an int gives ``(s, log2 scale)`` (true singular values ``s * 2**scale``); a list
of outputs gives a list of such pairs, sharing the work that does not depend on the output."""


def _cut_value(tn: ConvACTensorNetwork, partition: Partition, solver: str) -> int:
    """Return the min-cut value, by the scalar DP (only ``solver="auto"`` needs it to name the solver used)."""
    if solver != "auto":
        return 0
    from convac.mincut._graph import CutGraph
    from convac.mincut._tree import solve_one

    return int(solve_one(CutGraph.from_arch(tn.arch), partition.mask))


def _with_gram(tn: ConvACTensorNetwork, feature_gram: Any) -> ConvACTensorNetwork:
    """Return the network whose coefficient tensor is ``A`` with mode ``j`` multiplied by ``R_j``.

    That is ``W0_j -> R_j W0_j`` on the first layer's weights.
    """
    arch = tn.arch
    roots = gram_root(feature_gram, arch.n_inputs, arch.n_features)
    # tn.weights[0] is already one matrix per position (shared weights repeated), so a
    # per-position R_j un-shares them here without touching the model.
    first = np.einsum("pij,pjc->pic", roots, tn.weights[0])
    return ConvACTensorNetwork(arch, [first, *tn.weights[1:]])


def _as_network(model: Any) -> ConvACTensorNetwork:
    if isinstance(model, ConvACTensorNetwork):
        return model
    inner = getattr(model, "convac", None)  # an image wrapper such as ConvACImageNet
    from convac.models.base import ConvACBase

    if not isinstance(model, ConvACBase) and isinstance(inner, ConvACBase):
        model = inner
    return to_tensor_network(model)


def entanglement(
    model: Any,
    partition: Partition,
    output: int | str = 0,
    method: str = "auto",
    *,
    feature_gram: Any = None,
    max_cut: int = DEFAULT_MAX_CUT,
    max_bytes: int | None = None,
    rank_rtol: float = measures.DEFAULT_RANK_RTOL,
    solver: str = "auto",
) -> Any:
    """Entanglement of ``model``'s score ``h_output`` across ``partition``.

    Parameters
    ----------
    model:
        A DeepConvAC / ShallowConvAC (trained or not), a module wrapping one as ``.convac``
        (the image nets of the inductive-bias experiment), or a
        :class:`~convac.tensornet._network.ConvACTensorNetwork`.
    partition:
        A :class:`~convac.partitions.Partition` of the inputs.
    output:
        The class index, or ``"all"`` for a list with one :class:`Entanglement` per class
        (on the network path the side of the cut without the output layer is reduced once).
    method:
        ``"auto"``, ``"dense"`` or ``"network"`` (see :data:`METHODS`); the network path
        refuses cuts above ``max_cut``, each path work whose planned memory exceeds
        ``max_bytes``, with a :class:`~convac.errors.TooLargeError` naming the size, before
        allocating it.
    max_bytes:
        Memory limit in bytes: of the coefficient tensor on the dense path (default
        512 MiB), of the planned peak on the network path (default 4 GiB).
    solver:
        The network path's spectrum: ``"auto"``, ``"svd"`` or ``"eigh"`` (see :data:`SOLVERS`;
        the dense path always takes an SVD).
    feature_gram:
        None (default): the Schmidt values of the coefficient tensor ``A``, which depend on
        the basis of representation functions. An (M, M) or (N, M, M) symmetric positive
        semi-definite array ``G``: the Schmidt values of the function ``h`` in
        ``L²(μ)^{⊗N}``, i.e. of ``A`` with mode ``j`` multiplied by ``G_j^{1/2}``; see
        :func:`feature_gram`. The function's Schmidt rank is never above that of ``A`` (equal
        when every ``G_j`` is invertible), so it too is bounded by the min-cut.
        The module docstring shows an example: a change of feature basis leaves it unchanged.

    Returns
    -------
    Entanglement or list of Entanglement
        One result, or one per output for ``output="all"``.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=1024, n_features=2, channels=[2] * 10)
    >>> ent = convac.entanglement(convac.DeepConvAC(arch, seed=0), convac.Partition.left_right(arch))
    >>> ent.method, len(ent.schmidt_values)
    ('network', 2)
    """
    tn = _as_network(model)
    every = _check_arguments(tn, partition, output, method, solver, max_cut, max_bytes, rank_rtol)
    if method == "auto":
        method = _auto_method(tn, partition, max_cut)
    function = feature_gram is not None
    if function:
        tn = _with_gram(tn, feature_gram)
    outputs = list(range(tn.arch.n_outputs)) if every else [int(output)]
    spectra = METHODS[method](tn, partition, outputs, max_cut=max_cut, max_bytes=max_bytes, solver=solver)
    used = "svd" if method == "dense" else _network_solver(_cut_value(tn, partition, solver), solver)
    results = [
        _result(s, log2_scale, partition, method, y, rank_rtol, function, used)
        for y, (s, log2_scale) in zip(outputs, spectra, strict=True)
    ]
    return results if every else results[0]


def _check_arguments(
    tn: ConvACTensorNetwork,
    partition: Any,
    output: Any,
    method: Any,
    solver: Any,
    max_cut: Any,
    max_bytes: Any,
    rank_rtol: Any,
) -> bool:
    """Check :func:`entanglement`'s arguments before any work; return whether ``output`` is ``"all"``."""
    arch = tn.arch
    instance(partition, "partition", Partition, "a convac.Partition")
    partition.check_fits(arch)
    every = isinstance(output, str) and output == "all"
    if isinstance(output, str) and not every:
        raise InputError(f"output must be an integer in 0..{arch.n_outputs - 1} or 'all', got {output!r}")
    if not every:
        output_index(output, arch.n_outputs)
    choice(method, "method", ["auto", *sorted(METHODS)])
    choice(solver, "solver", SOLVERS)
    positive_int(max_cut, "max_cut")
    if max_bytes is not None:
        positive_int(max_bytes, "max_bytes")
    measures.schmidt_rank([1.0], rank_rtol)
    for layer, w in enumerate(tn.weights):
        bad = int(np.count_nonzero(~np.isfinite(w)))
        if bad:
            raise InputError(
                f"the model's weights must be finite, but layer {layer} has {bad:,} NaN or infinite entries "
                "(did training diverge?)"
            )
    return every


def _result(
    s: np.ndarray,
    log2_scale: int,
    partition: Partition,
    method: str,
    output: int,
    rank_rtol: float,
    function: bool,
    solver: str,
) -> Entanglement:
    if not s.size or not s.max() > 0:
        what = "function" if function else "coefficient tensor"
        raise InputError(
            f"the {what} of output {output} is zero across {partition.name}: it has no Schmidt decomposition"
        )
    lam = measures.schmidt_values(s)
    log2_norm = float(np.log2(np.linalg.norm(s / s.max())) + np.log2(s.max()) + log2_scale)
    return Entanglement(lam, partition, method, output, log2_norm, rank_rtol, function, solver)
