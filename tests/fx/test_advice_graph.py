"""convac.fx._advice on residual, concatenation, grouped and depthwise nets: exact counts and tie groups."""

import numpy as np
import pytest
import torch
from torch import nn

from convac.datatensor import canonical_entanglement
from convac.datatensor._datasets import load_source
from convac.errors import InputError
from convac.fx import module_graph
from convac.fx._advice import advise, layer_widths
from convac.fx.zoo import mobilenet, resnet18


class Tiny(nn.Module):
    """A residual sum, a concatenation of two branches and a grouped convolution on 8x8 inputs."""

    def __init__(self, a=6, b=5, c=4, d=8, groups=2):
        super().__init__()
        self.stem = nn.Conv2d(1, a, 3, padding=1)
        self.c1 = nn.Conv2d(a, b, 3, padding=1)
        self.c2 = nn.Conv2d(b, a, 3, padding=1, bias=False)
        self.branch = nn.Conv2d(a, c, 1)
        self.mix = nn.Conv2d(a + c, d, 3, stride=2, padding=1, groups=groups)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(d, 3)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.c2(torch.relu(self.c1(x)))
        z = torch.cat([x, self.branch(x)], dim=1)
        return self.fc(torch.flatten(self.pool(self.mix(z)), 1))


def _torch_count(net):
    return sum(
        p.numel() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Conv1d, nn.Linear)) for p in m.parameters()
    )


def _variables(chain, other):
    """The width variables of ``chain`` read off another net of the same family (tied layers must agree)."""
    out = []
    for members in chain.groups():
        widths = {other.layers[m].channels for m in members}
        assert len(widths) == 1, (members, widths)  # a tie group of chain holds one width in the rebuilt net
        out.append(widths.pop())
    return np.asarray([out], dtype=np.int64)


CASES = [
    (lambda w: resnet18("cifar", widths=w), (8, 16, 16, 32), (16, 8, 24, 40), (3, 32, 32)),
    (lambda w: resnet18("imagenet", widths=w), (8, 16, 16, 32), (24, 16, 8, 16), (3, 32, 32)),
    (lambda w: mobilenet(widths=w), (8, 16, 24), (24, 8, 16), (3, 16, 16)),
    (lambda w: Tiny(*w), (6, 5, 4, 8), (10, 3, 8, 12), (1, 8, 8)),
]


@pytest.mark.parametrize(("make", "small", "other", "shape"), CASES)
def test_the_width_model_counts_what_torch_counts_at_any_widths(make, small, other, shape):
    chain = layer_widths(make(small), shape)
    assert chain.n_params() == _torch_count(make(small))
    rebuilt = make(other)
    assert int(chain.counts(_variables(chain, layer_widths(rebuilt, shape)))[0]) == _torch_count(rebuilt)


@pytest.mark.parametrize(("make", "small", "shape"), [(c[0], c[1], c[3]) for c in CASES])
def test_tie_groups_are_the_graph_tie_groups(make, small, shape):
    net = make(small)
    chain = layer_widths(net, shape)
    graph = module_graph(net, shape)
    by_label = {lw.name: lw.tie_group for lw in chain.layers}
    from_graph = {frozenset(graph.labels[i] for i in group) for group in graph.tie_groups}
    from_chain: dict = {}
    for lw in chain.layers:
        if lw.tie_group is not None:
            from_chain.setdefault(lw.tie_group, set()).add(lw.name)
    assert from_graph == {frozenset(g) for g in from_chain.values()}
    assert all(by_label[name] is not None for group in from_graph for name in group)


def test_tiny_reads_its_concatenation_and_groups():
    chain = layer_widths(Tiny(), (1, 8, 8))
    by = {lw.name: (j, lw) for j, lw in enumerate(chain.layers)}
    assert by["mix"][1].reads == (by["stem"][0], by["branch"][0]) and by["mix"][1].groups == 2
    assert by["stem"][1].tie_group == by["c2"][1].tie_group == "stem" and by["fc"][1].fixed
    assert [lw.name for lw in chain.layers if lw.depthwise] == []
    dw = layer_widths(mobilenet(widths=(8, 16)), (3, 8, 8))
    assert [(lw.name, lw.kernel, lw.tie_group) for lw in dw.layers if lw.depthwise] == [("3", 9, "0")]


def test_advice_on_a_residual_net_keeps_ties_and_the_count():
    x, y = load_source("digits", 150, 0, None, False, at_most=True)
    profile = canonical_entanglement(x, y)
    net = Tiny(a=2, b=6, c=8, d=16, groups=1)
    a = advise(net, (1, 8, 8), data=profile)
    s = {lw.name: lw.suggested for lw in a.layers}
    assert s["stem"] == s["c2"] and a.layers[0].too_narrow and s["stem"] >= a.layers[0].lower_bound
    rebuilt = Tiny(s["stem"], s["c1"], s["branch"], s["mix"], groups=1)
    assert _torch_count(rebuilt) == a.suggested_params
    assert a.suggested_params == a.n_params or a.fill == "below"
    assert "tied to stem" in a.table()


class _Odd(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.how = how
        self.a, self.b = nn.Conv2d(1, 4, 1), nn.Conv2d(1, 2, 1)
        self.fc = nn.Linear(4 * 16 if how == "cat" else 8 * 16, 2)

    def forward(self, x):
        if self.how == "cat":  # along the height: not a concatenation of channels
            z = torch.cat([self.a(x)[:, :, :2], self.a(x)[:, :, 2:]], dim=2)
        elif self.how == "repeat":
            z = self.a(x).repeat(1, 2, 1, 1)
        else:  # a sum of two concatenations made differently
            z = torch.cat([self.a(x), self.a(x)], 1) + torch.cat([self.b(x), self.b(x), self.a(x)], 1)
        return self.fc(torch.flatten(z, 1))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("cat", "advise reads concatenations along the channels; cat joins along axis 2"),
        ("repeat", "advise cannot tell how repeat makes 8 channels from its inputs"),
        ("sum", "advise cannot keep the widths add joins equal: they are made differently"),
    ],
)
def test_nets_the_width_model_cannot_read_are_refused_in_one_sentence(how, message):
    with pytest.raises(InputError, match=message):
        layer_widths(_Odd(how), (1, 4, 4))
