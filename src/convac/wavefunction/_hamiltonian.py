"""Spin-1/2 Hamiltonians in the z basis: TFIM, Heisenberg (optionally Marshall-rotated), J1-J2.

Every model here is a sum of three kinds of terms with Pauli matrices,

    H = sum_(i,j) Jz_ij sz_i sz_j  +  sum_(i,j) Jxy_ij (sx_i sx_j + sy_i sy_j)  +  sum_i g_i sx_i,

held as bond lists with couplings in a :class:`Hamiltonian`. A configuration ``sigma`` is a row
of N bits, bit ``1`` meaning spin down (``sz = 1 - 2 * bit``); its basis index reads the bits
as a binary number with site 0 most significant, which is the row-major order of a ConvAC's
coefficient tensor on one-hot spins. ``sx sx + sy sy`` flips an antiparallel pair with matrix
element ``2 Jxy``; ``sx`` flips one spin with element ``g``.

The Marshall rotation (``heisenberg(..., marshall=True)``) conjugates H by ``prod_B sz``
over one sublattice: the spectrum is unchanged and every bipartite exchange element becomes
``-2 Jxy``, so the antiferromagnet's ground state is positive and a positive ansatz can fit it.

Examples
--------
>>> H = tfim((4,), field=1.0)
>>> H.n_sites, H.zz_bonds.shape, H.field.tolist()
(4, (4, 2), [-1.0, -1.0, -1.0, -1.0])
>>> import numpy as np
>>> round(float(np.linalg.eigvalsh(H.to_sparse().toarray())[0]), 6)   # -sum_k eps_k, see tests
-5.226252
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from convac._validation import instance, integer, real, size_limit
from convac.errors import InputError, TooLargeError
from convac.wavefunction._lattice import check_shape, diagonal_bonds, is_bipartite, nearest_bonds, sublattice

__all__ = ["MAX_SPARSE_SITES", "Hamiltonian", "heisenberg", "j1j2", "sector_basis", "tfim"]

#: Most spins for a sparse matrix or an exact ground state: 2^20 states, ~40 nonzeros each.
MAX_SPARSE_SITES = 20


def _as_bonds(bonds: Any) -> np.ndarray:
    return np.asarray(bonds, dtype=np.int64).reshape(-1, 2)


@dataclass(frozen=True, eq=False)
class Hamiltonian:
    """A spin-1/2 Hamiltonian on a chain or square lattice (see the module docstring).

    Build one with :func:`tfim`, :func:`heisenberg` or :func:`j1j2`. ``zz_bonds`` / ``zz``:
    pairs and couplings of ``sz sz``; ``xy_bonds`` / ``xy``: pairs and couplings of
    ``sx sx + sy sy``; ``field``: coefficient of ``sx`` per site.

    Examples
    --------
    >>> H = heisenberg((2, 2), pbc=False)
    >>> H.zz.tolist(), H.conserves_magnetization
    ([1.0, 1.0, 1.0, 1.0], True)
    """

    name: str
    shape: tuple[int, ...]
    pbc: bool
    zz_bonds: np.ndarray
    zz: np.ndarray
    xy_bonds: np.ndarray
    xy: np.ndarray
    field: np.ndarray
    description: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def n_sites(self) -> int:
        """Number of spins N."""
        return math.prod(self.shape)

    @property
    def conserves_magnetization(self) -> bool:
        """True when no term flips a single spin, so ``sum sz`` is conserved."""
        return not bool(np.any(self.field != 0))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.description.items())
        return f"{self.name}({self.shape}, pbc={self.pbc}{', ' if args else ''}{args})"

    # ------------------------------------------------------------------ matrices
    def to_sparse(self, magnetization: int | None = None) -> sp.csr_matrix:
        """Return the matrix as scipy CSR (float64), in the full 2^N basis or one ``sum sz`` sector.

        With ``magnetization`` the rows and columns are the configurations of
        :func:`sector_basis`, in increasing basis index. Refuses N above
        :data:`MAX_SPARSE_SITES` with a :class:`~convac.errors.TooLargeError`.

        Examples
        --------
        >>> heisenberg((4,)).to_sparse(magnetization=0).shape
        (6, 6)
        """
        states = self.basis(magnetization)
        rows, cols, vals = self._elements(states)
        if magnetization is not None:
            cols = np.searchsorted(states, cols)
        dim = states.size
        return sp.csr_matrix((vals, (rows, cols)), shape=(dim, dim))

    def basis(self, magnetization: int | None = None) -> np.ndarray:
        """Basis indices of the full space (``arange(2**N)``) or of one sector, after the size check."""
        n = self.n_sites
        if n > MAX_SPARSE_SITES:
            raise TooLargeError(
                f"an exact basis of {n} spins has 2^{n} states, over the limit of 2^{MAX_SPARSE_SITES}; "
                "use sampling (optimize(..., full_sum=False)) for larger lattices"
            )
        if magnetization is None:
            return np.arange(2**n, dtype=np.int64)
        if not self.conserves_magnetization:
            raise InputError(f"{self!r} has a transverse field, so sum sz is not conserved; use magnetization=None")
        return sector_basis(n, magnetization)

    def _elements(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """COO triplets (row index into ``states``, column basis index, value) of H on ``states``."""
        n = self.n_sites
        rows_idx = np.arange(states.size, dtype=np.int64)
        bits = (states[:, None] >> (n - 1 - np.arange(n))) & 1
        spins = 1 - 2 * bits
        diag = np.zeros(states.size)
        for (a, b), j in zip(self.zz_bonds, self.zz, strict=True):
            diag += j * spins[:, a] * spins[:, b]
        rows, cols, vals = [rows_idx], [states], [diag]
        for (a, b), j in zip(self.xy_bonds, self.xy, strict=True):
            flip = bits[:, a] != bits[:, b]
            rows.append(rows_idx[flip])
            cols.append(states[flip] ^ ((1 << (n - 1 - a)) | (1 << (n - 1 - b))))
            vals.append(np.full(int(flip.sum()), 2.0 * j))
        for site in np.flatnonzero(self.field):
            rows.append(rows_idx)
            cols.append(states ^ (1 << (n - 1 - site)))
            vals.append(np.full(states.size, float(self.field[site])))
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)

    # ------------------------------------------------------------------ sampling side
    @property
    def n_connected(self) -> int:
        """K, the number of configurations :meth:`connected` returns per input (the diagonal first)."""
        return 1 + len(self.xy_bonds) + int(np.count_nonzero(self.field))

    def diagonal(self, sigma: torch.Tensor) -> torch.Tensor:
        """``<sigma|H|sigma>`` for a batch of configurations (B, N) of bits: shape (B,), float64."""
        spins = 1.0 - 2.0 * sigma.to(torch.float64)
        bonds = torch.as_tensor(self.zz_bonds)
        return (spins[:, bonds[:, 0]] * spins[:, bonds[:, 1]]) @ torch.as_tensor(self.zz, dtype=torch.float64)

    def connected(self, sigma: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the configurations ``sigma'`` with ``<sigma|H|sigma'>`` possibly nonzero, and those elements.

        ``sigma``: (B, N) bits (torch or numpy). Returns ``(sigma_prime, elements)`` of shapes
        (B, K, N) and (B, K) with ``K = n_connected``: the diagonal element first, then one
        exchange per xy bond (element 0 where the pair is parallel, so nothing is flipped
        there), then one flip per field site. Vectorised: no loop over the batch.

        Examples
        --------
        >>> import torch
        >>> H = heisenberg((4,), pbc=False)
        >>> s, e = H.connected(torch.tensor([[0, 1, 1, 0]]))
        >>> s.shape, e.tolist()
        (torch.Size([1, 4, 4]), [[-1.0, 2.0, 0.0, 2.0]])
        """
        sigma = self.check_configurations(sigma)
        b = sigma.shape[0]
        out = sigma.unsqueeze(1).repeat(1, self.n_connected, 1)
        parts = [self.diagonal(sigma).unsqueeze(1)]
        k = 1
        if len(self.xy_bonds):
            bonds = torch.as_tensor(self.xy_bonds)
            a, c = bonds[:, 0], bonds[:, 1]
            anti = sigma[:, a] != sigma[:, c]  # (B, n_xy)
            idx = torch.arange(len(bonds))
            rows = out[:, k : k + len(bonds)]
            rows[:, idx, a] = torch.where(anti, 1 - sigma[:, a], sigma[:, a])
            rows[:, idx, c] = torch.where(anti, 1 - sigma[:, c], sigma[:, c])
            parts.append(anti.to(torch.float64) * (2.0 * torch.as_tensor(self.xy, dtype=torch.float64)))
            k += len(bonds)
        sites = torch.as_tensor(np.flatnonzero(self.field))
        if len(sites):
            idx = torch.arange(len(sites))
            out[:, k + idx, sites] = 1 - sigma[:, sites]
            parts.append(torch.as_tensor(self.field[sites.numpy()], dtype=torch.float64).expand(b, -1))
        return out, torch.cat(parts, dim=1)

    def check_configurations(self, sigma: Any) -> torch.Tensor:
        """``sigma`` as an int64 tensor (B, N) of bits, or a convac error saying what is wrong."""
        if isinstance(sigma, np.ndarray):
            sigma = torch.from_numpy(sigma)
        instance(sigma, "sigma", torch.Tensor, "a (batch, N) tensor or array of 0/1 spins")
        if sigma.dim() != 2 or sigma.shape[1] != self.n_sites:
            raise InputError(f"sigma must have shape (batch, N={self.n_sites}), got {tuple(sigma.shape)}")
        if (sigma.is_floating_point() or sigma.is_complex()) and not bool(((sigma == 0) | (sigma == 1)).all()):
            raise InputError("sigma must hold 0 (spin up) or 1 (spin down) only")
        sigma = sigma.to(torch.int64)
        if sigma.numel() and not bool(((sigma == 0) | (sigma == 1)).all()):
            raise InputError("sigma must hold 0 (spin up) or 1 (spin down) only")
        return sigma


def sector_basis(n_sites: int, magnetization: int) -> np.ndarray:
    """Basis indices (increasing) of the configurations with ``sum sz == magnetization``.

    Examples
    --------
    >>> sector_basis(4, 2).tolist()            # one spin down
    [1, 2, 4, 8]
    """
    m = integer(magnetization, "magnetization", minimum=-n_sites, maximum=n_sites)
    if (n_sites - m) % 2:
        raise InputError(f"magnetization must have the parity of N={n_sites} (sum of N values +-1), got {m}")
    size_limit("the basis", 8.0 * 2**n_sites, 8.0 * 2**MAX_SPARSE_SITES, hint="; use sampling for larger lattices")
    states = np.arange(2**n_sites, dtype=np.int64)
    down = np.zeros(states.size, dtype=np.int64)
    for bit in range(n_sites):
        down += (states >> bit) & 1
    return states[down == (n_sites - m) // 2]


def _build(
    name: str,
    shape: Any,
    pbc: Any,
    zz: tuple[Any, Any],
    xy: tuple[Any, Any],
    field: float,
    description: dict[str, Any],
) -> Hamiltonian:
    shape = check_shape(shape)
    n = math.prod(shape)
    zz_bonds, xy_bonds = _as_bonds(zz[0]), _as_bonds(xy[0])
    return Hamiltonian(
        name=name,
        shape=shape,
        pbc=bool(pbc),
        zz_bonds=zz_bonds,
        zz=np.broadcast_to(np.asarray(zz[1], dtype=np.float64), (len(zz_bonds),)).copy(),
        xy_bonds=xy_bonds,
        xy=np.broadcast_to(np.asarray(xy[1], dtype=np.float64), (len(xy_bonds),)).copy(),
        field=np.full(n, float(field)),
        description=description,
    )


def finite_real(value: Any, name: str) -> float:
    """``value`` as a finite float, or a convac error naming ``name``."""
    value = real(value, name, allow_inf=True) if not isinstance(value, float) or not math.isnan(value) else value
    if not math.isfinite(value):
        raise InputError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def _check_pbc(pbc: Any) -> bool:
    if not isinstance(pbc, (bool, np.bool_)):
        instance(pbc, "pbc", bool, "True (periodic) or False (open)")
    return bool(pbc)


def tfim(shape: Any, field: float = 1.0, pbc: bool = True) -> Hamiltonian:
    """Transverse-field Ising model ``H = -sum_<ij> sz_i sz_j - field * sum_i sx_i`` (J = 1).

    Examples
    --------
    >>> tfim((3, 3), field=3.0)
    tfim((3, 3), pbc=True, field=3.0)
    >>> tfim((4,), field=float("nan"))
    Traceback (most recent call last):
        ...
    convac.errors.InputError: field must be a finite real number, got nan
    """
    shape = check_shape(shape)
    pbc = _check_pbc(pbc)
    h = finite_real(field, "field")
    bonds = nearest_bonds(shape, pbc)
    return _build("tfim", shape, pbc, (bonds, -1.0), ((), 0.0), -h, {"field": h})


def heisenberg(shape: Any, pbc: bool = True, marshall: bool = False) -> Hamiltonian:
    """Antiferromagnetic Heisenberg model ``H = sum_<ij> (sx sx + sy sy + sz sz)`` (Pauli, J = 1).

    ``marshall=True`` applies the Marshall sign rotation (see the module docstring); it needs
    a bipartite lattice (every periodic side even).

    Examples
    --------
    >>> heisenberg((3,), marshall=True)
    Traceback (most recent call last):
        ...
    convac.errors.InputError: the Marshall sign rule needs a bipartite lattice, and (3,) with pbc=True is not; ...
    """
    shape = check_shape(shape)
    pbc = _check_pbc(pbc)
    bonds = nearest_bonds(shape, pbc)
    sign = _marshall_sign(shape, pbc, bonds) if marshall else 1.0
    return _build("heisenberg", shape, pbc, (bonds, 1.0), (bonds, sign), 0.0, {"marshall": bool(marshall)})


def _marshall_sign(shape: tuple[int, ...], pbc: bool, bonds: Any) -> np.ndarray:
    if not is_bipartite(shape, pbc):
        raise InputError(
            f"the Marshall sign rule needs a bipartite lattice, and {shape} with pbc={pbc} is not; "
            "use even periodic sides or pbc=False"
        )
    colour = sublattice(shape)
    return np.array([-1.0 if colour[a] != colour[b] else 1.0 for a, b in bonds])


def j1j2(shape: Any, j2: float, pbc: bool = True, marshall: bool = False) -> Hamiltonian:
    """J1-J2 Heisenberg model: nearest-neighbour coupling 1, next-nearest ``j2`` (Pauli matrices).

    Next-nearest means the diagonals on a square lattice and distance 2 on a chain.
    ``marshall=True`` rotates as for :func:`heisenberg`; the J2 bonds join equal sublattices
    and keep their sign, so the ground state is no longer positive for ``j2 > 0``.

    Examples
    --------
    >>> H = j1j2((4, 4), j2=0.5)
    >>> len(H.zz_bonds), float(H.zz[-1])
    (64, 0.5)
    """
    shape = check_shape(shape)
    pbc = _check_pbc(pbc)
    j2 = finite_real(j2, "j2")
    near, diag = nearest_bonds(shape, pbc), diagonal_bonds(shape, pbc)
    bonds = list(near) + list(diag)
    coupling = np.array([1.0] * len(near) + [j2] * len(diag))
    sign = np.ones(len(bonds))
    if marshall:
        sign[: len(near)] = _marshall_sign(shape, pbc, near)
    return _build(
        "j1j2", shape, pbc, (bonds, coupling), (bonds, coupling * sign), 0.0, {"j2": j2, "marshall": bool(marshall)}
    )
