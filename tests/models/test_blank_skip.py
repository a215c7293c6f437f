"""Blank skipping: the same logits and gradients as the full circuit, in every weight kind."""

import pytest
import torch
from torch import nn

from convac.data.patches import image_patches
from convac.errors import InputError, InternalError
from convac.models import _blank_skip as blank_skip
from convac.models.digit_nets import ConvACImageNet, _inked_mask, _patches_at
from convac.spec import Architecture

CHANNELS = [4, 3, 4, 2, 3, 4]


def _full_logits(net: ConvACImageNet, x: torch.Tensor) -> torch.Tensor:
    """The circuit over every position (what the forward computed before blank skipping)."""
    model = net.convac
    logits = model._mantissa_logits(model._scaled_scores(net.features(x), peak_at_most_one=True)[0])
    return logits + net.class_bias if net.neutral else logits


def _images(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(5, 1, 64, 64, dtype=torch.float64)
    x[0, 0, 20:31, 7:19] = torch.rand(11, 12, generator=g, dtype=torch.float64)  # a "digit"
    x[1] = (torch.rand(1, 64, 64, generator=g) > 0.97).double()  # scattered ink
    x[2, 0, [0, 0, 63, 63, 31], [0, 63, 0, 63, 32]] = torch.tensor([1.0, 0.5, -0.3, 2.0, 1e-3], dtype=torch.float64)
    x[3, 0, 40:64, 40:64] = torch.rand(24, 24, generator=g, dtype=torch.float64)  # touches two borders
    return x  # x[4] stays blank


def _net(seed: int, weights: str = "neutral") -> ConvACImageNet:
    net = ConvACImageNet(CHANNELS, seed=seed, weights=weights).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # away from the identity init, so every weight and mean matters
        for p in net.parameters():
            p.add_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return net


@pytest.mark.parametrize(("seed", "weights"), [(0, "neutral"), (1, "neutral"), (2, "positive"), (3, "signed")])
def test_skipping_forward_and_gradients_equal_the_full_circuit(seed, weights, monkeypatch):
    calls = _spy(monkeypatch)
    monkeypatch.setattr("convac.models.digit_nets._SKIP_MAX_ACTIVE", 1.0)  # skip even with this much ink
    net, x = _net(seed, weights), _images(seed)
    y = torch.tensor([0, 3, 7, 9, 2])
    results = []
    for forward in (net, lambda t: _full_logits(net, t)):
        net.zero_grad()
        logits = forward(x)
        nn.functional.cross_entropy(logits, y).backward()
        results.append((logits, [p.grad.clone() for p in net.parameters()]))
    (fast, fast_grads), (full, full_grads) = results
    assert calls == [1]
    # The two differ by a per-sample power of two (each path normalises blank regions differently),
    # which the softmax ignores; beyond that only by float64 rounding.
    torch.testing.assert_close(torch.log_softmax(fast, 1), torch.log_softmax(full, 1), rtol=1e-10, atol=1e-10)
    assert all(g.abs().sum() > 0 for g in full_grads)
    for a, b in zip(fast_grads, full_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


def test_blank_image_scores_every_class_alike_but_the_bias():
    net = _net(0)
    with torch.no_grad():
        net.class_bias.copy_(torch.arange(10.0))
    logits = net(torch.zeros(2, 1, 64, 64, dtype=torch.float64))
    torch.testing.assert_close(
        torch.log_softmax(logits, 1), torch.log_softmax(torch.arange(10.0).double(), 0).expand(2, 10)
    )


def test_active_patches_are_the_non_blank_patches():
    x = _images(3)
    index = _inked_mask(x).reshape(-1).nonzero().squeeze(1)
    patches = _patches_at(x, index)
    every = image_patches(x, 3).reshape(-1, 9)
    expected = every.ne(0).any(dim=1).nonzero().squeeze(1)  # brute force: every patch looked at
    assert torch.equal(index, expected)
    assert torch.equal(patches, every[index])


def _spy(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = blank_skip.active_scores
    monkeypatch.setattr("convac.models.digit_nets.active_scores", lambda *a: calls.append(1) or original(*a))
    return calls


def test_much_ink_takes_the_full_path(monkeypatch):
    calls = _spy(monkeypatch)
    net = ConvACImageNet(CHANNELS, seed=0)
    net(_images(0)[:1].float())  # one 11x12 "digit": 3.5 % of the positions see ink
    assert calls == [1]
    net(_images(0)[1:2].float())  # 3 % of the pixels inked anywhere: about a quarter of the positions
    assert calls == [1]


def test_features_that_are_not_max_normalised_take_the_full_path(monkeypatch):
    calls = _spy(monkeypatch)
    x = _images(0)[:1].float()
    net = ConvACImageNet(CHANNELS, seed=0, weights="positive")
    net(x)
    assert calls == [1]
    net.convac.representation_layer.normalize = False  # products could then leave float range unguarded
    torch.testing.assert_close(net(x), net.convac.logits(image_patches(x, 3)), rtol=1e-4, atol=1e-4)
    assert calls == [1]


def test_skipping_needs_a_square_grid_pooled_two_by_two():
    shared = Architecture.deep_2d(8, 8, n_features=2, channels=[2, 2, 2], shared=True)
    assert blank_skip.skippable(shared)
    assert not blank_skip.skippable(Architecture.deep_2d(8, 8, n_features=2, channels=[2, 2, 2], shared=False))
    assert not blank_skip.skippable(Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2]))
    with pytest.raises(InternalError, match="shared 2D deep ConvAC"):
        blank_skip.active_scores(
            torch.ones(1, 2),
            torch.zeros(1, dtype=torch.long),
            torch.ones(2),
            1,
            [],
            torch.eye(2),
            Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2]),
        )


def test_neutral_forward_rejects_bad_images():
    net = ConvACImageNet(CHANNELS, seed=0, weights="neutral")
    with pytest.raises(InputError, match="NaN or infinite"):
        net(torch.full((2, 1, 64, 64), float("nan")))
    with pytest.raises(InputError, match="images must be float"):
        net(torch.zeros(2, 1, 64, 64, dtype=torch.long))
