"""Variational Monte Carlo: exact full sums, variational bound, sampling vs full sum, SR, resume."""

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac.errors import ConvacTypeError, InputError
from convac.wavefunction import (
    ConvACWaveFunction,
    Estimate,
    FullSum,
    MetropolisSampler,
    Sampled,
    ground_state,
    heisenberg,
    j1j2,
    optimize,
    sector_basis,
    sr_direction,
    tfim,
)
from convac.wavefunction._optimize import SR_SCALE_FLOOR


def _arch8(channels=(3, 3, 2)):
    return convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=list(channels))


def _dense_energy(psi, H, magnetization=None):
    """<psi|H|psi>/<psi|psi> from convac.coefficient_tensor (and the phase network's, if any) and H.to_sparse()."""
    amp = convac.coefficient_tensor(psi.amplitude).ravel().astype(complex)
    if psi.phase is not None:
        g = np.stack([convac.coefficient_tensor(psi.phase, output=y).ravel() for y in (0, 1)])
        amp = np.abs(amp) * (g[0] + 1j * g[1]) / np.hypot(g[0], g[1])
    matrix = H.to_sparse()
    if magnetization is not None:
        keep = sector_basis(H.n_sites, magnetization)
        amp, matrix = amp[keep], H.to_sparse(magnetization)
    return float(np.real(np.vdot(amp, matrix @ amp)) / np.vdot(amp, amp).real)


@pytest.mark.parametrize(
    ("H", "options", "magnetization"),
    [
        (tfim((8,), field=0.8), {}, None),
        (heisenberg((8,)), {"weights": "signed"}, 0),
        (heisenberg((8,), marshall=True), {}, 0),
        (j1j2((8,), j2=0.5), {"weights": "signed", "phase": True}, None),
    ],
    ids=["tfim", "heisenberg-signed-sector", "heisenberg-marshall", "j1j2-phase"],
)
def test_full_sum_energy_equals_independent_dense_computation(H, options, magnetization):
    psi = ConvACWaveFunction(_arch8(), seed=3, **options)
    est = FullSum(psi, H, magnetization).estimate()
    assert est.energy == pytest.approx(_dense_energy(psi, H, magnetization), abs=1e-10)


def test_full_sum_gradient_and_variance_match_finite_differences_and_dense():
    H = tfim((8,), field=1.1)
    psi = ConvACWaveFunction(_arch8(), weights="signed", phase=True, seed=1)
    full = FullSum(psi, H)
    est = full.estimate()
    params = psi.variational_parameters()
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    direction = torch.randn(flat.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    eps = 1e-6

    def energy_at(shift):
        offset = 0
        with torch.no_grad():
            for p in params:
                p.copy_((flat + shift * direction)[offset : offset + p.numel()].view_as(p))
                offset += p.numel()
        return full.estimate().energy

    slope = (energy_at(eps) - energy_at(-eps)) / (2 * eps)
    energy_at(0.0)
    assert float(est.gradient @ direction) == pytest.approx(slope, rel=1e-5, abs=1e-7)
    amp = full.amplitudes().detach().numpy()
    h_amp = H.to_sparse() @ amp
    variance = np.vdot(h_amp, h_amp).real / np.vdot(amp, amp).real - est.energy**2
    assert est.variance == pytest.approx(variance, rel=1e-9, abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), field=st.floats(0.2, 3.0), signed=st.booleans())
def test_variational_energy_is_never_below_the_ground_energy(seed, field, signed):
    H = tfim((2, 4), field=field)
    e0, _ = ground_state(H)
    arch = convac.Architecture.deep_2d(height=2, width=4, n_features=2, channels=[4, 2], windows=[(1, 2), (2, 2)])
    psi = ConvACWaveFunction(arch, weights="signed" if signed else "positive", seed=seed, init_noise=0.9)
    est = FullSum(psi, H).estimate()
    assert est.energy >= e0 - 1e-10
    assert est.variance >= 0


def test_sampled_energy_agrees_with_full_sum_within_error_bars():
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(_arch8((4, 4, 2)), weights="signed", seed=4)
    exact = FullSum(psi, H).estimate().energy
    sampler = MetropolisSampler(psi, n_chains=200, seed=0)
    est = Sampled(psi, H, sampler).estimate(n_per_chain=20, n_discard=20)
    assert est.error > 0 and 0 < est.acceptance <= 1
    assert abs(est.energy - exact) < 4 * est.error


def test_sampled_energy_at_fixed_magnetization_agrees_with_sector_sum():
    H = heisenberg((8,), marshall=True)
    psi = ConvACWaveFunction(_arch8((4, 4, 2)), seed=2)
    exact = FullSum(psi, H, magnetization=0).estimate().energy
    sampler = MetropolisSampler(psi, n_chains=200, magnetization=0, seed=1)
    est = Sampled(psi, H, sampler).estimate(n_per_chain=20, n_discard=20)
    assert (sampler.sigma.sum(1) == 4).all()
    assert abs(est.energy - exact) < 4 * est.error


def test_local_energy_of_an_eigenstate_is_constant():
    # A product state along x is the TFIM ground state at J = 0 limit; with all positive weights equal,
    # psi is uniform, an eigenvector of sum sx with eigenvalue N: E_loc = diag - h N for every sigma.
    H = tfim((8,), field=2.0)
    psi = ConvACWaveFunction(_arch8(), seed=0, init_noise=0.0)
    sigma = torch.randint(0, 2, (10, 8))
    local = Sampled(psi, H, MetropolisSampler(psi, 2)).local_energies(sigma, psi.log_psi(sigma).detach())
    assert torch.allclose(local, H.diagonal(sigma) - 2.0 * 8)


def test_sr_operator_equals_explicit_metric_from_per_sample_jacobian():
    H = j1j2((8,), j2=0.3)
    psi = ConvACWaveFunction(_arch8(), weights="signed", phase=True, seed=0)
    full = FullSum(psi, H)
    est = full.estimate(with_sr=True)
    jac = psi.per_sample_jacobian(full.sigma)
    log_psi = psi.log_psi(full.sigma).detach()
    p = torch.exp(2 * (log_psi.real - log_psi.real.max()))
    p = p / p.sum()
    centred = jac - (p.unsqueeze(1) * jac).sum(0)
    metric = torch.einsum("b,bk,bl->kl", p.to(centred.dtype), centred.conj(), centred).real
    v = torch.randn(psi.n_params, dtype=torch.float64)
    assert torch.allclose(est.sr_operator(v), metric @ v, rtol=1e-8, atol=1e-10)
    assert torch.allclose(est.sr_force, 0.5 * est.gradient)


def test_min_sr_equals_sr_in_the_wide_case():
    x = torch.randn(6, 20, dtype=torch.float64)
    e = torch.randn(6, dtype=torch.float64)
    wide = sr_direction(Estimate(0.0, 0.0, 0.0, torch.zeros(20), sr_x=x, sr_e=e), 1e-3)
    square = torch.linalg.solve(x.T @ x + 1e-3 * torch.eye(20, dtype=torch.float64), x.T @ e)
    assert torch.allclose(wide, square, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(2, 12), cols=st.integers(2, 12), shift=st.floats(1e-4, 1.0), seed=st.integers(0, 10_000))
def test_scaled_sr_changes_log_psi_the_same_however_each_parameter_is_scaled(rows, cols, shift, seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, cols, generator=generator, dtype=torch.float64)
    e = torch.randn(rows, generator=generator, dtype=torch.float64)
    x = x / x.norm(dim=0) * (1 + torch.rand(cols, generator=generator, dtype=torch.float64))  # norms 1..2
    # a parameter in other units, theta_k -> theta_k / units_k: any per-column factor that keeps the
    # norms above the floor (within 3x of each other here), and any common factor
    units = (1 + 2 * torch.rand(cols, generator=generator, dtype=torch.float64)) * 10.0 ** (seed % 9 - 4)

    def step(matrix):
        return sr_direction(Estimate(0.0, 0.0, 0.0, torch.zeros(cols), sr_x=matrix, sr_e=e), shift, scale=True)

    plain, rescaled = step(x), step(x * units)
    assert torch.allclose(x @ plain, (x * units) @ rescaled, rtol=1e-8, atol=1e-10)
    assert torch.allclose(rescaled * units, plain, rtol=1e-8, atol=1e-10)
    # the closed form: SR on the unit-norm columns, mapped back
    norms = x.norm(dim=0)
    unit = x / norms
    expected = torch.linalg.solve(unit.T @ unit + shift * torch.eye(cols, dtype=torch.float64), unit.T @ e) / norms
    assert torch.allclose(plain, expected, rtol=1e-7, atol=1e-9)


def test_scaled_sr_floors_the_units_of_nearly_still_parameters():
    # a column 1e-9 the size of the others moves like one at the floor, not 1e9 times farther
    x = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    x[:, 0] *= 1e-9
    e = torch.randn(4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    direction = sr_direction(Estimate(0.0, 0.0, 0.0, torch.zeros(6), sr_x=x, sr_e=e), 1e-3, scale=True)
    norms = x.norm(dim=0)
    units = norms.clamp_min(SR_SCALE_FLOOR * float(norms.square().mean().sqrt()))
    unit = x / units
    expected = unit.T @ torch.linalg.solve(unit @ unit.T + 1e-3 * torch.eye(4, dtype=torch.float64), e) / units
    assert torch.allclose(direction, expected, rtol=1e-9) and float(units[0]) > 1e-3


def test_scaled_sr_leaves_a_parameter_without_derivative_in_place():
    x = torch.randn(5, 4, dtype=torch.float64)
    x[:, 2] = 0.0
    direction = sr_direction(
        Estimate(0.0, 0.0, 0.0, torch.zeros(4), sr_x=x, sr_e=torch.ones(5, dtype=torch.float64)), 1e-2, scale=True
    )
    assert direction[2] == 0.0 and bool(torch.isfinite(direction).all())


def test_sampled_sr_with_scaled_units_lowers_the_energy():
    H = tfim((8,), field=1.0)
    e0, _ = ground_state(H)
    psi = ConvACWaveFunction(_arch8((4, 4, 4)), weights="signed", symmetry="translation", seed=0)
    start = FullSum(psi, H).estimate().energy
    optimize(psi, H, full_sum=False, optimizer="sr", sampler="exact", sr_scale=True, steps=30, lr=0.05,
             diag_shift=0.01, n_chains=32, n_per_chain=4, threads=1)  # fmt: skip
    end = FullSum(psi, H).estimate().energy
    assert e0 - 1e-10 <= end < start and (end - e0) < 0.2 * (start - e0)


@pytest.mark.parametrize("optimizer", ["adam", "sr"])
def test_full_sum_optimisation_lowers_the_energy_towards_e0(optimizer):
    H = tfim((8,), field=1.0)
    e0, _ = ground_state(H)
    psi = ConvACWaveFunction(_arch8((4, 4, 4)), seed=0)
    lr = 0.05 if optimizer == "adam" else 0.1
    result = optimize(psi, H, optimizer=optimizer, steps=40, lr=lr, exact_energy=e0, threads=1)
    energies = [r["energy"] for r in result.history]
    assert e0 - 1e-10 <= result.energy < energies[0]
    assert result.relative_error < 0.03
    assert {"step", "energy", "variance", "error", "acceptance", "v_score", "relative_error"} <= set(result.history[0])


def test_sampled_sr_optimisation_runs_and_reports_acceptance():
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(_arch8(), seed=0)
    result = optimize(psi, H, full_sum=False, optimizer="sr", steps=5, lr=0.05, n_chains=16, n_per_chain=4, threads=1)
    assert all(0 < r["acceptance"] <= 1 for r in result.history)
    assert math.isfinite(result.energy) and math.isfinite(result.error)


@pytest.mark.parametrize(("full_sum", "sampler"), [(True, "metropolis"), (False, "metropolis"), (False, "exact")])
def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path, full_sum, sampler):
    H = tfim((8,), field=1.0)
    options = dict(
        full_sum=full_sum, optimizer="adam", lr=0.05, n_chains=8, n_per_chain=2, threads=1, checkpoint_every=3,
        sampler=sampler,
    )  # fmt: skip

    def fresh():
        return ConvACWaveFunction(_arch8(), seed=7)

    whole = optimize(fresh(), H, steps=6, out=tmp_path / "whole", **options)
    optimize(fresh(), H, steps=3, out=tmp_path / "split", **options)
    # a half-written later line (as after a crash) is dropped on resume
    with open(tmp_path / "split" / "history.jsonl", "a") as fh:
        fh.write('{"step": 3, "energy": 0.0}\n')
    resumed = optimize(fresh(), H, steps=6, out=tmp_path / "split", resume=True, **options)
    keys = ("step", "energy", "variance", "error", "acceptance")
    assert [[r[k] for k in keys] for r in whole.history] == [[r[k] for k in keys] for r in resumed.history]
    lines = [json.loads(line) for line in (tmp_path / "split" / "history.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == list(range(6))
    assert [r["energy"] for r in lines] == [r["energy"] for r in whole.history]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: optimize(ConvACWaveFunction(_arch8()), tfim((8,)), optimizer="lbfgs"),
            InputError,
            "optimizer must be 'adam' or 'sr', got 'lbfgs'",
        ),
        (
            lambda: optimize(ConvACWaveFunction(_arch8()), tfim((4,))),
            InputError,
            "the ansatz's grid (8,) is not the Hamiltonian's lattice (4,)",
        ),
        (
            lambda: optimize(
                ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=32, n_features=2, channels=[1] * 5)),
                tfim((32,)),
            ),
            InputError,
            "full_sum=True sums over 2^32 configurations, over the limit of 2^20",
        ),
        (lambda: optimize(ConvACWaveFunction(_arch8()), tfim((8,)), steps=-1), InputError, "steps must be"),
        (lambda: optimize(ConvACWaveFunction(_arch8()), tfim((8,)), lr=0.0), InputError, "lr must be a positive"),
        (
            lambda: optimize(ConvACWaveFunction(_arch8()), tfim((8,)), momentum=0.9),
            InputError,
            "unknown settings ['momentum']",
        ),
        (lambda: optimize(ConvACWaveFunction(_arch8()), tfim((8,)), resume=True), InputError, "resume=True needs out="),
        (lambda: optimize("psi", tfim((8,))), ConvacTypeError, "psi must be a ConvACWaveFunction"),
        (
            lambda: FullSum(ConvACWaveFunction(_arch8()), tfim((8,)), magnetization=0),
            InputError,
            "sum sz is not conserved",
        ),
        (lambda: sr_direction(Estimate(0.0, 0.0, 0.0, torch.zeros(2)), 1e-3), InputError, "carries no SR terms"),
        (
            lambda: sr_direction(
                Estimate(0.0, 0.0, 0.0, torch.zeros(2), sr_force=torch.ones(2), sr_operator=lambda v: v),
                1e-3,
                scale=True,
            ),
            InputError,
            "scale=True needs a sampled estimate",
        ),
        (
            lambda: optimize(ConvACWaveFunction(_arch8()), tfim((8,)), optimizer="sr", sr_scale=True),
            InputError,
            "sr_scale=True needs sampling",
        ),
        (lambda: MetropolisSampler(ConvACWaveFunction(_arch8()), n_chains=0), InputError, "n_chains must be"),
    ],
)
def test_bad_inputs_raise_convac_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


def test_resume_without_checkpoint_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist; run without resume first"):
        optimize(ConvACWaveFunction(_arch8()), tfim((8,)), steps=2, out=tmp_path / "none", resume=True)
