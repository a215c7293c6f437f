"""DeepConvAC / ShallowConvAC: exact scores, stability at depth, seeds, bad input."""

import math

import pytest
import torch

import convac
from convac import Architecture, DeepConvAC, InputError, ShallowConvAC


def make(arch, **kw):
    cls = DeepConvAC if arch.kind == "deep" else ShallowConvAC
    return cls(arch, **kw)


def test_scores_exact_against_float64_product_of_logs():
    # Positive weights + Gaussian features: every score is positive, so log h can be computed
    # independently in log space (logsumexp) and compared with the mantissa/exponent result.
    arch = Architecture.deep_1d(256, 3, [4] * 8, n_outputs=2)
    model = DeepConvAC(arch, seed=3).double()
    x = torch.randn(4, 256, 1, dtype=torch.float64)
    features = model.representation(x).detach()
    mantissa, exponent = model.circuit(features, return_exponent=True)
    log_h = torch.log(mantissa) + exponent.unsqueeze(-1).double() * math.log(2)
    log_x = torch.log(features)
    for layer in range(arch.depth):
        log_w = torch.log(model.weight_matrices(layer).detach())  # (P, c_in, c_out)
        log_x = torch.logsumexp(log_x.unsqueeze(-1) + log_w.unsqueeze(0), dim=2)
        log_x = log_x.view(4, -1, 2, log_x.shape[-1]).sum(dim=2)
    ref = torch.logsumexp(log_x[:, 0].unsqueeze(-1) + torch.log(model.output.detach()), dim=1)
    assert torch.allclose(log_h, ref, rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_circuit_is_exact_when_representable(dtype):
    arch = Architecture.deep_1d(8, 2, [3, 3, 3], n_outputs=2)
    model = DeepConvAC(arch, seed=0, weights="signed").to(dtype)
    feats = torch.rand(5, 8, 2, dtype=dtype) + 0.5
    m, e = model.circuit(feats, return_exponent=True)
    assert torch.allclose(model.circuit(feats), m * torch.pow(2.0, e.to(dtype)).unsqueeze(-1))


def _depth_check(arch, x):
    torch.manual_seed(0)
    model = DeepConvAC(arch, seed=0)
    scores = model(x)
    assert torch.isfinite(scores).all()
    _m, e = model.circuit(model.representation(x), return_exponent=True)
    # the true scores are far outside float32: the exponent carries them
    assert e.abs().min() > 150
    logits = model.logits(x)
    assert torch.isfinite(logits).all()
    logits.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_stable_1d_4096_inputs_float32():
    arch = Architecture.deep_1d(4096, 4, [4] * 12, n_outputs=2)
    _depth_check(arch, torch.rand(3, 4096, 1))


def test_stable_2d_64x64_float32():
    arch = Architecture.deep_2d(64, 64, 4, [4] * 6, n_outputs=2)
    _depth_check(arch, torch.rand(3, 64, 64, 1))


def _scores_with_two_normalizations_per_layer(model, features):
    """The deep circuit as it was computed before conv_pool, straight from the functional ops."""
    from convac.models import functional as F

    x, e = F.normalize(features, torch.zeros(features.shape[0], dtype=torch.int64))
    for layer in range(model.arch.depth):
        x, e = F.normalize(F.pointwise_conv(x, model.conv_weight(layer)), e)
        x, e = F.normalize(F.product_pool(x, model.arch.layer_grid(layer), model.arch.window), e)
    return x[:, 0, :] @ model.output, e


@pytest.mark.parametrize("weights", ["positive", "signed"])
@pytest.mark.parametrize("two_d", [False, True])
def test_deep_circuit_and_gradients_equal_the_two_normalization_circuit(weights, two_d):
    """4096 inputs in float32 (scores near 2**-4000): the fused layers give the old mantissa,
    exponent and gradients, and agree with float64."""
    arch = (
        Architecture.deep_2d(64, 64, 4, [4, 3, 4, 3, 4, 3], n_outputs=3, shared=False)
        if two_d
        else Architecture.deep_1d(4096, 4, [4, 3] * 6, n_outputs=3)
    )
    model = DeepConvAC(arch, seed=1, weights=weights)
    x = torch.rand(3, 4096, 1, generator=torch.Generator().manual_seed(2))
    features = model.representation(x)
    m, e = model.circuit(features, return_exponent=True)
    m_ref, e_ref = _scores_with_two_normalizations_per_layer(model, features)
    assert e.abs().min() > 150
    assert torch.equal(m, m_ref) and torch.equal(e, e_ref)
    params = list(model.parameters())
    probe = torch.linspace(-1, 1, 3)
    grads = torch.autograd.grad((model.logits(x) * probe).sum(), params)
    logits_ref = model._mantissa_logits(_scores_with_two_normalizations_per_layer(model, model.representation(x))[0])
    grads_ref = torch.autograd.grad((logits_ref * probe).sum(), params)
    for got, ref in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-7)
    model64 = model.double()
    m64, e64 = model64.circuit(model64.representation(x.double()), return_exponent=True)
    log2_h = torch.log2(m.double().abs()) + e.double().unsqueeze(-1)
    log2_h64 = torch.log2(m64.abs()) + e64.double().unsqueeze(-1)
    torch.testing.assert_close(log2_h, log2_h64, rtol=0, atol=1e-3)


@pytest.mark.parametrize("two_d", [False, True])
def test_trains_at_depth(two_d):
    """A 4096-input ConvAC in float32 trains on a small task: every patch is shifted by
    +-0.5 sigma according to the class, so the evidence is spread over all 4096 inputs.

    The 1D network learns it (measured: train accuracy 1.0 by epoch 3). The 2D one only
    lowers its loss within this budget: at this depth a product network's top vector is
    dominated by one channel per input, so credit reaches the losing channels slowly.
    """
    g = torch.Generator().manual_seed(0)
    y = torch.arange(48) % 2
    x = torch.randn(48, 4096, 1, generator=g) + (y.float() - 0.5).view(-1, 1, 1)
    arch = (
        Architecture.deep_2d(64, 64, 4, [4] * 6, n_outputs=2)
        if two_d
        else Architecture.deep_1d(4096, 4, [4] * 12, n_outputs=2)
    )
    model = DeepConvAC(arch, seed=0)
    model.representation_layer.initialize_from(x, seed=0, width=1.0)
    result = convac.fit(
        model,
        (x, y),
        epochs=4 if two_d else 5,
        lr=0.1 if two_d else 0.05,
        batch_size=8,
        seed=0,
        progress=False,
    )
    losses = [h["loss"] for h in result.history]
    assert all(math.isfinite(v) for v in losses)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert losses[-1] < 0.6 * losses[0]
    if not two_d:
        assert result.train_accuracy >= 0.9


@pytest.mark.parametrize("rep", ["gaussian", "neuron", "onehot"])
def test_representations_shapes(rep):
    arch = Architecture.deep_2d(4, 4, 3, [2, 2], n_outputs=2)
    model = DeepConvAC(arch, representation=rep, patch_dim=2, seed=0)
    x = torch.randint(0, 3, (5, 16)) if rep == "onehot" else torch.randn(5, 16, 2)
    assert model.representation(x).shape == (5, 16, 3)
    grid_x = x.view(5, 4, 4) if rep == "onehot" else x.view(5, 4, 4, 2)
    assert torch.equal(model(grid_x), model(x))


def test_gaussian_features_match_formula():
    rep = convac.models.GaussianRepresentation(patch_dim=2, n_features=3, normalize=False)
    x = torch.randn(2, 4, 2)
    ref = torch.exp(-0.5 * (((x.unsqueeze(-2) - rep.mean) / rep.log_scale.exp()) ** 2).sum(-1))
    assert torch.allclose(rep(x), ref)
    normalized = convac.models.GaussianRepresentation(patch_dim=2, n_features=3)
    normalized.load_state_dict(rep.state_dict())
    assert torch.allclose(normalized(x), ref / ref.amax(dim=-1, keepdim=True))


def test_seed_gives_identical_weights_and_leaves_global_rng():
    arch = Architecture.deep_1d(8, 2, [2, 2, 2])
    state = torch.random.get_rng_state()
    a, b = DeepConvAC(arch, seed=7), DeepConvAC(arch, seed=7)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=False))
    c = DeepConvAC(arch, seed=8)
    assert not torch.equal(a.conv[0], c.conv[0])


def test_shared_weights_are_shared():
    arch = Architecture.deep_1d(8, 2, [2, 2, 2], shared=True)
    model = DeepConvAC(arch, seed=0)
    w = model.weight_matrices(0)
    assert w.shape == (8, 2, 2) and torch.equal(w[0], w[5])
    assert sum(p.numel() for p in model.conv) + model.output_raw.numel() == arch.n_params


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m: m(torch.randn(2, 8)), InputError, r"shape \(batch, n_inputs, patch_dim=1\)"),
        (lambda m: m(torch.randn(2, 7, 1)), InputError, "expected 8 patches"),
        (lambda m: m(torch.ones(2, 8, 1, dtype=torch.long)), TypeError, "floating-point"),
        (lambda m: m(torch.full((2, 8, 1), float("nan"))), InputError, "NaN or infinite"),
        (lambda m: m(torch.full((2, 8, 1), float("inf"))), InputError, "NaN or infinite"),
        (lambda m: m([[0.0] * 8]), TypeError, "torch.Tensor"),
        (lambda m: m.circuit(torch.rand(2, 8, 3)), InputError, "M=2"),
        (lambda m: m.circuit(torch.rand(2, 8, 2, dtype=torch.float64)), TypeError, "model.double"),
        (lambda m: m.circuit(torch.ones(2, 8, 2, dtype=torch.int32)), TypeError, "floating-point"),
        (lambda m: m.circuit(torch.tensor([[[float("nan"), 1.0]] * 8])), InputError, "NaN"),
    ],
)
def test_bad_inputs(call, error, match):
    model = DeepConvAC(Architecture.deep_1d(8, 2, [2, 2, 2]), seed=0)
    with pytest.raises(error, match=match):
        call(model)


@pytest.mark.parametrize("model_class", [DeepConvAC, ShallowConvAC])
def test_onehot_model_in_float64_scores_its_coefficient_tensor(model_class):
    # a one-hot layer has no weights; its features follow .double() all the same
    arch = Architecture.deep_1d(4, 3, [2, 2]) if model_class is DeepConvAC else Architecture.shallow(4, 3, hidden=2)
    model = model_class(arch, representation="onehot", seed=0, weights="signed").double()
    codes = torch.tensor([[0, 2, 1, 1], [2, 2, 0, 1]])
    scores = model(codes)
    assert scores.dtype == torch.float64
    tensor = convac.coefficient_tensor(model)
    for row, code in zip(scores[:, 0].tolist(), codes.tolist(), strict=True):
        assert row == pytest.approx(float(tensor[tuple(code)]), rel=1e-12)
    assert model.float()(codes).dtype == torch.float32
    assert "_like" not in model.state_dict() and not any("_like" in k for k in model.state_dict())


def test_bad_onehot_inputs():
    model = DeepConvAC(Architecture.deep_1d(4, 3, [2, 2]), representation="onehot", seed=0)
    with pytest.raises(TypeError, match="integer dtype"):
        model(torch.zeros(2, 4))
    with pytest.raises(InputError, match=r"codes must lie in 0..2"):
        model(torch.full((2, 4), 3))
    with pytest.raises(InputError, match="shape"):
        model(torch.zeros(2, 4, 1, dtype=torch.long))


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (
            lambda a: DeepConvAC(a, representation="fourier"),
            ValueError,
            "representation must be one of 'gaussian', 'neuron', 'onehot', got 'fourier'",
        ),
        (lambda a: DeepConvAC(a, representation=3), TypeError, "representation must be"),
        (
            lambda a: DeepConvAC(a, representation="neuron", activation="swish"),
            ValueError,
            "activation must be one of",
        ),
        (lambda a: DeepConvAC(a, weights="complex"), ValueError, "'positive' or 'signed'"),
        (lambda a: DeepConvAC(a, patch_dim=0), ValueError, "patch_dim"),
        (lambda a: ShallowConvAC(a), convac.ArchitectureError, "needs a shallow architecture"),
        (lambda a: DeepConvAC({"kind": "deep"}), TypeError, "convac.Architecture"),
    ],
)
def test_bad_model_construction(build, error, match):
    with pytest.raises(error, match=match):
        build(Architecture.deep_1d(4, 2, [2, 2]))


# ---------------------------------------------------------------------------- signed logits
def test_signed_logits_are_unit_scores_times_temperature():
    arch = Architecture.deep_1d(16, 3, [4, 4, 4, 4], n_outputs=5)
    model = DeepConvAC(arch, seed=0, weights="signed").double()
    with torch.no_grad():
        model.log_temperature.fill_(math.log(7.0))
    x = torch.randn(6, 16, 1, dtype=torch.float64)
    scores = model(x).detach()  # exact here: the scores are well inside float64's range
    ref = 7.0 * scores / scores.norm(dim=1, keepdim=True)
    assert torch.allclose(model.logits(x), ref, rtol=1e-12, atol=0)
    assert float(model.temperature.detach()) == pytest.approx(7.0)


def test_signed_logits_exactly_invariant_to_power_of_two_rescale_of_scores():
    """Scaling every feature of a sample by a power of two scales its scores by another power of two;
    the logits must not move at all (no rounding either: the circuit absorbs powers of two exactly)."""
    arch = Architecture.deep_1d(16, 3, [4, 4, 4, 4], n_outputs=5)
    model = DeepConvAC(arch, seed=1, weights="signed")
    feats = model.representation(torch.randn(4, 16, 1)).detach()
    k = torch.tensor([-60.0, -3.0, 5.0, 90.0]).view(4, 1, 1)
    scaled = torch.ldexp(feats, k)
    _m0, e0 = model.circuit(feats, return_exponent=True)
    _m1, e1 = model.circuit(scaled, return_exponent=True)
    assert torch.equal(e1 - e0, (16 * k.view(4)).long())  # the scores really moved by 2**(16 k)
    assert torch.equal(model.feature_logits(scaled), model.feature_logits(feats))


def test_signed_logits_finite_at_depth_and_gradient_reaches_temperature():
    arch = Architecture.deep_1d(4096, 4, [4] * 12, n_outputs=3)
    model = DeepConvAC(arch, seed=0, weights="signed")
    x = torch.rand(3, 4096, 1)
    _m, e = model.circuit(model.representation(x), return_exponent=True)
    assert e.abs().min() > 150  # the scores themselves are far outside float32
    logits = model.logits(x)
    assert torch.isfinite(logits).all()
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2])).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert model.log_temperature.grad.abs() > 0


def test_positive_models_have_no_temperature():
    """Positive models keep exactly their parameters (state_dict, parameter counts, optimiser state)."""
    arch = Architecture.deep_1d(8, 3, [4, 4, 4], n_outputs=2)
    positive = DeepConvAC(arch, seed=0)
    signed = DeepConvAC(arch, seed=0, weights="signed")
    assert positive.temperature is None
    assert sorted(n for n, _ in positive.named_parameters()) == [
        "conv.0",
        "conv.1",
        "conv.2",
        "output_raw",
        "representation_layer.log_scale",
        "representation_layer.mean",
    ]
    names = {n for n, _ in signed.named_parameters()}
    assert names - {n for n, _ in positive.named_parameters()} == {"log_temperature"}
    # logits start with unit root-mean-square over the classes
    assert float(signed.temperature.detach()) == pytest.approx(math.sqrt(2))


def test_signed_model_learns_a_small_task():
    """Digits 0-2 of the bundled set, a small 2D signed ConvAC, 6 epochs (about a second): it learns,
    and it learns its confidence through the temperature."""
    from convac.data import image_patches, load_digits

    images, labels = load_digits()
    keep = labels < 3
    x, y = image_patches(images[keep], 3), labels[keep]
    arch = Architecture.deep_2d(8, 8, 8, [8, 8, 8], n_outputs=3)
    model = DeepConvAC(arch, representation="gaussian", patch_dim=9, seed=0, weights="signed")
    model.representation_layer.initialize_from(x[:300], seed=0)
    start = float(model.temperature.detach())
    result = convac.fit(model, (x[:300], y[:300]), (x[300:], y[300:]), epochs=6, lr=0.03, batch_size=16, progress=False)
    assert result.history[-1]["loss"] < 0.25 * result.history[0]["loss"]
    assert result.test_accuracy >= 0.9
    assert float(model.temperature.detach()) > start
