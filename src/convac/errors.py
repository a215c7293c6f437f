"""Error types raised by convac.

Every error is a ``ValueError`` or ``TypeError`` subclass whose message says what was
wrong and what is allowed, so callers can catch the builtin types and the CLI can print
one line.
"""

from __future__ import annotations

__all__ = [
    "ArchitectureError",
    "ConvacError",
    "InputError",
    "PartitionError",
    "TooLargeError",
]


class ConvacError(ValueError):
    """Base class of convac's value errors."""


class ArchitectureError(ConvacError):
    """An architecture spec is not valid."""


class PartitionError(ConvacError):
    """A partition of the input positions is not valid for the architecture at hand."""


class InputError(ConvacError):
    """Data handed to a model (patches, features, labels) has the wrong shape or values."""


class TooLargeError(ConvacError):
    """A requested object (dense tensor, matrix, exact rank) would exceed a size limit."""
