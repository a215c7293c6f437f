"""The dense coefficient tensor: h_y(X) = <A^y, v_1 x ... x v_N>, and the hierarchical Tucker recursion."""

import string

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import convac
from convac import Architecture, DeepConvAC, ShallowConvAC, TooLargeError


def contract_with_features(tensor: np.ndarray, features: np.ndarray) -> np.ndarray:
    """<A, v_1 x ... x v_N> for every sample, one mode at a time (independent of the model code)."""
    out = np.broadcast_to(tensor, (features.shape[0], *tensor.shape))
    for j in range(features.shape[1]):
        out = np.einsum("bi...,bi->b...", out, features[:, j])
    return out


def model_for(arch, weights, seed=0):
    cls = DeepConvAC if arch.kind == "deep" else ShallowConvAC
    return cls(arch, seed=seed, weights=weights).double()


ARCHS = [
    Architecture.deep_1d(8, 2, [3, 2, 4], n_outputs=2),
    Architecture.deep_1d(8, 3, [2, 3, 2], n_outputs=2, shared=True),
    Architecture.deep_1d(9, 2, [3, 2], window=3),
    Architecture.deep_2d(4, 4, 2, [3, 2], n_outputs=2),
    Architecture.deep_2d(4, 4, 2, [2, 3], shared=True),
    Architecture.shallow(n_inputs=7, n_features=2, hidden=3, n_outputs=2),
    Architecture.shallow(n_inputs=6, n_features=3, hidden=2, shared=True),
    Architecture.shallow(height=2, width=3, n_features=2, hidden=4),
]


@pytest.mark.parametrize("weights", ["signed", "positive"])
@pytest.mark.parametrize(
    "arch",
    ARCHS,
    ids=lambda a: f"{a.kind}-{'x'.join(map(str, a.grid))}-w{a.window}-{'sh' if a.shared else 'un'}",
)
def test_scores_equal_contraction(arch, weights):
    model = model_for(arch, weights, seed=1)
    g = torch.Generator().manual_seed(0)
    features = torch.rand(6, arch.n_inputs, arch.n_features, generator=g, dtype=torch.float64) * 2 - 0.5
    scores = model.circuit(features).detach().numpy()
    for y in range(arch.n_outputs):
        tensor = convac.coefficient_tensor(model, output=y)
        assert tensor.shape == (arch.n_features,) * arch.n_inputs
        expected = contract_with_features(tensor, features.numpy())
        np.testing.assert_allclose(scores[:, y], expected, rtol=1e-6, atol=1e-12 * np.abs(expected).max())


def hierarchical_tucker(model: DeepConvAC, output: int) -> np.ndarray:
    """docs/theory.md §1 literally, 1D window 2: phi^{0,j}_g = a^{0,j}_g;
    phi^{l,j}_g = sum_a a^{l,j}_{g,a} phi^{l-1,2j-1}_a (x) phi^{l-1,2j}_a;
    A = sum_a a^L_a phi^{L-1,1}_a (x) phi^{L-1,2}_a."""
    arch = model.arch
    w = [model.weight_matrices(layer).detach().numpy() for layer in range(arch.depth + 1)]
    # phi[j][g] is an order-(2^l) tensor; a^{0,j} is w[0][j] (M x r_0): phi^{0,j}_g = w[0][j][:, g]
    phi = [[w[0][j][:, g] for g in range(arch.channels[0])] for j in range(arch.n_inputs)]
    for layer in range(1, arch.depth):
        new = []
        for j in range(len(phi) // 2):
            left, right = phi[2 * j], phi[2 * j + 1]
            pooled = [np.multiply.outer(left[a], right[a]) for a in range(len(left))]
            new.append(
                [sum(w[layer][j][a, g] * pooled[a] for a in range(len(pooled))) for g in range(w[layer].shape[2])]
            )
        phi = new
    left, right = phi
    a_out = w[arch.depth][0][:, output]
    return sum(a_out[a] * np.multiply.outer(left[a], right[a]) for a in range(len(a_out)))


@settings(deadline=None, max_examples=25)
@given(
    depth=st.integers(1, 4),
    m=st.integers(1, 3),
    channels=st.lists(st.integers(1, 3), min_size=4, max_size=4),
    shared=st.booleans(),
    seed=st.integers(0, 100),
)
def test_matches_hierarchical_tucker_recursion(depth, m, channels, shared, seed):
    arch = Architecture.deep_1d(2**depth, m, channels[:depth], n_outputs=2, shared=shared)
    model = DeepConvAC(arch, seed=seed, weights="signed").double()
    for y in range(2):
        np.testing.assert_allclose(
            convac.coefficient_tensor(model, y), hierarchical_tucker(model, y), rtol=1e-10, atol=1e-13
        )


def test_shallow_is_cp_decomposition():
    arch = Architecture.shallow(n_inputs=4, n_features=2, hidden=3)
    model = ShallowConvAC(arch, seed=0, weights="signed").double()
    w = model.weight_matrices(0).detach().numpy()
    a = model.output.detach().numpy()[:, 0]
    letters = string.ascii_lowercase[:4]
    cp = np.einsum(",".join(f"{c}z" for c in letters) + ",z->" + letters, *w, a)
    np.testing.assert_allclose(convac.coefficient_tensor(model), cp, rtol=1e-12)


def test_refuses_too_large_with_size_in_message():
    arch = Architecture.deep_1d(64, 2, [2] * 6)
    model = DeepConvAC(arch, seed=0)
    with pytest.raises(TooLargeError, match=r"2\^64 = 1.845e\+19 entries.*GiB"):
        convac.coefficient_tensor(model)
    small = DeepConvAC(Architecture.deep_1d(16, 2, [2] * 4), seed=0)
    with pytest.raises(TooLargeError, match="over the limit"):
        convac.coefficient_tensor(small, max_bytes=1024)


def test_bad_arguments():
    model = DeepConvAC(Architecture.deep_1d(4, 2, [2, 2], n_outputs=2), seed=0)
    with pytest.raises(ValueError, match=r"output must be an integer in 0..1"):
        convac.coefficient_tensor(model, output=2)
    with pytest.raises(ValueError, match="output must be"):
        convac.coefficient_tensor(model, output=True)
    with pytest.raises(TypeError, match="DeepConvAC or ShallowConvAC"):
        convac.coefficient_tensor(torch.nn.Linear(2, 2))
