"""A ConvAC as a tensor network of weight matrices and δ (copy) tensors (docs/theory.md §3).

Every 1x1 conv at layer ``l`` and position ``p`` is a matrix ``W{l}_{p}`` with legs
(in, out); every pooling window is a δ tensor ``delta{l}_{k}`` with one leg per pooled
child and one leg up; the output layer is the matrix ``out``. Bond dimensions are the
channel numbers, and the inputs sit on the open legs ``x0 .. x{N-1}`` (dimension M).
A shallow ConvAC is the one-window case: a single δ with N + 1 legs.

Index names: ``x{p}`` input leg of position p; ``c{l}_{p}`` the output leg of ``W{l}_{p}``
(a δ leg); ``u{l}_{k}`` the up leg of ``delta{l}_{k}`` (the input of ``W{l+1}_{k}``, or of
``out`` at the top); ``y`` the output leg.

Contraction never builds a δ densely: all legs of one δ are the same *hyperindex*, so
the network is handed to the path optimiser (cotengra, which also accepts opt_einsum
optimisers) as an einsum with hyperedges. The pairwise contractions are run here with
a power-of-two rescaling of every intermediate and an integer exponent tracked per
sample, so scores of networks with thousands of inputs neither overflow nor underflow.

Examples
--------
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 2])
>>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
>>> len(tn.tensors), tn.bonds["u0_1"].dim
(10, 3)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from convac._validation import instance, output_index
from convac.errors import InputError, InternalError, MissingDependencyError, TooLargeError
from convac.spec import Architecture
from convac.tensornet._coefficient import DEFAULT_MAX_BYTES, check_dense_size
from convac.tensornet._contraction import _as_features, _find_path, _run_path, _ssa_to_linear, check_optimize

if TYPE_CHECKING:
    from convac.models.base import ConvACBase

__all__ = ["Bond", "ConvACTensorNetwork", "TNTensor", "contract", "to_tensor_network"]

# A quimb COPY tensor is dense; δ tensors larger than this are exported as a chain of
# 3-leg COPY tensors, which is the same tensor.
QUIMB_COPY_MAX_ENTRIES = 1 << 16


@dataclass(frozen=True)
class TNTensor:
    """One node of the network.

    ``kind`` is ``"weight"`` (a conv matrix, legs (in, out)), ``"delta"`` (a copy
    tensor: legs of the pooled children, then the up leg) or ``"output"`` (the output
    matrix, legs (in, y)). ``data`` is None for δ tensors, which are never stored;
    :meth:`to_dense` builds one when it is small enough.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 2])
    >>> w = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0)).tensor("W0_0")
    >>> w.kind, w.inds, w.shape, w.layer, w.position
    ('weight', ('x0', 'c0_0'), (2, 3), 0, 0)
    """

    name: str
    kind: str
    inds: tuple[str, ...]
    shape: tuple[int, ...]
    layer: int
    position: int
    data: np.ndarray | None = None

    def to_dense(self, max_entries: int = 1 << 24) -> np.ndarray:
        """Return the tensor as a float64 array (δ tensors are materialised here)."""
        if self.data is not None:
            return self.data
        size = math.prod(self.shape)
        if size > max_entries:
            raise TooLargeError(
                f"δ tensor {self.name} has {size:.3e} entries, over the limit of {max_entries}; "
                "contract the network instead of densifying it"
            )
        d = self.shape[0]
        out = np.zeros(self.shape)
        out[(np.arange(d),) * len(self.shape)] = 1.0
        return out


@dataclass(frozen=True)
class Bond:
    """An index of the network: dimension, kind (``input``/``bond``/``output``), the tensors it joins.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 2])
    >>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
    >>> tn.bonds["x0"]
    Bond(name='x0', dim=2, kind='input', tensors=('W0_0',))
    """

    name: str
    dim: int
    kind: str
    tensors: tuple[str, ...]


class ConvACTensorNetwork:
    """The tensor network of a ConvAC (build it with :func:`to_tensor_network`).

    Attributes: ``arch``, ``tensors`` (tuple of :class:`TNTensor`, bottom-up),
    ``bonds`` (dict index name -> :class:`Bond`), ``input_inds`` (``x0 .. x{N-1}``),
    ``output_ind`` (``"y"``).

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[3, 2])
    >>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
    >>> tn
    ConvACTensorNetwork(deep 1D, 4 inputs, 7 matrices, 3 δ tensors, 14 indices)
    >>> tn.tensor("delta1_0").inds, tn.contract().shape
    (('c1_0', 'c1_1', 'u1_0'), (2, 2, 2, 2))
    """

    def __init__(self, arch: Architecture, weights: Sequence[np.ndarray]) -> None:
        if len(weights) != arch.depth + 1:
            raise InputError(f"need {arch.depth + 1} weight arrays (hidden layers and output), got {len(weights)}")
        self.arch = arch
        self.weights: tuple[np.ndarray, ...] = tuple(np.asarray(w, dtype=np.float64) for w in weights)
        specs = arch.layers()
        for layer, w in enumerate(self.weights):
            spec = specs[layer]
            expected = (1 if layer == arch.depth else spec.positions, spec.in_channels, spec.out_channels)
            if w.shape != expected:
                raise InputError(f"weights of layer {layer} must have shape {expected}, got {w.shape}")
        self.output_ind = "y"

    # The named tensors and bonds are built on first use: the Schmidt and min-cut paths work on
    # ``weights`` alone, and building one object per node cost 0.8 ms at N = 8 and 0.17 s at N = 4096.
    @functools.cached_property
    def input_inds(self) -> tuple[str, ...]:
        """The open input legs ``x0 .. x{N-1}``."""
        return tuple(f"x{p}" for p in range(self.arch.n_inputs))

    @functools.cached_property
    def tensors(self) -> tuple[TNTensor, ...]:
        """Every tensor of the network, bottom-up (weights and δ tensors of each layer, then the output)."""
        arch = self.arch
        tensors: list[TNTensor] = []
        for layer in range(arch.depth):
            w = self.weights[layer]
            for p in range(w.shape[0]):
                below = f"x{p}" if layer == 0 else f"u{layer - 1}_{p}"
                tensors.append(
                    TNTensor(f"W{layer}_{p}", "weight", (below, f"c{layer}_{p}"), w[p].shape, layer, p, w[p])
                )
            r = arch.channels[layer]
            for k, window in enumerate(arch.pool_windows(layer)):
                inds = (*(f"c{layer}_{q}" for q in window), f"u{layer}_{k}")
                tensors.append(TNTensor(f"delta{layer}_{k}", "delta", inds, (r,) * len(inds), layer, k))
        top = f"u{arch.depth - 1}_0"
        out = self.weights[arch.depth][0]
        tensors.append(TNTensor("out", "output", (top, "y"), out.shape, arch.depth, 0, out))
        return tuple(tensors)

    @functools.cached_property
    def tensor_map(self) -> dict[str, TNTensor]:
        """Tensor name -> :class:`TNTensor`."""
        return {t.name: t for t in self.tensors}

    @functools.cached_property
    def bonds(self) -> dict[str, Bond]:
        """Index name -> :class:`Bond`."""
        ends: dict[str, list[str]] = {}
        dims: dict[str, int] = {}
        for t in self.tensors:
            for ind, d in zip(t.inds, t.shape, strict=False):
                ends.setdefault(ind, []).append(t.name)
                dims[ind] = d
        bonds: dict[str, Bond] = {}
        for ind, names in ends.items():
            kind = "input" if ind.startswith("x") else "output" if ind == "y" else "bond"
            bonds[ind] = Bond(ind, dims[ind], kind, tuple(names))
        return bonds

    # ------------------------------------------------------------------ views
    @property
    def n_inputs(self) -> int:
        """Number of open input legs N."""
        return self.arch.n_inputs

    def tensor(self, name: str) -> TNTensor:
        """Return the tensor called ``name`` (e.g. ``"W0_3"``, ``"delta1_0"``, ``"out"``)."""
        if name in self.tensor_map:
            return self.tensor_map[name]
        raise KeyError(f"no tensor named {name!r} in this network")

    def __repr__(self) -> str:
        n_delta = sum(t.kind == "delta" for t in self.tensors)
        return (
            f"ConvACTensorNetwork({self.arch.kind} {self.arch.ndim}D, {self.n_inputs} inputs, "
            f"{len(self.tensors) - n_delta} matrices, {n_delta} δ tensors, {len(self.bonds)} indices)"
        )

    # ------------------------------------------------------------------ contraction
    def _hyper(self) -> dict[str, str]:
        """Map every δ leg to the δ's single hyperindex (its up leg)."""
        rename = {}
        for t in self.tensors:
            if t.kind == "delta":
                for ind in t.inds[:-1]:
                    rename[ind] = t.inds[-1]
        return rename

    def contract(
        self,
        features: Any = None,
        output: int | None = 0,
        optimize: Any = "auto",
        return_exponent: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Any:
        """Contract the network.

        Without ``features``: the dense coefficient tensor ``A^output`` of shape ``(M,)*N``
        (axes = positions; with ``output=None`` a last axis runs over all outputs). With
        ``features`` of shape (batch, N, M) attached to the input legs: the scores, shape
        (batch,) for one output or (batch, n_outputs) for ``output=None``.

        ``optimize`` is anything ``cotengra.array_contract_path`` accepts: a preset
        (``"greedy"``, ``"optimal"``, ``"auto-hq"``...), a cotengra or opt_einsum optimiser,
        or an explicit path; ``"tree"`` is the bottom-up order of the tree itself, and
        ``"auto"`` (default) uses cotengra's ``"greedy"`` up to 2048 operands and ``"tree"``
        beyond, where greedy path finding alone takes seconds. With ``return_exponent=True`` the result is
        ``(mantissa, exponent)`` with ``value = mantissa * 2**exponent`` (exponent an int
        array over the batch, or an int for the coefficient tensor); otherwise the value
        itself, which can overflow to inf / underflow to 0 at very large N.

        Examples
        --------
        >>> import torch, convac
        >>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 3, 2])
        >>> model = convac.DeepConvAC(arch, seed=1, weights="signed").double()
        >>> tn = convac.to_tensor_network(model)
        >>> bool(np.allclose(tn.contract(), convac.coefficient_tensor(model)))
        True
        >>> f = torch.rand(3, 8, 2, dtype=torch.float64)
        >>> bool(np.allclose(tn.contract(f), model.circuit(f)[:, 0].detach().numpy()))
        True
        """
        arch = self.arch
        output_index(output, arch.n_outputs, allow_none=True)
        optimize = check_optimize(optimize)
        rename = self._hyper()
        inputs, arrays, batched, out_inds = self._operands(rename, features, output, max_bytes)
        path = self._path(rename, inputs, out_inds, optimize, features is not None)
        mantissa, exponent = _run_path(inputs, arrays, batched, path, out_inds, features is not None)
        if return_exponent:
            return mantissa, exponent
        if features is None:
            return np.ldexp(mantissa, int(exponent))
        shift = exponent.reshape((-1,) + (1,) * (mantissa.ndim - 1))
        return np.ldexp(mantissa, shift)

    def _operands(
        self, rename: dict[str, str], features: Any, output: int | None, max_bytes: int
    ) -> tuple[list[tuple[str, ...]], list[np.ndarray], list[bool], tuple[str, ...]]:
        """Return the operands of :meth:`contract`: index tuples, arrays, batched flags, output indices.

        Every δ is one hyperindex here (``rename`` from :meth:`_hyper`), never a dense tensor. Order:
        the matrices of every layer, the output (one column of it unless ``output`` is None),
        then with ``features`` one feature vector per input, batched over the samples.
        """
        arch = self.arch
        inputs: list[tuple[str, ...]] = []
        arrays: list[np.ndarray] = []
        batched: list[bool] = []
        for t in self.tensors:
            if t.kind == "delta":
                continue
            data = _data(t)
            inds = tuple(rename.get(i, i) for i in t.inds)
            if t.kind == "output" and output is not None:
                inds, data = inds[:1], data[:, output]
            inputs.append(inds)
            arrays.append(data)
            batched.append(False)
        out_inds: tuple[str, ...]
        if features is None:
            check_dense_size(arch.n_features, arch.n_inputs, max_bytes)
            out_inds = self.input_inds
        else:
            feats = _as_features(features, arch)
            for p in range(arch.n_inputs):
                inputs.append((f"x{p}",))
                arrays.append(feats[:, p, :])
                batched.append(True)
            out_inds = ()
        if output is None:
            out_inds = (*out_inds, "y")
        return inputs, arrays, batched, out_inds

    def _path(
        self,
        rename: dict[str, str],
        inputs: list[tuple[str, ...]],
        out_inds: tuple[str, ...],
        optimize: Any,
        with_features: bool,
    ) -> list[tuple[int, ...]]:
        """Return the linear contraction path that ``optimize`` asks for (see :meth:`contract`)."""
        size_dict = {ind: b.dim for ind, b in self.bonds.items()}
        size_dict.update({rename[i]: size_dict[i] for i in rename})
        if optimize == "auto":
            optimize = "greedy" if len(inputs) <= 2048 else "tree"
        if optimize == "tree":
            return self._tree_path(with_features)
        return _find_path(inputs, out_inds, size_dict, optimize)

    def _tree_path(self, with_features: bool) -> list[tuple[int, ...]]:
        """Return the bottom-up contraction order of the tree, as a linear (opt_einsum style) path.

        Operands are ordered as in :meth:`contract`: the matrices of every layer, the
        output, then (with features) one feature vector per input.
        """
        arch = self.arch
        first, ids = [], 0
        for layer in range(arch.depth):
            first.append(ids)
            ids += arch.positions(layer)
        out_id = ids
        n_operands = out_id + 1 + (arch.n_inputs if with_features else 0)
        ids = n_operands  # ids of intermediates follow the operands (SSA numbering)
        ssa: list[tuple[int, int]] = []

        def join(a: int, b: int) -> int:
            nonlocal ids
            ssa.append((a, b))
            ids += 1
            return ids - 1

        current = [first[0] + p for p in range(arch.positions(0))]
        if with_features:
            feature0 = out_id + 1
            current = [join(feature0 + p, w) for p, w in enumerate(current)]
        for layer in range(arch.depth):
            parents = []
            for k, window in enumerate(arch.pool_windows(layer)):
                acc = current[window[0]]
                for q in window[1:]:
                    acc = join(acc, current[q])
                parent = out_id if layer == arch.depth - 1 else first[layer + 1] + k
                parents.append(join(acc, parent))
            current = parents
        return _ssa_to_linear(ssa, n_operands)

    # ------------------------------------------------------------------ export
    def to_quimb(self, output: int | None = None) -> Any:
        """Export to a ``quimb.tensor.TensorNetwork`` with quimb COPY tensors for the δ tensors.

        Tags: ``"W"``, ``"DELTA"``, ``"OUT"``, ``"L{layer}"`` and the tensor's name. The
        input legs keep their names ``x0 .. x{N-1}``; with ``output=None`` the open leg
        ``y`` runs over the outputs, otherwise the output matrix is sliced to one column.
        δ tensors with more than 2**16 entries become a chain of 3-leg COPY tensors
        (tagged with the δ's name), which is the same tensor.

        Examples
        --------
        >>> import convac
        >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
        >>> model = convac.DeepConvAC(arch, seed=0)
        >>> qtn = convac.to_tensor_network(model).to_quimb(output=0)
        >>> A = qtn.to_dense(["x0", "x1"], ["x2", "x3"]).reshape(2, 2, 2, 2)
        >>> bool(np.allclose(A, convac.coefficient_tensor(model)))
        True
        """
        try:
            import quimb.tensor as qtn
        except ImportError:
            raise MissingDependencyError(
                "to_quimb needs quimb, an optional dependency: pip install 'convac[tn]' (or quimb)"
            ) from None

        tensors = []
        for t in self.tensors:
            tags = {t.name, f"L{t.layer}"}
            if t.kind == "delta":
                d, legs = t.shape[0], list(t.inds)
                if d ** len(legs) <= QUIMB_COPY_MAX_ENTRIES or len(legs) <= 3:
                    tensors.append(qtn.COPY_tensor(d, legs, tags=tags | {"DELTA"}))
                    continue
                # δ(a, b, c, ...) = sum_e δ(a, b, e) δ(e, c, ...): a chain of 3-leg copies.
                left = legs[0]
                for i, leg in enumerate(legs[1:-2]):
                    link = f"{t.name}_link{i}"
                    tensors.append(qtn.COPY_tensor(d, [left, leg, link], tags=tags | {"DELTA"}))
                    left = link
                tensors.append(qtn.COPY_tensor(d, [left, legs[-2], legs[-1]], tags=tags | {"DELTA"}))
            elif t.kind == "output":
                if output is None:
                    tensors.append(qtn.Tensor(_data(t).copy(), inds=t.inds, tags=tags | {"OUT"}))
                else:
                    tensors.append(qtn.Tensor(_data(t)[:, output].copy(), inds=t.inds[:1], tags=tags | {"OUT"}))
            else:
                tensors.append(qtn.Tensor(_data(t).copy(), inds=t.inds, tags=tags | {"W"}))
        return qtn.TensorNetwork(tensors)

    def draw(self, path: Any, labels: bool | None = None, figsize: tuple[float, float] | None = None) -> None:
        """Write a PNG of the network laid out as the tree it is.

        Inputs at the bottom (in tree order), the output at the top; weight matrices are
        blue squares, δ tensors black dots, the output a red triangle. Bond dimensions
        are written on the edges when ``labels`` is True (default: for networks of at
        most 64 inputs).

        Examples
        --------
        >>> import convac, tempfile, os
        >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
        >>> tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
        >>> with tempfile.TemporaryDirectory() as d:
        ...     tn.draw(os.path.join(d, "tn.png"))
        ...     os.path.getsize(os.path.join(d, "tn.png")) > 1000
        True
        """
        from convac.tensornet._drawing import draw_network

        draw_network(self, path, labels=labels, figsize=figsize)


# ---------------------------------------------------------------------- construction
def to_tensor_network(model: ConvACBase) -> ConvACTensorNetwork:
    """Return the tensor network of ``model``'s weights (float64 copies), see :class:`ConvACTensorNetwork`.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.shallow(n_inputs=5, n_features=2, hidden=3)
    >>> tn = convac.to_tensor_network(convac.ShallowConvAC(arch, seed=0))
    >>> tn.tensor("delta0_0").shape
    (3, 3, 3, 3, 3, 3)
    """
    import torch

    from convac.models.base import ConvACBase

    instance(model, "model", ConvACBase, "a DeepConvAC or ShallowConvAC")
    with torch.no_grad():
        weights = [
            model.weight_matrices(layer).detach().to("cpu", dtype=torch.float64).numpy().copy()
            for layer in range(model.arch.depth + 1)
        ]
    return ConvACTensorNetwork(model.arch, weights)


def contract(tn: ConvACTensorNetwork, features: Any = None, output: int | None = 0, **options: Any) -> Any:
    """Contract ``tn``; the same as :meth:`ConvACTensorNetwork.contract`.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
    >>> model = convac.DeepConvAC(arch, seed=0)
    >>> convac.contract(convac.to_tensor_network(model)).shape
    (2, 2, 2, 2)
    """
    instance(tn, "tn", ConvACTensorNetwork, "a ConvACTensorNetwork (see convac.to_tensor_network)")
    return tn.contract(features, output=output, **options)


def _data(t: TNTensor) -> np.ndarray:
    # Only delta tensors are stored without data (they are hyperindices, never dense).
    if t.data is None:
        raise InternalError(f"tensor {t.name} of kind {t.kind!r} has no data")
    return t.data
