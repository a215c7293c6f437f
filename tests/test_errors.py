"""One error policy: every error raised on purpose is a ConvacError and a ValueError or TypeError,
and its message names the argument that was wrong."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

import convac
from convac.data.mnist import read_idx
from convac.errors import (
    ArchitectureError,
    ConvacError,
    ConvacTypeError,
    InputError,
    MissingDependencyError,
    PartitionError,
    TooLargeError,
)

ARCH = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2], n_outputs=3)


def _model() -> convac.DeepConvAC:
    return convac.DeepConvAC(ARCH, representation="onehot", seed=0)


def _codes(labels: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(len(labels), 4, dtype=torch.long), torch.tensor(labels)


def test_hierarchy():
    for cls in (ArchitectureError, PartitionError, InputError, TooLargeError):
        assert issubclass(cls, ConvacError) and issubclass(cls, ValueError)
    assert issubclass(ConvacTypeError, ConvacError) and issubclass(ConvacTypeError, TypeError)
    assert issubclass(MissingDependencyError, ConvacError) and issubclass(MissingDependencyError, ImportError)
    assert {"ConvacTypeError", "MissingDependencyError"} <= set(convac.__all__)


CASES = [
    # (call, error class, fragment naming the argument)
    (lambda: convac.fit(_model(), _codes([0, 3]), progress=False), InputError, "labels must be class indices in 0..2"),
    (lambda: convac.fit(_model(), _codes([0, -1]), progress=False), InputError, "got -1"),
    (
        lambda: convac.fit(_model(), _codes([0, 1]), _codes([7, 1]), progress=False),
        InputError,
        "test: labels must be class indices in 0..2 (the model has 3 outputs), got 7",
    ),
    (lambda: convac.fit(_model(), _codes([0, 1]), epochs=0, progress=False), InputError, "epochs must be"),
    (lambda: convac.fit(_model(), _codes([0, 1]), epochs=1.5, progress=False), ConvacTypeError, "epochs must be"),
    (lambda: convac.fit(_model(), _codes([0, 1]), lr=-1, progress=False), InputError, "lr must be a positive"),
    (lambda: convac.fit(_model(), _codes([0, 1]), batch_size=0, progress=False), InputError, "batch_size must be"),
    (lambda: convac.fit(_model(), _codes([0, 1]), seed=-2, progress=False), InputError, "seed must be"),
    (lambda: convac.fit(_model(), [1, 2, 3], progress=False), ConvacTypeError, "train must be a torch Dataset"),
    (lambda: convac.fit(_model(), _codes([0]), schedule="step", progress=False), InputError, "schedule must be"),
    (
        lambda: convac.DeepConvAC(convac.Architecture.deep_1d(4, 2, [10**9, 10**9])),
        TooLargeError,
        "has 2,000,000,009,000,000,000 parameters",
    ),
    (lambda: convac.DeepConvAC(convac.Architecture.deep_1d(4, 2, [10**9, 10**9])), TooLargeError, "limit of 4 GiB"),
    (lambda: convac.ReLUConvNet([10**6] * 3, image_size=8), TooLargeError, "ReLUConvNet with channels"),
    (lambda: convac.DeepConvAC(ARCH, weights="complex"), InputError, "weights must be 'positive' or 'signed'"),
    (lambda: convac.DeepConvAC(ARCH, foo=1), ConvacTypeError, "no option(s) ['foo']"),
    (lambda: convac.DeepConvAC("arch"), ConvacTypeError, "arch must be a convac.Architecture"),
    (lambda: convac.DeepConvAC(ARCH, representation="fourier"), InputError, "representation must be one of"),
    (lambda: _model().weight_matrices(5), InputError, "layer must be an integer in 0..2, got 5"),
    # the same bad output= gives the same error everywhere
    (lambda: convac.coefficient_tensor(_model(), output=3), InputError, "output must be an integer in 0..2, got 3"),
    (lambda: convac.to_tensor_network(_model()).contract(output=3), InputError, "output must be None or an integer"),
    (
        lambda: convac.entanglement(_model(), convac.Partition.left_right(ARCH), output=3),
        InputError,
        "output must be an integer in 0..2, got 3",
    ),
    (lambda: convac.coefficient_tensor(_model(), output="0"), ConvacTypeError, "output must be an integer"),
    (lambda: convac.contract("tn"), ConvacTypeError, "tn must be a ConvACTensorNetwork"),
    (lambda: convac.Partition.random(ARCH, seed=-1), InputError, "seed must be a non-negative integer"),
    (lambda: convac.Partition.random(ARCH, size=1.5), ConvacTypeError, "size must be an integer"),
    (lambda: convac.Partition.blocks(2**23, 2), TooLargeError, "8,388,608 input positions, over the limit"),
    (lambda: convac.Partition(2**23, [0]), TooLargeError, "over the limit of 4,194,304"),
    (
        lambda: convac.analyze(convac.Architecture.deep_1d(2**23, 2, [2] * 23)),
        TooLargeError,
        "has 8,388,608 input positions, over the limit of 4,194,304",
    ),
    (lambda: convac.min_cut(ARCH, convac.Partition.left_right(ARCH), method="exact"), InputError, "method must be"),
    (lambda: convac.generic_rank(ARCH, convac.Partition.left_right(ARCH), seed=-1), InputError, "seed must be"),
    (lambda: convac.generic_ranks(ARCH, [convac.Partition.left_right(ARCH)], cap=[0]), InputError, "every cap"),
    (lambda: convac.generic_rank(ARCH, convac.Partition.left_right(ARCH), prime="7"), ConvacTypeError, "prime"),
    (
        lambda: convac.Architecture.deep_1d(4, 2, [2, "2"]),
        ConvacTypeError,
        "channels[1] must be a positive integer, got str '2'",
    ),
    (lambda: convac.Architecture.from_dict([1]), ConvacTypeError, "an architecture must be given as a mapping"),
    (lambda: convac.design((16,), "300", "local"), ConvacTypeError, "budget must be an integer"),
    (lambda: convac.design((16,), 300, {"checkerboard": -1}), InputError, "profile weight for 'checkerboard'"),
    (lambda: convac.design((16,), 300, 3), ConvacTypeError, "profile must be a preset name"),
    (lambda: convac.schmidt.schmidt_values(["a"]), ConvacTypeError, "singular values must be an array"),
    (lambda: convac.schmidt.schmidt_values([1.0, np.nan]), InputError, "singular values must be finite"),
    (lambda: convac.schmidt.schmidt_rank([1.0], rtol=1.0), InputError, "rtol must be a number in [0, 1)"),
    (lambda: convac.schmidt.renyi_entropy([1.0], "two"), ConvacTypeError, "alpha must be a real number"),
    (lambda: convac.ranks.rank_mod(np.ones(3, np.int64), 7), InputError, "rank_mod expects a 2D matrix"),
]


@pytest.mark.parametrize(("call", "error", "fragment"), CASES, ids=[f"{i}-{c[2][:40]}" for i, c in enumerate(CASES)])
def test_each_error_is_a_convac_error_naming_the_argument(call, error, fragment):
    with pytest.raises(error) as info:
        call()
    exc = info.value
    assert isinstance(exc, ConvacError)
    assert isinstance(exc, (ValueError, TypeError))
    assert fragment in str(exc), str(exc)
    assert "\n" not in str(exc)


def test_fit_label_check_covers_a_dataset_too():
    class Pairs(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
            return torch.zeros(4, dtype=torch.long), torch.tensor(5 if i == 3 else 0)

    with pytest.raises(InputError, match=r"train: labels must be class indices in 0\.\.2 .* got 5"):
        convac.fit(_model(), Pairs(), epochs=1, batch_size=2, progress=False)


def test_idx_gzip_bomb_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    # 64 MiB of zeros behind a header that announces 60000x28x28 bytes; limit 1 MiB
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (60000, 28, 28))
    path.write_bytes(gzip.compress(header + bytes(1 << 26), compresslevel=1))
    with pytest.raises(TooLargeError, match=r"announces \(60000, 28, 28\) = 47,040,000 bytes.*limit of 1,048,576"):
        read_idx(path, max_bytes=1 << 20)
    # within the limit, data beyond what the header announces is refused after reading one byte more
    with pytest.raises(InputError, match="file has more than 47040000"):
        read_idx(path)
    ok = tmp_path / "ok.gz"
    ok.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])))
    assert read_idx(ok).tolist() == [7, 8, 9]


def test_internal_error_is_a_runtime_error_and_not_a_convac_error():
    # The command line catches ConvacError for its one-line message; a broken invariant keeps its traceback.
    from convac.errors import InternalError

    assert issubclass(InternalError, RuntimeError) and not issubclass(InternalError, ValueError)
    err = InternalError("the cut weighs 3, the flow 4")
    assert str(err) == "the cut weighs 3, the flow 4 (this is a bug in convac; please report it)"
    assert not isinstance(err, ConvacError)


def test_internal_error_from_a_broken_invariant(monkeypatch):
    # A wrong min-cut value must stop the network path with InternalError, not a wrong spectrum.
    from convac.errors import InternalError
    from convac.schmidt import _network

    arch = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 2, 2])
    tn = convac.to_tensor_network(convac.DeepConvAC(arch, seed=0))
    monkeypatch.setattr(_network, "_label_dim", lambda tn, label: 3)
    with pytest.raises(InternalError, match=r"^cut labels weigh .* min_cut says"):
        _network.network_singular_values(tn, convac.Partition.left_right(arch))
