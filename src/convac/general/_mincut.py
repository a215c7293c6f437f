"""Old import path of the general min-cut; it is :func:`convac.min_cut` now (any spec)."""

from convac.general._legacy import min_cut
from convac.mincut import GeneralMinCut

__all__ = ["GeneralMinCut", "min_cut"]
