"""Exact sampling down the tree: every drawn sample's probability is |psi|^2 / Z, at any depth."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import convac
from convac.cli import main
from convac.errors import InputError
from convac.wavefunction import (
    ConvACWaveFunction,
    ExactSampler,
    FullSum,
    Sampled,
    heisenberg,
    optimize,
    sampled_energy,
    tfim,
)
from convac.wavefunction._symmetry import basis_images
from convac.wavefunction._tree import amplitude_vector, tree_scores

ARCHS = {
    "chain 8, per position": convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 2]),
    "chain 8, shared": convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 2], shared=True),
    "chain 9, windows of 3": convac.Architecture.deep_1d(n_inputs=9, n_features=2, channels=[3, 2], windows=[3, 3]),
    "2x4, windows 1x2 and 2x2": convac.Architecture.deep_2d(
        height=2, width=4, n_features=2, channels=[3, 2], windows=[(1, 2), (2, 2)]
    ),
    "4x4, 2x2 pooling": convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=[4, 3]),
    "chain 12, windows 2, 3, 2": convac.Architecture.deep_1d(
        n_inputs=12, n_features=2, channels=[2, 3, 2], windows=[2, 3, 2]
    ),
}


def _index(sigma: torch.Tensor) -> torch.Tensor:
    n = sigma.shape[1]
    return (sigma * 2 ** torch.arange(n - 1, -1, -1)).sum(1)  # site 0 most significant, as amplitude_vector


@pytest.mark.parametrize("weights", ["positive", "signed"])
@pytest.mark.parametrize("name", list(ARCHS))
def test_each_sample_comes_with_its_exact_probability(name, weights):
    psi = ConvACWaveFunction(ARCHS[name], weights=weights, seed=3)
    sigma, log_p = ExactSampler(psi, seed=1).draw(200)
    amp = amplitude_vector(psi).detach()
    exact = torch.log(amp[_index(sigma)] ** 2) - torch.log((amp**2).sum())
    # log p is the sum of every conditional along the way: each one must be right for this to hold
    assert torch.allclose(log_p, exact, atol=1e-9)
    assert ((sigma == 0) | (sigma == 1)).all()


def test_frequencies_follow_psi_squared():
    arch = convac.Architecture.deep_1d(n_inputs=6, n_features=2, channels=[2, 2], windows=[2, 3])
    psi = ConvACWaveFunction(arch, seed=5)
    n = 40_000
    sigma, _ = ExactSampler(psi, seed=2).draw(n)
    amp = amplitude_vector(psi).detach()
    p = (amp**2 / (amp**2).sum()).numpy()
    counts = torch.bincount(_index(sigma), minlength=64).numpy()
    keep = p * n >= 5  # chi-square needs expected counts of at least 5; the rest pooled
    observed, expected = [*counts[keep]], [*(p[keep] * n)]
    if not keep.all():
        observed, expected = [*observed, counts[~keep].sum()], [*expected, p[~keep].sum() * n]
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_a_uniform_state_on_4096_spins_is_sampled_without_overflow():
    # All positive weights 1 (init_noise 0): psi is the same on every configuration, so every sample has
    # probability 2^-N exactly, and each spin is a fair coin. 12 levels of pooling, 4096 leaves.
    arch = convac.Architecture.deep_1d(n_inputs=4096, n_features=2, channels=[2] * 12)
    psi = ConvACWaveFunction(arch, seed=0, init_noise=0.0)
    sigma, log_p = ExactSampler(psi, seed=0).draw(8)
    assert torch.allclose(log_p, torch.full((8,), -4096 * math.log(2), dtype=torch.float64), rtol=1e-12)
    assert abs(float(sigma.double().mean()) - 0.5) < 0.02


def test_sampled_energy_with_exact_samples_agrees_with_full_sum():
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], weights="signed", seed=4)
    exact = FullSum(psi, H).estimate().energy
    est = Sampled(psi, H, ExactSampler(psi, n_chains=100, seed=0)).estimate(n_per_chain=40, n_discard=0)
    assert est.acceptance == 1.0 and est.error > 0
    assert abs(est.energy - exact) < 4 * est.error


def test_exact_sampled_optimisation_lowers_the_energy():
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], weights="signed", seed=0)
    result = optimize(psi, H, full_sum=False, sampler="exact", optimizer="sr", steps=15, lr=0.1, n_chains=32,
                      n_per_chain=8, threads=1)  # fmt: skip
    assert all(r["acceptance"] == 1.0 for r in result.history)
    assert result.history[-1]["energy"] < result.history[0]["energy"]


@pytest.mark.parametrize(
    ("psi", "magnetization", "message"),
    [
        (
            dict(phase=True),
            None,
            "exact sampling needs real amplitudes; an ansatz with phase=True needs the Metropolis",
        ),
        ({}, 0, "exact sampling draws from every sector; a fixed magnetization needs the Metropolis sampler's"),
    ],
)
def test_what_exact_sampling_cannot_do_is_refused(psi, magnetization, message):
    ansatz = ConvACWaveFunction(ARCHS["chain 8, per position"], **psi)
    with pytest.raises(InputError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        ExactSampler(ansatz, magnetization=magnetization)
    with pytest.raises(InputError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        optimize(ansatz, tfim((8,)), full_sum=False, sampler="exact", magnetization=magnetization, steps=1)
    with pytest.raises(InputError, match="sampler must be 'metropolis' or 'exact', got 'gibbs'"):
        optimize(ansatz, tfim((8,)), full_sum=False, sampler="gibbs", steps=1)


def test_cli_samples_exactly_with_and_without_symmetry_and_refuses_a_fixed_magnetization(tmp_path, capsys):
    argv = ["wavefunction", "--model", "tfim", "--shape", "8", "--channels", "2,2,2", "--steps", "2", "--sample",
            "--sampler", "exact", "--chains", "8", "--samples-per-chain", "2", "--threads", "1"]  # fmt: skip
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    assert "E = " in capsys.readouterr().out
    assert main([*argv, "--symmetry", "translation", "--out", str(tmp_path / "sym")]) == 0
    history = (tmp_path / "sym" / "history.jsonl").read_text().splitlines()
    assert len(history) == 2 and all("effective_samples" in line for line in history)
    capsys.readouterr()
    heisenberg = [a if a != "tfim" else "heisenberg" for a in argv]
    assert main([*heisenberg, "--magnetization", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "exact sampling draws from every sector" in err


# ---------------------------------------------------------------- symmetrised ansatz: importance sampling
SYMMETRISED = [
    ("translation", "positive"),
    ("translation_spin_flip", "signed"),
    ("spin_flip", "signed"),
]


def _tree_and_images(psi: ConvACWaveFunction) -> tuple[torch.Tensor, torch.Tensor]:
    """The tree's own vector T on every basis index (not the group sum), and index(g sigma) per g."""
    raws = psi.variational_parameters()
    tree = tree_scores(psi.amplitude, raws[: len(psi.amplitude.conv) + 1])[:, 0].detach()
    return tree, basis_images(psi.group_perms.numpy(), psi.group_flips.numpy())


@pytest.mark.parametrize(("symmetry", "weights"), SYMMETRISED)
def test_symmetrised_samples_follow_the_group_average_of_the_tree(symmetry, weights):
    # tau ~ T^2 exactly, then a uniform group element: q(sigma) = mean_g T(g sigma)^2 / Z, computed here from
    # the tree's full vector and the basis images, a route that shares no code with the sampler
    arch = convac.Architecture.deep_1d(n_inputs=6, n_features=2, channels=[2, 2], windows=[2, 3])
    psi = ConvACWaveFunction(arch, symmetry=symmetry, weights=weights, seed=5)
    tree, images = _tree_and_images(psi)
    q = (tree[images] ** 2).mean(0)
    q = (q / q.sum()).numpy()
    n = 40_000
    sigma, acceptance = ExactSampler(psi, n_chains=100, seed=2).sample(n // 100)
    assert acceptance == 1.0
    counts = torch.bincount(_index(sigma), minlength=64).numpy()
    keep = q * n >= 5
    observed, expected = [*counts[keep]], [*(q[keep] * n)]
    if not keep.all():
        observed, expected = [*observed, counts[~keep].sum()], [*expected, q[~keep].sum() * n]
    assert stats.chisquare(observed, expected).pvalue > 1e-3


@pytest.mark.parametrize(("symmetry", "weights"), SYMMETRISED)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_importance_weights_are_psi_sym_squared_over_the_group_sum_and_at_most_the_group_order(symmetry, weights, seed):
    arch = convac.Architecture.deep_1d(n_inputs=6, n_features=2, channels=[3, 2], windows=[2, 3])
    psi = ConvACWaveFunction(arch, symmetry=symmetry, weights=weights, seed=seed)
    sampler = ExactSampler(psi, n_chains=16, seed=seed)
    sigma, _ = sampler.sample(4)
    log_w = sampler.log_weights(sigma, psi.log_psi(sigma).detach())
    tree, images = _tree_and_images(psi)
    index = _index(sigma)
    sym = amplitude_vector(psi).detach()[index]
    expected = torch.log(sym**2) - torch.log((tree[images[:, index]] ** 2).sum(0))
    assert torch.allclose(log_w, expected, atol=1e-9)
    assert (log_w <= math.log(images.shape[0]) + 1e-9).all()  # Cauchy-Schwarz: |sum of G terms|^2 <= G sum |.|^2


def test_an_unsymmetrised_ansatz_has_no_weights():
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], seed=0)
    sampler = ExactSampler(psi, seed=0)
    sigma, _ = sampler.sample(2)
    assert sampler.log_weights(sigma, psi.log_psi(sigma)) is None
    assert Sampled(psi, tfim((8,)), sampler).estimate(4, 0).effective_samples is None


@pytest.mark.parametrize(("symmetry", "weights"), SYMMETRISED)
def test_weighted_energy_and_gradient_agree_with_full_sum(symmetry, weights):
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], symmetry=symmetry, weights=weights, seed=1)
    full = FullSum(psi, H).estimate()
    n = 12_800
    est = Sampled(psi, H, ExactSampler(psi, n_chains=64, seed=0)).estimate(n // 64, 0)
    assert 0 < est.effective_samples <= n
    assert abs(est.energy - full.energy) < 4 * est.error
    cosine = torch.dot(est.gradient, full.gradient) / (est.gradient.norm() * full.gradient.norm())
    assert cosine > 0.9


def test_weighted_sr_rows_give_the_full_sum_metric():
    # S = sum_i w_i (O_i - <O>)(O_i - <O>)^T from the weighted rows, against the full sum's matrix-free S
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], symmetry="translation_spin_flip", weights="signed", seed=2)
    full = FullSum(psi, H).estimate(with_sr=True)
    est = Sampled(psi, H, ExactSampler(psi, n_chains=64, seed=0)).estimate(100, 0, with_sr=True)
    v = torch.randn(psi.n_params, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sampled_sv = est.sr_x.T @ (est.sr_x @ v)
    exact_sv = full.sr_operator(v)
    assert torch.linalg.norm(sampled_sv - exact_sv) < 0.15 * torch.linalg.norm(exact_sv)
    force = est.sr_x.T @ est.sr_e  # the weighted rows' force is the energy gradient / 2
    assert torch.allclose(force, est.gradient / 2, rtol=1e-8, atol=1e-10)


def test_symmetrised_exact_sampled_optimisation_lowers_the_energy():
    H = tfim((8,), field=1.0)
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], symmetry="translation_spin_flip", seed=0)
    result = optimize(psi, H, full_sum=False, sampler="exact", optimizer="sr", steps=15, lr=0.1, n_chains=32,
                      n_per_chain=8, threads=1)  # fmt: skip
    assert all(r["acceptance"] == 1.0 and 0 < r["effective_samples"] <= 256 for r in result.history)
    assert result.history[-1]["energy"] < result.history[0]["energy"]


@pytest.mark.parametrize(
    ("H", "kind"),
    [
        (tfim((8,), field=1.0), {"weights": "signed"}),
        (tfim((8,), field=1.0), {"weights": "signed", "symmetry": "translation_spin_flip"}),
        (tfim((8,), field=0.5), {"weights": "positive", "symmetry": "translation"}),
        (heisenberg((8,), marshall=True), {"weights": "signed"}),
    ],
)
def test_sampled_energy_of_a_fixed_ansatz_agrees_with_the_full_sum(H, kind):
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], seed=3, **kind)
    exact = FullSum(psi, H).estimate()
    measured = sampled_energy(psi, H, 6000, batch_size=1000, seed=1)
    assert measured.n_samples == 6000 and 0 < measured.effective_samples <= 6000 * (1 + 1e-12)
    assert abs(measured.energy - exact.energy) < 4 * measured.error
    assert measured.variance == pytest.approx(exact.variance, rel=0.25)


def test_sampled_energy_pools_the_batches_into_one_estimate():
    # the same draws in one batch or in uneven ones: the same estimate (weights share one constant)
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], symmetry="translation_spin_flip", seed=4, weights="signed")
    H = tfim((8,))
    whole = sampled_energy(psi, H, 1000, batch_size=1000, seed=2)
    assert whole.error > 0
    pieces = sampled_energy(psi, H, 1000, batch_size=300, seed=2)
    assert pieces.n_samples == 1000 and pieces.energy != whole.energy  # other draws (one generator, other sizes)
    assert abs(pieces.energy - whole.energy) < 4 * math.hypot(pieces.error, whole.error)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda psi: sampled_energy(psi, tfim((8,)), 1), "n_samples must be"),
        (lambda psi: sampled_energy(psi, tfim((8,)), 10, batch_size=0), "batch_size must be"),
    ],
)
def test_sampled_energy_bad_inputs(call, message):
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], seed=0)
    with pytest.raises(InputError, match=message):
        call(psi)


def test_a_phase_network_cannot_be_measured_by_tree_samples():
    psi = ConvACWaveFunction(ARCHS["chain 8, per position"], weights="signed", phase=True, seed=0)
    with pytest.raises(InputError, match="exact sampling needs real amplitudes"):
        sampled_energy(psi, tfim((8,)), 100)
