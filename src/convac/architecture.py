"""Deprecated old import path of the tree spec, kept for one release; it lives in :mod:`convac.spec` now.

>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", DeprecationWarning)
...     from convac.architecture import Architecture
>>> Architecture.__module__
'convac.spec._tree'
"""

import warnings

warnings.warn(
    "convac.architecture is deprecated and will be removed in the next release; use convac.spec",
    DeprecationWarning,
    stacklevel=2,
)

from convac.spec._tree import Architecture, Kind, LayerSpec  # noqa: E402

__all__ = ["Architecture", "Kind", "LayerSpec"]
