"""One forward and one backward pass: the same terms, flips and Jacobian as the routes it replaces."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from wf_archs import ARCHS

from convac.errors import InternalError
from convac.wavefunction import ConvACWaveFunction, ExactSampler, tfim
from convac.wavefunction._estimators import Sampled
from convac.wavefunction._flips import flip_log_psi
from convac.wavefunction._one_pass import BatchPass, batch_pass

KINDS = {
    "positive": {"weights": "positive"},
    "signed": {"weights": "signed"},
    "signed-translation-flip": {"weights": "signed", "symmetry": "translation_spin_flip"},
    "positive-translation": {"weights": "positive", "symmetry": "translation"},
    "signed-spin-flip": {"weights": "signed", "symmetry": "spin_flip"},
}


@settings(max_examples=40, deadline=None)
@given(arch=st.sampled_from(sorted(ARCHS)), kind=st.sampled_from(sorted(KINDS)), seed=st.integers(0, 2**16))
def test_one_pass_gives_the_terms_flips_and_jacobian_of_the_separate_routes(arch, kind, seed):
    psi = ConvACWaveFunction(ARCHS[arch], seed=seed % 89, init="random", **KINDS[kind])
    sigma = torch.randint(0, 2, (5, ARCHS[arch].n_inputs), generator=torch.Generator().manual_seed(seed))
    one = BatchPass(psi, sigma)
    with torch.no_grad():
        assert torch.allclose(one.terms, psi.log_psi_terms(sigma), rtol=1e-12, atol=1e-12)
        assert torch.allclose(one.log_psi(), psi.log_psi(sigma), rtol=1e-12, atol=1e-12)
    flips, expected = one.flip_log_psi(), flip_log_psi(psi, sigma)
    assert torch.allclose(torch.exp(flips - expected), torch.ones_like(expected), rtol=1e-9)
    jac, per_copy = one.jacobian(), psi.per_sample_jacobian(sigma)
    assert jac.dtype == per_copy.dtype == torch.float64
    assert torch.allclose(jac, per_copy, rtol=1e-9, atol=1e-9 * float(per_copy.abs().max()))


def test_the_jacobian_is_the_derivative_of_log_psi_by_finite_differences():
    # independent of autograd's per-copy route: central differences of log|psi| per parameter
    psi = ConvACWaveFunction(ARCHS["square-4x4"], weights="signed", symmetry="translation_spin_flip", seed=2)
    sigma = torch.randint(0, 2, (3, 16), generator=torch.Generator().manual_seed(2))
    jac = BatchPass(psi, sigma).jacobian()
    params = psi.variational_parameters()
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    picks = torch.randperm(flat.numel(), generator=torch.Generator().manual_seed(0))[:12]
    h = 1e-6
    for k in picks.tolist():
        values = []
        for step in (h, -h):
            moved = flat.clone()
            moved[k] += step
            with torch.no_grad():
                torch.nn.utils.vector_to_parameters(moved, params)
                values.append(psi.log_psi(sigma).real)
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(flat, params)
        assert torch.allclose((values[0] - values[1]) / (2 * h), jac[:, k], rtol=1e-5, atol=1e-7)


def test_a_zero_image_leaves_the_flips_to_the_path_updates():
    psi = ConvACWaveFunction(ARCHS["chain-8"], weights="signed", seed=0)
    with torch.no_grad():
        psi.amplitude.conv[0][0, 0].zero_()  # every configuration with site 0 up has h = 0
    sigma = torch.tensor([[0, 1, 0, 1, 1, 0, 0, 1], [1, 1, 0, 1, 1, 0, 0, 1]])
    assert BatchPass(psi, sigma).flip_log_psi() is None


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(sorted(KINDS)), n=st.integers(1, 11), max_images=st.integers(1, 200), seed=st.integers(0, 99)
)
def test_chunks_of_any_size_give_the_one_pass_results(kind, n, max_images, seed):
    # chunks only bound memory: every result is per sample, so the concatenation is the whole pass
    psi = ConvACWaveFunction(ARCHS["square-4x4"], seed=seed, init="random", **KINDS[kind])
    sigma = torch.randint(0, 2, (n, 16), generator=torch.Generator().manual_seed(seed))
    whole, chunked = BatchPass(psi, sigma), batch_pass(psi, sigma, max_images=max_images)
    assert chunked.terms.shape == whole.terms.shape and chunked.jacobian.shape == (n, psi.n_params)
    assert torch.allclose(chunked.terms, whole.terms, rtol=1e-12, atol=1e-12)
    assert torch.allclose(chunked.log_psi, whole.log_psi(), rtol=1e-12, atol=1e-12)
    assert torch.allclose(chunked.flips, whole.flip_log_psi(), rtol=1e-12, atol=1e-12)
    assert torch.allclose(chunked.jacobian, whole.jacobian(), rtol=1e-10, atol=1e-12)
    assert batch_pass(psi, sigma, jacobian=False, max_images=max_images).jacobian is None


def test_one_chunk_with_a_zero_image_leaves_every_flip_to_the_path_updates():
    psi = ConvACWaveFunction(ARCHS["chain-8"], weights="signed", seed=0)
    with torch.no_grad():
        psi.amplitude.conv[0][0, 0].zero_()
    sigma = torch.tensor([[1, 1, 0, 1, 1, 0, 0, 1], [0, 1, 0, 1, 1, 0, 0, 1]])  # site 0 up (bit 0): h = 0
    assert batch_pass(psi, sigma, max_images=1).flips is None
    assert batch_pass(psi, sigma[:1], max_images=1).flips is not None


def test_a_phase_network_is_not_covered():
    psi = ConvACWaveFunction(ARCHS["chain-8"], weights="signed", phase=True, seed=0)
    assert not BatchPass.applies(psi)
    with pytest.raises(InternalError, match="phase network"):
        BatchPass(psi, torch.zeros(1, 8, dtype=torch.int64))


def test_the_sr_estimate_by_one_pass_equals_the_per_copy_estimate(monkeypatch):
    H = tfim((4, 4), field=3.0)
    psi = ConvACWaveFunction(ARCHS["square-4x4"], weights="signed", symmetry="translation_spin_flip", seed=1)
    fast = Sampled(psi, H, ExactSampler(psi, 16, seed=0)).estimate(4, 0, with_sr=True)
    monkeypatch.setattr(BatchPass, "applies", staticmethod(lambda psi: False))
    slow = Sampled(psi, H, ExactSampler(psi, 16, seed=0)).estimate(4, 0, with_sr=True)
    assert fast.energy == pytest.approx(slow.energy, rel=1e-12)
    assert fast.variance == pytest.approx(slow.variance, rel=1e-9)
    for a, b in ((fast.gradient, slow.gradient), (fast.sr_x, slow.sr_x), (fast.sr_e, slow.sr_e)):
        assert torch.allclose(a, b, rtol=1e-9, atol=1e-10)
