"""Entanglement recorded while a model trains: a ``track`` callable for :func:`convac.fit`.

>>> import torch, convac
>>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=3, channels=[2, 2], n_outputs=2)
>>> model = convac.DeepConvAC(arch, representation="onehot", seed=0)
>>> x = torch.randint(0, 3, (40, 4))
>>> track = entanglement_tracker([convac.Partition.left_right(arch)], patches=x)
>>> sorted(track(model))
['left_right/y0', 'left_right/y1']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from convac.errors import ConvacTypeError, InputError
from convac.partitions import Partition
from convac.schmidt._core import entanglement
from convac.schmidt._gram import feature_gram

__all__ = ["entanglement_tracker"]


def entanglement_tracker(
    partitions: Sequence[Partition] | Mapping[str, Partition],
    patches: Any = None,
    *,
    output: int | str = "all",
    per_position: bool = False,
    method: str = "auto",
    **options: Any,
) -> Callable[[Any], dict[str, float]]:
    """Return a callable ``model -> {"<partition>/y<class>": entropy in nats}`` for ``fit(..., track=...)``.

    Parameters
    ----------
    partitions:
        The partitions to measure: a sequence (keys are the partitions' names) or a mapping
        from the key to use to the partition.
    patches:
        Inputs standing for the measure μ (what ``model(x)`` takes). Given: the *function*
        entanglement with the Gram :func:`~convac.schmidt._gram.feature_gram` recomputed from
        the model at every call (the representation trains too). None: the coefficient
        tensor's entanglement.
    output:
        A class index or ``"all"`` (default).
    per_position:
        Passed to :func:`~convac.schmidt._gram.feature_gram`.
    method, options:
        Passed to :func:`convac.entanglement` (e.g. ``max_cut``).

    Examples
    --------
    >>> import torch, convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=3, channels=[2, 2], n_outputs=3)
    >>> model = convac.DeepConvAC(arch, representation="onehot", seed=0)
    >>> x = torch.randint(0, 3, (60, 4)); y = x[:, 0]
    >>> track = entanglement_tracker({"lr": convac.Partition.left_right(arch)}, x, output=0)
    >>> result = convac.fit(model, (x, y), epochs=2, seed=0, progress=False, track=track)
    >>> [sorted(r) for r in result.tracked][0]
    ['epoch', 'lr/y0', 'seconds']
    """
    if isinstance(partitions, Mapping):
        named = dict(partitions)
    elif isinstance(partitions, Sequence) and not isinstance(partitions, (str, bytes)):
        named = {}
        for p in partitions:
            if not isinstance(p, Partition):
                raise ConvacTypeError(f"partitions must be convac.Partition objects, got {type(p).__name__}")
            named[p.name] = p
        if len(named) != len(partitions):
            raise InputError("partitions have repeated names; pass a mapping {key: partition} instead")
    else:
        raise ConvacTypeError(
            f"partitions must be a sequence or mapping of convac.Partition, got {type(partitions).__name__}"
        )
    for key, p in named.items():
        if not isinstance(p, Partition):
            raise ConvacTypeError(f"partition {key!r} must be a convac.Partition, got {type(p).__name__}")
    if not named:
        raise InputError("entanglement_tracker needs at least one partition")

    def track(model: Any) -> dict[str, float]:
        gram = None if patches is None else feature_gram(model, patches, per_position=per_position)
        record: dict[str, float] = {}
        for key, part in named.items():
            ents = entanglement(model, part, output, method, feature_gram=gram, **options)
            for ent in ents if isinstance(ents, list) else [ents]:
                record[f"{key}/y{ent.output}"] = ent.entropy
        return record

    return track
