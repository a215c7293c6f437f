"""Which torch layers map to what: the lookup tables of :mod:`convac.fx._mapping`, built once.

Examples
--------
>>> from torch import nn
>>> tables = layer_tables()
>>> nn.Conv2d in tables.conv_modules, isinstance(nn.ReLU(), tables.pointwise_modules)
(True, True)
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["SUPPORTED_LAYERS", "LayerTables", "layer_tables"]

#: What :func:`convac.fx.module_architecture` accepts, as its errors list it.
SUPPORTED_LAYERS = (
    "Conv1d/Conv2d (any groups incl. depthwise, kernel, stride, padding incl. 'same'/'valid', dilation), "
    "Max/Avg/LP pooling 1d/2d, AdaptiveAvg/MaxPool with uniform windows, activations (ReLU, GELU, Tanh, Sigmoid, "
    "LeakyReLU, ...), BatchNorm1d/2d, Dropout, residual additions (+, +=, torch.add), torch.cat on channels, "
    "Flatten/flatten/view/reshape to (batch, -1), Linear, and their functional forms; after the flatten one chain"
)

_POOL_ARGS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
_AVG_ARGS = ("kernel_size", "stride", "padding", "ceil_mode")
_LP_ARGS = ("norm_type", "kernel_size", "stride", "ceil_mode")
_POINTWISE_METHODS = frozenset({
    "relu", "relu_", "tanh", "tanh_", "sigmoid", "sigmoid_", "clamp", "clamp_", "clamp_min", "clamp_min_",
    "clamp_max", "abs", "exp", "contiguous", "float", "double", "detach",
})  # fmt: skip


@dataclass(frozen=True)
class LayerTables:
    """Torch modules, functions and tensor methods by what they become in the ConvAC analogue.

    Pointwise layers (activations, batch norm, dropout, arithmetic with constants) act position by
    position and map to nothing; ``*_modules``/``*_functions`` map to their spatial dimension (1 or 2);
    ``pool_functions`` also names the positional arguments after the input; ``joins`` names the
    functions that combine branches, for the refusal message.
    """

    pointwise_modules: tuple[type, ...]
    pointwise_functions: frozenset[Callable[..., Any]]
    pointwise_methods: frozenset[str]
    arithmetic: frozenset[Callable[..., Any]]
    arithmetic_methods: frozenset[str]
    conv_modules: Mapping[type, int]
    conv_functions: Mapping[Callable[..., Any], int]
    pool_modules: Mapping[type, int]
    pool_functions: Mapping[Callable[..., Any], tuple[int, tuple[str, ...]]]
    adaptive_modules: Mapping[type, int]
    adaptive_functions: Mapping[Callable[..., Any], int]
    flatten_module: type
    flatten_functions: frozenset[Callable[..., Any]]
    flatten_methods: frozenset[str]
    linear_module: type
    linear_functions: frozenset[Callable[..., Any]]
    softmax_modules: tuple[type, ...]
    softmax: frozenset[Callable[..., Any]]
    softmax_methods: frozenset[str]
    joins: Mapping[Callable[..., Any], str]


def _pointwise_modules() -> tuple[type, ...]:
    from torch import nn

    return (
        nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
        nn.Tanh, nn.Sigmoid, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.Hardshrink, nn.Softshrink, nn.Softplus,
        nn.Softsign, nn.Tanhshrink, nn.LogSigmoid, nn.Threshold, nn.Identity, nn.BatchNorm1d, nn.BatchNorm2d,
        nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout, nn.FeatureAlphaDropout,
    )  # fmt: skip


def _pointwise_functions() -> frozenset[Callable[..., Any]]:
    import torch
    import torch.nn.functional as F

    return frozenset({
        torch.relu, torch.relu_, F.relu, F.relu_, F.relu6, F.leaky_relu, F.prelu, F.rrelu, F.elu, F.selu, F.celu,
        F.gelu, F.silu, F.mish, torch.tanh, torch.sigmoid, F.tanh, F.sigmoid, F.hardtanh, F.hardswish,
        F.hardsigmoid, F.softplus, F.softsign, F.logsigmoid, F.threshold, torch.clamp, torch.abs, torch.exp,
        F.dropout, F.dropout1d, F.dropout2d, F.alpha_dropout, F.feature_alpha_dropout, F.batch_norm,
    })  # fmt: skip


def _arithmetic() -> frozenset[Callable[..., Any]]:
    import torch

    return frozenset(
        {
            operator.add,
            operator.iadd,
            operator.sub,
            operator.isub,
            operator.mul,
            operator.imul,
            operator.truediv,
            operator.itruediv,
            operator.neg,
            torch.add,
            torch.sub,
            torch.mul,
            torch.div,
            torch.neg,
        }
    )


@lru_cache(maxsize=1)
def layer_tables() -> LayerTables:
    """Return the tables (built on first use: importing torch is slow and this module must not need it)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    return LayerTables(
        pointwise_modules=_pointwise_modules(),
        pointwise_functions=_pointwise_functions(),
        pointwise_methods=_POINTWISE_METHODS,
        # Arithmetic with a constant (a number or a parameter) acts position by position too.
        arithmetic=_arithmetic(),
        arithmetic_methods=frozenset({"add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "neg"}),
        conv_modules={nn.Conv1d: 1, nn.Conv2d: 2},
        conv_functions={F.conv1d: 1, F.conv2d: 2, torch.conv1d: 1, torch.conv2d: 2},
        pool_modules={
            nn.MaxPool1d: 1,
            nn.MaxPool2d: 2,
            nn.AvgPool1d: 1,
            nn.AvgPool2d: 2,
            nn.LPPool1d: 1,
            nn.LPPool2d: 2,
        },
        pool_functions={
            F.max_pool1d: (1, _POOL_ARGS),
            F.max_pool2d: (2, _POOL_ARGS),
            torch.max_pool1d: (1, _POOL_ARGS[:-1]),
            torch.max_pool2d: (2, _POOL_ARGS[:-1]),
            F.avg_pool1d: (1, _AVG_ARGS),
            F.avg_pool2d: (2, _AVG_ARGS),
            torch.avg_pool1d: (1, _AVG_ARGS),
            F.lp_pool1d: (1, _LP_ARGS),
            F.lp_pool2d: (2, _LP_ARGS),
        },
        adaptive_modules={
            nn.AdaptiveAvgPool1d: 1,
            nn.AdaptiveAvgPool2d: 2,
            nn.AdaptiveMaxPool1d: 1,
            nn.AdaptiveMaxPool2d: 2,
        },
        adaptive_functions={
            F.adaptive_avg_pool1d: 1,
            F.adaptive_avg_pool2d: 2,
            F.adaptive_max_pool1d: 1,
            F.adaptive_max_pool2d: 2,
            torch.adaptive_avg_pool1d: 1,
        },
        flatten_module=nn.Flatten,
        flatten_functions=frozenset({torch.flatten, torch.reshape, torch.squeeze}),
        flatten_methods=frozenset({"flatten", "view", "reshape", "squeeze"}),
        linear_module=nn.Linear,
        linear_functions=frozenset({F.linear}),
        softmax_modules=(nn.Softmax, nn.LogSoftmax),
        softmax=frozenset({F.softmax, F.log_softmax, torch.softmax, torch.log_softmax}),
        softmax_methods=frozenset({"softmax", "log_softmax"}),
        joins={
            operator.add: "a residual addition",
            operator.iadd: "a residual addition",
            torch.add: "a residual addition",
            torch.cat: "a concatenation",
            torch.concat: "a concatenation",
            torch.stack: "a stack of branches",
        },
    )
