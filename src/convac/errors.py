"""Error types raised by convac.

Every error convac raises on purpose is a :class:`ConvacError`, which is a ``ValueError``;
those about the *type* of an argument are also ``TypeError`` (:class:`ConvacTypeError`),
and a missing optional dependency is also an ``ImportError``
(:class:`MissingDependencyError`). So callers can catch the builtin types, and the CLI can
catch ``ConvacError`` alone and print its one-sentence message, while any other exception
(a bug) keeps its traceback.

>>> import convac
>>> try:
...     convac.Architecture.deep_1d(n_inputs="8", n_features=2, channels=[2, 2, 2])
... except convac.ConvacTypeError as exc:
...     print(isinstance(exc, TypeError), isinstance(exc, convac.ConvacError), exc)
True True n_inputs must be a positive integer, got str '8'
"""

from __future__ import annotations

__all__ = [
    "ArchitectureError",
    "ConvacError",
    "ConvacTypeError",
    "InputError",
    "MissingDependencyError",
    "PartitionError",
    "TooLargeError",
]


class ConvacError(ValueError):
    """Base class of every error convac raises on purpose (a ``ValueError``)."""


class ConvacTypeError(ConvacError, TypeError):
    """An argument has the wrong type (both a ``ConvacError`` and a ``TypeError``)."""


class MissingDependencyError(ConvacError, ImportError):
    """An optional dependency a feature needs is not installed (also an ``ImportError``)."""


class ArchitectureError(ConvacError):
    """An architecture spec is not valid."""


class PartitionError(ConvacError):
    """A partition of the input positions is not valid for the architecture at hand."""


class InputError(ConvacError):
    """An argument or data (sizes, options, patches, features, labels, files) has a wrong value."""


class TooLargeError(ConvacError):
    """A requested object (dense tensor, matrix, model, exact rank) would exceed a size limit."""
