"""Hamiltonians and exact diagonalisation against closed forms and independent constructions."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac.errors import ConvacTypeError, InputError, TooLargeError
from convac.wavefunction import (
    MAX_SPARSE_SITES,
    ground_state,
    heisenberg,
    j1j2,
    sector_basis,
    state_entanglement,
    tfim,
)

SX = np.array([[0.0, 1.0], [1.0, 0.0]])
SY = np.array([[0.0, -1j], [1j, 0.0]])
SZ = np.diag([1.0, -1.0])


def _op(n, ops):
    """Kronecker product with ``ops[site]`` at the given sites (site 0 leftmost = most significant)."""
    out = np.ones((1, 1), dtype=complex)
    for site in range(n):
        out = np.kron(out, ops.get(site, np.eye(2)))
    return out


def _dense_reference(H):
    """H built from Kronecker products of Pauli matrices, independently of the bit tricks."""
    n = H.n_sites
    out = np.zeros((2**n, 2**n), dtype=complex)
    for (a, b), j in zip(H.zz_bonds, H.zz, strict=True):
        out += j * _op(n, {a: SZ, b: SZ})
    for (a, b), j in zip(H.xy_bonds, H.xy, strict=True):
        out += j * (_op(n, {a: SX, b: SX}) + _op(n, {a: SY, b: SY}))
    for site, g in enumerate(H.field):
        if g:
            out += g * _op(n, {site: SX})
    return out.real


def _tfim_free_fermion(n, h):
    """TFIM ring ground energy: -sum_k eps_k, eps_k = 2 sqrt(1 + h^2 - 2h cos k), k in the even-parity (NS) sector."""
    k = np.pi * (2 * np.arange(n) + 1) / n
    return -np.sum(np.sqrt(1 + h * h - 2 * h * np.cos(k)))


@pytest.mark.parametrize(
    "H",
    [
        tfim((5,), field=0.7),
        tfim((2, 3), field=1.3, pbc=False),
        heisenberg((6,)),
        heisenberg((2, 2), pbc=True),
        heisenberg((4,), marshall=True),
        j1j2((6,), j2=0.4),
        j1j2((3, 3), j2=0.5, pbc=False),
    ],
    ids=repr,
)
def test_sparse_matrix_equals_kronecker_construction(H):
    assert np.allclose(H.to_sparse().toarray(), _dense_reference(H))


@pytest.mark.parametrize("n", [4, 6, 8, 10])
@pytest.mark.parametrize("h", [0.5, 1.0, 2.0])
def test_tfim_chain_energy_is_free_fermion_sum(n, h):
    e0, _ = ground_state(tfim((n,), field=h))
    assert e0 == pytest.approx(_tfim_free_fermion(n, h), abs=1e-9)


def test_tfim_chain_16_reference_and_block_entropies():
    e0, state = ground_state(tfim((16,), field=1.0))
    assert e0 == pytest.approx(-2 / math.sin(math.pi / 32), abs=1e-9)
    assert e0 == pytest.approx(-20.404594474757, abs=1e-9)
    entropies = [state_entanglement(state, convac.Partition(16, range(length))).entropy for length in (1, 2, 4, 8)]
    assert entropies == pytest.approx([0.4732, 0.5894, 0.6922, 0.7501], abs=1e-4)


def test_heisenberg_small_chains_known_values():
    # Pauli matrices: 4x the spin-1/2 values. N=4 ring: E = -2 (S.S) -> -8; N=2 open: singlet -3.
    assert ground_state(heisenberg((4,)))[0] == pytest.approx(-8.0, abs=1e-10)
    assert ground_state(heisenberg((2,), pbc=False))[0] == pytest.approx(-3.0, abs=1e-10)
    # N=6 ring: 4 x (-2.8027756377) (Bethe ansatz value for S.S)
    assert ground_state(heisenberg((6,)))[0] == pytest.approx(4 * -2.8027756377319946, abs=1e-9)


def test_heisenberg_chain_16_reference_in_the_zero_sector():
    e_full, _ = ground_state(heisenberg((16,)), magnetization=0)
    assert e_full == pytest.approx(-28.5691854425, abs=1e-8)


def test_marshall_rotation_keeps_spectrum_and_makes_ground_state_positive():
    plain, rotated = heisenberg((2, 4)), heisenberg((2, 4), marshall=True)
    assert np.allclose(
        np.linalg.eigvalsh(plain.to_sparse().toarray()), np.linalg.eigvalsh(rotated.to_sparse().toarray())
    )
    _, state = ground_state(rotated, magnetization=0)
    support = state[sector_basis(8, 0)]
    assert (support > -1e-12).all() and (support > 1e-12).any()


def test_sector_matrix_is_the_restriction_of_the_full_matrix():
    H = j1j2((6,), j2=0.3)
    states = sector_basis(6, 2)
    full = H.to_sparse().toarray()
    assert np.allclose(H.to_sparse(magnetization=2).toarray(), full[np.ix_(states, states)])


@settings(max_examples=20, deadline=None)
@given(
    field=st.floats(-2, 2),
    seed=st.integers(0, 10_000),
    which=st.sampled_from(["tfim", "heisenberg", "j1j2"]),
)
def test_connected_elements_are_the_nonzero_entries_of_the_matrix(field, seed, which):
    H = {"tfim": tfim((2, 3), field=field), "heisenberg": heisenberg((6,), pbc=False), "j1j2": j1j2((6,), j2=field)}[
        which
    ]
    dense = H.to_sparse().toarray()
    rng = np.random.default_rng(seed)
    sigma = torch.as_tensor(rng.integers(0, 2, (5, H.n_sites)))
    connected, elements = H.connected(sigma)
    weights = 2 ** (H.n_sites - 1 - torch.arange(H.n_sites))
    rows = (sigma * weights).sum(1)
    cols = (connected * weights).sum(2)
    rebuilt = np.zeros((5, 2**H.n_sites))
    for b in range(5):
        for k in range(H.n_connected):
            rebuilt[b, cols[b, k]] += float(elements[b, k])
    assert np.allclose(rebuilt, dense[rows.numpy()])


def test_lattice_bond_counts():
    assert len(tfim((4, 4)).zz_bonds) == 32 and len(tfim((4, 4), pbc=False).zz_bonds) == 24
    assert len(tfim((2,)).zz_bonds) == 1  # a periodic side of 2 has one bond, not two
    assert len(j1j2((4, 4), j2=0.5).xy_bonds) == 64


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: tfim(16), ConvacTypeError, "shape must be a tuple of 1 or 2 lattice sides"),
        (lambda: tfim((2, 2, 2)), InputError, "shape must have 1 (chain) or 2 (square lattice) sides"),
        (lambda: tfim((1,)), InputError, "every lattice side must be an integer >= 2"),
        (lambda: tfim((4,), field=float("nan")), InputError, "field must be a finite real number, got nan"),
        (lambda: tfim((4,), field=float("inf")), InputError, "field must be a finite real number, got inf"),
        (lambda: tfim((4,), field="1"), ConvacTypeError, "field must be a real number"),
        (lambda: j1j2((4,), j2=float("nan")), InputError, "j2 must be a finite real number"),
        (lambda: tfim((4,), pbc="yes"), ConvacTypeError, "pbc must be True (periodic) or False (open)"),
        (lambda: heisenberg((5,), marshall=True), InputError, "the Marshall sign rule needs a bipartite lattice"),
        (lambda: tfim((4,)).to_sparse(magnetization=0), InputError, "sum sz is not conserved"),
        (lambda: sector_basis(4, 1), InputError, "magnetization must have the parity of N=4"),
        (lambda: tfim((5, 5)).to_sparse(), TooLargeError, f"over the limit of 2^{MAX_SPARSE_SITES}"),
        (lambda: ground_state(tfim((3, 7))), TooLargeError, "2^21 states, over the limit of 2^20"),
        (lambda: ground_state("H"), ConvacTypeError, "H must be a convac.wavefunction Hamiltonian"),
        (lambda: tfim((4,)).connected(torch.zeros(2, 5)), InputError, "sigma must have shape (batch, N=4)"),
        (lambda: tfim((4,)).connected(torch.full((1, 4), 2)), InputError, "sigma must hold 0 (spin up) or 1"),
        (lambda: state_entanglement(np.ones(8), convac.Partition(4, [0])), InputError, "2^N = 16 amplitudes"),
        (lambda: state_entanglement(np.zeros(16), convac.Partition(4, [0])), InputError, "zero vector"),
    ],
)
def test_bad_inputs_raise_convac_errors(call, error, message):
    with pytest.raises(error, match=None) as info:
        call()
    assert message in str(info.value)
