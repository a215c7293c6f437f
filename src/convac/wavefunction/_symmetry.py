"""Symmetrised ansätze: ``psi_sym(sigma) = sum_g psi(g sigma)`` over lattice symmetries and/or the global spin flip.

A group element ``g`` maps a configuration to ``(g sigma)[i] = sigma[perm_g[i]] XOR flip_g``; the
lattice part is the translations, or the space group (translations with the point group's
rotations and reflections). Summing the network over the group (the trivial character) projects
onto the fully symmetric sector, where the ground states studied here live: the periodic TFIM
chain and square lattice (momentum 0, even under the spin flip and every rotation and reflection)
and the Marshall-rotated Heisenberg antiferromagnet on a 4x4 torus or an 8-site ring in the
``sum sz = 0`` sector (a translation by one site, or a reflection of an even lattice, swaps the
sublattices, which changes the Marshall sign by ``(-1)^(N/2 - 2 n_A)``, +1 there; the singlet is
even under the flip). For other states (momentum ``pi``, odd sectors) the trivial projection is
the wrong one.

Entanglement. The term ``psi(g sigma)`` is the same tree network with leaf ``i`` fed the spin
of site ``perm_g[i]``; across a partition ``(A, B)`` of the sites its Schmidt rank is at most the
network's min-cut for the leaf partition ``{i : perm_g[i] in A}``. A sum of ``G`` terms has
rank at most the sum of theirs, so :func:`symmetric_rank_bound` is
``sum_g min_cut(arch, g^-1(A))`` (at most ``G`` times the largest min-cut): symmetrising buys
entanglement as well as symmetry, which is why the tree's own min-cut no longer bounds it.

Examples
--------
>>> perms, flips = symmetry_group((4,), "translation_spin_flip")
>>> perms.tolist()[:2], flips.tolist()
([[0, 1, 2, 3], [1, 2, 3, 0]], [0, 0, 0, 0, 1, 1, 1, 1])
>>> import convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
>>> int(convac.min_cut(arch, convac.Partition.left_right((4,))).value)
2
>>> symmetric_rank_bound(arch, convac.Partition.left_right((4,)), perms)   # 4 translations x 2 flips, each <= 2 or 4
24
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from convac._validation import choice
from convac.mincut import min_cut
from convac.partitions import Partition
from convac.spec import Architecture

__all__ = [
    "SYMMETRIES",
    "Symmetry",
    "basis_images",
    "group_images",
    "needs_periodic",
    "symmetric_rank_bound",
    "symmetry_group",
]

Symmetry = Literal["none", "translation", "spin_flip", "translation_spin_flip", "space_group", "space_group_spin_flip"]
SYMMETRIES: tuple[str, ...] = (
    "none",
    "translation",
    "spin_flip",
    "translation_spin_flip",
    "space_group",
    "space_group_spin_flip",
)
"""The symmetrisations :class:`~convac.wavefunction.ConvACWaveFunction` accepts (``space_group``:
the translations and the lattice's point group, the reflection of a chain or the 8 rotations and
reflections of a square torus, 4 of a rectangular one)."""


def needs_periodic(symmetry: str) -> bool:
    """Whether ``symmetry`` contains lattice translations, which need periodic boundaries."""
    return symmetry.startswith(("translation", "space_group"))


def _translations(shape: Sequence[int]) -> np.ndarray:
    """Every lattice translation as a site permutation, (N, N): row ``t`` maps site ``i`` to ``perm[i]``."""
    height, width = (1, shape[0]) if len(shape) == 1 else (shape[0], shape[1])
    rows, cols = np.divmod(np.arange(height * width), width)
    perms = [((rows + dr) % height) * width + (cols + dc) % width for dr in range(height) for dc in range(width)]
    return np.stack(perms).astype(np.int64)


def _point_group(shape: Sequence[int]) -> np.ndarray:
    """Return the lattice's rotations and reflections about its centre as site permutations, identity first."""
    height, width = (1, shape[0]) if len(shape) == 1 else (shape[0], shape[1])
    rows, cols = np.divmod(np.arange(height * width), width)
    images = [(rows, cols), (height - 1 - rows, cols), (rows, width - 1 - cols), (height - 1 - rows, width - 1 - cols)]
    if height == width:  # a square also maps to itself under the transpose, hence the quarter turns
        images += [(c, r) for r, c in images]
    return np.stack([r * width + c for r, c in images]).astype(np.int64)


def _distinct(perms: np.ndarray) -> np.ndarray:
    """``perms`` without repeats, in first-seen order (a 2x2 torus's half turn is also a translation)."""
    return perms[np.sort(np.unique(perms, axis=0, return_index=True)[1])]


def symmetry_group(shape: Sequence[int], symmetry: str) -> tuple[np.ndarray, np.ndarray]:
    """``(perms, flips)``: the group's site permutations (G, N) and spin flips (G,) of 0/1.

    The identity comes first; with a spin flip, the elements without flip come before those with.

    Examples
    --------
    >>> perms, flips = symmetry_group((2, 2), "translation")
    >>> perms.tolist(), flips.tolist()
    ([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]], [0, 0, 0, 0])
    >>> symmetry_group((3,), "mirror")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    convac.errors.InputError: symmetry must be one of 'none', 'translation', ..., got 'mirror'
    """
    choice(symmetry, "symmetry", SYMMETRIES)
    n = math.prod(shape)
    perms = np.arange(n, dtype=np.int64)[None]
    if symmetry.startswith("translation"):
        perms = _translations(shape)
    elif symmetry.startswith("space_group"):  # translation t after point operation o: site i reads t[o[i]]
        perms = _distinct(np.stack([t[o] for o in _point_group(shape) for t in _translations(shape)]))
    flips = np.zeros(len(perms), dtype=np.int64)
    if symmetry.endswith("spin_flip"):
        perms = np.concatenate([perms, perms])
        flips = np.concatenate([flips, np.ones_like(flips)])
    return perms, flips


def group_images(sigma: torch.Tensor, perms: torch.Tensor, flips: torch.Tensor) -> torch.Tensor:
    """``g sigma`` for every configuration and group element: (B, N) bits -> (B, G, N).

    Examples
    --------
    >>> p, f = (torch.as_tensor(a) for a in symmetry_group((3,), "translation_spin_flip"))
    >>> group_images(torch.tensor([[1, 0, 0]]), p, f)[0, [1, 4]].tolist()
    [[0, 0, 1], [1, 1, 0]]
    """
    return sigma[:, perms] ^ flips[None, :, None]


def basis_images(perms: np.ndarray, flips: np.ndarray) -> torch.Tensor:
    """``index(g sigma)`` for every basis index (site 0 most significant), (G, 2^N) int64.

    Examples
    --------
    >>> basis_images(*symmetry_group((2,), "translation_spin_flip")).tolist()
    [[0, 1, 2, 3], [0, 2, 1, 3], [3, 2, 1, 0], [3, 1, 2, 0]]
    """
    n = perms.shape[1]
    index = np.arange(2**n, dtype=np.int64)
    bits = (index[:, None] >> (n - 1 - np.arange(n))) & 1
    weights = np.int64(1) << (n - 1 - np.arange(n, dtype=np.int64))
    images = np.stack([(bits[:, perm] ^ flip) @ weights for perm, flip in zip(perms, flips, strict=True)])
    return torch.as_tensor(images)


def symmetric_rank_bound(arch: Architecture, partition: Partition, perms: np.ndarray) -> int:
    """``sum_g min_cut(arch, g^-1(A))``: the Schmidt-rank bound of the symmetrised ansatz across ``partition``.

    The term of ``g`` feeds leaf ``i`` the spin of site ``perm_g[i]``, so its leaf partition is
    ``{i : perm_g[i] in A}`` (see the module docstring).
    """
    side_a = partition.mask[perms]
    total = 0
    for mask in side_a:
        leaves = Partition(arch.n_inputs, np.flatnonzero(mask).tolist(), grid=tuple(arch.grid))
        total += int(min_cut(arch, leaves).value)
    return total
