"""The ConvAC wave function: amplitudes are the coefficient tensor, exact at depth, Schmidt rank <= min-cut."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from wf_archs import ARCHS as NAMED_ARCHS

import convac
from convac.errors import ArchitectureError, ConvacTypeError, InputError
from convac.wavefunction import ConvACWaveFunction, ground_state, state_entanglement, tfim
from convac.wavefunction._entanglement import entanglement_figure, entanglement_report, standard_partitions
from convac.wavefunction._estimators import bits_of
from convac.wavefunction._tree import amplitude_vector


def _all_states(n):
    return bits_of(np.arange(2**n), n)


ARCHS = [
    convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 2]),
    convac.Architecture.deep_1d(n_inputs=12, n_features=2, channels=[2, 3, 2], windows=[2, 3, 2]),
    convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=[3, 2]),
    convac.Architecture.deep_2d(
        height=2, width=4, n_features=2, channels=[3, 2], windows=[(1, 2), (2, 2)], shared=True
    ),
]


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: f"{a.grid}-{a.channels}")
@pytest.mark.parametrize("weights", ["positive", "signed"])
def test_amplitudes_are_the_coefficient_tensor(arch, weights):
    psi = ConvACWaveFunction(arch, weights=weights, seed=2)
    table = convac.coefficient_tensor(psi.amplitude).ravel()
    sigma = _all_states(arch.n_inputs)
    log_psi = psi.log_psi(sigma).detach()
    amp = torch.exp(log_psi).real.numpy() if log_psi.is_complex() else torch.exp(log_psi).numpy()
    assert np.allclose(amp, table, rtol=1e-10, atol=0)
    tree = amplitude_vector(psi).detach().numpy()
    assert np.allclose(tree / np.abs(tree).max(), table / np.abs(table).max(), atol=1e-12)


def test_phase_network_amplitudes_match_log_psi():
    arch = ARCHS[0]
    psi = ConvACWaveFunction(arch, phase=True, seed=0)
    log_psi = psi.log_psi(_all_states(8)).detach()
    direct = torch.exp(log_psi - log_psi.real.max())
    tree = amplitude_vector(psi).detach()
    tree = tree / tree.abs().max()
    assert psi.is_complex and torch.allclose(direct, tree, atol=1e-12)


def test_log_psi_is_exact_at_depth_without_overflow():
    # 256 spins, all weights 2 on one channel: psi = product of sums, log psi known in closed form.
    arch = convac.Architecture.deep_1d(n_inputs=256, n_features=2, channels=[1] * 8)
    psi = ConvACWaveFunction(arch, seed=0)
    with torch.no_grad():
        for raw in psi.variational_parameters():
            raw.fill_(math.log(2.0))
    sigma = torch.randint(0, 2, (3, 256))
    # each leaf: 2; each layer multiplies pairs then the conv scales by 2 -> log2 psi = 256 + sum_l 2^(8-l) ... count
    expected = (256 + sum(2 ** (8 - layer) for layer in range(1, 8)) + 1) * math.log(2.0)
    assert torch.allclose(psi.log_psi(sigma), torch.full((3,), expected, dtype=torch.float64), rtol=1e-12)


def test_per_sample_jacobian_matches_one_backward_per_sample():
    psi = ConvACWaveFunction(ARCHS[2], weights="signed", phase=True, seed=1)
    sigma = torch.randint(0, 2, (4, 16))
    jac = psi.per_sample_jacobian(sigma)
    for b in range(4):
        out = psi.log_psi(sigma[b : b + 1])[0]
        for part, column in ((out.real, jac[b].real), (out.imag, jac[b].imag)):
            grads = torch.autograd.grad(part, psi.variational_parameters(), retain_graph=True, allow_unused=True)
            flat = torch.cat(
                [
                    (torch.zeros_like(p) if g is None else g).reshape(-1)
                    for g, p in zip(grads, psi.variational_parameters(), strict=True)
                ]
            )
            assert torch.allclose(flat, column, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), which=st.integers(0, 3), signed=st.booleans())
def test_ansatz_schmidt_rank_never_exceeds_min_cut(seed, which, signed):
    arch = ARCHS[which]
    psi = ConvACWaveFunction(arch, weights="signed" if signed else "positive", seed=seed)
    rows = entanglement_report(psi, standard_partitions(arch.grid))
    for row in rows:
        assert row.ansatz_rank <= row.min_cut
        assert row.ansatz_entropy <= math.log(row.min_cut) + 1e-9


def test_entanglement_report_matches_state_entanglement_of_the_amplitudes(tmp_path):
    arch = ARCHS[0]
    psi = ConvACWaveFunction(arch, seed=5)
    _, exact = ground_state(tfim((8,)))
    rows = entanglement_report(psi, standard_partitions((8,)), exact)
    amp = amplitude_vector(psi).detach().numpy()
    for row in rows:
        assert row.ansatz_entropy == pytest.approx(state_entanglement(amp, row.partition).entropy, abs=1e-10)
        assert row.exact_entropy == pytest.approx(state_entanglement(exact, row.partition).entropy, abs=1e-12)
    fig = entanglement_figure(rows, tmp_path / "spectra.png", title="test")
    assert len(fig.axes) == len(rows) and (tmp_path / "spectra.png").stat().st_size > 0
    assert set(rows[0].to_dict()) >= {"label", "min_cut", "ansatz_entropy", "exact_entropy"}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ConvACWaveFunction("arch"), ConvacTypeError, "arch must be a convac.Architecture"),
        (
            lambda: ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=8, n_features=3, channels=[2, 2, 2])),
            ArchitectureError,
            "needs a deep architecture with n_features=2",
        ),
        (
            lambda: ConvACWaveFunction(convac.Architecture.shallow(n_inputs=8, n_features=2, hidden=2)),
            ArchitectureError,
            "got a shallow one",
        ),
        (lambda: ConvACWaveFunction(ARCHS[0], weights="complex"), InputError, "weights must be 'positive' or 'signed'"),
        (lambda: ConvACWaveFunction(ARCHS[0], init_noise=1.5), InputError, "init_noise must be a number in [0, 1)"),
        (lambda: entanglement_report(ConvACWaveFunction(ARCHS[0]), {}), InputError, "partitions is empty"),
        (lambda: entanglement_figure([]), InputError, "no rows to draw"),
    ],
)
def test_bad_inputs_raise_convac_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


def test_uniform_initialisation_starts_near_the_uniform_superposition():
    psi = ConvACWaveFunction(ARCHS[0], weights="signed", init="uniform", init_noise=0.0)
    amp = amplitude_vector(psi).detach()
    assert torch.allclose(amp, amp[0].expand_as(amp))
    with pytest.raises(InputError, match="init must be 'uniform' or 'random'"):
        ConvACWaveFunction(ARCHS[0], init="zeros")


@settings(max_examples=30, deadline=None)
@given(
    arch=st.sampled_from(sorted(NAMED_ARCHS)),
    symmetry=st.sampled_from(["none", "translation_spin_flip", "spin_flip"]),
    extra=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    seed=st.integers(0, 99),
)
def test_a_widened_ansatz_has_the_same_amplitudes_and_can_use_its_new_channels(arch, symmetry, extra, seed):
    base = NAMED_ARCHS[arch]
    if symmetry == "translation_spin_flip" and base.shared:
        symmetry = "spin_flip"
    psi = ConvACWaveFunction(base, weights="signed", symmetry=symmetry, seed=seed)
    channels = [c + e for c, e in zip(base.channels, extra, strict=False)]
    wide = psi.widened(channels, seed=seed + 1)
    assert wide.arch.channels == tuple(channels) and wide.symmetry == symmetry
    # every amplitude (amplitude_vector is up to a positive factor), and log psi itself on samples
    a, b = amplitude_vector(wide), amplitude_vector(psi)
    assert torch.allclose(a / a.norm(), b / b.norm(), rtol=1e-10, atol=1e-14)
    sigma = torch.randint(0, 2, (4, base.n_inputs), generator=torch.Generator().manual_seed(seed))
    assert torch.allclose(wide.log_psi(sigma), psi.log_psi(sigma), rtol=1e-12, atol=1e-12)
    for was, new in zip(psi.amplitude.conv, wide.amplitude.conv, strict=True):
        # a new column has the norm of the layer's old columns at its position (their mean)
        rows, cols = was.shape[-2:]
        expected = was.norm(dim=-2).mean(dim=-1, keepdim=True).expand(*was.shape[:-2], new.shape[-1] - cols)
        assert torch.allclose(new[..., :rows, cols:].norm(dim=-2), expected, rtol=1e-12)
    if sum(extra[: len(channels)]):
        # the zero rows a new channel feeds have a nonzero derivative, so training can open them

        def moving(ansatz):  # parameters with a nonzero derivative at some sample
            return int((ansatz.per_sample_jacobian(sigma).abs().sum(0) > 0).sum())

        assert moving(wide) > moving(psi)


@pytest.mark.parametrize(
    ("kwargs", "channels", "message"),
    [
        ({"weights": "signed"}, [3, 2], "one width per layer"),
        ({"weights": "signed"}, [2, 4, 2], "at least the current one"),
        ({"weights": "positive"}, [3, 4, 2], "signed weights"),
        ({"weights": "signed", "phase": True}, [3, 4, 2], "phase network"),
    ],
)
def test_widening_refuses_what_it_cannot_keep(kwargs, channels, message):
    psi = ConvACWaveFunction(NAMED_ARCHS["chain-8"], seed=0, **kwargs)
    with pytest.raises(ArchitectureError, match=message):
        psi.widened(channels)
