"""Synthetic tasks whose label lives at one known scale: does the schedule that fits the scale win? (issue 22, item 4).

For each scale (``short``, ``middle``, ``long``: pairs at distance ``d`` of
:func:`convac.data.scale_tasks.scale_task`), arm and seed, a cell trains a positive-weight deep
ConvAC on the task and scores it on fresh samples. The arms share one parameter count exactly:
``wide_base``, ``wide_middle``, ``wide_tip``, ``uniform`` (hand-made shapes,
:mod:`.arms`) and ``designed`` (the shape convac designs from the task's data-entanglement
profile, :data:`DESIGN_METHODS`). Every finished cell is one line of ``out_dir/results.jsonl``
(the shared runner's store); a rerun skips finished cells, and a rerun with another
``design_method`` reruns only the designed cells.

The package: :mod:`.config`, :mod:`.arms` (shapes and the exact budget), :mod:`.cell` (one cell),
:mod:`.run` (the driver) and :mod:`.report` (table, statistics, figure).
"""

from convac.experiments.scale_tasks.arms import ARMS, HAND_MADE, equal_budget_widths, hand_made_shape
from convac.experiments.scale_tasks.cell import run_cell
from convac.experiments.scale_tasks.config import DESIGN_METHODS, ScaleTasksConfig
from convac.experiments.scale_tasks.report import paired_gap, summarize
from convac.experiments.scale_tasks.run import run_scale_tasks

__all__ = [
    "ARMS",
    "DESIGN_METHODS",
    "HAND_MADE",
    "ScaleTasksConfig",
    "equal_budget_widths",
    "hand_made_shape",
    "paired_gap",
    "run_cell",
    "run_scale_tasks",
    "summarize",
]
