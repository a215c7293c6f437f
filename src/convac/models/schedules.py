"""Old import path of the channel schedules; they live in :mod:`convac.spec._paper` now.

>>> from convac.models.schedules import wide_tip
>>> wide_tip(2)
[2, 2, 4, 4, 8, 8]
"""

from convac.spec._paper import N_LAYERS, SCHEDULES, Schedule, parse_schedule, wide_base, wide_tip

__all__ = ["N_LAYERS", "SCHEDULES", "Schedule", "parse_schedule", "wide_base", "wide_tip"]
