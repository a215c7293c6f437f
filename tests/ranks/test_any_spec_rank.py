"""One generic_rank for tree and general specs, on tensornet's one recursion."""

from __future__ import annotations

import numpy as np
import pytest

import convac
from convac import Architecture, Partition
from convac.errors import ConvacTypeError
from convac.ranks import coefficient_tensor_mod, generic_rank, generic_ranks
from convac.spec import ConvStep, GeneralArchitecture
from convac.tensornet._general import general_coefficient_tensor, random_weights
from convac.tensornet._modp import random_weights_mod
from convac.tensornet._recursion import recursion, tree_steps

P = 101


def test_generic_rank_one_function_for_tree_and_general() -> None:
    arch = Architecture.deep_1d(8, 2, [3, 3, 2])
    spec = arch.to_general()
    for part in (Partition.left_right(arch), Partition.interleaved(arch), Partition(8, side_a=[0, 1, 5])):
        cut = convac.min_cut(arch, part).value
        tree_rank, general_rank = generic_rank(arch, part), generic_rank(spec, part)
        # unshared random weights reach the min-cut on these powers-of-small-dims trees
        assert tree_rank == general_rank == cut
    overlap = GeneralArchitecture(grid=(6,), n_features=2, steps=[ConvStep(4, kernel=3), ConvStep(4, kernel=4)])
    assert generic_rank(overlap, Partition(6, side_a=[0, 2, 4])) == 8
    assert generic_ranks(overlap, [Partition(6, side_a=[0]), Partition(6, side_a=[0, 1, 2])]) == [2, 8]


def test_capped_single_call_equals_the_uncapped_batch() -> None:
    arch = Architecture.deep_1d(16, 2, [2, 3, 5, 7])
    parts = [Partition(16, side_a=s) for s in ([0, 1, 2, 3], [0, 2, 4, 6, 8, 10, 12, 14], [1, 5, 6, 9, 15])]
    assert [generic_rank(arch, p) for p in parts] == generic_ranks(arch, parts)


def random_instance(rng: np.random.Generator) -> tuple[Architecture | GeneralArchitecture, Partition]:
    """A random tree or overlapping spec with a random partition (both sides non-empty)."""
    n = int(rng.integers(6, 11))
    m = int(rng.choice([2, 3]))
    if rng.random() < 0.3:
        spec: Architecture | GeneralArchitecture = Architecture.deep_1d(
            8, m, [int(c) for c in rng.choice([2, 3, 4], 3)]
        )
        n = 8
    else:
        k1 = int(rng.integers(2, 4))
        c1, c2 = (int(c) for c in rng.choice([2, 3, 4], 2))
        spec = GeneralArchitecture(
            grid=(n,), n_features=m, steps=[ConvStep(c1, kernel=k1), ConvStep(c2, kernel=n - k1 + 1)]
        )
    mask = rng.random(n) < 0.5
    mask[0], mask[-1] = True, False
    return spec, Partition.from_mask(mask)


def test_capped_rank_equals_uncapped_on_random_specs() -> None:
    # generic_rank caps the elimination at min-cut + 1 for every spec; the cap must never change the rank.
    rng = np.random.default_rng(7)
    sketched = 0
    for seed in range(16):
        spec, part = random_instance(rng)
        cut = convac.min_cut(spec, part).value
        capped, uncapped = generic_rank(spec, part, seed=seed), generic_ranks(spec, [part], seed=seed)[0]
        assert capped == uncapped <= cut
        m = spec.n_features
        sketched += cut + 1 < min(m ** len(part.side_a), m ** len(part.side_b))
    assert sketched >= 4  # the cap took the sketched route in a good share of the cases


def test_float_and_mod_p_recursions_agree_on_integer_weights() -> None:
    # The one recursion, run in float64 on small integer weights, is an exact integer tensor:
    # reducing it mod p must give the mod-p run on the same weights.
    arch = Architecture.deep_2d(4, 4, 2, [3, 2], windows=[(2, 2), (2, 2)])
    rng = np.random.default_rng(0)
    hidden = [
        rng.integers(0, 5, (arch.positions(layer), c_in, c_out))
        for layer, (c_in, c_out) in enumerate(zip((2, 3), (3, 2), strict=True))
    ]
    out = rng.integers(0, 5, (2,))
    exact = recursion(16, 2, tree_steps(arch, [w.astype(float) for w in hidden]), out.astype(float), None)
    mod = recursion(16, 2, tree_steps(arch, hidden), out, P)
    assert np.array_equal(np.round(exact).astype(np.int64) % P, mod)
    # and the tree recursion equals the general one on the same network
    spec = arch.to_general()
    general_w = [
        hidden[step][int(np.ravel_multi_index(c, spec.layer_grid(step)))].astype(float)
        for step in range(spec.depth)
        for q in np.ndindex(*spec.layer_grid(step + 1))
        for c in spec.window(step, q)
    ]
    assert np.array_equal(general_coefficient_tensor(spec, [*general_w, out.astype(float)]), exact)


def test_coefficient_tensor_mod_dispatches_on_the_spec() -> None:
    arch = Architecture.shallow(n_inputs=3, n_features=2, hidden=2)
    w = random_weights_mod(arch, seed=4, prime=P)
    A = coefficient_tensor_mod(arch, seed=4, prime=P)
    direct = np.einsum("ar,br,cr,r->abc", w[0][0], w[0][1], w[0][2], w[1]) % P
    assert np.array_equal(A, direct)
    spec = GeneralArchitecture(grid=(3,), n_features=2, steps=[ConvStep(2, kernel=2), ConvStep(2, kernel=2)])
    assert coefficient_tensor_mod(spec, seed=1, prime=P).shape == (2, 2, 2)
    assert len(random_weights(spec, seed=1, prime=P)) == 7
    with pytest.raises(ConvacTypeError, match="Architecture"):
        coefficient_tensor_mod("spec")  # type: ignore[arg-type]
