"""Old import path of the tree spec; it lives in :mod:`convac.spec` now.

>>> from convac.architecture import Architecture
>>> Architecture.__module__
'convac.spec._tree'
"""

from convac.spec._tree import Architecture, Kind, LayerSpec

__all__ = ["Architecture", "Kind", "LayerSpec"]
