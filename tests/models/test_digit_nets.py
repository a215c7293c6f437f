"""The experiment's ConvAC twin: its convolutional Gaussian features equal the patch-based layer."""

import pytest
import torch

from convac.data.patches import image_patches
from convac.errors import ConvacError, InputError
from convac.models.digit_nets import ConvACImageNet


def test_conv_features_equal_patch_features_and_logits():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(3, 1, 64, 64, generator=g) > 0.9).float() * torch.rand(3, 1, 64, 64, generator=g)
    net = ConvACImageNet([1, 1, 2, 2, 4, 4], seed=0)
    net.initialize_from(x)
    patches = image_patches(x, 3)
    reference = net.convac.representation_layer(patches)
    torch.testing.assert_close(net.features(x), reference, rtol=1e-5, atol=1e-6)
    # Logits are defined up to a per-sample constant (the forward skips blank regions, whose float32
    # rounding, raised to thousands of positions, shifts all classes alike); the softmax is not.
    torch.testing.assert_close(
        torch.log_softmax(net(x), 1), torch.log_softmax(net.convac.logits(patches), 1), rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(net(x[:, 0]), net(x))  # (batch, H, W) is read as one channel


def test_conv_features_reject_bad_images():
    net = ConvACImageNet([1, 1, 2, 2, 4, 4], seed=0)
    with pytest.raises(ConvacError, match="images must be float"):
        net(torch.zeros(2, 3, 64, 64))
    with pytest.raises(ConvacError, match="images must be float"):
        net(torch.zeros(2, 1, 64, 64, dtype=torch.long))
    with pytest.raises(InputError, match="NaN or infinite"):
        net(torch.full((2, 1, 64, 64), float("nan")))


def test_family_model_weight_kind():
    from convac.models.digit_nets import build_family_model

    positive = build_family_model("convac", [1, 1, 2, 2, 4, 4], seed=0)
    signed = build_family_model("convac", [1, 1, 2, 2, 4, 4], seed=0, convac_weights="signed")
    assert positive.convac.weights == "positive" and signed.convac.weights == "signed"
    x = (torch.rand(2, 1, 64, 64) > 0.9).float()
    signed.initialize_from(x)
    logits = signed(x)
    torch.testing.assert_close(logits.norm(dim=1), signed.convac.temperature.detach().expand(2))
    # the ReLU family ignores the ConvAC weight kind
    relu_a = build_family_model("relu", [1, 1, 2, 2, 4, 4], seed=0)
    relu_b = build_family_model("relu", [1, 1, 2, 2, 4, 4], seed=0, convac_weights="signed")
    assert all(torch.equal(a, b) for a, b in zip(relu_a.parameters(), relu_b.parameters(), strict=True))
    with pytest.raises(InputError, match="weights must be one of 'positive', 'signed', 'neutral'"):
        build_family_model("convac", [1, 1, 2, 2, 4, 4], seed=0, convac_weights="mixed")


def test_neutral_blank_patch_maps_to_ones_and_blank_regions_are_factor_one():
    """Neutral kind: a blank patch's features are exactly ones, every weight column sums to 1,
    so a blank canvas scores alike for every class whatever the (trained) weights and Gaussians."""
    net = ConvACImageNet([3, 3, 2, 2, 4, 4], seed=0, weights="neutral")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # far from the initialisation, as after training
        for p in net.parameters():
            p.add_(torch.randn(p.shape, generator=g))
    blank = torch.zeros(2, 1, 64, 64)
    assert torch.equal(net.features(blank), torch.ones(2, 64 * 64, 10))
    for layer in range(net.convac.arch.depth):
        w = net.convac.conv_weight(layer)
        torch.testing.assert_close(torch.ones(w.shape[0]) @ w, torch.ones(w.shape[1]))
    torch.testing.assert_close(net.convac.output.sum(dim=0), torch.ones(10))
    # float32 column sums are 1 within 1e-7, which 4096 positions raise to 4e-4: check in float64
    scores = net.double().convac.circuit(net.features(blank.double()))
    torch.testing.assert_close(scores, torch.ones(2, 10, dtype=torch.float64), rtol=1e-10, atol=0)
    net.float()
    logits = net(blank).detach()
    bias = (net.class_bias - net.class_bias[0]).detach().expand(2, 10)
    torch.testing.assert_close(logits - logits[:, :1], bias, rtol=0, atol=2e-3)  # the 4e-4 above, in logs
    # a non-blank patch's features are those of the Gaussians divided by the blank patch's
    x = torch.zeros(1, 1, 64, 64)
    x[0, 0, 10, 10] = 0.7
    rep = net.convac.representation_layer
    patch = image_patches(x, 3)[0, 10 * 64 + 10].double()
    mean, scale = rep.mean.detach().double(), rep.log_scale.detach().double().exp()
    log_ratio = -0.5 * (((patch - mean) / scale) ** 2 - (mean / scale) ** 2).sum(dim=1)  # log f(patch) - log f(0)
    expected = torch.exp(log_ratio - log_ratio.max())
    torch.testing.assert_close(net.features(x)[0, 10 * 64 + 10].double(), expected, rtol=1e-4, atol=1e-6)


def test_neutral_kind_learns_a_pattern_on_a_blank_canvas():
    """A 3x3 pattern ('+' or 'x') at a random place on a blank 16x16 canvas: the neutral ConvAC fits it."""
    g = torch.Generator().manual_seed(0)
    plus = torch.tensor([[0.0, 1, 0], [1, 1, 1], [0, 1, 0]])
    cross = torch.tensor([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]])
    n = 64
    y = torch.arange(n) % 2
    x = torch.zeros(n, 1, 16, 16)
    for i in range(n):
        r, c = torch.randint(1, 12, (2,), generator=g).tolist()
        x[i, 0, r : r + 3, c : c + 3] = plus if y[i] == 0 else cross
    net = ConvACImageNet([4, 4, 4, 4], image_size=16, seed=0, weights="neutral")
    net.initialize_from(x)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float((net(x).argmax(1) == y).float().mean()) >= 0.95


def _logits_as_before(net, x):
    """The image ConvAC as computed before the fused path: two 3x3 convolutions, transposed
    features, the circuit with a renormalisation after every conv and every pool."""
    from convac.models import functional as F

    rep = net.convac.representation_layer
    a, b, c = rep.quadratic_form()
    m = rep.n_features
    conv = torch.nn.functional.conv2d
    quad = conv(x * x, a.view(m, 1, 3, 3), padding=1) - 2.0 * conv(x, b.view(m, 1, 3, 3), padding=1)
    if not net.neutral:
        quad = quad + c.view(1, m, 1, 1)
    features = rep.features_from_quadratic(quad, dim=1).flatten(2).transpose(1, 2)
    model, arch = net.convac, net.convac.arch
    h, e = F.normalize(features, torch.zeros(x.shape[0], dtype=torch.int64))
    for layer in range(arch.depth):
        h, e = F.normalize(F.pointwise_conv(h, model.conv_weight(layer)), e)
        h, e = F.normalize(F.product_pool(h, arch.layer_grid(layer), arch.window), e)
    logits = model._mantissa_logits(h[:, 0, :] @ model.output)
    return logits + net.class_bias if net.neutral else logits


@pytest.mark.parametrize("weights", ["positive", "signed", "neutral"])
@pytest.mark.parametrize("channels", [[8, 8, 4, 4, 2, 2], [2, 2, 4, 4, 8, 8]])
def test_fast_image_forward_equals_the_previous_computation(weights, channels):
    """Logits and gradients of the channels-last, fused path equal the old computation up to float
    rounding: in float32 both are about equally far from the float64 result (some gradients of these
    sparse canvases are ill-conditioned, so the yardstick is the old path's own float32 error)."""
    g = torch.Generator().manual_seed(3)
    x = (torch.rand(4, 1, 64, 64, generator=g) > 0.95).float() * torch.rand(4, 1, 64, 64, generator=g)
    y = torch.tensor([0, 3, 7, 9])
    net = ConvACImageNet(channels, seed=0, weights=weights)
    net.initialize_from(x)
    with torch.no_grad():  # away from the initialisation, as after training
        for p in net.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))

    def run(forward, model, images):
        logits = forward(model, images)
        loss = torch.nn.functional.cross_entropy(logits, y)
        return [logits.detach(), *torch.autograd.grad(loss, list(model.parameters()))]

    new = run(lambda n, images: n(images), net, x)
    old = run(_logits_as_before, net, x)
    exact = run(_logits_as_before, net.double(), x.double())
    for got, before, truth in zip(new, old, exact, strict=True):
        scale = float(truth.abs().max())
        err_new, err_old = (float((t.double() - truth).abs().max()) for t in (got, before))
        assert err_new <= 4 * err_old + 1e-5 * scale, (err_new, err_old, scale)
