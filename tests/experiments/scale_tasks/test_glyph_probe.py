"""The glyph probe's tasks (scripts/scale_tasks_glyph_probe.py) are what docs/findings/scale-tasks.md says."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "scale_tasks_glyph_probe.py"


def _swap_classes(pattern: tuple[int, ...]) -> set[tuple[int, ...]]:
    # every arrangement reachable by swapping siblings, by brute force (independent of canonical())
    if len(pattern) == 1:
        return {pattern}
    half = len(pattern) // 2
    lefts, rights = _swap_classes(pattern[:half]), _swap_classes(pattern[half:])
    return {a + b for a, b in itertools.product(lefts, rights)} | {b + a for a, b in itertools.product(lefts, rights)}


@pytest.mark.parametrize(("scale", "states"), [("short", (8,)), ("middle", (3, 6)), ("long", (3, 3, 6))])
def test_each_level_passes_the_stated_number_of_states(probe: ModuleType, scale: str, states: tuple[int, ...]) -> None:
    s, q, sizes = probe.TASKS[scale]
    glyphs = probe.vocabulary(q, sizes)
    assert len(glyphs) == states[-1] and all(len(g) == s for g in glyphs)
    # the sub-glyphs of side 2, 4, ... that the vocabulary uses: the states each finer cut must pass
    for level, count in enumerate(states[:-1]):
        side = 2 ** (level + 1)
        subs = {probe.canonical(g[i : i + side]) for g in glyphs for i in range(0, s, side)}
        assert len(subs) == count, (scale, side, subs)
    # distinct glyphs are distinct up to sibling swaps
    assert len({frozenset(_swap_classes(g)) for g in glyphs}) == len(glyphs)


@pytest.mark.parametrize("scale", ["short", "middle", "long"])
def test_labels_say_whether_the_active_halves_agree_up_to_swaps(probe: ModuleType, scale: str) -> None:
    s = probe.TASKS[scale][0]
    x, y = probe.glyph_task(400, scale, seed=3)
    assert x.shape == (400, 16) and int(y.sum()) == 200
    for row, label in zip(x, y, strict=True):
        agree = all(tuple(row[b + s : b + 2 * s]) in _swap_classes(tuple(row[b : b + s])) for b in range(0, 16, 2 * s))
        assert agree == bool(label)
    again = probe.glyph_task(400, scale, seed=3)
    assert np.array_equal(again[0], x) and np.array_equal(again[1], y)
