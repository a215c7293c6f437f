"""torch.nn modules of convac; stateless operations live in :mod:`convac.models.functional`.

Names load on first use (PEP 562), so ``convac.models.wide_tip`` and the other width schedules
(defined in :mod:`convac.spec`, plain Python) do not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convac._lazy import lazy_attributes

# public name -> module that defines it; resolved on first attribute access
_LAZY: dict[str, str] = {
    "ConvACBase": "convac.models.base",
    "DeepConvAC": "convac.models.deep",
    "FAMILIES": "convac.models.digit_nets",
    "ConvACImageNet": "convac.models.digit_nets",
    "build_family_model": "convac.models.digit_nets",
    "ReLUConvNet": "convac.models.relu_convnet",
    "GaussianRepresentation": "convac.models.representation",
    "NeuronRepresentation": "convac.models.representation",
    "OneHotRepresentation": "convac.models.representation",
    "Representation": "convac.models.representation",
    "make_representation": "convac.models.representation",
    "SCHEDULES": "convac.spec._paper",
    "Schedule": "convac.spec._paper",
    "parse_schedule": "convac.spec._paper",
    "wide_base": "convac.spec._paper",
    "wide_tip": "convac.spec._paper",
    "ShallowConvAC": "convac.models.shallow",
}

__all__ = [
    "FAMILIES",
    "SCHEDULES",
    "ConvACBase",
    "ConvACImageNet",
    "DeepConvAC",
    "GaussianRepresentation",
    "NeuronRepresentation",
    "OneHotRepresentation",
    "ReLUConvNet",
    "Representation",
    "Schedule",
    "ShallowConvAC",
    "build_family_model",
    "make_representation",
    "parse_schedule",
    "wide_base",
    "wide_tip",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals(), __all__)


if TYPE_CHECKING:  # static checkers and IDEs see the eager imports
    from convac.models.base import ConvACBase
    from convac.models.deep import DeepConvAC
    from convac.models.digit_nets import FAMILIES, ConvACImageNet, build_family_model
    from convac.models.relu_convnet import ReLUConvNet
    from convac.models.representation import (
        GaussianRepresentation,
        NeuronRepresentation,
        OneHotRepresentation,
        Representation,
        make_representation,
    )
    from convac.models.shallow import ShallowConvAC
    from convac.spec._paper import SCHEDULES, Schedule, parse_schedule, wide_base, wide_tip
