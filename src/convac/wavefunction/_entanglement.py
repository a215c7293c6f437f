"""The ansatz's entanglement next to the exact ground state's and the min-cut bound, per partition.

For every partition the report holds the ansatz's Schmidt values (its coefficient tensor,
via :func:`convac.entanglement`), the exact state's (:func:`state_entanglement`) and
:func:`convac.min_cut`, which bounds the ansatz's Schmidt rank. :func:`entanglement_figure`
draws the spectra (a matplotlib Figure on its own canvas, never pyplot).

Examples
--------
>>> import convac
>>> from convac.wavefunction import ConvACWaveFunction, ground_state, tfim
>>> arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 3, 2])
>>> _, state = ground_state(tfim((8,)))
>>> rows = entanglement_report(ConvACWaveFunction(arch, seed=0), standard_partitions((8,)), state)
>>> [(r.label, r.min_cut, r.ansatz_rank <= r.min_cut) for r in rows]
[('checkerboard', 16, True), ('blocks(2)', 4, True), ('left_right', 2, True)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from convac._figures import new_figure, save_figure
from convac._validation import instance
from convac.errors import InputError
from convac.mincut import min_cut
from convac.partitions import Partition
from convac.schmidt import entanglement
from convac.wavefunction._ansatz import ConvACWaveFunction
from convac.wavefunction._exact import state_entanglement
from convac.wavefunction._hamiltonian import sector_basis
from convac.wavefunction._symmetry import symmetric_rank_bound
from convac.wavefunction._tree import amplitude_vector

__all__ = ["PartitionEntanglement", "entanglement_figure", "entanglement_report", "standard_partitions"]


@dataclass(frozen=True)
class PartitionEntanglement:
    """One partition's row: ansatz vs exact entropy (nats), Schmidt ranks, and the min-cut bound.

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> (row,) = entanglement_report(psi, {"halves": convac.Partition.left_right((4,))})
    >>> row.label, row.min_cut, row.ansatz_rank <= 2
    ('halves', 2, True)
    """

    label: str
    partition: Partition = field(repr=False)
    min_cut: int
    ansatz_entropy: float
    ansatz_rank: int
    ansatz_values: np.ndarray = field(repr=False)
    exact_entropy: float | None = None
    exact_rank: int | None = None
    exact_values: np.ndarray | None = field(default=None, repr=False)
    rank_bound: int | None = None

    def __post_init__(self) -> None:
        if self.rank_bound is None:
            object.__setattr__(self, "rank_bound", self.min_cut)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly fields (spectra as lists, the first 64 values)."""
        out: dict[str, Any] = {
            "label": self.label,
            "min_cut": self.min_cut,
            "rank_bound": self.rank_bound,
            "ansatz_entropy": self.ansatz_entropy,
            "ansatz_rank": self.ansatz_rank,
            "ansatz_values": self.ansatz_values[:64].tolist(),
        }
        if self.exact_values is not None:
            out |= {
                "exact_entropy": self.exact_entropy,
                "exact_rank": self.exact_rank,
                "exact_values": self.exact_values[:64].tolist(),
            }
        return out


def standard_partitions(shape: Sequence[int]) -> dict[str, Partition]:
    """Checkerboard, blocks of 2, 4, ... and the halves of a chain or square lattice, by label.

    Examples
    --------
    >>> list(standard_partitions((16,))), list(standard_partitions((4, 4)))
    (['checkerboard', 'blocks(2)', 'blocks(4)', 'left_right'], ['checkerboard', 'blocks(2)', 'left_right', 'up_down'])
    """
    grid = tuple(int(s) for s in shape)
    out = {"checkerboard": Partition.checkerboard(grid)}
    side = min(grid)
    width = 2
    limit = side // 4 if len(grid) == 1 else side // 2
    while width <= limit and side % (2 * width) == 0:
        out[f"blocks({width})"] = Partition.blocks(grid, width)
        width *= 2
    out["left_right"] = Partition.left_right(grid)
    if len(grid) == 2:
        out["up_down"] = Partition.up_down(grid)
    return out


def entanglement_report(
    psi: ConvACWaveFunction,
    partitions: Mapping[str, Partition] | Sequence[Partition],
    state: Any = None,
    magnetization: int | None = None,
) -> list[PartitionEntanglement]:
    """One :class:`PartitionEntanglement` per partition (``state``: the exact ground state, optional).

    The ansatz's spectrum is that of its amplitude network's coefficient tensor (a phase network,
    if any, is left out: ``|psi|`` is what the min-cut bounds here). A symmetrised ansatz is
    decomposed from its dense amplitude vector, and its ``rank_bound`` is
    :func:`~convac.wavefunction._symmetry.symmetric_rank_bound` (the network's ``min_cut`` otherwise).
    With ``magnetization`` the ansatz is first projected onto that ``sum sz`` sector (what a run in
    the sector trains and measures); the projection is block diagonal in the magnetisation of side
    A, so the rank grows by at most the number of blocks, ``min(|A|, |B|) + 1``, which multiplies
    ``rank_bound``.

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction, ground_state, heisenberg
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> _, state = ground_state(heisenberg((4,)))
    >>> rows = entanglement_report(psi, standard_partitions((4,)), state)
    >>> [(r.label, r.min_cut, round(r.exact_entropy, 4)) for r in rows]   # checkerboard: ln 3
    [('checkerboard', 4, 1.0986), ('left_right', 2, 0.837)]
    """
    instance(psi, "psi", ConvACWaveFunction, "a ConvACWaveFunction")
    named = dict(partitions) if isinstance(partitions, Mapping) else {p.name: p for p in partitions}
    if not named:
        raise InputError("partitions is empty; give at least one convac.Partition")
    rows = []
    for label, part in named.items():
        instance(part, f"partition {label!r}", Partition, "a convac.Partition")
        ent, bound = _ansatz_entanglement(psi, part, magnetization)
        row: dict[str, Any] = {
            "label": label,
            "partition": part,
            "min_cut": int(min_cut(psi.arch, part).value),
            "rank_bound": bound,
            "ansatz_entropy": ent.entropy,
            "ansatz_rank": ent.schmidt_rank,
            "ansatz_values": ent.schmidt_values,
        }
        if state is not None:
            exact = state_entanglement(state, part)
            row |= {
                "exact_entropy": exact.entropy,
                "exact_rank": exact.schmidt_rank,
                "exact_values": exact.schmidt_values,
            }
        rows.append(PartitionEntanglement(**row))
    return rows


def _ansatz_entanglement(psi: ConvACWaveFunction, part: Partition, magnetization: int | None) -> tuple[Any, int | None]:
    """Return the ansatz's Schmidt decomposition across ``part`` and its rank bound (None: the tree's min-cut)."""
    if psi.symmetry == "none" and magnetization is None:
        return entanglement(psi.amplitude, part), None
    bound = int(min_cut(psi.arch, part).value)
    if psi.symmetry != "none":
        bound = symmetric_rank_bound(psi.arch, part, psi.group_perms.numpy())
    with torch.no_grad():
        vector = amplitude_vector(psi).numpy().copy()
    if magnetization is not None:
        inside = np.zeros(vector.size, dtype=bool)
        inside[sector_basis(psi.n_sites, magnetization)] = True
        vector[~inside] = 0.0
        bound *= min(int(part.mask.sum()), int((~part.mask).sum())) + 1
    return state_entanglement(vector, part), bound


def entanglement_figure(rows: Sequence[PartitionEntanglement], path: Any = None, title: str = "") -> Any:
    """Schmidt spectra (log scale) per partition: ansatz, exact state, and the min-cut as a vertical line.

    Returns the Figure; with ``path`` it is also written there (``.png``, ``.pdf`` or ``.svg``).

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> len(entanglement_figure(entanglement_report(psi, standard_partitions((4,)))).axes)
    2
    """
    if not rows:
        raise InputError("no rows to draw; pass the output of entanglement_report")
    fig = new_figure(figsize=(3.2 * len(rows), 3.0), layout="constrained")
    axes = fig.subplots(1, len(rows), squeeze=False)[0]
    for ax, row in zip(axes, rows, strict=True):
        keep = row.ansatz_values[row.ansatz_values > 1e-16]
        ax.semilogy(np.arange(1, keep.size + 1), keep**2, "o-", ms=3, label=f"ConvAC S={row.ansatz_entropy:.3f}")
        if row.exact_values is not None:
            exact = row.exact_values[row.exact_values > 1e-16]
            ax.semilogy(np.arange(1, exact.size + 1), exact**2, "k.--", ms=3, label=f"exact S={row.exact_entropy:.3f}")
        bound_label = f"min-cut {row.min_cut}" if row.rank_bound == row.min_cut else f"rank bound {row.rank_bound}"
        ax.axvline(row.rank_bound, color="tab:red", lw=1, label=bound_label)
        ax.set_title(row.label)
        ax.set_xlabel("Schmidt index")
        ax.set_xscale("log")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("λ²")
    if title:
        fig.suptitle(title)
    if path is not None:
        save_figure(fig, path, dpi=120)
    return fig
