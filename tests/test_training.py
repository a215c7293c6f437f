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
        ({"lr": -1.0}, ValueError, "lr must be a positive number at most 10"),
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


def _small_model(n_outputs=3, seed=0):
    return DeepConvAC(Architecture.deep_1d(8, 3, [4, 4, 4], n_outputs=n_outputs), representation="onehot", seed=seed)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": 1e300}, r"lr must be a positive number at most 10, got 1e\+300"),  # N230/N333
        ({"lr": float("inf")}, "lr must be a positive number at most 10"),
        ({"lr": float("nan")}, "lr must be a real number|lr must be"),
        ({"seed": 2**64}, r"seed must be an integer in \[0, 2\*\*32 - 1\]"),  # N334
        ({"seed": 2**32}, r"seed must be an integer in \[0, 2\*\*32 - 1\]"),
        ({"micro_batch": 0}, "micro_batch must be a positive integer"),
    ],
)
def test_lr_seed_and_micro_batch_are_bounded(kwargs, match):
    x, y = _task()
    with pytest.raises(convac.errors.InputError, match=match):
        convac.fit(_small_model(), (x, y), epochs=1, progress=False, **kwargs)
    assert convac.training.check_seed(convac.training.MAX_SEED) == 2**32 - 1
    torch.Generator().manual_seed(convac.training.MAX_SEED)  # the bound is one torch accepts


def test_empty_training_set_is_refused():  # B07
    empty = (torch.zeros(0, 8, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    with pytest.raises(convac.errors.InputError, match=r"^train is empty; give at least one \(input, label\) pair$"):
        convac.fit(_small_model(), empty, epochs=1, progress=False)


def test_one_output_model_is_refused():  # B131: softmax over one class is 1, the loss 0 whatever happens
    x, y = _task()
    with pytest.raises(convac.errors.InputError, match=r"cross-entropy needs a model with at least 2 outputs .* has 1"):
        convac.fit(_small_model(n_outputs=1), (x, torch.zeros_like(y)), epochs=1, progress=False)


def test_on_step_custom_schedule_and_no_evaluation():
    x, y = _task()
    steps, rates = [], []

    def rate(step, total):
        rates.append((step, total))
        return 0.01

    result = convac.fit(
        _small_model(), (x, y), epochs=2, batch_size=30, schedule=rate, evaluate=False, progress=False,
        on_step=lambda step, loss: steps.append((step, loss)),
    )  # fmt: skip
    assert [s for s, _ in steps] == list(range(6)) and rates == [(s, 6) for s in range(6)]
    assert sorted(result.history[0]) == ["epoch", "loss", "seconds"] and result.train_accuracy is None
    assert result.history[-1]["loss"] == pytest.approx(sum(loss * 30 for _, loss in steps[3:]) / 90)


def test_micro_batches_take_the_same_steps_up_to_rounding():
    x, y = _task()
    whole, split = _small_model(), _small_model()
    a = convac.fit(whole, (x, y), epochs=2, batch_size=30, progress=False)
    b = convac.fit(split, (x, y), epochs=2, batch_size=30, micro_batch=7, progress=False)
    assert [h["loss"] for h in a.history] == pytest.approx([h["loss"] for h in b.history], rel=1e-5)
    for p, q in zip(whole.parameters(), split.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path):
    x, y = _task()
    data = (x[:60], y[:60]), (x[60:], y[60:])
    reference = _small_model(seed=2)
    full = convac.fit(reference, *data, epochs=4, lr=0.05, batch_size=16, seed=5, progress=False)

    class Stop(Exception):
        pass

    def stop_after_two(record):
        if record["epoch"] == 2:
            raise Stop

    ckpt = tmp_path / "run.pt"
    with pytest.raises(Stop):
        convac.fit(_small_model(seed=2), *data, epochs=4, lr=0.05, batch_size=16, seed=5, progress=False,
                   checkpoint=ckpt, on_epoch=stop_after_two)  # fmt: skip
    resumed_model = _small_model(seed=2)
    resumed = convac.fit(resumed_model, *data, epochs=4, lr=0.05, batch_size=16, seed=5, progress=False,
                         checkpoint=ckpt)  # fmt: skip
    assert resumed.resumed_from == 2
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in full.history]
    assert all(torch.equal(p, q) for p, q in zip(reference.parameters(), resumed_model.parameters(), strict=True))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_bad_checkpoint_is_one_short_line(tmp_path):  # C71
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    x, y = _task()
    ckpt = tmp_path / "evil.pt"
    ckpt.write_bytes(pickle.dumps(Evil()))
    message = f"checkpoint {ckpt} cannot be read; delete it (its run then starts over) or run again with --restart"
    with pytest.raises(convac.errors.InputError) as info:
        convac.fit(_small_model(), (x, y), epochs=1, progress=False, checkpoint=ckpt)
    assert str(info.value) == message
    torch.save({"model": {}, "optimizer": {}}, ckpt)
    with pytest.raises(convac.errors.InputError, match="belongs to another model or run"):
        convac.fit(_small_model(), (x, y), epochs=1, progress=False, checkpoint=ckpt)


def _cli_train(*args):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    command = [sys.executable, "-m", "convac.cli", "train", "--epochs", "1", "--no-progress", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "1e300"], "lr must be a positive number at most 10, got 1e+300"),  # N333
        (["--seed", str(2**64)], "seed must be an integer in [0, 2**32 - 1] (the seeds numpy, torch and scikit-learn"),
    ],
)
def test_cli_train_refuses_absurd_lr_and_seed(args, message):  # N333, N334
    done = _cli_train(*args)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"convac: error: {message}")
