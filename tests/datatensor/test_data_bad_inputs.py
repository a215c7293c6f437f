"""Bad inputs of the data-entanglement side (/work/shared/bad-inputs.tsv): one clear error each, or a valid result."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import convac
from convac.datatensor import _gram
from convac.datatensor._datasets import load_source
from convac.errors import ConvacTypeError, InputError, TooLargeError


def _dense_squared_schmidt(x, theta, side_a, y):
    """Reference: build the data tensor's matricization explicitly (small N only)."""
    u, v = _gram.feature_map(x, theta)
    side_b = [j for j in range(x.shape[1]) if j not in side_a]
    fa, fb = _gram.product_features(u, v, side_a), _gram.product_features(u, v, side_b)
    return np.linalg.svd((fa * y[:, None]).T @ fb, compute_uv=False) ** 2


@pytest.mark.parametrize("route", ["_explicit", "_gram_in_rows", "_gram_square_root"])
def test_every_route_of_squared_schmidt_values_agrees_with_the_matricization(route, monkeypatch):
    # B57: the explicit and row-block routes never hold an n x n matrix; all three must agree.
    rng = np.random.default_rng(1)
    x, y = rng.random((40, 6)), np.where(rng.random(40) < 0.5, 1.0, -1.0)
    a, b = [0, 2, 5], [1, 3, 4]
    monkeypatch.setattr(_gram, "CHUNK", 7)  # several row blocks, the last one short
    u, v = _gram.feature_map(x, 1.0)
    got = getattr(_gram, route)(*((u, v, a, b, y[None]) + (() if route == "_explicit" else (2,))))[0]
    want = _dense_squared_schmidt(x, 1.0, a, y)
    k = min(len(got), len(want))
    assert np.allclose(np.sort(got)[::-1][:k], want[:k], atol=1e-10 * want[0])


def test_many_samples_take_the_route_without_an_n_by_n_matrix(monkeypatch):
    # B57: 30,000 samples x 16 features once needed 6.7 GiB; the sides' 2^8 features are explicit now.
    def refuse(*args, **kwargs):
        raise AssertionError("an n x n Gram matrix was built")

    monkeypatch.setattr(_gram, "gram", refuse)
    X = np.random.default_rng(0).random((30000, 16))
    d = convac.data_entanglement(X, partition=convac.Partition(16, range(8)))
    assert d.schmidt_rank >= 1 and 0 <= d.entropy < np.log(256)


def test_the_square_root_route_checks_its_size_before_allocating(monkeypatch):
    monkeypatch.setattr(_gram, "MAX_GRAM_BYTES", 1 << 20)
    X = np.random.default_rng(0).random((300, 24))
    with pytest.raises(TooLargeError, match=r"Gram matrices of 300 samples .* over the limit of 1 MiB; use fewer"):
        convac.data_entanglement(X, partition=convac.Partition(24, range(12)))


@pytest.mark.parametrize("value", [0.0, 0.3, 1.0])
def test_data_without_variation_has_exactly_zero_entanglement(value):
    # B61: a sum of identical product states is a product state.
    X = np.full((10, 8), value)
    d = convac.data_entanglement(X, partition=convac.Partition.left_right(8))
    assert d.entropy == 0.0 and d.schmidt_rank == 1
    prof = convac.canonical_entanglement(X)
    assert all(e == 0.0 for lv in prof.levels for e in lv.entropies)
    with pytest.raises(InputError, match=r"^the data have zero entanglement at every level; there is no profile"):
        prof.design_profile()


def test_rearrange_features_seed_and_labels_are_checked():
    X = np.random.default_rng(0).random((10, 8))
    with pytest.raises(ConvacTypeError, match=r"^seed must be a non-negative integer, got str 'x'$"):
        convac.rearrange_features(X, seed="x")  # B66
    with pytest.raises(InputError, match=r"^y must have one entry per sample, shape \(10,\), got shape \(4,\)$"):
        convac.rearrange_features(X, y=np.zeros(4, int))  # B69


def test_rearrange_features_default_method_in_a_fresh_interpreter():
    # B130: `import importlib` alone left importlib.util unset in a fresh interpreter.
    code = "import numpy as np, convac; print(sorted(convac.rearrange_features(np.random.rand(100, 16)).tolist()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(list(range(16)))


@pytest.mark.parametrize("theta", [1e308, 1e7, float("inf")])
def test_theta_is_bounded(theta):
    # N184: 1e308 gave a number that looked like a measurement.
    X = np.random.default_rng(0).random((5, 4))
    with pytest.raises(InputError, match=r"^theta must be a number in \(0, 1e\+06\], got "):
        convac.data_entanglement(X, partition=convac.Partition.left_right(4), theta=theta)
    assert convac.data_entanglement(X, partition=convac.Partition.left_right(4), theta=1e6).entropy >= 0


def test_asking_for_more_samples_than_a_dataset_has_is_refused():
    # N199: --samples 10^9 on the 1,797 digits silently used them all.
    with pytest.raises(InputError, match=r"^digits has 1,797 samples, fewer than the 1,000,000,000 asked for; ask"):
        load_source("digits", n_samples=10**9)
    assert load_source("digits", n_samples=1797)[0].shape == (1797, 8, 8)


def test_a_huge_task_is_refused_before_allocating():
    # N105/N197: task:local with 10^7 samples allocated 40 GB.
    with pytest.raises(TooLargeError, match=r"^10,000,000 task images of 64x64 float64 would need .* GiB, over"):
        load_source("task:local", n_samples=10**7)


def test_theta_must_be_a_number():
    with pytest.raises(ConvacTypeError, match=r"^theta must be a real number, got str '1'$"):
        convac.data_entanglement(np.zeros((2, 2)), partition=convac.Partition(2, [0]), theta="1")


def test_cli_prints_one_line_for_too_many_samples():
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "convac.cli", "data-entanglement", "--no-progress", "digits", "--samples", "10000"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "1,797 samples" in done.stderr
