"""A classifier needs the sign of the scores, not their rank (docs/findings/scale-tasks.md, last section).

The pair task with 7 mark types asks a block of side 2 to pass 8 states (blank or a type): the rank
of the label across that cut is 8. A signed ConvAC with a cut of 3 there classifies it exactly, by
construction: each side-2 block passes ``(1, a, a²)`` of its mark's type ``a`` (0 for blank) and each
side-4 block the sign of ``ε − (a − b)² = ε − a² + 2ab − b²``, a bilinear form of rank 3.
"""

from __future__ import annotations

import numpy as np
import torch

from convac.data import scale_task
from convac.experiments.scale_tasks.arms import architecture, canonical_cut_capacities
from convac.models import DeepConvAC

N_TYPES = 7
EPSILON = 0.5


def _hand_built() -> DeepConvAC:
    arch = architecture((3, 3, 1, 1), 16, N_TYPES + 1)
    model = DeepConvAC(arch, representation="onehot", seed=0, weights="signed")
    symbols = torch.arange(N_TYPES + 1, dtype=torch.float64)
    # per position (1, 1 + s, 1 + s²); a product over a side-2 block with at most one mark is (1, 1 + a, 1 + a²)
    first = torch.stack([torch.ones_like(symbols), 1 + symbols, 1 + symbols**2], dim=1)
    # ε − (a − b)² = vᴸᵀ Q vᴿ with v = (1, a, a²); Q = Σ λ_k q_k q_kᵀ, one channel per eigenvector
    q = torch.tensor([[EPSILON, 0.0, -1.0], [0.0, 2.0, 0.0], [-1.0, 0.0, 0.0]], dtype=torch.float64)
    eigenvalues, eigenvectors = torch.linalg.eigh(q)
    to_powers = torch.tensor([[1.0, 0.0, 0.0], [-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]], dtype=torch.float64)
    weights = [first, to_powers.T @ eigenvectors, eigenvalues[:, None], torch.ones(1, 1, dtype=torch.float64)]
    with torch.no_grad():
        for layer, w in enumerate(weights):
            model.conv[layer].copy_(w.to(model.conv[layer].dtype))
        # class 0 scores 0, class 1 the product of the four side-4 values (three blank blocks give ε)
        model.output_raw.copy_(torch.tensor([[0.0, 1.0]]))
    return model


def test_a_cut_of_three_classifies_an_eight_state_pair_task_exactly() -> None:
    assert canonical_cut_capacities((3, 3, 1, 1), 16, N_TYPES + 1) == (3, 3, 1, 1)
    task = scale_task(2000, "short", n_positions=16, n_types=N_TYPES, seed=5)
    # the 8 states really are needed for the rank: every (type, type) combination occurs
    marks = task.symbols[task.symbols > 0].reshape(-1, 2)
    assert len({tuple(m) for m in marks.tolist()}) == N_TYPES * N_TYPES
    model = _hand_built()
    with torch.no_grad():
        predicted = model(torch.from_numpy(task.symbols)).argmax(1).numpy()
    assert np.array_equal(predicted, task.y)


def test_the_same_network_with_one_channel_fewer_at_side_two_cannot() -> None:
    # without the a² channel each side-4 block computes ε + 2ab > 0: every sample is called "agree"
    task = scale_task(2000, "short", n_positions=16, n_types=N_TYPES, seed=5)
    model = _hand_built()
    with torch.no_grad():
        model.conv[0][:, 2] = 1.0  # the third channel now carries only 1, as the first does
        predicted = model(torch.from_numpy(task.symbols)).argmax(1).numpy()
    assert predicted.all() and (predicted == task.y).mean() == 0.5
