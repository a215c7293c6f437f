"""Deprecated old import path of the channel schedules, kept for one release; they live in :mod:`convac.spec` now.

>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", DeprecationWarning)
...     from convac.models.schedules import wide_tip
>>> wide_tip(2)
[2, 2, 4, 4, 8, 8]
"""

import warnings

warnings.warn(
    "convac.models.schedules is deprecated and will be removed in the next release; use convac.models",
    DeprecationWarning,
    stacklevel=2,
)

from convac.spec._paper import N_LAYERS, SCHEDULES, Schedule, parse_schedule, wide_base, wide_tip  # noqa: E402

__all__ = ["N_LAYERS", "SCHEDULES", "Schedule", "parse_schedule", "wide_base", "wide_tip"]
