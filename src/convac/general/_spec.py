"""Old import path of the general spec; it lives in :mod:`convac.spec` now."""

from convac.spec._general import ConvStep, GeneralArchitecture

__all__ = ["ConvStep", "GeneralArchitecture"]
