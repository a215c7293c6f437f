"""Coefficient tensor of overlapping ConvACs, generic rank against min-cut, and the volume law."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import convac
from convac import Architecture, Partition
from convac.errors import ConvacError, ConvacTypeError, InputError, PartitionError, TooLargeError
from convac.experiments.overlap import (
    all_partitions,
    overlap_stack,
    rank_vs_min_cut,
    tree_stack,
    volume_law_rows,
)
from convac.mincut import min_cut, tensor_network_graph
from convac.ranks import generic_rank
from convac.spec import ConvStep, GeneralArchitecture
from convac.tensornet._general import conv_matrices, random_weights
from convac.tensornet._general import general_coefficient_tensor as coefficient_tensor
from convac.tensornet._general import general_coefficient_tensor_mod as coefficient_tensor_mod


def forward(spec: GeneralArchitecture, weights: list[np.ndarray], digits: tuple[int, ...]) -> float | int:
    """The network's score on one-hot inputs, by a plain forward pass (independent of _model).

    Object-dtype weights give exact Python ints.
    """
    grid = spec.grid
    eye = np.eye(spec.n_features, dtype=np.int64).astype(weights[0].dtype)
    acts = {c: eye[digits[int(np.ravel_multi_index(c, grid))]] for c in np.ndindex(*grid)}
    it = iter(weights)
    for step_index, step in enumerate(spec.steps):
        nxt = {}
        for q in np.ndindex(*spec.layer_grid(step_index + 1)):
            vec = None
            for c in spec.window(step_index, q):
                v = acts[c] if step.channels is None else acts[c] @ next(it)
                vec = v if vec is None else vec * v
            nxt[q] = vec
        acts = nxt
    (top,) = acts.values()
    return top @ next(it)  # type: ignore[no-any-return]


SPECS = [
    GeneralArchitecture(
        grid=(5,), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(2, kernel=2), ConvStep(2, kernel=3)]
    ),
    GeneralArchitecture(
        grid=(4,),
        n_features=3,
        steps=[ConvStep(2, kernel=3, padding=1), ConvStep(None, kernel=2, stride=2), ConvStep(2, kernel=2)],
    ),
    GeneralArchitecture(grid=(3, 3), n_features=2, steps=[ConvStep(2, kernel=2), ConvStep(3, kernel=2)]),
    GeneralArchitecture(grid=(6,), n_features=2, steps=[ConvStep(2, kernel=3, dilation=2), ConvStep(2, kernel=2)]),
]


@pytest.mark.parametrize("spec", SPECS)
def test_coefficient_tensor_equals_forward_pass(spec: GeneralArchitecture) -> None:
    w = random_weights(spec, seed=3)
    A = coefficient_tensor(spec, w)
    for digits in itertools.product(range(spec.n_features), repeat=spec.n_inputs):
        assert A[digits] == pytest.approx(forward(spec, w, digits), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("spec", SPECS)
def test_mod_p_tensor_equals_exact_integer_tensor(spec: GeneralArchitecture) -> None:
    prime = 2**31 - 1
    w = [x.astype(object) for x in random_weights(spec, seed=5, prime=prime)]  # exact Python ints
    tensor = coefficient_tensor_mod(spec, seed=5, prime=prime)
    for digits in itertools.product(range(spec.n_features), repeat=spec.n_inputs):
        assert int(tensor[digits]) == forward(spec, w, digits) % prime


def test_weights_follow_conv_matrices() -> None:
    spec = SPECS[1]
    ch = spec.channels
    assert [w.shape for w in random_weights(spec)[:-1]] == [(ch[s], ch[s + 1]) for s, _, _ in conv_matrices(spec)]
    assert all(step != 1 for step, _, _ in conv_matrices(spec))  # the pooling step has no matrices
    # every conv matrix appears in the unrolled graph, once per path to it
    assert {(n.step, n.position, n.member) for n in tensor_network_graph(spec).nodes} == set(conv_matrices(spec))


@pytest.mark.parametrize("spec", SPECS)
def test_rank_never_exceeds_min_cut(spec: GeneralArchitecture) -> None:
    rows = rank_vs_min_cut(spec, seeds=(0,))
    assert len(rows) == 2 ** (spec.n_inputs - 1) - 1
    assert all(r.rank <= r.cut for r in rows)


def test_small_1d_overlapping_stacks_found_tight() -> None:
    # benchmarks/overlap_tightness.py found every 1D case (N = 6..12, M = 2, C in {2, 3}) tight.
    spec = GeneralArchitecture(
        grid=(6,), n_features=2, steps=[ConvStep(3, kernel=3), ConvStep(2, kernel=3), ConvStep(3, kernel=2)]
    )
    rows = rank_vs_min_cut(spec)
    assert len(rows) == 31 and all(r.rank == r.cut for r in rows)
    # here every min-cut is the smaller side's input edges, M^min(|A|, |B|): the stack is maximally entangled
    assert all(r.cut == 2 ** min(len(r.side_a), 6 - len(r.side_a)) for r in rows)


def test_tree_specs_are_tight_for_powers_of_two() -> None:
    # Proven (docs/theory.md §4): 1D window 2, unshared, M and every channel a power of one integer.
    spec = tree_stack((8,), 2, [2, 4, 2], [2, 2, 2])
    rows = rank_vs_min_cut(spec)
    assert rows and all(r.rank == r.cut for r in rows)
    arch = Architecture.deep_1d(8, 2, [2, 4, 2])
    for part in all_partitions(8)[::9]:
        assert generic_rank(spec, part) == convac.generic_rank(arch, part)


@pytest.mark.parametrize(("m", "c1", "z"), [(2, 2, 3), (2, 3, 5), (3, 2, 5), (2, 3, 2)])
def test_one_overlapping_layer_closed_form(m: int, c1: int, z: int) -> None:
    # Layer 1: kernel 2, stride 1 (N - 1 positions, C1 channels); then global pooling to Z.
    # Interior block A = [1, 1 + l): the two layer-1 windows straddling its ends must each lose a
    # bond, min(C1, M); then the top (Z), or the l - 1 layer-1 activations inside the block, or
    # the N - l - 2 outside it (C1 each) separate the rest. Or cut all inputs of one side. So
    #     min-cut = min(M^l, M^(N-l), min(Z, C1^(l-1), C1^(N-l-2)) * min(C1, M)^2)   (l >= 2),
    # a volume law M^l until the boundary term takes over.
    n = 8
    spec = GeneralArchitecture(grid=(n,), n_features=m, steps=[ConvStep(c1, kernel=2), ConvStep(z, kernel=n - 1)])
    for length in range(2, n - 1):
        part = Partition(n, side_a=range(1, 1 + length))
        inner = min(z, c1 ** (length - 1), c1 ** (n - length - 2))
        expected = min(m**length, m ** (n - length), inner * min(c1, m) ** 2)
        assert min_cut(spec, part).value == expected
        if m**n <= 2**12:
            assert generic_rank(spec, part) == expected


def test_volume_law_closed_form_for_deep_overlap() -> None:
    # L stride-1 layers of kernel 3 with C = M^2 channels: cutting the l inputs of a centred block
    # (M^l) is the minimal cut while l stays small against the layers' receptive field, so log2
    # min-cut = l: a volume law. The tree of the same size stays at a few bonds per boundary.
    spec = overlap_stack((20,), 2, [4, 4, 4])
    assert [r["log2_min_cut"] for r in volume_law_rows(spec, range(1, 7))] == [float(v) for v in range(1, 7)]
    tree = tree_stack((16,), 2, [4] * 4, [2] * 4)
    tree_rows = volume_law_rows(tree, range(1, 9))
    assert [r["log2_min_cut"] for r in tree_rows] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 5.0, 4.0]  # M^l, then C^k bonds


def test_volume_law_2d_area() -> None:
    spec = overlap_stack((6, 6), 2, [4, 4])
    rows = volume_law_rows(spec, range(1, 4))
    assert [r["log2_min_cut"] for r in rows] == [1.0, 4.0, 9.0]  # l^2: the block's area


def test_entropy_below_log2_rank_below_log2_min_cut() -> None:
    for spec, tight in ((overlap_stack((8,), 2, [4, 4]), False), (tree_stack((8,), 2, [4, 4, 4], [2, 2, 2]), True)):
        for row in volume_law_rows(spec, range(1, 5), entropy_seeds=2):
            assert 0 < row["entropy_bits"] <= row["log2_generic_rank"] + 1e-9
            assert row["log2_generic_rank"] <= row["log2_min_cut"]
            if tight:  # tree, M and channels powers of 2: proven tight
                assert row["log2_generic_rank"] == row["log2_min_cut"]


def test_bad_inputs() -> None:
    spec = SPECS[0]
    with pytest.raises(InputError, match="weights must be a list"):
        coefficient_tensor(spec, [np.ones((2, 3))])
    w = random_weights(spec)
    w[0] = np.ones((3, 3))
    with pytest.raises(InputError, match=r"weights\[0\] must be a finite array of shape \(2, 3\)"):
        coefficient_tensor(spec, w)
    with pytest.raises(ConvacTypeError, match="spec must be"):
        coefficient_tensor("spec")
    with pytest.raises(ConvacTypeError, match="spec must be"):
        random_weights(Architecture.deep_1d(4, 2, [2, 2]))  # type: ignore[arg-type]
    with pytest.raises(PartitionError, match="spec has 5 inputs"):
        generic_rank(spec, Partition(4, side_a=[0]))
    with pytest.raises(ConvacError, match="prime"):
        coefficient_tensor_mod(spec, prime=12)
    with pytest.raises(InputError):
        random_weights(spec, seed=-1)
    with pytest.raises(TooLargeError):
        coefficient_tensor(GeneralArchitecture(grid=(40,), n_features=2, steps=[ConvStep(2, kernel=40)]))
    with pytest.raises(TooLargeError, match="max_nodes"):
        tensor_network_graph(overlap_stack((16, 16), 2, [2, 2, 2]), max_nodes=1000)
