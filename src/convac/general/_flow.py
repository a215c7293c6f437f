"""Old import path; this module lives in :mod:`convac.mincut._exact_flow` now."""

from convac.mincut._exact_flow import FlowCut, hyperedge_min_cut

__all__ = ["FlowCut", "hyperedge_min_cut"]
