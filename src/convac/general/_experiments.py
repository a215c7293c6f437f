"""Old import path of the overlap experiments; they live in :mod:`convac.experiments.overlap` now."""

from convac.experiments.overlap import (
    RankCut,
    all_partitions,
    block_partition,
    overlap_stack,
    rank_vs_min_cut,
    tightness_cases,
    tree_stack,
    volume_law_rows,
)

__all__ = [
    "RankCut",
    "all_partitions",
    "block_partition",
    "overlap_stack",
    "rank_vs_min_cut",
    "tightness_cases",
    "tree_stack",
    "volume_law_rows",
]
