"""torch.nn modules of convac; stateless operations live in :mod:`convac.models.functional`."""

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
from convac.models.schedules import SCHEDULES, Schedule, parse_schedule, wide_base, wide_tip
from convac.models.shallow import ShallowConvAC

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
