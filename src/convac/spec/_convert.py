"""Conversions between the tree spec and the general spec.

:meth:`Architecture.to_general <convac.spec.Architecture.to_general>` goes one way (every tree is a
general spec); :func:`to_architecture` goes back when the general spec is a tree in the
:class:`~convac.spec.Architecture` sense: every step a 1x1 conv (``channels`` given) followed by
non-overlapping pooling (``kernel == stride``, no padding, no dilation) whose windows tile the grid.

Examples
--------
>>> from convac.spec import Architecture, ConvStep, GeneralArchitecture, to_architecture
>>> arch = Architecture.deep_2d(height=6, width=4, n_features=2, channels=[3, 2], windows=[(2, 2), (3, 2)])
>>> to_architecture(arch.to_general()) == arch
True
>>> to_architecture(GeneralArchitecture(grid=(4,), n_features=2, steps=[ConvStep(2, kernel=2), ConvStep(2, kernel=3)]))
Traceback (most recent call last):
    ...
convac.errors.ArchitectureError: steps[0] has kernel (2,) and stride (1,); only non-overlapping ...
"""

from __future__ import annotations

from typing import Any

from convac._validation import instance
from convac.errors import ArchitectureError
from convac.spec._general import GeneralArchitecture
from convac.spec._tree import Architecture

__all__ = ["to_architecture"]


def to_architecture(spec: Any) -> Architecture:
    """Return ``spec`` as an (unshared) :class:`~convac.spec.Architecture`, or raise if it is not one.

    The inverse of :meth:`Architecture.to_general` up to weight sharing (the general spec has none).

    Examples
    --------
    >>> from convac.spec import ConvStep, GeneralArchitecture, to_architecture
    >>> spec = GeneralArchitecture(grid=(8,), n_features=2, steps=[ConvStep(3, kernel=2, stride=2),
    ...     ConvStep(4, kernel=4, stride=4)])
    >>> to_architecture(spec).windows, to_architecture(spec).channels
    (((2,), (4,)), (3, 4))
    """
    spec = instance(spec, "spec", GeneralArchitecture, "a convac.spec.GeneralArchitecture")
    windows = []
    for i, step in enumerate(spec.steps):
        if step.channels is None:
            raise ArchitectureError(
                f"steps[{i}] is a pure pooling step (channels=None); an Architecture needs a 1x1 conv at every layer"
            )
        if step.kernel != step.stride or any(p != 0 for p in step.padding) or any(d != 1 for d in step.dilation):
            raise ArchitectureError(
                f"steps[{i}] has kernel {step.kernel} and stride {step.stride}; only non-overlapping pooling "
                "(kernel == stride, no padding, dilation 1) is an Architecture"
            )
        below, above = spec.layer_grid(i), spec.layer_grid(i + 1)
        if any(b != a * k for b, a, k in zip(below, above, step.kernel, strict=True)):
            raise ArchitectureError(
                f"steps[{i}]'s windows {step.kernel} do not tile its {below} grid; an Architecture pools every position"
            )
        windows.append(step.kernel)
    channels = [s.channels for s in spec.steps]
    if spec.ndim == 1:
        return Architecture.deep_1d(
            spec.grid[0],
            spec.n_features,
            channels,
            n_outputs=spec.n_outputs,
            windows=[w[0] for w in windows],
        )
    return Architecture.deep_2d(
        spec.grid[0], spec.grid[1], spec.n_features, channels, n_outputs=spec.n_outputs, windows=windows
    )
