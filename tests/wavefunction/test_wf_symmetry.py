"""Symmetrised ansätze: the group sum, its invariance, its energy, and its entanglement bound."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac.errors import ArchitectureError, InputError
from convac.wavefunction import (
    ConvACWaveFunction,
    FullSum,
    MetropolisSampler,
    Sampled,
    ground_state,
    heisenberg,
    optimize,
    state_entanglement,
    tfim,
)
from convac.wavefunction._entanglement import entanglement_report, standard_partitions
from convac.wavefunction._estimators import bits_of
from convac.wavefunction._symmetry import symmetric_rank_bound, symmetry_group
from convac.wavefunction._tree import amplitude_vector

CHAIN = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 3, 2])
SQUARE = convac.Architecture.deep_2d(height=2, width=4, n_features=2, channels=[3, 2], windows=[(1, 2), (2, 2)])


def _all_states(n):
    return bits_of(np.arange(2**n), n)


def _network_table(psi):
    """The unsymmetrised network's amplitudes on every basis index, from convac.coefficient_tensor."""
    return convac.coefficient_tensor(psi.amplitude).ravel()


def _brute_symmetrised(psi):
    """sum_g psi(g sigma) by explicit permutation of bit strings and a table lookup."""
    table = _network_table(psi)
    n = psi.n_sites
    perms, flips = symmetry_group(tuple(psi.arch.grid), psi.symmetry)
    out = np.zeros(2**n)
    for index in range(2**n):
        bits = [(index >> (n - 1 - i)) & 1 for i in range(n)]
        for perm, flip in zip(perms, flips, strict=True):
            image = [bits[p] ^ flip for p in perm]
            out[index] += table[int("".join(map(str, image)), 2)]
    return out


@pytest.mark.parametrize("arch", [CHAIN, SQUARE], ids=["chain", "square"])
@pytest.mark.parametrize("symmetry", ["translation", "spin_flip", "translation_spin_flip", "space_group_spin_flip"])
@pytest.mark.parametrize("weights", ["positive", "signed"])
def test_symmetrised_amplitudes_are_the_group_sum_of_the_network(arch, symmetry, weights):
    psi = ConvACWaveFunction(arch, weights=weights, seed=3, symmetry=symmetry)
    expected = _brute_symmetrised(psi)
    log_psi = psi.log_psi(_all_states(arch.n_inputs)).detach()
    direct = torch.exp(log_psi).real.numpy()
    assert np.allclose(direct, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    tree = amplitude_vector(psi).detach().numpy()
    assert np.allclose(tree / np.abs(tree).max(), expected / np.abs(expected).max(), atol=1e-12)


def test_symmetrised_amplitudes_are_invariant_under_the_group():
    psi = ConvACWaveFunction(SQUARE, weights="signed", seed=5, symmetry="translation_spin_flip")
    amp = amplitude_vector(psi).detach().numpy()
    sigma = _all_states(8).numpy()
    weights = 1 << np.arange(7, -1, -1)
    perms, flips = symmetry_group((2, 4), "translation_spin_flip")
    for perm, flip in zip(perms, flips, strict=True):
        images = (sigma[:, perm] ^ flip) @ weights
        assert np.allclose(amp[images], amp, atol=1e-12 * np.abs(amp).max())


def _bonds(shape):
    """Nearest-neighbour bonds of the torus as a set of frozensets of sites."""
    height, width = (1, shape[0]) if len(shape) == 1 else shape
    out = set()
    for r in range(height):
        for c in range(width):
            site = r * width + c
            out.add(frozenset((site, r * width + (c + 1) % width)))
            if len(shape) == 2:
                out.add(frozenset((site, ((r + 1) % height) * width + c)))
    return {b for b in out if len(b) == 2}


@pytest.mark.parametrize(("shape", "size"), [((8,), 16), ((4, 4), 128), ((2, 4), 16), ((6, 6), 288), ((3, 5), 60)])
def test_the_space_group_is_a_group_of_lattice_automorphisms(shape, size):
    perms, flips = symmetry_group(shape, "space_group")
    n = int(np.prod(shape))
    assert perms.shape == (size, n) and not flips.any()
    assert (perms[0] == np.arange(n)).all()
    assert all(sorted(p) == list(range(n)) for p in perms)
    members = {tuple(p) for p in perms}
    assert len(members) == size
    assert all(tuple(a[b]) in members for a in perms[:12] for b in perms)  # closed under composition
    bonds = _bonds(shape)
    assert all({frozenset(int(p[i]) for i in bond) for bond in bonds} == bonds for p in perms)
    translations = {tuple(p) for p in symmetry_group(shape, "translation")[0]}
    assert translations < members


@pytest.mark.parametrize(
    ("H", "magnetization"), [(tfim((4, 4), field=3.0), None), (heisenberg((8,), marshall=True), 0)]
)
def test_the_ground_state_is_invariant_under_the_space_group(H, magnetization):
    full = ground_state(H, magnetization)[1]  # every basis index (zero off the sector)
    n = H.n_sites
    sigma = _all_states(n).numpy()
    weights = 1 << np.arange(n - 1, -1, -1)
    assert full.shape == (2**n,)
    for perm in symmetry_group(H.shape, "space_group")[0]:
        assert np.allclose(full[(sigma[:, perm]) @ weights], full, atol=1e-8)


def test_symmetrised_per_sample_jacobian_matches_one_backward_per_sample():
    psi = ConvACWaveFunction(CHAIN, weights="signed", seed=1, symmetry="translation_spin_flip")
    sigma = _all_states(8)[[3, 77, 200]]
    jac = psi.per_sample_jacobian(sigma)
    for row, config in enumerate(sigma):
        out = psi.log_psi(config[None])
        grads = torch.autograd.grad(out.real.sum(), psi.variational_parameters())
        assert torch.allclose(jac[row].real, torch.cat([g.reshape(-1) for g in grads]), atol=1e-10)


@pytest.mark.parametrize(
    ("H", "magnetization", "symmetry"),
    [
        (tfim((8,), field=1.2), None, "translation_spin_flip"),
        (heisenberg((8,), marshall=True), 0, "translation_spin_flip"),
        (tfim((2, 4), field=2.0), None, "translation"),
        (tfim((8,), field=1.2), None, "space_group_spin_flip"),
        (heisenberg((8,), marshall=True), 0, "space_group"),
    ],
    ids=["tfim-chain", "heisenberg-sector", "tfim-square", "tfim-chain-space-group", "heisenberg-space-group"],
)
def test_symmetrised_full_sum_energy_equals_dense_and_is_variational(H, magnetization, symmetry):
    arch = CHAIN if len(H.shape) == 1 else SQUARE
    psi = ConvACWaveFunction(arch, weights="signed", seed=2, symmetry=symmetry)
    amp = _brute_symmetrised(psi)
    matrix = H.to_sparse()
    if magnetization is not None:
        keep = np.flatnonzero(np.array([bin(i).count("1") for i in range(2**8)]) == 4)
        amp, matrix = amp[keep], H.to_sparse(magnetization)
    dense = float(amp @ (matrix @ amp) / (amp @ amp))
    est = FullSum(psi, H, magnetization).estimate()
    assert est.energy == pytest.approx(dense, abs=1e-10)
    assert est.energy >= ground_state(H, magnetization)[0] - 1e-10


def test_symmetrised_sampled_energy_agrees_with_full_sum_within_error_bars():
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(CHAIN, weights="signed", seed=4, symmetry="translation_spin_flip")
    exact = FullSum(psi, H).estimate().energy
    est = Sampled(psi, H, MetropolisSampler(psi, n_chains=100, seed=0)).estimate(n_per_chain=10, n_discard=10)
    assert est.error > 0
    assert abs(est.energy - exact) < 4 * est.error


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), which=st.sampled_from(["chain", "square"]))
def test_symmetrised_schmidt_rank_never_exceeds_the_stated_bound(seed, which):
    arch = CHAIN if which == "chain" else SQUARE
    psi = ConvACWaveFunction(arch, weights="signed", seed=seed, symmetry="translation_spin_flip")
    for row in entanglement_report(psi, standard_partitions(tuple(arch.grid))):
        assert row.ansatz_rank <= row.rank_bound
        assert row.rank_bound >= row.min_cut


def test_symmetrisation_can_exceed_the_tree_min_cut():
    # the left/right cut of a 3,3,2 binary tree on 8 spins is 2; a translation-symmetrised sum is not bounded by it
    psi = ConvACWaveFunction(CHAIN, weights="signed", seed=0, symmetry="translation")
    part = convac.Partition.left_right((8,))
    rank = state_entanglement(amplitude_vector(psi).detach().numpy(), part).schmidt_rank
    bound = symmetric_rank_bound(CHAIN, part, symmetry_group((8,), "translation")[0])
    assert int(convac.min_cut(CHAIN, part).value) == 2 < rank <= bound


def test_symmetrised_sr_reaches_the_ground_state_of_a_small_chain():
    H = tfim((8,), field=1.0)
    e0, _ = ground_state(H)
    psi = ConvACWaveFunction(CHAIN, weights="signed", seed=1, symmetry="translation_spin_flip")
    result = optimize(psi, H, optimizer="sr", lr=0.2, steps=40, threads=1, diag_shift=1e-2, diag_shift_decay=0.9)
    assert e0 <= result.energy < e0 * (1 - 1e-3)


def test_diag_shift_decays_to_its_floor():
    from convac.wavefunction._optimize import VMCConfig, _Run

    psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    run = _Run(
        psi, tfim((4,)), VMCConfig(optimizer="sr", diag_shift=1e-2, diag_shift_decay=0.5, diag_shift_min=2e-3), None
    )
    shifts = []
    for step in range(4):
        run.step = step
        shifts.append(run.shift())
    assert shifts == pytest.approx([1e-2, 5e-3, 2.5e-3, 2e-3])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ConvACWaveFunction(CHAIN, symmetry="mirror"), InputError, "symmetry must be"),
        (lambda: ConvACWaveFunction(CHAIN, symmetry="translation", phase=True), ArchitectureError, "needs phase=False"),
        (
            lambda: optimize(ConvACWaveFunction(CHAIN, symmetry="translation"), tfim((8,), pbc=False), steps=1),
            InputError,
            "need periodic boundaries",
        ),
        (
            lambda: optimize(ConvACWaveFunction(CHAIN, symmetry="space_group"), tfim((8,), pbc=False), steps=1),
            InputError,
            "need periodic boundaries",
        ),
        (
            lambda: optimize(ConvACWaveFunction(CHAIN, symmetry="spin_flip"), heisenberg((8,)), magnetization=2),
            InputError,
            "leaves the sector",
        ),
        (lambda: optimize(ConvACWaveFunction(CHAIN), tfim((8,)), diag_shift_decay=1.5), InputError, "diag_shift_decay"),
    ],
    ids=["unknown", "with-phase", "open-boundary", "space-group-open", "flip-off-sector", "decay-above-1"],
)
def test_bad_symmetry_inputs_raise_convac_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("symmetry", ["none", "translation_spin_flip"])
def test_sector_projected_entanglement_is_that_of_the_masked_amplitudes(symmetry):
    psi = ConvACWaveFunction(CHAIN, weights="signed", seed=6, symmetry=symmetry)
    amp = (_brute_symmetrised(psi) if symmetry != "none" else _network_table(psi)).copy()
    amp[np.array([bin(i).count("1") for i in range(2**8)]) != 4] = 0.0
    rows = entanglement_report(psi, standard_partitions((8,)), magnetization=0)
    for row in rows:
        expected = state_entanglement(amp, row.partition)
        assert row.ansatz_entropy == pytest.approx(expected.entropy, abs=1e-9)
        assert row.ansatz_rank == expected.schmidt_rank <= row.rank_bound
        side = int(row.partition.mask.sum())
        assert row.rank_bound % (min(side, 8 - side) + 1) == 0
