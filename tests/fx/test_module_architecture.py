"""convac.fx: torch.fx tracing, the ConvAC analogue of a CNN, its tree twin and its analysis (analyze_module)."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from cnn_shapes import LeNet5, vgg_style
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

import convac
from convac import Architecture, InputError, analyze, analyze_module
from convac.analysis import analyze_general, paper_architecture, pooling_twin, tree_twin
from convac.errors import ConvacError, ConvacTypeError
from convac.fx import SUPPORTED_LAYERS, module_architecture
from convac.models.relu_convnet import ReLUConvNet
from convac.spec import ConvStep, GeneralArchitecture
from convac.spec._paper import wide_base, wide_tip


def _windows_supported() -> bool:
    try:
        Architecture.deep_1d(6, 2, [2, 2], windows=[2, 3])  # type: ignore[call-arg]
    except TypeError:
        return False
    return True


needs_windows = pytest.mark.skipif(not _windows_supported(), reason="Architecture(..., windows=) (branch windows)")


# ---------------------------------------------------------------- the paper's ReLU ConvNet = its ConvAC twin


@pytest.mark.parametrize("channels", [wide_base(2), wide_tip(2), [3, 1, 4, 1, 5, 2]])
def test_relu_convnet_equals_its_convac_twin_row_for_row(channels):
    net = ReLUConvNet(channels, seed=0)
    got = analyze_module(net, (1, 64, 64))
    # the CNN's convolutions share weights: the twin is the paper's shared-weight ConvAC, whose weight
    # count is the ReLU net's hidden + output weights (31 r^2 + 50 r for wide-base / wide-tip)
    assert got.arch == paper_architecture(channels)
    assert got.arch.n_params == net.hidden_output_weights()
    twin = Architecture.deep_2d(64, 64, n_features=10, channels=channels)
    want = analyze(twin)
    assert got.rows == want.rows == analyze(paper_architecture(channels)).rows
    assert [(r.label, r.value, r.log2, r.lower_bound, r.cut_layers, r.binding) for r in got.rows] == [
        (r.label, r.value, r.log2, r.lower_bound, r.cut_layers, r.binding) for r in want.rows
    ]
    assert got.layer_labels == ("representation", *(f"hidden.{i}+max_pool2d{f'_{i}' if i else ''}" for i in range(6)))


def test_relu_convnet_spec_and_its_training_state_untouched():
    net = ReLUConvNet([2, 2], image_size=4, rep_channels=3, seed=0).train()
    spec, labels = module_architecture(net, (1, 4, 4))
    assert spec.grid == (4, 4) and spec.n_features == 3 and spec.n_outputs == 10
    assert [(s.channels, s.kernel, s.stride) for s in spec.steps] == [
        (2, (1, 1), (1, 1)),
        (None, (2, 2), (2, 2)),
        (2, (1, 1), (1, 1)),
        (None, (2, 2), (2, 2)),
    ]
    assert labels == ("representation", "hidden.0", "max_pool2d", "hidden.1", "max_pool2d_1")
    assert net.training and all(m.training for m in net.modules())


def test_batch_norm_statistics_are_not_updated():
    net = nn.Sequential(
        nn.Conv1d(1, 2, 3, padding=1), nn.BatchNorm1d(2), nn.MaxPool1d(4), nn.Flatten(), nn.Linear(8, 1)
    )
    before = net[1].running_mean.clone(), net[1].num_batches_tracked.clone()
    analyze_module(net, (1, 16))
    assert torch.equal(net[1].running_mean, before[0]) and torch.equal(net[1].num_batches_tracked, before[1])
    assert net.training


def test_1d_network_equals_deep_1d_analysis():
    net = nn.Sequential(
        nn.Conv1d(2, 3, 5, padding=2),
        nn.GELU(),
        nn.Dropout(0.1),
        nn.Conv1d(3, 4, 1),
        nn.Tanh(),
        nn.AvgPool1d(2),
        nn.Conv1d(4, 5, 1),
        nn.Sigmoid(),
        nn.MaxPool1d(2),
        nn.Conv1d(5, 2, 1),
        nn.LeakyReLU(),
        nn.AdaptiveMaxPool1d(1),
        nn.Flatten(),
        nn.Linear(2, 3),
    )
    got = analyze_module(net, (2, 8), name="tiny")
    twin = Architecture.deep_1d(8, n_features=3, channels=[4, 5, 2], n_outputs=3, shared=True)
    assert got.arch == twin and got.name == "tiny"
    assert got.rows == analyze(twin).rows
    # small enough for the exact generic rank: analyze's rank column comes along
    assert all(r.rank is not None and r.rank <= r.value for r in got.rows)
    assert got.layer_labels == ("0", "3+5", "6+8", "9+11")
    assert "layer 2 (9+11)" in got.table()


def test_patchify_convolution_is_a_tree_layer():
    # a conv with kernel = stride tiles the grid: a hidden layer of its own
    net = nn.Sequential(nn.Conv2d(1, 4, 1), nn.Conv2d(4, 6, 2, stride=2), nn.ReLU(), nn.Conv2d(6, 5, 1),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5, 2))  # fmt: skip
    got = analyze_module(net, (1, 4, 4))
    twin = Architecture.deep_2d(4, 4, n_features=4, channels=[6, 5], n_outputs=2, shared=True)
    assert got.arch == twin and got.rows == analyze(twin).rows
    assert got.layer_labels == ("0", "1", "3+4")


def test_pooling_with_no_convolution_before_it_has_no_tree_twin():
    # The product multiplies activations directly, so its copy tensor fuses with the one below: the whole
    # network is sum_c prod_i (W_i x_i)_c, of rank <= 3 across any cut. A tree layer would put a 3x3 map
    # before the pooling (rank 4 = M^2 across the checkerboard): not the same network.
    spec = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(3, 2, 2), ConvStep(None, 2, 2)])
    assert tree_twin(spec) is None
    with_map = Architecture.deep_1d(4, 2, [3, 3], shared=True)
    assert analyze(with_map).rows[0].value == 4
    assert [r.value for r in analyze_general(spec).rows] == [3, 3]


# ---------------------------------------------------------------- mapping: LeNet-5, VGG, functional forms


def test_lenet5_maps_to_its_general_convac():
    spec, labels = module_architecture(LeNet5(), (1, 28, 28))
    assert spec == GeneralArchitecture(
        grid=(28, 28),
        n_features=6,
        steps=[
            ConvStep(None, 2, 2),
            ConvStep(16, 5),
            ConvStep(None, 2, 2),
            ConvStep(120, 5, 5),
            ConvStep(84, 1),
        ],
        n_outputs=10,
    )
    assert [spec.layer_grid(i) for i in range(6)] == [(28, 28), (14, 14), (10, 10), (5, 5), (1, 1), (1, 1)]
    assert labels == ("conv1", "max_pool2d", "conv2", "max_pool2d_1", "view+fc1", "fc2")
    assert not spec.is_tree and tree_twin(spec) is None


def test_vgg_style_maps_to_its_general_convac():
    spec, labels = module_architecture(vgg_style(), (3, 32, 32))
    assert spec.n_features == 16 and spec.grid == (32, 32) and spec.n_outputs == 10
    widths = [16, 32, 32, 64, 64, 128, 128, 128, 128]  # the first of the ten convs is the representation
    got = [(s.channels, s.kernel, s.stride, s.padding) for s in spec.steps]
    conv = [(c, k, st, p) for c, k, st, p in got if k == (3, 3)]
    assert conv == [(w, (3, 3), (1, 1), (1, 1)) for w in widths]
    assert sum(1 for c, k, st, p in got if c is None and k == (2, 2) and st == (2, 2)) == 5
    assert spec.steps[-1] == ConvStep(None, (2, 2), (2, 2), (0, 0), (1, 1))  # the head is the output layer
    assert [spec.layer_grid(i)[0] for i in range(spec.depth + 1)] == [32, 32, 16, 16, 16, 8, 8, 8, 4, 4, 4, 2, 2, 2, 1]
    assert labels[:3] == ("0", "3", "6")


def test_functional_forms_and_reshapes():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w0 = nn.Parameter(torch.randn(5, 2, 3, 3))
            self.w1 = nn.Parameter(torch.randn(7, 5, 1, 1))
            self.fc = nn.Linear(7 * 4, 3)

        def forward(self, x):
            h = torch.relu(F.conv2d(x, self.w0, padding="same"))
            h = F.avg_pool2d(torch.tanh(F.conv2d(h, self.w1)) * 2.0 + 1.0, kernel_size=(2, 1), stride=(2, 1))
            h = F.adaptive_avg_pool2d(h.relu(), (2, 2))
            return F.log_softmax(self.fc(torch.flatten(h, 1)), dim=1)

    spec, labels = module_architecture(Net(), (2, 8, 4))
    assert spec.grid == (8, 4) and spec.n_features == 5
    assert [(s.channels, s.kernel, s.stride) for s in spec.steps] == [
        (7, (1, 1), (1, 1)),
        (None, (2, 1), (2, 1)),
        (None, (2, 2), (2, 2)),
        (3, (2, 2), (2, 2)),  # the output layer alone reads the 2x2 grid: a map per position, a product
    ]
    assert spec.n_outputs == 3
    assert labels == ("conv2d", "conv2d_1", "avg_pool2d", "adaptive_avg_pool2d", "flatten+fc")


@pytest.mark.parametrize(
    ("size", "out", "kernel", "stride"),
    [(8, 2, 4, 4), (4, 3, 2, 1), (6, 1, 6, 6), (7, 7, None, None)],
)
def test_adaptive_pooling_becomes_its_equivalent_windows(size, out, kernel, stride):
    net = nn.Sequential(nn.Conv1d(1, 2, 1), nn.AdaptiveAvgPool1d(out), nn.Flatten(), nn.Linear(2 * out, 1))
    spec, _ = module_architecture(net, (1, size))
    if kernel is None:  # output size = input size: no step; the output layer reads the grid
        assert spec.steps == (ConvStep(1, (size,), (size,), (0,), (1,)),)
    else:
        assert spec.steps[0] == ConvStep(None, (kernel,), (stride,), (0,), (1,))
        # the spec's windows are torch's windows
        for q in range(out):
            lo, hi = (q * size) // out, -((-(q + 1) * size) // out)
            assert spec.window(0, (q,)) == tuple((c,) for c in range(lo, hi))


def test_meta_tracer_handles_shape_checks_in_forward():
    class Checked(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Conv1d(1, 2, 1), nn.MaxPool1d(4), nn.Flatten(), nn.Linear(2, 2))

        def forward(self, x):
            if x.dim() == 2:
                x = x.unsqueeze(1)
            if x.shape[-1] != 4:
                raise ValueError("bad")
            return self.body(x)

    spec, _ = module_architecture(Checked(), (1, 4))
    assert spec.n_features == 2 and spec.steps == (ConvStep(None, (4,), (4,), (0,), (1,)),)


# ---------------------------------------------------------------- receptive fields: the spec's windows are torch's


def _composed(spec: GeneralArchitecture, layer: int, q: tuple[int, ...]) -> set[tuple[int, ...]]:
    """Layer-0 positions feeding position q of layer ``layer`` (the receptive field on the representation grid)."""
    frontier = {q}
    for step in reversed(range(layer)):
        frontier = {c for p in frontier for c in spec.window(step, p)}
    return frontier


@st.composite
def _bodies(draw):
    ndim = draw(st.sampled_from([1, 2]))
    grid = tuple(draw(st.integers(4, 9)) for _ in range(ndim))
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        k = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
        s = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
        if draw(st.booleans()):
            d = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
            p = tuple(draw(st.integers(0, dd * (kk - 1))) for kk, dd in zip(k, d, strict=True))
            layers.append(("conv", k, s, p, d, draw(st.integers(1, 3))))
        else:
            p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
            layers.append((draw(st.sampled_from(["avg", "max"])), k, s, p, (1,) * ndim, None))
    return grid, layers


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_bodies())
def test_spec_windows_are_the_torch_receptive_fields(body):
    grid, layers = body
    ndim = len(grid)
    conv = nn.Conv1d if ndim == 1 else nn.Conv2d
    avg, mx = (nn.AvgPool1d, nn.MaxPool1d) if ndim == 1 else (nn.AvgPool2d, nn.MaxPool2d)
    modules: list[nn.Module] = [conv(1, 2, 1)]
    c = 2
    size = list(grid)
    for kind, k, s, p, d, out in layers:
        span = [dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True)]
        size = [(n + 2 * pp - sp) // ss + 1 for n, pp, sp, ss in zip(size, p, span, s, strict=True)]
        assume(min(size) >= 1)
        if kind == "conv":
            modules.append(conv(c, out, k, stride=s, padding=p, dilation=d).double())
            c = out
        else:
            modules.append((avg if kind == "avg" else mx)(k, stride=s, padding=p))
    body_net = nn.Sequential(*modules).double()
    net = nn.Sequential(*modules, nn.Flatten(), nn.Linear(c * int(torch.tensor(size).prod()), 2)).double()
    torch.set_default_dtype(torch.float64)
    try:
        spec, _ = module_architecture(net, (1, *grid))
    finally:
        torch.set_default_dtype(torch.float32)
    n_body = len(layers)
    assert spec.layer_grid(n_body) == tuple(size)
    # dependence of every output position on the representation grid, by autograd with random weights;
    # max pooling routes the gradient to one entry, so only average pooling and convs are checked exactly
    if any(kind == "max" for kind, *_ in layers):
        return
    z = torch.randn(1, 2, *grid, dtype=torch.float64, requires_grad=True)
    y = nn.Sequential(*list(body_net)[1:])(z)
    for q in itertools.product(*(range(n) for n in size)):
        (g,) = torch.autograd.grad(y[(0, slice(None), *q)].sum(), z, retain_graph=True)
        seen = {tuple(int(v) for v in idx) for idx in (g[0].abs().sum(0) > 0).nonzero()}
        assert seen == _composed(spec, n_body, q), (q, spec)


# ---------------------------------------------------------------- refusals name the layer, one line


class _Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))

    def forward(self, x):
        h = torch.relu(self.conv1(x))
        return self.head(torch.relu(self.conv2(h)) + h)


class _Concat(_Residual):
    def forward(self, x):
        h = self.conv1(x)
        return torch.cat([h, self.conv2(h)], dim=1)


class _Branch(_Residual):
    def forward(self, x):
        h = self.conv1(x)
        self.conv2(h)
        return self.head(self.conv2(h))


class _DataDependent(_Residual):
    def forward(self, x):
        if x.sum() > 0:
            return self.head(self.conv1(x))
        return self.head(self.conv2(self.conv1(x)))


class _TwoInputs(_Residual):
    def forward(self, x, y):
        return self.head(self.conv1(x))


def _seq(*layers):
    return nn.Sequential(*layers)


_HEAD = (nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


@pytest.mark.parametrize(
    ("net", "shape", "match"),
    [
        (_Concat(), (1, 8, 8), r"the module's output: it must be flattened"),
        (_seq(nn.Conv2d(1, 4, 1), nn.Upsample(scale_factor=2), *_HEAD), (1, 8, 8), r"1 \(Upsample\).*not supported"),
        (_seq(nn.Conv2d(1, 4, 1), nn.LayerNorm([4, 8, 8]), *_HEAD), (1, 8, 8), r"1 \(LayerNorm\)"),
        (_seq(nn.MaxPool2d(2), nn.Conv2d(1, 4, 1), *_HEAD), (1, 8, 8), r"0 \(MaxPool2d\).*before the first conv"),
        (_seq(nn.Conv2d(1, 4, 1), nn.Linear(8, 8), *_HEAD), (1, 8, 8), r"1 \(Linear\).*flatten first"),
        (_seq(nn.Conv2d(1, 4, 1), nn.AdaptiveAvgPool2d(3), nn.Flatten(), nn.Linear(36, 2)), (1, 5, 5), r"unequal"),
        (_seq(nn.Conv2d(1, 4, 1), nn.Conv2d(4, 4, 2, padding="same"), *_HEAD), (1, 8, 8), r"padding='same'"),
        (_seq(nn.Conv2d(1, 4, 1), nn.MaxPool2d(2, ceil_mode=True), *_HEAD), (1, 5, 5), r"ceil_mode"),
        (
            _seq(nn.Conv2d(1, 4, 1), nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular"), *_HEAD),
            (1, 8, 8),
            r"padding_mode='circular'",
        ),
        (_seq(nn.Conv2d(1, 4, 1), nn.Conv2d(4, 4, 1, padding=1), *_HEAD), (1, 8, 8), r"padding 1 is not smaller"),
        (
            _seq(nn.Conv2d(1, 4, 1), nn.Conv1d(4, 4, 1), *_HEAD),
            (1, 8, 8),
            r"does not run on .* 1 \(Conv1d\) fails \(Expected",
        ),
        (_seq(nn.Conv2d(1, 4, 1), nn.Unflatten(1, (2, 2)), *_HEAD), (1, 8, 8), r"1 \(Unflatten\)"),
        (_seq(nn.Flatten(), nn.Linear(64, 2)), (1, 8, 8), r"0 \(Flatten\).*before the first conv"),
        (_seq(nn.Conv2d(1, 4, 1), nn.AdaptiveAvgPool2d(1)), (1, 8, 8), r"flattened to \(batch, n_outputs\)"),
        (_seq(nn.Conv2d(1, 4, 1), nn.MaxPool2d(2, return_indices=True)), (1, 8, 8), r"other than one tensor"),
        (_seq(nn.Conv2d(1, 4, 1), nn.Flatten(), nn.Linear(256, 2)), (1, 8, 8), r"Conv2d\)?.*|"),
    ],
)
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")  # the case's point
def test_unsupported_layers_are_refused_by_name_in_one_line(net, shape, match):
    if match == r"Conv2d\)?.*|":  # the control: a valid chain maps
        module_architecture(net, shape)
        return
    with pytest.raises(InputError, match=match) as info:
        module_architecture(net, shape)
    message = str(info.value)
    assert "\n" not in message
    if "supported:" in message:
        assert message.endswith(SUPPORTED_LAYERS)


def test_branches_sums_and_groups_now_map():
    graph, labels = module_architecture(_Residual(), (1, 8, 8))
    assert [n.op for n in graph.nodes] == ["conv", "add", "conv"] and labels[0] == "conv1"  # avg-pool, then Linear
    chain, _ = module_architecture(_Branch(), (1, 8, 8))  # the discarded conv2 call is a dead branch, left out
    assert isinstance(chain, GeneralArchitecture) and chain.depth == 2
    grouped, _ = module_architecture(_seq(nn.Conv2d(1, 4, 1), nn.Conv2d(4, 4, 3, groups=2), *_HEAD), (1, 8, 8))
    assert grouped.nodes[0].groups == 2


def test_untraceable_forward_is_one_clear_error():
    with pytest.raises(InputError, match=r"torch\.fx could not trace _DataDependent") as info:
        module_architecture(_DataDependent(), (1, 8, 8))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("net", "shape", "error", "match"),
    [
        (_TwoInputs(), (1, 8, 8), InputError, r"the inputs \(x, y\) of _TwoInputs: the forward must take one tensor"),
        (_seq(nn.Conv2d(3, 4, 1), *_HEAD), (1, 8, 8), InputError, r"shape \(batch, 1, 8, 8\): 0 \(Conv2d\) fails"),
        (_seq(nn.Conv2d(1, 4, 1), *_HEAD), (8, 8, 8, 8), InputError, "input_shape must be one sample's"),
        (_seq(nn.Conv2d(1, 4, 1), *_HEAD), (1, 0, 8), InputError, "input_shape"),
        (_seq(nn.Conv2d(1, 4, 1), *_HEAD), (1, 8.5, 8), ConvacTypeError, "input_shape must be a positive integer"),
        (_seq(nn.Conv2d(1, 4, 1), *_HEAD), "1,8,8", ConvacTypeError, "input_shape must be"),
        ("not a module", (1, 8, 8), ConvacTypeError, "torch.nn.Module"),
    ],
)
def test_bad_inputs(net, shape, error, match):
    with pytest.raises(error, match=match):
        analyze_module(net, shape)


def test_errors_are_convac_errors():
    assert issubclass(InputError, ConvacError) and issubclass(InputError, ValueError)


# ---------------------------------------------------------------- tree twins with any windows (branch windows)


def test_tree_twin_uniform_windows_now():
    steps = [ConvStep(5, 1), ConvStep(None, 2, 2), ConvStep(4, 1), ConvStep(None, 2, 2), ConvStep(7, 1)]
    spec = GeneralArchitecture(grid=(4, 4), n_features=3, steps=steps)
    # the last step sits on the single top position: left out
    assert tree_twin(spec) == Architecture.deep_2d(4, 4, 3, [5, 4], shared=True)
    assert tree_twin(spec, shared=False) == Architecture.deep_2d(4, 4, 3, [5, 4])
    overlapping = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(2, 3, padding=1), ConvStep(None, 4)])
    assert tree_twin(overlapping) is None
    window_one = GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(2, 1), ConvStep(3, 1), ConvStep(None, 4)])
    assert tree_twin(window_one) is None


@needs_windows
def test_lenet_like_tree_equals_architecture_with_windows():
    # 28x28, pools 2, 2 and a flatten + Linear over the 7x7 grid: Architecture.deep_2d(..., windows=...)
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.Conv2d(6, 6, 1),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 49, 120),
        nn.ReLU(),
        nn.Linear(120, 10),
    )
    got = analyze_module(net, (1, 28, 28))
    twin = Architecture.deep_2d(  # type: ignore[call-arg]
        height=28,
        width=28,
        n_features=6,
        channels=[6, 16, 120],
        windows=[(2, 2), (2, 2), (7, 7)],
        n_outputs=10,
        shared=True,
    )
    assert got.arch == twin
    assert got.rows == analyze(twin).rows


@needs_windows
def test_1d_tree_with_mixed_windows():
    net = nn.Sequential(
        nn.Conv1d(1, 2, 3, padding=1),
        nn.Conv1d(2, 3, 1),
        nn.MaxPool1d(2),
        nn.Conv1d(3, 4, 1),
        nn.MaxPool1d(3),
        nn.Flatten(),
        nn.Linear(4, 1),
    )
    got = analyze_module(net, (1, 6))
    twin = Architecture.deep_1d(6, 2, [3, 4], shared=True, windows=[2, 3])  # type: ignore[call-arg]
    assert got.arch == twin and got.rows == analyze(twin).rows


# ---------------------------------------------------------------- pooling twins: the tree tools on non-trees


def test_pooling_twin_of_a_tree_is_its_tree_twin():
    spec, _ = module_architecture(ReLUConvNet([3, 1, 4, 1, 5, 2], seed=0), (1, 64, 64))
    twin, merged = pooling_twin(spec)
    assert twin == tree_twin(spec) == paper_architecture([3, 1, 4, 1, 5, 2])
    assert merged == ("0+1", "2+3", "4+5", "6+7", "8+9", "10+11")


def test_pooling_twin_of_vgg_keeps_the_widths_that_enter_each_pooling():
    spec, _ = module_architecture(vgg_style(), (3, 32, 32))
    assert tree_twin(spec) is None
    twin, merged = pooling_twin(spec)
    assert twin == Architecture.deep_2d(32, 32, 16, [16, 32, 64, 128, 128], n_outputs=10, shared=True)
    assert merged == ("0+1", "2+3+4", "5+6+7", "8+9+10", "11+12+13")


@needs_windows
def test_pooling_twin_of_lenet_needs_windows_and_narrows_the_top():
    spec, _ = module_architecture(LeNet5(), (1, 28, 28))
    twin, merged = pooling_twin(spec)
    # conv2 pools nothing (stride 1), fc1 pools the twin's 7x7 grid, fc2 on the top position is left out
    assert twin == Architecture.deep_2d(  # type: ignore[call-arg]
        28, 28, 6, [6, 16, 120], n_outputs=10, shared=True, windows=[(2, 2), (2, 2), (7, 7)]
    )
    assert merged == ("0", "1+2", "3")


def test_pooling_twin_refuses_strides_that_do_not_tile():
    spec = GeneralArchitecture(grid=(7,), n_features=2, steps=[ConvStep(3, 3, 2), ConvStep(None, 3)])
    assert pooling_twin(spec) is None


# ---------------------------------------------------------------- non-tree analyses (branch overlap)


@st.composite
def _tree_specs(draw):
    ndim = draw(st.sampled_from([1, 2]))
    windows = draw(st.lists(st.sampled_from([2, 3]), min_size=1, max_size=3 if ndim == 1 else 2))
    steps = []
    for w in windows:
        c = draw(st.integers(1, 4))
        if draw(st.booleans()):
            steps += [ConvStep(c, 1), ConvStep(None, w, w)]  # 1x1 conv, then pooling
        else:
            steps.append(ConvStep(c, w, w))  # a patchify convolution
    side = 1
    for w in windows:
        side *= w
    return GeneralArchitecture(grid=(side,) * ndim, n_features=draw(st.integers(1, 3)), steps=steps)


@settings(max_examples=25, deadline=None)
@given(_tree_specs())
def test_tree_twin_min_cuts_equal_the_general_graph_min_cuts(spec):
    # two independent routes: the tree DP of convac.min_cut on the twin, max-flow on the general graph
    twin = tree_twin(spec)
    assume(twin is not None)  # mixed windows need Architecture(..., windows=)
    general = analyze_general(spec)
    tree = analyze(twin, rank=False)
    assert [(r.label, r.value) for r in general.rows] == [(r.label, r.value) for r in tree.rows]
    assert all(r.lower_bound is None and r.rank is None and r.binding is None for r in general.rows)


def test_overlapping_net_end_to_end():
    # 8 inputs, M = 2, a 3-wide conv (padding 1) to 2 channels, then the head over the whole grid to 3 channels.
    # Left/right: the top copy tensor (3) plus the two windows straddling the middle (2 each), or the two
    # middle input edges (2 each) plus the top: 12 either way.
    net = nn.Sequential(nn.Conv1d(1, 2, 1), nn.Conv1d(2, 2, 3, padding=1), nn.Tanh(), nn.Flatten(),
                        nn.Linear(16, 3), nn.Tanh(), nn.Linear(3, 1))  # fmt: skip
    a = analyze_module(net, (1, 8), families=["left_right"])
    assert a.arch == GeneralArchitecture(grid=(8,), n_features=2, steps=[ConvStep(2, 3, padding=1), ConvStep(3, 8, 8)])
    (row,) = a.rows
    assert (row.label, row.value, row.lower_bound, row.rank) == ("left_right", 12, None, None)
    assert (row.bound, row.onehot) == ("function", 12)  # here the tied copies cost nothing more
    # the copies of the function bound's trace may cut at different layers (ties): all within these
    assert set(row.cut_layers) <= {-1, 0, 1} and 1 in row.cut_layers and row.log2 == pytest.approx(math.log2(12))
    assert a.layer_labels == ("0", "1", "3+4")
    assert "general ConvAC (copy nodes)" in a.table() and "-" in a.table().splitlines()[-1]
    assert a.to_dict()["architecture"]["kind"] == "general"
    with pytest.raises(InputError, match="tree ConvACs only"):
        analyze_module(net, (1, 8), rank=True)
    with pytest.raises(InputError, match="rank must be"):
        analyze_general(a.arch, rank="sometimes")


def test_lenet5_profile_rows():
    a = analyze_module(LeNet5(), (1, 28, 28), families=["checkerboard", "left_right"])
    assert [r.label for r in a.rows] == ["checkerboard", "left_right"]
    assert all(r.log2 >= 0 and r.bound == "function" for r in a.rows)
    # the one-hot cut of the checkerboard never needs more than every input edge on one side (392 edges of
    # M = 6); the function bound cuts every copy of an input (25 windows read each one): far above that
    assert a.rows[0].value is None and a.rows[0].log2 > 392 * math.log2(6)
    one = convac.min_cut(a.arch, a.rows[1].scale.partition((28, 28)))
    assert one.log2 <= a.rows[1].log2 + 1e-9
    assert a.layer_labels[0] == "conv1" and "general ConvAC" in a.table()
