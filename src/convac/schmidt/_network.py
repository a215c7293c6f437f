"""Network path: Schmidt values across a partition without the dense tensor.

Cost is exponential only in the min-cut ``D``, linear in N. A minimal cut of the tree
(``convac.min_cut``, δ tensors as hyperedges) splits the network into the tensors on
side A and on side B; with the cut indices left open, ``A = L_A L_Bᵀ`` where ``L_X`` (rows:
the inputs of side X, columns: the ``D`` values of the cut indices) is the contraction of
side X. The Schmidt values are the singular values of ``R_A R_Bᵀ`` for any ``R_X`` with
``R_XᵀR_X = L_XᵀL_X``.

``R_X`` is built bottom-up without ever forming ``L_X``: every partial contraction is kept
as a *factor* ``F`` (rows, open legs) standing for ``Q F`` with an isometry ``Q`` on the
inputs below it, and whenever a factor has more rows than columns a QR decomposition
replaces it by its ``R`` (the isometry drops out of every Gram matrix). So a subtree with
all inputs on one side shrinks to a square matrix on its top bond, exactly the square
root of the Gram recursion (input leg: ``I_M``; conv: ``G -> WᵀGW``; δ pooling: Hadamard
product of the children's Grams), and only factors near the cut carry open cut legs.
Most nodes of a large network are *clean*: their whole subtree, inputs included, lies on one
side, so their factor does not depend on the cut. Those are computed for all nodes of a layer
at once (:func:`clean_roots`: Khatri-Rao pooling, a batched matmul and a batched QR per layer),
and only the nodes whose subtree straddles the cut (a few per cut leg) are merged one by one.
Working with square roots instead of Grams keeps the small Schmidt values accurate
(a Gram squares the condition number), and every factor carries a power-of-two scale so
4096 inputs neither overflow nor underflow.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 3, 2])
>>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0, weights="signed"))
>>> part = convac.Partition.left_right(arch)
>>> s, _ = network_singular_values(tn, part)
>>> from convac.schmidt._dense import dense_singular_values
>>> d, _ = dense_singular_values(tn, part)
>>> bool(np.allclose(s / np.linalg.norm(s), d[: len(s)] / np.linalg.norm(d)))
True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convac.errors import InternalError, TooLargeError
from convac.partitions import Partition
from convac.tensornet._network import ConvACTensorNetwork

__all__ = ["DEFAULT_MAX_CUT", "network_singular_values"]

DEFAULT_MAX_CUT = 4096
"""Largest min-cut the network path accepts by default: the final SVD is of a D x D matrix."""

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
Label = tuple  # ("x", position) or ("u", layer, window)
_OUT: Label = ("y",)  # the open output leg of the side holding the output layer


@dataclass
class _Factor:
    """``data`` of shape (rows, *dims of labels), true value ``data * 2**exp`` up to a row isometry."""

    data: np.ndarray
    labels: tuple[Label, ...]
    exp: int = 0


def _compress(data: np.ndarray, labels: tuple[Label, ...], exp: int) -> _Factor:
    rows = data.shape[0]
    cols = math.prod(data.shape[1:])
    if rows > cols:
        r: np.ndarray = np.linalg.qr(data.reshape(rows, cols), mode="r")  # type: ignore[assignment]
        data = r.reshape(r.shape[0], *data.shape[1:])
    peak = float(np.abs(data).max()) if data.size else 0.0
    if peak > 0:
        _, k = math.frexp(peak)
        data = np.ldexp(data, -k)
        exp += k
    return _Factor(data, labels, exp)


def _merge(a: _Factor, b: _Factor, summed: frozenset[Label] = frozenset()) -> _Factor:
    """Product of two factors: rows multiply, shared labels are one hyperindex, ``summed`` ones are summed."""
    letters: dict[Label, str] = {}
    for lab in (*a.labels, *b.labels):
        if lab not in letters:
            letters[lab] = _LETTERS[len(letters) + 2]
    out = tuple(lab for lab in letters if lab not in summed)
    sa = "a" + "".join(letters[x] for x in a.labels)
    sb = "b" + "".join(letters[x] for x in b.labels)
    so = "ab" + "".join(letters[x] for x in out)
    data = np.einsum(f"{sa},{sb}->{so}", a.data, b.data, optimize=len(letters) > 3)
    data = data.reshape(-1, *data.shape[2:])
    return _compress(data, out, a.exp + b.exp)


@functools.lru_cache(maxsize=64)
def windows(arch: Any, layer: int) -> np.ndarray:
    """``arch.pool_windows(layer)`` as a read-only (windows, window size) integer array, cached.

    The list of tuples costs 4 ms a layer at N = 65,536, and every side of every call needs it.
    """
    if arch.ndim == 1:
        (w,) = arch.windows[layer]
        win = np.arange(arch.positions(layer)).reshape(-1, w)
    else:
        win = np.asarray(arch.pool_windows(layer), dtype=np.int64)
    win.setflags(write=False)
    return win


def _cut_labels(tn: ConvACTensorNetwork, in_side: np.ndarray, sides: list[np.ndarray]) -> list[Label]:
    arch = tn.arch
    labels: list[Label] = [("x", int(p)) for p in np.flatnonzero(in_side != sides[0])]
    for layer in range(arch.depth):
        members = sides[layer][windows(arch, layer)]
        mixed = (members != sides[layer + 1][:, None]).any(axis=1)
        labels += [("u", layer, int(k)) for k in np.flatnonzero(mixed)]
    return labels


def _label_dim(tn: ConvACTensorNetwork, label: Label) -> int:
    if label == _OUT:
        return tn.arch.n_outputs
    return tn.arch.n_features if label[0] == "x" else tn.arch.channels[label[1]]


def _merge_all(factors: list[_Factor]) -> _Factor:
    acc = factors[0]
    for f in factors[1:]:
        acc = _merge(acc, f)
    return acc


def clean_roots(tn: ConvACTensorNetwork) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer: the square-root factor of every node's whole subtree on its out leg, and its log2 scales.

    The square root of the Gram recursion, one batched array operation per layer over all
    nodes of the layer: input leg ``W0``; δ pooling the row-wise Kronecker (Khatri-Rao) product
    of the window's factors; conv a batched matmul; a batched QR whenever rows exceed columns.
    Valid for the nodes whose subtree lies wholly on one side of the cut (it does not depend on
    the side). At N = 65,536 this replaced about 130,000 per-node merges and QRs in Python.
    """
    arch = tn.arch
    out: list[tuple[np.ndarray, np.ndarray]] = []
    f = tn.weights[0]
    exp = np.zeros(len(f), dtype=np.int64)
    for layer in range(arch.depth):
        if layer > 0:
            win = windows(arch, layer - 1)
            prev, prev_exp = out[-1]
            acc = prev[win[:, 0]]
            for j in range(1, win.shape[1]):
                part = prev[win[:, j]]
                acc = (acc[:, :, None, :] * part[:, None, :, :]).reshape(len(win), -1, acc.shape[-1])
                # only the Gram of acc matters (it is the Hadamard product of the children's Grams), so
                # compressing after every product keeps rows <= columns squared instead of columns**window
                if acc.shape[1] > acc.shape[2]:
                    acc = np.linalg.qr(acc, mode="r")
            f = np.matmul(acc, tn.weights[layer])
            exp = prev_exp[win].sum(axis=1)
        if f.shape[1] > f.shape[2]:
            f = np.linalg.qr(f, mode="r")  # type: ignore[assignment]
        peak = np.abs(f).reshape(len(f), -1).max(axis=1)
        k = np.frexp(np.where(peak > 0, peak, 1.0))[1].astype(np.int64)
        out.append((np.ldexp(f, -k[:, None, None]), exp + k))
    return out


def clean_masks(tn: ConvACTensorNetwork, sides: list[np.ndarray], in_side: np.ndarray, x: bool) -> list[np.ndarray]:
    """Per layer below the output: which nodes of side ``x`` have their whole subtree (inputs too) on side ``x``."""
    arch = tn.arch
    clean = (sides[0] == x) & (in_side == x)
    masks = [clean]
    for layer in range(1, arch.depth):
        clean = clean[windows(arch, layer - 1)].all(axis=1) & (sides[layer] == x)
        masks.append(clean)
    return masks


class _Clean:
    """The clean subtrees of one side: their factors come from :func:`clean_roots`, not from per-node merges."""

    def __init__(self, tn: ConvACTensorNetwork, masks: list[np.ndarray], roots: list[tuple[np.ndarray, np.ndarray]]):
        self.masks, self.roots = masks, roots
        self.parent = [_parents(tn, layer) for layer in range(tn.arch.depth)]

    def factor(self, layer: int, p: int) -> _Factor:
        data, exp = self.roots[layer]
        return _Factor(data[p], (("u", layer, int(self.parent[layer][p])),), int(exp[p]))


def _parents(tn: ConvACTensorNetwork, layer: int) -> np.ndarray:
    """For each node of ``layer``, the index of the window (the node of ``layer + 1``) that pools it."""
    win = windows(tn.arch, layer)
    parent = np.empty(tn.arch.positions(layer), dtype=np.int64)
    parent[win] = np.arange(len(win))[:, None]
    return parent


def _node_factor(
    tn: ConvACTensorNetwork,
    in_side: np.ndarray,
    x: bool,
    node: tuple[int, int],
    out_lab: Label,
    kids: list[_Factor],
    cut_set: set[Label],
) -> _Factor:
    """Factor of ``node`` (layer, position) on its bond ``out_lab``, merged with its children's factors."""
    layer, p = node
    w = tn.weights[layer][p]
    if layer == 0:
        if in_side[p] == x:
            # The input leg is summed in the Gram: the matrix itself, rows = inputs.
            return _compress(w.copy(), (out_lab,), 0)
        return _compress(w[None], (("x", p), out_lab), 0)
    in_lab: Label = ("u", layer - 1, p)
    f = _Factor(w[None], (in_lab, out_lab))
    if not kids:
        return f
    return _merge(_merge_all(kids), f, frozenset() if in_lab in cut_set else frozenset({in_lab}))


def _layer_factors(
    tn: ConvACTensorNetwork,
    in_side: np.ndarray,
    sides: list[np.ndarray],
    x: bool,
    layer: int,
    msgs: dict[int, _Factor],
    cut_set: set[Label],
    roots: list[_Factor],
    clean: _Clean,
) -> dict[int, _Factor]:
    """Factors of side ``x``'s nodes of ``layer`` whose parent is on the side; the others go to ``roots``.

    Only the nodes that are not clean are merged here, one by one; a clean node is taken from
    ``clean`` where its parent needs it (or where it is a root of the side).
    """
    parent = clean.parent[layer]
    mine = sides[layer] == x
    parent_mine = sides[layer + 1][parent] == x
    roots.extend(clean.factor(layer, int(p)) for p in np.flatnonzero(clean.masks[layer] & ~parent_mine))
    below = windows(tn.arch, layer - 1) if layer > 0 else np.empty((0, 0), dtype=np.int64)
    up: dict[int, _Factor] = {}
    for p in map(int, np.flatnonzero(mine & ~clean.masks[layer])):
        kids = [_kid(msgs, clean, layer - 1, int(q)) for q in below[p] if sides[layer - 1][q] == x] if layer > 0 else []
        f = _node_factor(tn, in_side, x, (layer, p), ("u", layer, int(parent[p])), kids, cut_set)
        if parent_mine[p]:
            up[p] = f
        else:
            roots.append(f)
    return up


def _kid(msgs: dict[int, _Factor], clean: _Clean, layer: int, q: int) -> _Factor:
    return msgs[q] if q in msgs else clean.factor(layer, q)


def _top_factor(tn: ConvACTensorNetwork, kids: list[_Factor], cut_set: set[Label], output: int | None) -> _Factor:
    """Return the output node's factor (output leg open if ``output`` is None) merged with its children's."""
    depth = tn.arch.depth
    top: Label = ("u", depth - 1, 0)
    w = tn.weights[depth][0]
    f = _Factor(w[None], (top, _OUT)) if output is None else _Factor(w[:, output][None], (top,))
    if not kids:
        return f
    return _merge(_merge_all(kids), f, frozenset() if top in cut_set else frozenset({top}))


def _side_factor(
    tn: ConvACTensorNetwork,
    in_side: np.ndarray,
    sides: list[np.ndarray],
    x: bool,
    cut: list[Label],
    output: int | None,
    clean_factors: list[tuple[np.ndarray, np.ndarray]],
) -> _Factor:
    """``R_X`` for side ``x`` (True = A), columns in the order of ``cut``: one bottom-up pass over the side.

    With ``output=None`` on the side holding the output layer, the output index stays open as a
    last leg: ``data[..., y]`` is ``R_X`` of output ``y``, all sharing one row isometry, so one
    reduction serves every class.
    """
    arch = tn.arch
    cut_set = set(cut)
    clean = _Clean(tn, clean_masks(tn, sides, in_side, x), clean_factors)
    eye = np.eye(arch.n_features)
    roots: list[_Factor] = [_Factor(eye, (("x", int(p)),)) for p in np.flatnonzero((in_side == x) & (sides[0] != x))]
    msgs: dict[int, _Factor] = {}
    for layer in range(arch.depth):
        msgs = _layer_factors(tn, in_side, sides, x, layer, msgs, cut_set, roots, clean)
    if sides[arch.depth][0] == x:
        last = arch.depth - 1
        kids = [_kid(msgs, clean, last, int(q)) for q in np.flatnonzero(sides[last] == x)]
        roots.append(_top_factor(tn, kids, cut_set, output))
    # Merge the pieces that share cut legs first: their product has fewer rows to compress.
    roots.sort(key=lambda f: sorted(f.labels))
    acc = _merge_all(roots)
    wanted = [*cut, _OUT] if _OUT in acc.labels else list(cut)
    if set(acc.labels) != set(wanted):
        raise InternalError(f"side factor has labels {sorted(acc.labels)}, expected the cut {sorted(cut)}")
    order = [acc.labels.index(lab) for lab in wanted]
    data = np.transpose(acc.data, [0, *(o + 1 for o in order)])
    if _OUT in acc.labels:
        return _Factor(data.reshape(data.shape[0], -1, data.shape[-1]), (*cut, _OUT), acc.exp)
    return _Factor(data.reshape(data.shape[0], -1), tuple(cut), acc.exp)


def _fmt(value: int) -> str:
    return str(value) if value < 10**12 else f"about 2^{math.log2(value):.1f}"


def check_cut(tn: ConvACTensorNetwork, partition: Partition, max_cut: int) -> Any:
    """Return the min-cut of ``partition`` on ``tn``'s architecture; :class:`TooLargeError` above ``max_cut``."""
    from convac.mincut import min_cut

    cut = min_cut(tn.arch, partition)
    if cut.value > max_cut:
        raise TooLargeError(
            f"the min-cut of this partition is {_fmt(cut.value)} (log2 {cut.log2:.4g}), over the network "
            f"path's limit of max_cut={max_cut} (log2 {math.log2(max_cut):.4g}), the largest cut it does: "
            "its "
            "cost grows with the min-cut (an SVD of a min-cut x min-cut matrix); choose a partition with a "
            "smaller min-cut or fewer channels, or raise max_cut"
        )
    return cut


def network_singular_values(
    tn: ConvACTensorNetwork,
    partition: Partition,
    output: int | Sequence[int] = 0,
    max_cut: int = DEFAULT_MAX_CUT,
    cut: Any = None,
) -> Any:
    """Singular values of ``[A^output]_{A,B}`` from the network, as (mantissa, log2 scale).

    ``cut``: the min-cut of ``partition`` if the caller has it (from :func:`check_cut`).

    With a sequence of outputs: a list of such pairs; the side of the cut without the
    output layer is reduced once for all of them. Raises :class:`TooLargeError` if the
    min-cut exceeds ``max_cut``.
    """
    arch = tn.arch
    if cut is None:
        cut = check_cut(tn, partition, max_cut)
    sides = [np.asarray(s, dtype=bool) for s in cut.node_sides]
    factors = clean_roots(tn)
    in_side = partition.mask
    labels = _cut_labels(tn, in_side, sides)
    dim = math.prod(_label_dim(tn, lab) for lab in labels)
    if dim != cut.value:
        raise InternalError(f"cut labels weigh {dim}, min_cut says {cut.value}")
    if not isinstance(output, Sequence):
        ra = _side_factor(tn, in_side, sides, True, labels, output, factors)
        rb = _side_factor(tn, in_side, sides, False, labels, output, factors)
        return np.linalg.svd(ra.data @ rb.data.T, compute_uv=False), ra.exp + rb.exp
    # One reduction per side for every output: the side without the output layer does not
    # depend on it, the other keeps the output index open.
    top_side = bool(sides[arch.depth][0])
    fixed = _side_factor(tn, in_side, sides, not top_side, labels, None, factors)
    moving = _side_factor(tn, in_side, sides, top_side, labels, None, factors)
    exp = fixed.exp + moving.exp
    return [(np.linalg.svd(moving.data[..., y] @ fixed.data.T, compute_uv=False), exp) for y in output]
