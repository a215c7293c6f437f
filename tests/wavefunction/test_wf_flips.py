"""Single-flip amplitudes by path updates: equal to evaluating every flipped configuration in full."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from wf_archs import ARCHS

import convac
from convac.wavefunction import ConvACWaveFunction, ExactSampler, FullSum, MetropolisSampler, heisenberg, tfim
from convac.wavefunction._ansatz import layer_weights
from convac.wavefunction._estimators import Estimate, Sampled, _sr_rows
from convac.wavefunction._flips import _flip_scores, _flip_scores_linear, _flip_scores_log, flip_log_psi
from convac.wavefunction._one_pass import BatchPass
from convac.wavefunction._optimize import sr_direction

KINDS = {
    "positive": {"weights": "positive"},
    "signed": {"weights": "signed"},
    "phase": {"weights": "signed", "phase": True},
    "signed-translation-flip": {"weights": "signed", "symmetry": "translation_spin_flip"},
    "positive-translation": {"weights": "positive", "symmetry": "translation"},
}


def _flipped(sigma):
    n = sigma.shape[1]
    return (sigma.unsqueeze(1) ^ torch.eye(n, dtype=torch.int64)).reshape(-1, n)


def _ratios(psi, sigma):
    """psi(sigma^j) / psi(sigma) both ways: from the path updates and from full evaluations."""
    base = psi.log_psi(sigma).detach().unsqueeze(1)
    direct = psi.log_psi(_flipped(sigma)).detach().reshape(sigma.shape)
    return torch.exp(flip_log_psi(psi, sigma) - base), torch.exp(direct - base)


@settings(max_examples=30, deadline=None)
@given(
    arch=st.sampled_from(sorted(ARCHS)),
    kind=st.sampled_from(sorted(KINDS)),
    seed=st.integers(0, 2**16),
)
def test_flip_amplitudes_equal_full_evaluations_of_every_flipped_configuration(arch, kind, seed):
    psi = ConvACWaveFunction(ARCHS[arch], seed=seed % 97, init="random", **KINDS[kind])
    sigma = torch.randint(0, 2, (5, ARCHS[arch].n_inputs), generator=torch.Generator().manual_seed(seed))
    fast, direct = _ratios(psi, sigma)
    assert fast.dtype == direct.dtype
    assert torch.allclose(fast, direct, rtol=1e-9, atol=1e-12)


def test_flip_amplitudes_hold_at_depth_where_psi_leaves_float_range():
    arch = convac.Architecture.deep_1d(n_inputs=1024, n_features=2, channels=[3] * 10)
    psi = ConvACWaveFunction(arch, weights="signed", seed=3)
    sigma = torch.randint(0, 2, (2, 1024), generator=torch.Generator().manual_seed(0))
    log_flips = flip_log_psi(psi, sigma)
    assert bool(torch.isfinite(log_flips.real).all())
    assert float(log_flips.real.abs().max()) > 710  # beyond exp of float64: only log scale holds it
    sites = torch.tensor([0, 1, 511, 512, 1023])
    flipped = sigma.unsqueeze(1).repeat(1, sites.numel(), 1)
    flipped[:, torch.arange(sites.numel()), sites] ^= 1
    direct = psi.log_psi(flipped.reshape(-1, 1024)).detach().reshape(2, -1)
    assert torch.allclose(log_flips[:, sites].real, direct.real, rtol=1e-12)
    assert torch.allclose(torch.cos(log_flips[:, sites].imag), torch.cos(direct.imag))


def test_a_zero_amplitude_flip_gives_a_zero_ratio_not_nan():
    arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
    psi = ConvACWaveFunction(arch, weights="signed", seed=0)
    with torch.no_grad():
        psi.amplitude.conv[0][0, 1].zero_()  # site 0 spin down: every amplitude with it is 0
    sigma = torch.zeros(1, 4, dtype=torch.int64)
    fast, direct = _ratios(psi, sigma)
    assert float(fast[0, 0].abs()) == 0.0
    assert bool(torch.isfinite(fast.real).all())
    assert torch.allclose(fast[0, 1:], direct[0, 1:], rtol=1e-10)


def _direct_flips(psi, sigma):
    return psi.log_psi(_flipped(sigma)).detach().reshape(sigma.shape)


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("weights", ["positive", "signed"])
def test_the_gradient_the_linear_and_the_logarithmic_flip_routes_each_equal_full_evaluations(arch, weights):
    psi = ConvACWaveFunction(ARCHS[arch], weights=weights, seed=4, init="random")
    sigma = torch.randint(0, 2, (4, ARCHS[arch].n_inputs), generator=torch.Generator().manual_seed(4))
    direct = _direct_flips(psi, sigma)
    raws = [r.detach() for r in psi.variational_parameters()]
    by_gradient = BatchPass(psi, sigma, jacobian=False).flip_log_psi()
    matrices = layer_weights(psi.amplitude, raws)
    for route in (_flip_scores_linear, _flip_scores_log):
        log_abs, sign = route(psi.amplitude.arch, matrices, sigma)
        composed = psi.compose_log_psi(log_abs[..., 0], sign[..., 0] < 0, None)
        assert torch.allclose(torch.exp(composed - direct), torch.ones_like(direct), rtol=1e-10), route.__name__
    assert torch.allclose(torch.exp(by_gradient - direct), torch.ones_like(direct), rtol=1e-10)


def test_a_window_whose_products_underflow_takes_the_logarithmic_route():
    # 256 sites in one window, each leaf 1000x larger in one channel than the other, alternating:
    # every unit-peak product is 1e-384, below float64; the logarithms hold it.
    arch = convac.Architecture.deep_1d(n_inputs=256, n_features=2, channels=[2], windows=[256])
    psi = ConvACWaveFunction(arch, weights="signed", seed=0)
    with torch.no_grad():
        leaf = psi.amplitude.conv[0]
        leaf[0::2] = torch.tensor([1.0, 1e-3], dtype=leaf.dtype)
        leaf[1::2] = torch.tensor([1e-3, 1.0], dtype=leaf.dtype)
    sigma = torch.randint(0, 2, (2, 256), generator=torch.Generator().manual_seed(5))
    matrices = layer_weights(psi.amplitude, [r.detach() for r in psi.variational_parameters()])
    assert _flip_scores_linear(arch, matrices, sigma) is None
    log_abs, sign = _flip_scores(psi.amplitude, matrices, sigma)
    direct = _direct_flips(psi, sigma)
    assert torch.allclose(log_abs[..., 0], direct.real, rtol=1e-12)
    assert torch.equal(sign[..., 0] < 0, torch.cos(direct.imag) < 0)


def test_a_zero_amplitude_configuration_takes_the_path_updates():
    # h(sigma) = 0 leaves no ratio for the gradient route; the flips that make it nonzero are still exact
    psi = ConvACWaveFunction(ARCHS["chain-8"], weights="signed", seed=0)
    with torch.no_grad():
        psi.amplitude.conv[0][0, 0].zero_()  # site 0 spin up: every amplitude with it is 0
    sigma = torch.zeros(1, 8, dtype=torch.int64)
    assert BatchPass(psi, sigma, jacobian=False).flip_log_psi() is None
    flips = flip_log_psi(psi, sigma)
    assert torch.allclose(flips[0, 0], _direct_flips(psi, sigma)[0, 0], rtol=1e-12)
    assert bool((flips[0, 1:].real == -math.inf).all())


@pytest.mark.parametrize(
    ("kind", "sampler"),
    [("signed", "metropolis"), ("phase", "metropolis"), ("signed", "exact"), ("signed-translation-flip", "exact")],
)
def test_the_sr_estimate_reads_the_same_gradient_from_its_rows(kind, sampler):
    # with SR the gradient is 2 Re sum_i w_i conj(eps_i) O_i from the Jacobian, not a backward pass of its own
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(ARCHS["chain-8"], seed=6, **KINDS[kind])
    make = {"metropolis": lambda: MetropolisSampler(psi, 8, seed=0), "exact": lambda: ExactSampler(psi, 8, seed=0)}
    plain = Sampled(psi, H, make[sampler]()).estimate(6, 1)
    with_sr = Sampled(psi, H, make[sampler]()).estimate(6, 1, with_sr=True)
    assert with_sr.energy == pytest.approx(plain.energy, rel=1e-12)
    assert torch.allclose(with_sr.gradient, plain.gradient, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("symmetry", ["none", "translation_spin_flip"])
def test_local_energies_from_flips_equal_the_full_evaluation(symmetry):
    H = tfim((4, 4), field=3.0)
    psi = ConvACWaveFunction(ARCHS["square-4x4"], weights="signed", seed=1, symmetry=symmetry)
    sigma = torch.randint(0, 2, (6, 16), generator=torch.Generator().manual_seed(1))
    log_psi = psi.log_psi(sigma).detach()
    local = Sampled(psi, H, MetropolisSampler(psi, 2)).local_energies(sigma, log_psi)
    connected, elements = H.connected(sigma)
    others = psi.log_psi(connected.reshape(-1, 16)).detach().reshape(connected.shape[:2])
    expected = (elements.to(others.dtype) * torch.exp(others - log_psi.unsqueeze(1))).sum(1)
    assert torch.allclose(local, expected, rtol=1e-10, atol=1e-10)


def test_exchange_moves_still_use_full_evaluations():
    H = heisenberg((8,), marshall=True)
    psi = ConvACWaveFunction(ARCHS["chain-8"], seed=0)
    sigma = torch.randint(0, 2, (6, 8), generator=torch.Generator().manual_seed(2))
    log_psi = psi.log_psi(sigma).detach()
    local = Sampled(psi, H, MetropolisSampler(psi, 2)).local_energies(sigma, log_psi)
    connected, elements = H.connected(sigma)
    others = psi.log_psi(connected.reshape(-1, 8)).detach().reshape(connected.shape[:2])
    assert torch.allclose(local, (elements * torch.exp(others - log_psi.unsqueeze(1))).sum(1), rtol=1e-10)


def test_a_real_psi_has_a_real_jacobian_and_the_sr_step_of_the_stacked_complex_rows():
    psi = ConvACWaveFunction(ARCHS["chain-8"], weights="signed", seed=0)
    sigma = torch.randint(0, 2, (12, 8), generator=torch.Generator().manual_seed(3))
    jac = psi.per_sample_jacobian(sigma)
    assert not jac.is_complex()
    local = torch.complex(torch.randn(12, dtype=torch.float64), torch.randn(12, dtype=torch.float64))
    x, e = _sr_rows(jac - jac.mean(0), local)
    stacked_x = torch.cat([jac - jac.mean(0), torch.zeros_like(jac)])
    stacked_e = torch.cat([local.real, local.imag])
    for rows in (x, x[:4]):  # wide (minSR) and tall
        n = rows.shape[0]
        mine = sr_direction(Estimate(0.0, 0.0, 0.0, torch.zeros(1), sr_x=rows, sr_e=e[:n]), 1e-3)
        both = torch.cat([stacked_x[:n], stacked_x[12 : 12 + n]]), torch.cat([stacked_e[:n], stacked_e[12 : 12 + n]])
        old = sr_direction(Estimate(0.0, 0.0, 0.0, torch.zeros(1), sr_x=both[0], sr_e=both[1]), 1e-3)
        assert torch.allclose(mine, old, rtol=1e-8, atol=1e-10)  # the zero rows' solve only adds rounding


def test_exactly_sampled_tfim_energy_with_flip_updates_matches_the_full_sum():
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(ARCHS["chain-8"], weights="signed", seed=4)
    exact = FullSum(psi, H).estimate().energy
    est = Sampled(psi, H, ExactSampler(psi, n_chains=64, seed=0)).estimate(64, 0)
    assert abs(est.energy - exact) < 4 * est.error + 1e-12
    assert not math.isnan(est.error)
