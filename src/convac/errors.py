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
    "InternalError",
    "MissingDependencyError",
    "PartitionError",
    "TooLargeError",
]


class ConvacError(ValueError):
    """Base class of convac's value errors.

    Examples
    --------
    >>> import convac
    >>> try:
    ...     convac.Architecture.deep_1d(n_inputs=12, n_features=2, channels=[2, 2])
    ... except ConvacError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    ArchitectureError True
    """


class ConvacTypeError(ConvacError, TypeError):
    """An argument has the wrong type (both a ``ConvacError`` and a ``TypeError``).

    Examples
    --------
    >>> import convac
    >>> try:
    ...     convac.Architecture.deep_1d(n_inputs=8.0, n_features=2, channels=[2, 2, 2])
    ... except TypeError as err:
    ...     print(type(err).__name__, isinstance(err, ConvacError))
    ConvacTypeError True
    """


class MissingDependencyError(ConvacError, ImportError):
    """An optional dependency a feature needs is not installed (also an ``ImportError``).

    Examples
    --------
    >>> err = MissingDependencyError("to_quimb needs quimb, an optional dependency: pip install quimb")
    >>> isinstance(err, ImportError), isinstance(err, ValueError), isinstance(err, ConvacError)
    (True, True, True)
    """


class ArchitectureError(ConvacError):
    """An architecture spec is not valid.

    Examples
    --------
    >>> import convac
    >>> convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[2, 0, 2])
    Traceback (most recent call last):
        ...
    convac.errors.ArchitectureError: channels[1] must be a positive integer, got 0
    """


class PartitionError(ConvacError):
    """A partition of the input positions is not valid for the architecture at hand.

    Examples
    --------
    >>> import convac
    >>> convac.Partition(4, side_a=[0, 4])
    Traceback (most recent call last):
        ...
    convac.errors.PartitionError: position 4 is outside 0..3 for a partition of 4 inputs
    """


class InputError(ConvacError):
    """An argument or data (sizes, options, patches, features, labels, files) has a wrong value.

    Examples
    --------
    >>> import torch, convac
    >>> model = convac.DeepConvAC(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> model(torch.zeros(3, 5, 1))
    Traceback (most recent call last):
        ...
    convac.errors.InputError: expected 4 patches per sample, got 5
    """


class TooLargeError(ConvacError):
    """A requested object (dense tensor, matrix, model, exact rank) would exceed a size limit.

    Examples
    --------
    >>> import convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=64, n_features=2, channels=[2] * 6)
    >>> convac.coefficient_tensor(convac.DeepConvAC(arch, seed=0))
    Traceback (most recent call last):
        ...
    convac.errors.TooLargeError: the dense coefficient tensor would have M^N = 2^64 = 1.845e+19 entries ...
    """


class InternalError(RuntimeError):
    """A broken internal invariant: a bug in convac, never a problem with the caller's input.

    It is deliberately *not* a :class:`ConvacError`, so the command line shows its traceback
    instead of a one-line message. Raise it where code relies on something it has already
    established (a flow that must be feasible, a cut that must separate); the message says
    what broke and asks for a report.

    Examples
    --------
    >>> from convac.errors import InternalError
    >>> raise InternalError("the cut weight differs from the flow value")
    Traceback (most recent call last):
        ...
    convac.errors.InternalError: the cut weight differs from the flow value (this is a bug in convac; please report it)
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"{message} (this is a bug in convac; please report it)")
