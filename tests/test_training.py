"""fit(): seeded determinism, records, bad arguments; the digits accuracy the README quotes."""

import pytest
import torch

import convac
from convac import Architecture, DeepConvAC
from convac.experiments.digits import DigitsConfig, train_digits


def _task(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 3, (90, 8), generator=g)
    y = (x[:, 0] + x[:, 7]) % 3
    return x, y


def _run(seed):
    arch = Architecture.deep_1d(8, 3, [6, 6, 6], n_outputs=3)
    model = DeepConvAC(arch, representation="onehot", seed=seed)
    x, y = _task()
    return model, convac.fit(
        model, (x[:60], y[:60]), (x[60:], y[60:]), epochs=5, lr=0.05, batch_size=16, seed=seed, progress=False
    )


def test_same_seed_same_result():
    m1, r1 = _run(3)
    m2, r2 = _run(3)
    assert [h["loss"] for h in r1.history] == [h["loss"] for h in r2.history]
    assert all(torch.equal(p, q) for p, q in zip(m1.parameters(), m2.parameters(), strict=False))
    _, r3 = _run(4)
    assert [h["loss"] for h in r3.history] != [h["loss"] for h in r1.history]


def test_history_records_and_callback():
    seen = []
    arch = Architecture.deep_1d(8, 3, [4, 4, 4], n_outputs=3)
    model = DeepConvAC(arch, representation="onehot", seed=0)
    x, y = _task()
    result = convac.fit(model, (x, y), (x, y), epochs=3, seed=0, progress=False, on_epoch=seen.append)
    assert len(result.history) == 3 and seen == result.history
    assert {"epoch", "loss", "train_accuracy", "test_accuracy", "seconds"} <= set(result.history[0])
    assert result.test_accuracy == pytest.approx(convac.training.accuracy(model, (x, y)))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
        ({"lr": -1.0}, ValueError, "lr must be positive"),
        ({"schedule": "step"}, ValueError, "'cosine' or 'constant'"),
        ({"train": [1, 2, 3]}, TypeError, "Dataset or an \\(inputs, labels\\) pair"),
        (
            {"train": (torch.zeros(4, 8, dtype=torch.long), torch.zeros(3, dtype=torch.long))},
            ValueError,
            "4 inputs but 3 labels",
        ),
        (
            {"train": (torch.zeros(4, 8, dtype=torch.long), torch.zeros(4))},
            ValueError,
            "labels must be a 1D integer",
        ),
    ],
)
def test_bad_fit_arguments(kwargs, error, match):
    model = DeepConvAC(Architecture.deep_1d(8, 3, [2, 2, 2], n_outputs=3), representation="onehot", seed=0)
    train = kwargs.pop("train", _task())
    with pytest.raises(error, match=match):
        convac.fit(model, train, progress=False, **kwargs)


@pytest.mark.parametrize("weights", ["positive", "signed"])
def test_digits_reach_90_percent(weights):
    """The README's claim: a deep 2D ConvAC learns the bundled digits to > 90 % test accuracy, with
    either weight kind (signed ones through the normalised logits; before them: 7.6 %)."""
    torch.set_num_threads(2)
    _model, result = train_digits(DigitsConfig(epochs=12, weights=weights), progress=False)
    assert result.test_accuracy > 0.90
