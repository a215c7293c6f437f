"""The paper's ReLU ConvNet, the ConvAC twin, and the channel-schedule registry."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from convac.errors import ArchitectureError, ConvacError, InputError
from convac.models.digit_nets import ConvACImageNet, build_family_model
from convac.models.relu_convnet import ReLUConvNet
from convac.spec._paper import SCHEDULES, parse_schedule, wide_base, wide_tip


@given(st.integers(1, 40))
@settings(max_examples=15, deadline=None)
def test_hidden_and_output_weights_are_31r2_plus_50r(r: int) -> None:
    for schedule in (wide_base, wide_tip):
        net = ReLUConvNet(schedule(r), seed=0)
        assert net.hidden_output_weights() == 31 * r * r + 50 * r
        # Independent count: every 1x1 conv is c_in*c_out, the output r_last*10; biases are extra.
        widths = [10, *schedule(r)]
        by_hand = sum(a * b for a, b in itertools.pairwise(widths)) + widths[-1] * 10
        assert net.hidden_output_weights() == by_hand
        biases = sum(schedule(r)) + 10
        rep = 10 * 9 + 10
        assert sum(p.numel() for p in net.parameters()) == by_hand + biases + rep


def test_relu_net_geometry_and_max_pool_locality() -> None:
    net = ReLUConvNet(wide_tip(1), seed=0)
    assert net(torch.zeros(2, 64, 64)).shape == (2, 10)
    # Max pooling in 2x2 windows: moving the digit within its 64x64 cell of the final 1x1 grid changes
    # the output, and with every layer 1x1 the net reads each pixel's 3x3 neighbourhood only.
    x = torch.zeros(1, 1, 64, 64)
    x[0, 0, 10, 10] = 1.0
    y = torch.zeros(1, 1, 64, 64)
    y[0, 0, 40, 50] = 1.0
    # A single isolated pixel gives the same 3x3 patch anywhere, and max pooling forgets where it was.
    assert torch.allclose(net(x), net(y))
    same_seed = ReLUConvNet(wide_tip(1), seed=0)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), same_seed.parameters(), strict=True))


def _alive_channels(net: ReLUConvNet, x: torch.Tensor) -> list[float]:
    h = torch.relu(net.representation(x))
    alive = [float((h.amax(dim=(0, 2, 3)) > 0).float().mean())]
    for conv in net.hidden:
        h = torch.nn.functional.max_pool2d(torch.relu(conv(h)), 2)
        alive.append(float((h.amax(dim=(0, 2, 3)) > 0).float().mean()))
    return alive


def test_data_dependent_init_revives_every_channel() -> None:
    from convac.data.tasks import make_task

    train, _ = make_task("local", n_train=96, n_test=4, seed=0)
    probe, held_out = train.images(torch.arange(64)), train.images(torch.arange(64, 96))
    he = ReLUConvNet(wide_base(2), seed=0)
    # The failure it fixes: with He init alone the narrow top layer of this net is dead on every image,
    # so the output does not depend on the input at all.
    assert _alive_channels(he, held_out)[-1] == 0.0
    assert torch.allclose(he(held_out), he(held_out[:1]).expand(32, -1))
    net = ReLUConvNet(wide_base(2), seed=0)
    net.initialize_from(probe)
    # Channels are shifted to their median over the probe's ink positions, so each is positive on about
    # half of them; only ties at the median (few positions in the last layers) can leave one at zero.
    assert min(_alive_channels(net, probe)) >= 0.5 and min(_alive_channels(net, held_out)) >= 0.5
    assert net(held_out).std(dim=0).mean() > 0.05
    # Each representation channel is positive on about half of the ink positions of the probe.
    z = net.representation(probe)
    ink = torch.nn.functional.max_pool2d(probe, 3, 1, 1)[:, 0] > 0
    frac = (z.permute(1, 0, 2, 3)[:, ink] > 0).float().mean(dim=1)
    assert ((frac > 0.4) & (frac < 0.6)).all()


@torch.no_grad()
def _layer_inputs(net: ReLUConvNet, x: torch.Tensor) -> list[torch.Tensor]:
    """What each conv of ``net`` reads (its input), computed by a plain forward pass."""
    inputs, h = [x], torch.relu(net.representation(x))
    for conv in net.hidden:
        inputs.append(h)
        h = torch.nn.functional.max_pool2d(torch.relu(conv(h)), 2)
    return inputs


@pytest.fixture(scope="module")
def local_probe() -> torch.Tensor:
    from convac.data.tasks import make_task

    train, _ = make_task("local", n_train=64, n_test=4, seed=1)
    return train.images(torch.arange(64))


def test_ink_positions_match_a_separate_blank_pass_and_the_receptive_field(local_probe: torch.Tensor) -> None:
    net = ReLUConvNet(wide_base(3), seed=0)
    fractions = net.initialize_from(local_probe)
    # Independent: the probe and a blank canvas through the initialised net in separate calls (other
    # batch sizes, so other kernels), compared with a tolerance relative to the layer's scale.
    probe_in, blank_in = _layer_inputs(net, local_probe), _layer_inputs(net, torch.zeros(1, 1, 64, 64))
    # The receptive field: the input's ink grown by the 3x3 conv, then halved by each pool before the layer.
    field = torch.nn.functional.max_pool2d((local_probe > 0).float(), 3, 1, 1)[:, 0] > 0
    for i, (h, blank) in enumerate(zip(probe_in, blank_in, strict=True)):
        scale = float(torch.cat([h, blank]).abs().amax())
        differs = ~torch.isclose(h, blank.expand_as(h), rtol=0, atol=1e-4 * scale).all(dim=1)
        if i == 0:
            differs = torch.nn.functional.max_pool2d(differs.float().unsqueeze(1), 3, 1, 1)[:, 0] > 0
        if i >= 2:
            field = torch.nn.functional.max_pool2d(field.float().unsqueeze(1), 2)[:, 0] > 0
        assert fractions[i] == pytest.approx(float(differs.float().mean()), abs=2e-4)
        # Ink never appears outside the receptive field, and most of the field differs from blank.
        assert not (differs & ~field).any()
        assert float(field.float().mean()) * 0.5 <= fractions[i] <= float(field.float().mean())
    # ~1 % at the input (an 8x8 glyph on 64x64) growing with the receptive field, not 100 % from layer 2 on.
    assert fractions[0] < 0.03 and fractions[3] < 0.1 and fractions[4] < 0.2
    assert fractions == sorted(fractions)


def test_init_does_not_depend_on_the_batch_size(local_probe: torch.Tensor) -> None:
    whole, single = ReLUConvNet(wide_tip(3), seed=0), ReLUConvNet(wide_tip(3), seed=0)
    assert whole.initialize_from(local_probe) == single.initialize_from(local_probe, chunk=1)
    for a, b in zip(whole.parameters(), single.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"ink": "fuzzy"}, InputError, "ink must be"),
        ({"chunk": 0}, InputError, "chunk must be a positive integer"),
    ],
)
def test_initialize_from_refuses_bad_options(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ReLUConvNet(wide_tip(1), seed=0).initialize_from(torch.zeros(2, 1, 64, 64), **kwargs)


def test_relu_net_errors() -> None:
    with pytest.raises(ArchitectureError, match="64x64 image"):
        ReLUConvNet([1, 1, 1, 1, 1, 1], image_size=32)
    with pytest.raises(ArchitectureError, match="must be a positive integer"):
        ReLUConvNet([1, 0, 1, 1, 1, 1])
    with pytest.raises(InputError, match="images must have shape"):
        ReLUConvNet(wide_tip(1))(torch.zeros(1, 1, 32, 32))


def test_schedules_registry_and_custom_tokens() -> None:
    assert set(SCHEDULES) == {"wide_base", "wide_tip"}
    for name, fn in SCHEDULES.items():
        for r in (1, 3, 7):
            assert parse_schedule(name).channels(r) == fn(r)
    s = parse_schedule("design=0.5,1,1.5,2,3,4.25")
    assert s.channels(4) == [2, 4, 6, 8, 12, 17]
    assert s.channels(1) == [1, 1, 2, 2, 3, 4]  # max(1, round(.)) keeps every layer alive; 0.5 rounds to 0
    assert parse_schedule(s.token) == s
    assert parse_schedule("wide_base").token == "wide_base"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("wide_middle", "unknown schedule 'wide_middle'"),
        ("x=1,2,3", "has 3 multipliers"),
        ("x=1,2,3,4,5,a", "must be numbers"),
        ("x=1,2,3,4,5,-1", "positive and finite"),
        ("wide_tip=1,1,1,1,1,1", "not a registered name"),
        ("=1,1,1,1,1,1", "bad schedule name"),
    ],
)
def test_bad_schedules(token: str, message: str) -> None:
    with pytest.raises(ConvacError, match=message):
        parse_schedule(token)


def test_convac_family_has_the_same_geometry() -> None:
    net = build_family_model("convac", wide_base(1), seed=0)
    assert isinstance(net, ConvACImageNet)
    arch = net.convac.arch
    assert arch.grid == (64, 64) and list(arch.channels) == wide_base(1) and arch.n_features == 10
    assert arch.shared and arch.n_outputs == 10
    x = torch.zeros(3, 1, 64, 64)
    x[:, 0, 5:9, 5:9] = 1.0
    net.initialize_from(x)
    logits = net(x)
    assert logits.shape == (3, 10) and torch.isfinite(logits).all()
    with pytest.raises(InputError, match="family must be 'relu' or 'convac', got 'transformer'"):
        build_family_model("transformer", wide_base(1), seed=0)
