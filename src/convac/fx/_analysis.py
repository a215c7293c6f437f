"""The scale-by-scale min-cut analysis of a PyTorch CNN: its ConvAC analogue, analysed as any spec.

Examples
--------
>>> from torch import nn
>>> net = nn.Sequential(nn.Conv1d(1, 2, 1), nn.Conv1d(2, 3, 2, stride=2), nn.MaxPool1d(2), nn.Flatten(),
...                     nn.Linear(3, 1))
>>> [(r.label, r.value) for r in analyze_module(net, (1, 4)).rows]
[('checkerboard', 3), ('left_right', 3)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from convac.analysis._analyze import Analysis, analyze
from convac.analysis._function_rows import layer_info
from convac.analysis._twins import tree_layers, tree_twin
from convac.fx._mapping import module_architecture
from convac.spec import GeneralArchitecture, GraphArchitecture

__all__ = ["analyze_module"]


def analyze_module(
    module: Any,
    input_shape: Sequence[int],
    *,
    families: Iterable[str] | None = None,
    name: str | None = None,
    rank: bool | str = "auto",
    seed: int = 0,
    onehot: bool | str = "auto",
) -> Analysis:
    """Min-cut at every length scale of the ConvAC analogue of a PyTorch CNN.

    The module is traced with ``torch.fx`` and mapped layer by layer to a ConvAC with the same
    channel numbers, receptive fields and pooling geometry (first convolution = representation
    layer with ``M = out_channels``; later convolutions and poolings = generalized convolutions;
    flatten + Linear = a step over the remaining grid; activations, batch norm and dropout act
    position by position and map to nothing; see :func:`convac.fx.module_architecture`).
    ``input_shape`` is one sample's ``(channels, length)`` or ``(channels, height, width)``.

    When the analogue is a tree (non-overlapping windows tiling every grid) the result is
    exactly :func:`convac.analyze` of that :class:`~convac.Architecture` (``families``,
    ``rank``, ``seed`` as there). Otherwise (overlapping kernels, residual additions,
    concatenations, grouped or depthwise convolutions; :func:`convac.fx.module_graph`) every
    row's ``value`` is the *function bound* (:func:`convac.mincut.function_bound`): the bound on
    the Schmidt rank of the network's function of continuous inputs across that partition,
    computed on the compact graph at any size. Beside it, ``onehot`` holds the one-hot
    coefficient min-cut (copies of an input may be split; never larger) where ``onehot`` asks for
    it (``"auto"``: chains with small unrolled networks; True: any chain, refused beyond
    :data:`convac.analysis.MAX_UNROLLED_MATRICES` matrices; False: never). ``lower_bound`` and
    ``rank`` are then ``None``. ``layer_labels`` names the torch layer(s) behind each analysis
    layer; ``layers`` and ``tie_groups`` give the widths, weights per channel and the layers a
    residual sum ties (docs/guide/real-cnns.md). Layers with no ConvAC analogue raise an
    :class:`~convac.InputError` naming the layer.

    Examples
    --------
    >>> import convac
    >>> from convac.models.relu_convnet import ReLUConvNet
    >>> net = ReLUConvNet([4, 2], image_size=4, seed=0)
    >>> a = convac.analyze_module(net, (1, 4, 4))
    >>> twin = convac.Architecture.deep_2d(4, 4, n_features=10, channels=[4, 2], n_outputs=10, shared=True)
    >>> a.arch == twin, a.rows == convac.analyze(twin).rows
    (True, True)
    >>> a.layer_labels
    ('representation', 'hidden.0+max_pool2d', 'hidden.1+max_pool2d_1')
    """
    spec, labels = module_architecture(module, input_shape)
    label = name or f"{type(module).__name__} on {'x'.join(map(str, input_shape))}"
    if isinstance(spec, GeneralArchitecture):
        twin = tree_twin(spec)
        layers = tree_layers(spec)
        if twin is not None and layers is not None:
            tree_labels = (labels[0], *("+".join(labels[i + 1] for i in idx) for _, _, idx in layers))
            return replace(
                analyze(twin, families=families, name=label, rank=rank, seed=seed),
                layer_labels=tree_labels,
                layers=layer_info(GraphArchitecture.from_general(spec, labels)),
            )
    return analyze(spec, families=families, name=label, rank=rank, seed=seed, layer_labels=labels, onehot=onehot)
