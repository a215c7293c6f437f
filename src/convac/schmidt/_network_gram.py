"""Network path, Gram route: Schmidt values from the two side Grams and one symmetric eigenproblem.

The square-root route of :mod:`~convac.schmidt._network` keeps every partial contraction as
a factor with rows and compresses it by QR; near a large cut that means QRs of tall
matrices (2D, or channels 4: 16384 x 8192 at a min-cut of 4096) and a final D x D SVD. This
route instead builds ``G_X = L_XᵀL_X`` (D x D, cut legs in the order of the cut labels) for
each side ``X`` directly from the Gram recursion: every tensor of side ``X`` becomes its Gram
``W ⊗ W`` (a ket and a bra copy of each leg), δ pooling is a Hadamard product over a shared
label, and a summed bond is contracted on both copies. A merge of two Grams is one batched
matrix product (batch: shared open labels; inner: summed ones), no QR.

Order. Each connected piece of a side is contracted towards the lowest common ancestor of its
nodes that touch the cut: the part above it has no cut legs and is reduced to a small
*environment* Gram on its bond, so no intermediate carries the open cut legs together with a
wide bond above them; at every node the summed bond is folded into the cheapest child first
(chosen by the planned peak). The whole contraction is first run on shapes only, so the peak
memory is known before anything is allocated and :class:`~convac.errors.TooLargeError` is
raised instead.

Spectrum. ``s_i² = eig(G_A G_B) = eig(K Kᵀ)`` with ``K = R_Aᵀ R_B`` and ``G_X = R_X R_Xᵀ``
pivoted (rank-revealing) Cholesky factorisations, so singular Grams are fine and the one
``eigvalsh`` is only as large as the smaller side rank.

Accuracy. The Gram squares the condition number: ``s_i²`` has an absolute error of order
``(D + N) * eps * s_1²`` (tested with a constant of 100), so the relative error of ``s_i`` is of
order ``(D + N) * eps * s_1² / s_i²``. The
large Schmidt values (all that the entropy, the Rényi-α entropies with ``α >= 1`` and the
geometric measure depend on, up to ``(D + N) * eps`` in absolute terms) are as accurate as with an
SVD; values below ``sqrt(D * eps) * s_1`` (about ``1e-6 s_1`` at ``D = 4096``) are noise and are
returned as zeros, so the numerical Schmidt rank counts only values above that floor. The
square-root route (``solver="svd"``) keeps them to ``eps * s_1``.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 3, 2])
>>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0, weights="signed"))
>>> part = convac.Partition.left_right(arch)
>>> (s, e), = gram_singular_values(tn, part, [0])
>>> from convac.schmidt._dense import dense_singular_values
>>> d, _ = dense_singular_values(tn, part)
>>> bool(np.allclose(s / np.linalg.norm(s), d[: len(s)] / np.linalg.norm(d)))
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convac._validation import size_limit
from convac.errors import InternalError
from convac.partitions import Partition
from convac.schmidt._network import _cut_labels, _label_dim, check_cut
from convac.tensornet._network import ConvACTensorNetwork

__all__ = ["NETWORK_MAX_BYTES", "gram_peak_bytes", "gram_singular_values"]

NETWORK_MAX_BYTES = 4 << 30
"""Default memory limit of the network path (bytes of its planned peak)."""

Label = tuple
Node = tuple[int, int]  # (layer, position); layer == depth is the output node


@dataclass
class _Gram:
    """Gram tensor of shape (*dims, *dims) (ket legs then bra legs, in ``labels`` order), times ``2**exp``.

    ``data`` is None while planning (shapes only).
    """

    labels: tuple[Label, ...]
    dims: tuple[int, ...]
    data: np.ndarray | None = None
    exp: int = 0

    @property
    def size(self) -> int:
        return math.prod(self.dims) ** 2

    @property
    def array(self) -> np.ndarray:
        """``data``, which only a planning run leaves unset."""
        if self.data is None:
            raise InternalError(f"the Gram on {sorted(self.labels)} was used before it was computed")
        return self.data


class _Run:
    """Carries out (or, with ``plan``, only sizes) the merges; tracks the peak bytes."""

    def __init__(self, plan: bool) -> None:
        self.plan = plan
        self.peak = 0
        self.held = 0  # bytes of finished pieces waiting to be merged

    def note(self, nbytes: int) -> None:
        self.peak = max(self.peak, self.held + nbytes)

    def leaf(self, labels: tuple[Label, ...], dims: tuple[int, ...], factor: Any) -> _Gram:
        """Return the Gram ``Σ_rows f ⊗ f`` of a factor ``(rows, *dims)`` given as a callable (not called in a plan)."""
        g = _Gram(labels, dims)
        if not self.plan:
            f = np.asarray(factor(), dtype=np.float64)
            flat = f.reshape(f.shape[0], -1)
            g.data = (flat.T @ flat).reshape(*dims, *dims)
            _normalise(g)
        return g

    def merge(self, a: _Gram, b: _Gram, summed: frozenset[Label] = frozenset()) -> _Gram:
        """Product of two Grams: shared labels are one hyperindex (Hadamard), ``summed`` ones are contracted."""
        dim = dict(zip(a.labels, a.dims, strict=True)) | dict(zip(b.labels, b.dims, strict=True))
        shared = [lab for lab in a.labels if lab in b.labels]
        if not summed <= set(shared):
            raise InternalError(f"summed labels {sorted(summed)} must be on both factors")
        hyper = [lab for lab in shared if lab not in summed]
        summ = [lab for lab in shared if lab in summed]
        pa = [lab for lab in a.labels if lab not in b.labels]
        qb = [lab for lab in b.labels if lab not in a.labels]
        out_labels = (*hyper, *pa, *qb)
        out = _Gram(out_labels, tuple(dim[lab] for lab in out_labels))
        # Transposed copies of both operands, the product, and its reordered copy downstream.
        self.note(8 * (2 * a.size + 2 * b.size + 2 * out.size))
        if self.plan:
            return out
        h = math.prod(dim[lab] for lab in hyper)
        s = math.prod(dim[lab] for lab in summ)
        p = math.prod(dim[lab] for lab in pa)
        q = math.prod(dim[lab] for lab in qb)
        am = _arrange(a, [hyper, pa, summ]).reshape(h * h, p * p, s * s)
        bm = _arrange(b, [hyper, qb, summ]).reshape(h * h, q * q, s * s)
        prod = np.matmul(am, np.swapaxes(bm, 1, 2))  # (h h', p p', q q')
        k = len(hyper), len(pa), len(qb)
        shape = [dim[lab] for lab in hyper] * 2 + [dim[lab] for lab in pa] * 2 + [dim[lab] for lab in qb] * 2
        t = prod.reshape(shape)
        # Axes now: H, H', P, P', Q, Q'; reorder to kets (H, P, Q) then bras.
        ih = list(range(k[0]))
        ihb = list(range(k[0], 2 * k[0]))
        o = 2 * k[0]
        ip = list(range(o, o + k[1]))
        ipb = list(range(o + k[1], o + 2 * k[1]))
        o += 2 * k[1]
        iq = list(range(o, o + k[2]))
        iqb = list(range(o + k[2], o + 2 * k[2]))
        out.data = np.transpose(t, [*ih, *ip, *iq, *ihb, *ipb, *iqb])
        out.exp = a.exp + b.exp
        _normalise(out)
        return out


def _arrange(g: _Gram, groups: list[list[Label]]) -> np.ndarray:
    """Axes of ``g`` as (group0 kets, group0 bras, group1 kets, group1 bras, ...)."""
    n = len(g.labels)
    axes: list[int] = []
    for group in groups:
        idx = [g.labels.index(lab) for lab in group]
        axes += idx + [i + n for i in idx]
    return np.transpose(g.array, axes)


def _normalise(g: _Gram) -> None:
    """Scale ``g`` in place by a power of two so its largest entry is in [0.5, 1)."""
    data = g.array
    peak = max(float(data.max()), -float(data.min())) if data.size else 0.0
    if peak > 0:
        _, k = math.frexp(peak)
        if not data.flags.writeable:
            data = data.copy()
        data *= 2.0**-k  # exact: a power of two
        g.data = data
        g.exp += k


class _Side:
    """The tree of one side of the cut: its nodes, their labels, and the Grams of each node tensor."""

    def __init__(
        self, tn: ConvACTensorNetwork, sides: list[np.ndarray], in_side: np.ndarray, x: bool, cut: list[Label]
    ) -> None:
        arch = tn.arch
        self.tn, self.x, self.cut = tn, x, set(cut)
        self.depth = arch.depth
        self.parent: list[np.ndarray] = []
        for layer in range(arch.depth):
            par = np.empty(arch.positions(layer), dtype=np.int64)
            for k, window in enumerate(arch.pool_windows(layer)):
                par[list(window)] = k
            self.parent.append(par)
        self.sides = sides
        self.in_side = in_side
        self.kids: dict[Node, list[Node]] = {}
        for layer in range(1, arch.depth + 1):
            windows = arch.pool_windows(layer - 1)
            for p in map(int, np.flatnonzero(sides[layer] == x)):
                self.kids[(layer, p)] = [(layer - 1, q) for q in windows[p] if sides[layer - 1][q] == x]

        # clean[l][p]: the subtree under node (l, p), inputs included, lies wholly on this side, so
        # its Gram is the plain recursion, done for a whole layer at once (_clean_grams).
        clean = (sides[0] == x) & (in_side == x)
        self.clean = [clean]
        for layer in range(1, arch.depth):
            ok = (clean == True) & (sides[layer - 1] == x)  # noqa: E712 (element-wise)
            clean = np.array([bool(ok[list(w)].all()) for w in arch.pool_windows(layer - 1)]) & (sides[layer] == x)
            self.clean.append(clean)
        self._grams: list[tuple[np.ndarray, np.ndarray]] | None = None

    def clean_gram(self, run: _Run, v: Node) -> _Gram:
        """Gram of a clean subtree on its out leg, from the layer-wise recursion."""
        out = self.own_out_label(v)
        c = self.tn.weights[v[0]].shape[-1]
        if run.plan:
            return _Gram((out,), (c,))
        if self._grams is None:
            self._grams = _clean_grams(self.tn)
        data, exp = self._grams[v[0]]
        return _Gram((out,), (c,), data[v[1]].copy(), int(exp[v[1]]))

    def in_label(self, v: Node) -> Label:
        layer, p = v
        return ("x", p) if layer == 0 else ("u", layer - 1, p)

    def out_label(self, v: Node) -> Label | None:
        layer, p = v
        return None if layer == self.depth else ("u", layer, int(self.parent[layer][p]))

    def own_out_label(self, v: Node) -> Label:
        """Return the out leg of ``v``, a node below the output layer."""
        out = self.out_label(v)
        if out is None:
            raise InternalError(f"node {v} is the output node and has no out leg")
        return out

    def is_root(self, v: Node) -> bool:
        layer, p = v
        return layer == self.depth or self.sides[layer + 1][self.parent[layer][p]] != self.x

    def node_gram(self, run: _Run, v: Node, output: int) -> _Gram:
        """Gram of node ``v``'s tensor alone; an input leg on this side is summed into it."""
        tn = self.tn
        layer, p = v
        w = tn.weights[layer][p] if layer < self.depth else tn.weights[layer][0][:, output]
        if layer == self.depth:
            lab = self.in_label(v)
            return run.leaf((lab,), (w.shape[0],), lambda: w[:, None].T)
        out = self.own_out_label(v)
        if layer == 0 and self.in_side[p] == self.x:
            return run.leaf((out,), (w.shape[1],), lambda: w)
        return run.leaf((self.in_label(v), out), w.shape, lambda: w[None])

    def touches_cut(self, v: Node) -> bool:
        labs = [self.in_label(v), self.out_label(v)]
        if v[0] == 0 and self.in_side[v[1]] == self.x:
            labs = labs[1:]
        return any(lab in self.cut for lab in labs if lab is not None)


def _clean_grams(tn: ConvACTensorNetwork) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer: the Gram of every node's subtree on its out leg (all inputs summed), with power-of-two scales.

    The Gram recursion (input leg ``I_M``; conv ``G -> WᵀGW``; pooling: Hadamard product of the
    children's Grams), one batched product per layer; valid for the nodes whose whole subtree is on one side.
    """
    arch = tn.arch
    out: list[tuple[np.ndarray, np.ndarray]] = []
    w = np.asarray(tn.weights[0], dtype=np.float64)
    g = np.einsum("pmc,pmd->pcd", w, w)
    exp = np.zeros(len(g), dtype=np.int64)
    for layer in range(arch.depth):
        if layer > 0:
            windows = arch.pool_windows(layer - 1)
            prev, prev_exp = out[-1]
            h = np.stack([np.prod(prev[list(win)], axis=0) for win in windows])
            e = np.array([int(prev_exp[list(win)].sum()) for win in windows], dtype=np.int64)
            wl = np.asarray(tn.weights[layer], dtype=np.float64)
            g = np.einsum("pic,pij,pjd->pcd", wl, h, wl)
            exp = e
        peak = np.abs(g).reshape(len(g), -1).max(axis=1)
        k = np.frexp(np.where(peak > 0, peak, 1.0))[1].astype(np.int64)
        g = np.ldexp(g, -k[:, None, None])
        out.append((g, exp + k))
    return out


def _combine(run: _Run, kids: list[_Gram], node: _Gram, in_lab: Label, keep_in: bool) -> _Gram:
    """Merge the children's Grams (hyperindex ``in_lab``) with the node's, summing ``in_lab`` unless kept.

    The node is folded into one child first and the rest merged before the last, summing, merge;
    which child takes the node is chosen by the planned peak of the three orders it allows.
    """
    if not kids:
        if keep_in:
            return node
        raise InternalError("a node without children has its input leg summed in its own Gram")
    summed = frozenset() if keep_in else frozenset({in_lab})
    if len(kids) == 1:
        return run.merge(kids[0], node, summed)
    best, best_peak = 0, -1
    for i in range(len(kids)):
        trial = _Run(plan=True)
        _fold(trial, kids, node, i, summed)
        if best_peak < 0 or trial.peak < best_peak:
            best, best_peak = i, trial.peak
    return _fold(run, kids, node, best, summed)


def _fold(run: _Run, kids: list[_Gram], node: _Gram, i: int, summed: frozenset[Label]) -> _Gram:
    rest = [k for j, k in enumerate(kids) if j != i]
    rest.sort(key=lambda g: g.size)
    acc = rest[0]
    for g in rest[1:]:
        acc = run.merge(acc, g)
    last = run.merge(kids[i], node)
    return run.merge(acc, last, summed)


def _up(run: _Run, side: _Side, v: Node, output: int, env: _Gram | None = None) -> _Gram:
    """Gram of the subtree under ``v`` (with ``env`` folded onto its out leg), cut legs and out leg open."""
    if env is None and v[0] < side.depth and side.clean[v[0]][v[1]]:
        return side.clean_gram(run, v)
    node = side.node_gram(run, v, output)
    if env is not None:
        node = run.merge(node, env, frozenset(env.labels))
    kids = side.kids.get(v, [])
    if not kids:
        return node
    in_lab = side.in_label(v)
    grams = [_up(run, side, k, output) for k in kids]
    return _combine(run, grams, node, in_lab, in_lab in side.cut)


def _carries(side: _Side, v: Node, memo: dict[Node, bool]) -> bool:
    if v not in memo:
        hit = side.touches_cut(v)
        for k in side.kids.get(v, []):
            hit = _carries(side, k, memo) or hit
        memo[v] = hit
    return memo[v]


def _component(run: _Run, side: _Side, top: Node, output: int) -> _Gram:
    """Gram of the piece of the side under ``top`` (a node whose parent is on the other side, or the output)."""
    memo: dict[Node, bool] = {}
    _carries(side, top, memo)
    v, env = top, None
    # Walk down while only one child's subtree touches the cut and ``v`` itself does not: everything
    # beside that path has no cut legs, so it collapses to an environment Gram on the path's bond.
    while not side.touches_cut(v):
        kids = side.kids.get(v, [])
        hot = [k for k in kids if memo[k]]
        if len(hot) != 1:
            break
        node = side.node_gram(run, v, output)
        if env is not None:
            node = run.merge(node, env, frozenset(env.labels))
        in_lab = side.in_label(v)
        cold = [_up(run, side, k, output) for k in kids if k != hot[0]]
        for g in cold:
            node = run.merge(node, g)  # Hadamard on the shared in label
        env = node
        v = hot[0]
        if env.labels != (in_lab,):
            raise InternalError(f"the environment has labels {env.labels}, expected only {in_lab}")
    return _up(run, side, v, output, env)


def _side_gram(run: _Run, tn: ConvACTensorNetwork, side: _Side, cut: list[Label], output: int) -> _Gram:
    arch = tn.arch
    x = side.x
    pieces: list[_Gram] = []
    for p in range(arch.n_inputs):
        if side.in_side[p] == x and side.sides[0][p] != x:
            m = arch.n_features
            pieces.append(run.leaf((("x", p),), (m,), lambda m=m: np.eye(m)))
    tops = [
        (layer, int(p))
        for layer in range(arch.depth + 1)
        for p in np.flatnonzero(side.sides[layer] == x)
        if side.is_root((layer, int(p)))
    ]
    for top in tops:
        g = _component(run, side, top, output)
        pieces.append(g)
        run.held += 8 * g.size
    pieces.sort(key=lambda g: sorted(g.labels))
    acc = pieces[0]
    for g in pieces[1:]:
        acc = run.merge(acc, g)
    run.held = 0
    if set(acc.labels) != set(cut):
        raise InternalError(f"side Gram has labels {sorted(acc.labels)}, expected the cut {sorted(cut)}")
    if run.plan:
        return _Gram(tuple(cut), tuple(_label_dim(tn, lab) for lab in cut))
    order = [acc.labels.index(lab) for lab in cut]
    n = len(cut)
    data = np.transpose(acc.array, [*order, *(o + n for o in order)])
    d = math.prod(acc.dims)
    return _Gram(
        tuple(cut), tuple(_label_dim(tn, lab) for lab in cut), np.ascontiguousarray(data).reshape(d, d), acc.exp
    )


def _setup(
    tn: ConvACTensorNetwork, partition: Partition, max_cut: int, cut: Any = None
) -> tuple[list[np.ndarray], np.ndarray, list[Label], int]:
    if cut is None:
        cut = check_cut(tn, partition, max_cut)
    sides = [np.asarray(s, dtype=bool) for s in cut.node_sides]
    labels = _cut_labels(tn, partition.mask, sides)
    return sides, partition.mask, labels, int(cut.value)


def gram_peak_bytes(tn: ConvACTensorNetwork, partition: Partition, max_cut: int = 1 << 62) -> int:
    """Planned peak memory (bytes) of :func:`gram_singular_values` on this cut, from shapes alone.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[2] * 4)
    >>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
    >>> gram_peak_bytes(tn, convac.Partition.interleaved(arch)) >= 6 * 8 * 256**2
    True
    """
    sides, in_side, labels, d = _setup(tn, partition, max_cut)
    return _plan(tn, sides, in_side, labels, d)


def _plan(tn: ConvACTensorNetwork, sides: list[np.ndarray], in_side: np.ndarray, labels: list[Label], d: int) -> int:
    peak = 0
    for x in (True, False):
        run = _Run(plan=True)
        run.held = 2 * 8 * d * d  # the other side's Gram and its Cholesky factor, if made first
        _side_gram(run, tn, _Side(tn, sides, in_side, x, labels), labels, 0)
        peak = max(peak, run.peak)
    # The last stage holds at most a dozen D x D arrays at once: both Grams, the Cholesky factor
    # and its input, the permuted Gram and its Fortran copy, two triangular products, the
    # symmetrised product, and the eigensolver's copy and workspace.
    return max(peak, 12 * 8 * d * d)


def gram_singular_values(
    tn: ConvACTensorNetwork,
    partition: Partition,
    output: Sequence[int],
    max_cut: int = 1 << 62,
    max_bytes: int = NETWORK_MAX_BYTES,
    cut: Any = None,
    reduction: str = "sygst",
) -> list[tuple[np.ndarray, int]]:
    """Singular values of ``[A^y]_{A,B}`` for each ``y`` in ``output``, as (mantissa, log2 scale) pairs.

    The side without the output layer is reduced (and factorised) once. Raises
    :class:`~convac.errors.TooLargeError` before allocating if the planned peak exceeds ``max_bytes``.
    ``cut``: the min-cut of ``partition`` if the caller has it. ``reduction``: ``"sygst"`` (a Cholesky
    factor of the fixed side and one ``Lᵀ G L`` per output; the pivoted route if that side is
    singular) or ``"pivoted"`` (pivoted Cholesky factors of both sides and two general products,
    the route before; kept for benchmarks/bench_entanglement_eigh.py).
    """
    sides, in_side, labels, d = _setup(tn, partition, max_cut, cut)
    peak = _plan(tn, sides, in_side, labels, d)
    size_limit(
        f"the network path (Gram route) on this cut (min-cut {d})",
        peak,
        max_bytes,
        hint="; raise max_bytes if the machine has that much free memory, or choose a partition with a smaller min-cut",
    )
    top_side = bool(sides[tn.arch.depth][0])
    fixed = _side_gram(_Run(False), tn, _Side(tn, sides, in_side, not top_side, labels), labels, 0)
    # The fixed side's Cholesky factor L, once: s² = eig(G_f G_m) = eig(Lᵀ G_m L), one LAPACK dsygst
    # (D³ flops) per output. A singular G_f (dpotrf fails) takes the pivoted route.
    chol = _cholesky(fixed.array) if reduction == "sygst" else None
    if chol is None and reduction == "sygst":
        # A failed Cholesky leaves the Gram partly overwritten: build it again (singular sides only).
        fixed = _side_gram(_Run(False), tn, _Side(tn, sides, in_side, not top_side, labels), labels, 0)
    root_f = _gram_root(fixed.data) if chol is None else None
    fixed.data = None
    results = []
    for y in output:
        moving = _side_gram(_Run(False), tn, _Side(tn, sides, in_side, top_side, labels), labels, int(y))
        ev = _reduced_eigvalsh(moving.array, chol) if root_f is None else _pivoted_eigvalsh(moving.array, root_f)
        moving.data = None
        exp = fixed.exp + moving.exp
        # The square root of 2**exp: an odd exponent leaves a factor 2 in the mantissa.
        ev = ev * (2.0 if exp % 2 else 1.0)
        top = float(ev.max()) if ev.size else 0.0
        ev = np.where(ev > d * np.finfo(np.float64).eps * top, ev, 0.0)
        results.append((np.sqrt(ev)[::-1].copy(), exp // 2))
    return results


def _cholesky(g: np.ndarray) -> np.ndarray | None:
    """Lower Cholesky factor of ``g`` in ``g``'s memory (Fortran order), or None if ``g`` is not positive definite.

    ``g`` is overwritten either way. It is symmetric, so its transpose is the Fortran-ordered array
    LAPACK works on in place: no copy of the D x D matrix.
    """
    from scipy.linalg import lapack

    if not g.size:
        return None
    c, info = lapack.dpotrf(g.T, lower=1, clean=0, overwrite_a=1)
    return c if info == 0 else None


def _reduced_eigvalsh(g: np.ndarray, chol: Any) -> np.ndarray:
    """Eigenvalues (ascending) of ``Lᵀ g L`` for the lower Cholesky factor ``L``; ``g`` is overwritten.

    LAPACK ``dsygst`` (itype 2) forms ``Lᵀ g L`` in its lower triangle using both symmetries (one
    D³ product, against 4 D³ for the two general products of the pivoted route), and the
    eigensolver reads that triangle only: no symmetrised copy.
    """
    from scipy.linalg import lapack

    m, info = lapack.dsygst(g.T, chol, itype=2, lower=1, overwrite_a=1)
    if info != 0:
        raise InternalError(f"dsygst failed with info {info}")
    return _eigvalsh(m, lower=True)


def _pivoted_eigvalsh(g: np.ndarray, root_f: np.ndarray) -> np.ndarray:
    """Eigenvalues (ascending) of ``G_f g`` from pivoted Cholesky factors of both sides (any rank)."""
    root_m = _gram_root(g)
    # s² = eig(G_A G_B) = eig(KᵀK) = eig(KKᵀ) with K = R_fᵀ R_m: the smaller of the two.
    k = root_f.T @ root_m
    m = k @ k.T if k.shape[0] <= k.shape[1] else k.T @ k
    return _eigvalsh(0.5 * (m + m.T)) if m.size else np.zeros(1)


def _gram_root(g: Any) -> np.ndarray:
    """``R`` (n, rank) with ``R Rᵀ = g``, by a pivoted (rank-revealing) Cholesky factorisation.

    Pivots below ``10 * eps`` of the largest diagonal entry are dropped: the rest of the Gram
    they leave out has a trace of at most ``10 n eps`` of it, inside the Gram route's error, and
    a low-rank side makes the final eigenproblem smaller.
    """
    from scipy.linalg import lapack

    a = np.asfortranarray(g, dtype=np.float64)
    tol = 10 * np.finfo(np.float64).eps * float(np.max(np.diag(a))) if a.size else 0.0
    c, piv, rank, info = lapack.dpstrf(a, lower=1, tol=tol, overwrite_a=1)
    if info < 0:
        raise InternalError(f"dpstrf failed with info {info}")
    root = np.empty((len(c), rank))
    root[np.asarray(piv, dtype=np.int64) - 1] = np.tril(c[:, :rank])
    return root


def _eigvalsh(m: np.ndarray, lower: bool = False) -> np.ndarray:
    """Eigenvalues, ascending. torch's LAPACK (MKL in the CPU wheels) measured faster than numpy's here.

    ``lower``: only the lower triangle of ``m`` holds the matrix (the other is not read).
    """
    if len(m) < 512:
        return np.linalg.eigvalsh(m)  # reads the lower triangle
    import torch

    if lower:
        # m's lower triangle is the upper one of its transpose, which is C-ordered when m is Fortran-ordered.
        return torch.linalg.eigvalsh(torch.from_numpy(np.ascontiguousarray(m.T)), UPLO="U").numpy()
    return torch.linalg.eigvalsh(torch.from_numpy(np.ascontiguousarray(m))).numpy()
