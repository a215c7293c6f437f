"""Contraction of a ConvAC's tensor network: path finding (cotengra) and a rescaled pairwise run.

The pairwise contractions are run here with a power-of-two rescaling of every intermediate and
an integer exponent tracked per sample, so scores of networks with thousands of inputs neither
overflow nor underflow. :func:`check_optimize` refuses an unknown path optimiser up front, with
the names that are allowed.

Examples
--------
>>> check_optimize("greedy"), check_optimize("tree")
('greedy', 'tree')
>>> check_optimize("bogus")
Traceback (most recent call last):
    ...
convac.errors.InputError: optimize must be 'auto', 'tree', a cotengra or opt_einsum preset (...), ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from convac.errors import ConvacTypeError, InputError, InternalError

if TYPE_CHECKING:
    from convac.spec import Architecture

__all__ = ["check_optimize"]

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _preset_names() -> list[str]:
    names = {"auto", "tree"}
    try:  # cotengra's and opt_einsum's registries are private: list them when they can be read
        import cotengra.interface as ctg_interface

        names |= set(getattr(ctg_interface, "_PRESETS_PATH", {}))
        import opt_einsum.paths as oe_paths

        names |= set(getattr(oe_paths, "_PATH_OPTIONS", {}))
    except ImportError:
        pass
    return sorted(names)


def check_optimize(optimize: Any) -> Any:
    """Return ``optimize`` if it names a known path optimiser (other values pass to cotengra as they are).

    A string must be ``"auto"``, ``"tree"`` or a cotengra / opt_einsum preset; an optimiser object
    or an explicit path is handed on unchanged.
    """
    if not isinstance(optimize, str) or optimize in ("auto", "tree"):
        return optimize
    from cotengra.interface import preset_to_optimizer

    try:
        preset_to_optimizer(optimize)
    except KeyError:
        names = ", ".join(repr(n) for n in _preset_names())
        raise InputError(
            f"optimize must be 'auto', 'tree', a cotengra or opt_einsum preset ({names}), or an optimiser object, "
            f"got {optimize!r}"
        ) from None
    return optimize


def _as_features(features: Any, arch: Architecture) -> np.ndarray:
    if hasattr(features, "detach"):
        features = features.detach().cpu().numpy()
    if not isinstance(features, np.ndarray):
        raise ConvacTypeError(f"features must be a numpy array or torch tensor, got {type(features).__name__}")
    expected = (arch.n_inputs, arch.n_features)
    if features.ndim != 3 or features.shape[1:] != expected:
        raise InputError(
            f"features must have shape (batch, n_inputs={expected[0]}, M={expected[1]}), got {features.shape}"
        )
    feats = features.astype(np.float64)
    if not np.isfinite(feats).all():
        raise InputError("features contain NaN or infinite values")
    return feats


def _find_path(
    inputs: list[tuple[str, ...]], output: tuple[str, ...], size_dict: dict[str, int], optimize: Any
) -> list[tuple[int, ...]]:
    import cotengra as ctg

    if len(inputs) == 1:
        return []
    path = ctg.array_contract_path(inputs, output, size_dict=size_dict, optimize=optimize, cache=False)
    return [tuple(step) for step in path]


def _ssa_to_linear(ssa: list[tuple[int, int]], n_inputs: int) -> list[tuple[int, ...]]:
    # The live list stays sorted by id, so an id's position is the number of live ids
    # below it: a Fenwick tree over ids makes the conversion O(n log n).
    size = n_inputs + len(ssa) + 1
    tree = [0] * (size + 1)

    def add(i: int, v: int) -> None:
        i += 1
        while i <= size:
            tree[i] += v
            i += i & -i

    def below(i: int) -> int:
        total = 0
        while i > 0:
            total += tree[i]
            i -= i & -i
        return total

    for i in range(n_inputs):
        add(i, 1)
    path: list[tuple[int, ...]] = []
    for step, (a, b) in enumerate(ssa):
        path.append(tuple(sorted((below(a), below(b)))))
        add(a, -1)
        add(b, -1)
        add(n_inputs + step, 1)
    return path


def _normalize(data: np.ndarray, batched: bool) -> tuple[np.ndarray, np.ndarray]:
    """Scale ``data`` by a power of two (per sample if batched) so its peak magnitude is in [0.5, 1)."""
    if batched:
        peak = np.abs(data).reshape(data.shape[0], -1).max(axis=1) if data.size else np.zeros(data.shape[0])
    else:
        peak = np.asarray(np.abs(data).max() if data.size else 0.0)
    _, k = np.frexp(peak)
    k = k.astype(np.int64)
    shift = k.reshape((-1,) + (1,) * (data.ndim - 1)) if batched else k
    return np.ldexp(data, -shift), k


def _run_path(
    inputs: list[tuple[str, ...]],
    arrays: list[np.ndarray],
    batched: list[bool],
    path: list[tuple[int, ...]],
    output: tuple[str, ...],
    has_batch: bool,
) -> tuple[np.ndarray, Any]:
    """Run a linear contraction path pairwise, rescaling every intermediate by a power of two.

    Batched operands carry the batch as their first axis (not named in ``inputs``); their
    exponents are arrays over the batch, the others scalars.
    """
    ops: list[tuple[tuple[str, ...], np.ndarray, bool, Any]] = []
    for inds, arr, b in zip(inputs, arrays, batched, strict=False):
        data, k = _normalize(arr, b)
        ops.append((inds, data, b, k))
    # How many live operands (plus the output) still carry each index: an index is summed
    # away exactly when the pair being contracted holds its last uses.
    count: dict[str, int] = {}
    for inds in [*inputs, output]:
        for i in set(inds):
            count[i] = count.get(i, 0) + 1
    for step in path:
        picked = [ops[i] for i in step]
        for pos in sorted(step, reverse=True):
            del ops[pos]
        while len(picked) > 1:
            (ia, da, ba, ka), (ib, db, bb, kb) = picked[0], picked[1]
            union = list(dict.fromkeys(ia + ib))
            for i in set(ia):
                count[i] -= 1
            for i in set(ib):
                count[i] -= 1
            keep = tuple(i for i in union if count[i] > 0)
            for i in keep:
                count[i] += 1
            data = _pair_einsum(ia, da, ba, ib, db, bb, keep)
            b = ba or bb
            data, k = _normalize(data, b)
            picked = [(keep, data, b, ka + kb + k), *picked[2:]]
        ops.append(picked[0])
    # Disconnected leftovers (e.g. a single operand): multiply them together.
    while len(ops) > 1:
        (ia, da, ba, ka), (ib, db, bb, kb) = ops.pop(0), ops.pop(0)
        keep = tuple(i for i in dict.fromkeys(ia + ib) if i in output)
        data, k = _normalize(_pair_einsum(ia, da, ba, ib, db, bb, keep), ba or bb)
        ops.insert(0, (keep, data, ba or bb, ka + kb + k))
    inds, data, b, k = ops[0]
    summed = tuple(i for i in inds if i not in output)
    if summed:
        data = _pair_einsum(inds, data, b, (), np.ones(()), False, tuple(i for i in inds if i in output))
        inds = tuple(i for i in inds if i in output)
    order = [inds.index(i) for i in output]
    data = np.transpose(data, [0, *(o + 1 for o in order)]) if b else np.transpose(data, order)
    if has_batch and not b:
        raise InternalError("a batched contraction lost its batch axis")
    return data, (k if b else int(k))


def _pair_einsum(
    ia: tuple[str, ...],
    da: np.ndarray,
    ba: bool,
    ib: tuple[str, ...],
    db: np.ndarray,
    bb: bool,
    keep: tuple[str, ...],
) -> np.ndarray:
    letters: dict[str, str] = {}
    for i in (*ia, *ib, *keep):
        if i not in letters:
            letters[i] = _LETTERS[len(letters) + 1]
    batch = "a"
    sa = (batch if ba else "") + "".join(letters[i] for i in ia)
    sb = (batch if bb else "") + "".join(letters[i] for i in ib)
    so = (batch if ba or bb else "") + "".join(letters[i] for i in keep)
    return np.einsum(f"{sa},{sb}->{so}", da, db, optimize=len(sa) + len(sb) > 6)
