"""torch.nn modules of convac; stateless operations live in :mod:`convac.models.functional`."""

from convac.models.base import ConvACBase
from convac.models.deep import DeepConvAC
from convac.models.representation import (
    GaussianRepresentation,
    NeuronRepresentation,
    OneHotRepresentation,
    Representation,
    make_representation,
)
from convac.models.shallow import ShallowConvAC

__all__ = [
    "ConvACBase",
    "DeepConvAC",
    "GaussianRepresentation",
    "NeuronRepresentation",
    "OneHotRepresentation",
    "Representation",
    "ShallowConvAC",
    "make_representation",
]
