"""convac.fx._advice: the layer each scale binds, layers too narrow for the data, widths at the same count."""

import math
import types

import numpy as np
import pytest
from torch import nn

from convac.datatensor import canonical_entanglement
from convac.datatensor._datasets import load_source
from convac.errors import ConvacError, InputError
from convac.fx._advice import LayerWidth, WidthChain, advise, layer_widths


def lenet_digits(c1=6, c2=16, f1=120, f2=84):
    """LeNet-5's shape on the bundled 8x8 digits: two conv + pool stages, then 120 -> 84 -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * 2 * 2, f1), nn.ReLU(), nn.Linear(f1, f2), nn.ReLU(), nn.Linear(f2, 10),
    )  # fmt: skip


def _torch_count(net):
    return sum(
        p.numel() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Conv1d, nn.Linear)) for p in m.parameters()
    )


@pytest.fixture(scope="module")
def digits_profile():
    x, y = load_source("digits", 150, 0, None, False, at_most=True)
    return canonical_entanglement(x, y)  # every block: 64 + 16 + 4


def test_the_chain_counts_what_torch_counts():
    for net, shape in [(lenet_digits(), (1, 8, 8)), (lenet_digits(3, 40), (1, 8, 8))]:
        chain = layer_widths(net, shape)
        assert chain.n_params() == _torch_count(net)
        assert [lw.channels for lw in chain.layers] == [
            6 if net[0].out_channels == 6 else 3,
            net[3].out_channels,
            120,
            84,
            10,
        ]
        assert [lw.cell for lw in chain.layers] == [1, 2, 0, 0, 0] and chain.layers[-1].fixed


@pytest.mark.parametrize("c1", [2, 6])
def test_lenet_on_digits_gives_a_sensible_answer(digits_profile, c1):
    net = lenet_digits(c1=c1)
    a = advise(net, (1, 8, 8), data=digits_profile)
    chain = layer_widths(net, (1, 8, 8))
    assert a.n_params == a.suggested_params == _torch_count(net)
    # the suggestion, built as a torch net, has exactly the same count
    s = [lw.suggested for lw in a.layers]
    assert _torch_count(lenet_digits(*s[:4])) == _torch_count(net) == chain.n_params()
    # independently: the data need of the first conv (cells of one position) is exp(S + ci + margin) at side 1
    first = digits_profile.levels[0]
    need = math.ceil(math.exp(first.mean + first.ci95 + a.margin))
    assert a.layers[0].lower_bound >= need
    for lw in a.layers:
        assert lw.too_narrow == (not lw.fixed and lw.channels < lw.lower_bound)
        assert lw.suggested >= lw.lower_bound
    if c1 == 2:  # two channels cannot carry single-pixel entanglement plus one bit
        assert a.layers[0].too_narrow and a.layers[0].suggested > 2
    # multiples of 8 except the layers the note names as fill
    fill = a.notes[0] if a.notes else ""
    for lw in a.layers[:-1]:
        assert lw.suggested % 8 == 0 or lw.name in fill
    # the convolution every block scale cuts through is named as binding there
    assert any(lw.binds for lw in a.layers)
    assert "too narrow" in a.table() or not any(lw.too_narrow for lw in a.layers)


def test_tie_groups_share_one_width_and_the_count_is_kept():
    chain = WidthChain(
        3,
        2,
        (
            LayerWidth("stem", 16, 9, True, 1, tie_group="res"),
            LayerWidth("mid", 8, 9, True, 1),
            LayerWidth("out", 16, 9, True, 1, tie_group="res"),
            LayerWidth("head", 10, 64, True, 0, fixed=True),
        ),
    )
    empty = types.SimpleNamespace(name="toy", rows=(), layer_labels=())
    lo_widths = WidthChain(chain.in_channels, 2, chain.layers)
    for multiple in (1, 4, 8):
        a = advise(None, (3, 8, 8), chain=lo_widths, analysis=empty, multiple=multiple)
        s = [lw.suggested for lw in a.layers]
        assert s[0] == s[2] and s[-1] == 10
        assert a.suggested_params == a.n_params == chain.n_params()
        assert chain.counts(np.asarray([[s[0], s[1]]]))[0] == chain.n_params()


def test_bad_inputs_are_one_sentence(digits_profile):
    net = lenet_digits()
    with pytest.raises(ConvacError, match="multiple"):
        advise(net, (1, 8, 8), multiple=0)
    with pytest.raises(InputError, match="measured on the grid 8x8, but the net reads 16x16"):
        advise(nn.Sequential(nn.Conv2d(1, 4, 1), nn.MaxPool2d(16), nn.Flatten(), nn.Linear(4, 2)), (1, 16, 16),
               data=digits_profile)  # fmt: skip
    with pytest.raises(InputError, match="depthwise convolutions with as many outputs as inputs"):
        layer_widths(nn.Sequential(nn.Conv2d(2, 4, 1, groups=2), nn.Flatten(), nn.Linear(4 * 16, 2)), (2, 4, 4))
    with pytest.raises(InputError, match="at least one convolution"):
        layer_widths(nn.Sequential(nn.Flatten(), nn.Linear(16, 2)), (1, 4, 4))
