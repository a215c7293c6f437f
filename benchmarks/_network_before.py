"""The network path's SVD route as it was before the layer-at-a-time rewrite (one merge and QR per node).

Kept, unchanged but for this docstring, so benchmarks/bench_entanglement_layered.py can time it beside the new one.
"""

from __future__ import annotations

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


def _cut_labels(tn: ConvACTensorNetwork, in_side: np.ndarray, sides: list[np.ndarray]) -> list[Label]:
    arch = tn.arch
    labels: list[Label] = [("x", int(p)) for p in np.flatnonzero(in_side != sides[0])]
    for layer in range(arch.depth):
        for k, window in enumerate(arch.pool_windows(layer)):
            members = {bool(sides[layer][q]) for q in window} | {bool(sides[layer + 1][k])}
            if len(members) > 1:
                labels.append(("u", layer, k))
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
) -> dict[int, _Factor]:
    """Factors of side ``x``'s nodes of ``layer`` whose parent is on the side; the others go to ``roots``."""
    arch = tn.arch
    parent = np.empty(arch.positions(layer), dtype=np.int64)
    for k, window in enumerate(arch.pool_windows(layer)):
        parent[list(window)] = k
    below = arch.pool_windows(layer - 1) if layer > 0 else ()
    up: dict[int, _Factor] = {}
    for p in map(int, np.flatnonzero(sides[layer] == x)):
        kids = [msgs[q] for q in below[p] if q in msgs] if layer > 0 else []
        f = _node_factor(tn, in_side, x, (layer, p), ("u", layer, int(parent[p])), kids, cut_set)
        if sides[layer + 1][parent[p]] == x:
            up[p] = f
        else:
            roots.append(f)
    return up


def _top_factor(tn: ConvACTensorNetwork, msgs: dict[int, _Factor], cut_set: set[Label], output: int | None) -> _Factor:
    """Return the output node's factor (output leg open if ``output`` is None) merged with its children's."""
    depth = tn.arch.depth
    top: Label = ("u", depth - 1, 0)
    w = tn.weights[depth][0]
    f = _Factor(w[None], (top, _OUT)) if output is None else _Factor(w[:, output][None], (top,))
    if not msgs:
        return f
    return _merge(_merge_all(list(msgs.values())), f, frozenset() if top in cut_set else frozenset({top}))


def _side_factor(
    tn: ConvACTensorNetwork,
    in_side: np.ndarray,
    sides: list[np.ndarray],
    x: bool,
    cut: list[Label],
    output: int | None,
) -> _Factor:
    """``R_X`` for side ``x`` (True = A), columns in the order of ``cut``: one bottom-up pass over the side.

    With ``output=None`` on the side holding the output layer, the output index stays open as a
    last leg: ``data[..., y]`` is ``R_X`` of output ``y``, all sharing one row isometry, so one
    reduction serves every class.
    """
    arch = tn.arch
    cut_set = set(cut)
    eye = np.eye(arch.n_features)
    roots: list[_Factor] = [
        _Factor(eye, (("x", int(p)),)) for p in range(arch.n_inputs) if in_side[p] == x and sides[0][p] != x
    ]
    msgs: dict[int, _Factor] = {}
    for layer in range(arch.depth):
        msgs = _layer_factors(tn, in_side, sides, x, layer, msgs, cut_set, roots)
    if sides[arch.depth][0] == x:
        roots.append(_top_factor(tn, msgs, cut_set, output))
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
    tn: ConvACTensorNetwork, partition: Partition, output: int | Sequence[int] = 0, max_cut: int = DEFAULT_MAX_CUT
) -> Any:
    """Singular values of ``[A^output]_{A,B}`` from the network, as (mantissa, log2 scale).

    With a sequence of outputs: a list of such pairs; the side of the cut without the
    output layer is reduced once for all of them. Raises :class:`TooLargeError` if the
    min-cut exceeds ``max_cut``.
    """
    arch = tn.arch
    cut = check_cut(tn, partition, max_cut)
    sides = [np.asarray(s, dtype=bool) for s in cut.node_sides]
    in_side = partition.mask
    labels = _cut_labels(tn, in_side, sides)
    dim = math.prod(_label_dim(tn, lab) for lab in labels)
    if dim != cut.value:
        raise InternalError(f"cut labels weigh {dim}, min_cut says {cut.value}")
    if not isinstance(output, Sequence):
        ra = _side_factor(tn, in_side, sides, True, labels, output)
        rb = _side_factor(tn, in_side, sides, False, labels, output)
        return np.linalg.svd(ra.data @ rb.data.T, compute_uv=False), ra.exp + rb.exp
    # One reduction per side for every output: the side without the output layer does not
    # depend on it, the other keeps the output index open.
    top_side = bool(sides[arch.depth][0])
    fixed = _side_factor(tn, in_side, sides, not top_side, labels, None)
    moving = _side_factor(tn, in_side, sides, top_side, labels, None)
    exp = fixed.exp + moving.exp
    return [(np.linalg.svd(moving.data[..., y] @ fixed.data.T, compute_uv=False), exp) for y in output]
