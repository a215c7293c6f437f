"""Residual additions, concatenations, grouped/depthwise convolutions, strides and dilations in the fx mapping.

Each tiny instance is mapped to its compact graph, checked node by node, and its ConvAC analogue's
function rank over GF(p) (random weights, sampled inputs) must sit under the function bound.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import convac
from convac import Partition
from convac.errors import InputError
from convac.fx import SUPPORTED_LAYERS, analyze_module, module_architecture, module_graph
from convac.mincut import function_bound
from convac.spec import GraphArchitecture

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mincut"))
from graph_function import function_rank


class ResBlock(nn.Module):
    """A BasicBlock-shaped residual unit with a 1x1 stride-2 shortcut, then a pooled head."""

    def __init__(self, dim: int = 2, width: int = 2, stride: int = 2) -> None:
        super().__init__()
        conv = nn.Conv1d if dim == 1 else nn.Conv2d
        bn = nn.BatchNorm1d if dim == 1 else nn.BatchNorm2d
        pool = nn.AdaptiveAvgPool1d if dim == 1 else nn.AdaptiveAvgPool2d
        self.stem = conv(1, 2, 1)
        self.conv1 = conv(2, width, 3, stride=stride, padding=1)
        self.bn1 = bn(width)
        self.conv2 = conv(width, width, 3, padding=1)
        self.short = conv(2, width, 1, stride=stride)
        self.head = nn.Sequential(pool(1), nn.Flatten(), nn.Linear(width, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.stem(x))
        out = self.conv2(torch.relu(self.bn1(self.conv1(h))))
        out += self.short(h)
        return self.head(torch.relu(out))


class Identity(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 2, 1)
        self.conv = nn.Conv2d(2, 2, 3, padding=2, dilation=2)
        self.head = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 2 * 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        return self.head(torch.add(h, self.conv(h)))


class Concat(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv1d(1, 2, 1)
        self.a = nn.Conv1d(2, 1, 3, padding=1)
        self.b = nn.Conv1d(2, 2, 1)
        self.head = nn.Sequential(nn.MaxPool1d(2), nn.Flatten(), nn.Linear(3 * 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        return self.head(torch.cat([self.a(h), self.b(h)], dim=1))


def depthwise(dim: int = 2) -> nn.Sequential:
    conv = nn.Conv1d if dim == 1 else nn.Conv2d
    pool = nn.AdaptiveAvgPool1d if dim == 1 else nn.AdaptiveAvgPool2d
    return nn.Sequential(
        conv(1, 2, 1), conv(2, 2, 3, padding=1, groups=2), nn.ReLU(), conv(2, 4, 1), nn.ReLU(),
        conv(4, 4, 3, stride=2, padding=1, groups=2), pool(1), nn.Flatten(), nn.Linear(4, 2),
    )  # fmt: skip


def test_residual_block_maps_to_sum_and_strided_shortcut() -> None:
    g = module_graph(ResBlock(), (1, 4, 4))
    ops = [(n.op, n.inputs, n.channels, n.stride, n.label) for n in g.nodes]
    assert ops == [
        ("conv", (0,), 2, (2, 2), "conv1"),
        ("conv", (1,), 2, (1, 1), "conv2"),
        ("conv", (0,), 2, (2, 2), "short"),
        ("add", (2, 3), None, 1, "add"),  # fx names `out += ...` add
        ("conv", (4,), None, (2, 2), "head.0"),
    ]
    assert g.labels[0] == "stem" and g.node_grid(4) == (2, 2)
    assert g.tie_groups == ((2, 3),)
    spec, labels = module_architecture(ResBlock(), (1, 4, 4))
    assert spec == g and labels == g.labels


def test_identity_shortcut_with_dilation_and_functional_add() -> None:
    g = module_graph(Identity(), (1, 4, 4))
    assert [(n.op, n.inputs, n.dilation) for n in g.nodes][:2] == [("conv", (0,), (2, 2)), ("add", (0, 1), 1)]
    assert g.tie_groups == ((0, 1),)  # the stem's width is tied to the branch's by the identity sum


def test_concat_and_depthwise_map() -> None:
    g = module_graph(Concat(), (1, 4))
    ops = [(n.op, n.inputs) for n in g.nodes]
    assert ops == [("conv", (0,)), ("conv", (0,)), ("concat", (1, 2)), ("conv", (3,)), ("conv", (4,))]
    assert g.node_channels(3) == 3
    d = module_graph(depthwise(), (1, 4, 4))
    assert [n.groups for n in d.nodes if n.op == "conv"][:3] == [2, 1, 2]
    assert d.tie_groups == ((0, 1),)  # the depthwise conv keeps its input's width


@pytest.mark.parametrize(
    ("net", "shape"),
    [
        (ResBlock(dim=2), (1, 4, 4)),
        (ResBlock(dim=1, width=3, stride=1), (1, 6)),
        (Identity(), (1, 4, 4)),
        (Concat(), (1, 4)),
        (depthwise(2), (1, 4, 4)),
        (depthwise(1), (1, 6)),
    ],
)
def test_exact_function_rank_sits_under_the_bound(net: nn.Module, shape: tuple[int, ...]) -> None:
    g = module_graph(net, shape)
    grid = g.grid
    parts = [Partition.left_right(grid), Partition.checkerboard(grid)]
    if len(grid) == 2:
        parts.append(Partition.up_down(grid))
    for part in parts:
        bound = function_bound(g, part).value
        assert function_rank(g, part, samples=min(bound + 2, 40)) <= bound


def test_analyze_module_reports_the_function_bound_and_layer_info() -> None:
    a = analyze_module(ResBlock(), (1, 4, 4))
    assert isinstance(a.arch, GraphArchitecture)
    assert all(r.bound == "function" and r.onehot is None and r.lower_bound is None for r in a.rows)
    assert [r.value for r in a.rows] == [function_bound(a.arch, r.scale.partition((4, 4))).value for r in a.rows]
    assert a.tie_groups == (("conv2", "short"),)
    info = {i.label: i for i in a.layers}
    assert (info["conv1"].channels, info["conv1"].weights_per_in, info["conv1"].weights_per_out) == (2, 18, 18)
    assert info["add"].weights_per_in == 0
    d = a.to_dict()
    assert d["architecture"]["kind"] == "graph" and d["tie_groups"] == [["conv2", "short"]]
    assert d["scales"][0]["bound"] == "function" and "log2 function" in a.table()


def test_overlapping_chain_reports_both_bounds() -> None:
    net = nn.Sequential(nn.Conv1d(1, 2, 1), nn.Conv1d(2, 3, 2), nn.Conv1d(3, 3, 2), nn.Flatten(), nn.Linear(3, 1))
    a = analyze_module(net, (1, 3), families=["left_right"])
    (row,) = a.rows
    assert row.bound == "function" and row.onehot is not None and row.onehot <= row.value
    assert convac.min_cut(a.arch, row.scale.partition((3,))).value == row.onehot
    assert analyze_module(net, (1, 3), onehot=False).rows[0].onehot is None


class _Product(ResBlock):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        return self.head(self.conv1(h) * self.short(h))


class _CatWidth(Concat):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        return self.head(torch.cat([h, self.b(h)], dim=2)[:, :, ::2][:, :3].repeat(1, 2, 1)[:, :3])


class _SkipInput(Concat):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.stem(x), x], dim=1))


class _AfterFlatten(Concat):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.flatten(self.stem(x), 1)
        return h + h.relu()


@pytest.mark.parametrize(
    ("net", "shape", "match"),
    [
        (_Product(), (1, 4, 4), r"fx node 'mul' \(function mul\): it is a layer combining two branches"),
        (_CatWidth(), (1, 4), r"fx node 'cat' \(function cat\): it concatenates along dim=2"),
        (_SkipInput(), (1, 4), r"fx node 'cat'.*of the input itself, before the representation convolution"),
        (_AfterFlatten(), (1, 4), r"after the flatten the layers must form one chain"),
    ],
)
def test_graph_refusals_name_the_layer_in_one_line(net: nn.Module, shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        module_graph(net, shape)
    assert "\n" not in str(info.value) and str(info.value).endswith(SUPPORTED_LAYERS)
