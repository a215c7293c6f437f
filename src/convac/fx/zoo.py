"""Named real-CNN profiles in plain ``torch.nn`` (no torchvision): ResNet-18, VGG-11, a MobileNet-style net.

Each builder returns a module that :func:`convac.analyze_module` maps to its compact graph
(:func:`convac.fx.module_graph`) and bounds at every scale in seconds, at 32x32 and 224x224 alike.

- :func:`resnet18`: BasicBlocks ``[2, 2, 2, 2]`` at widths 64-128-256-512, 1x1 stride-2 shortcuts
  (``stem="imagenet"``: 7x7 stride-2 conv + 3x3 stride-2 max-pool; ``"cifar"``: one 3x3 conv);
- :func:`vgg11`: configuration A (8 convolutions, 5 max-pools), global average pool, one Linear;
- :func:`mobilenet`: depthwise-separable blocks (3x3 depthwise + 1x1 pointwise, strides 2 where the width grows).

:data:`PROFILES` names them with the input shape each is analysed at.

Examples
--------
>>> import convac
>>> from convac.fx import module_graph
>>> g = module_graph(resnet18(stem="cifar"), (3, 32, 32))
>>> sum(n.op == "add" for n in g.nodes), g.grid
(8, (32, 32))
"""

from __future__ import annotations

from typing import Any

__all__ = ["PROFILES", "mobilenet", "resnet18", "vgg11"]


def _block(c_in: int, c_out: int, stride: int) -> Any:
    import torch
    from torch import nn

    class BasicBlock(nn.Module):
        """conv3x3-BN-ReLU-conv3x3-BN, plus the input (or its 1x1 stride-2 projection), then ReLU."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.shortcut = (
                nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
                if stride != 1 or c_in != c_out
                else nn.Identity()
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
            return torch.relu(out + self.shortcut(x))

    return BasicBlock()


def resnet18(stem: str = "imagenet", n_outputs: int = 10, widths: tuple[int, ...] = (64, 128, 256, 512)) -> Any:
    """Return a ResNet-18-shaped network (BasicBlocks [2, 2, 2, 2], 1x1 stride-2 shortcuts).

    Examples
    --------
    >>> net = resnet18(stem="cifar", widths=(4, 8, 8, 8))
    >>> sum(p.numel() for p in net.parameters()) > 0
    True
    """
    from torch import nn

    if stem == "imagenet":
        head: list[Any] = [
            nn.Conv2d(3, widths[0], 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1),
        ]
    else:
        head = [nn.Conv2d(3, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    blocks = []
    c = widths[0]
    for i, w in enumerate(widths):
        for j in range(2):
            blocks.append(_block(c, w, 2 if (j == 0 and i > 0) else 1))
            c = w
    return nn.Sequential(*head, *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_outputs))


def vgg11(n_outputs: int = 10, widths: tuple[int, ...] = (64, 128, 256, 256, 512, 512, 512, 512)) -> Any:
    """Return a VGG-11-shaped network (configuration A: 8 convolutions 3x3, 5 max-pools 2x2, global pool, Linear).

    Examples
    --------
    >>> sum(1 for m in vgg11().modules() if type(m).__name__ == "Conv2d")
    8
    """
    from torch import nn

    pools_after = {0, 1, 3, 5, 7}
    layers: list[Any] = []
    c = 3
    for i, w in enumerate(widths):
        layers += [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
        c = w
        if i in pools_after:
            layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_outputs))


def mobilenet(n_outputs: int = 10, widths: tuple[int, ...] = (32, 64, 128, 128, 256, 256, 512)) -> Any:
    """Return a MobileNet-style network: a 3x3 stem, then depthwise-separable blocks (stride 2 where the width grows).

    Examples
    --------
    >>> [m.groups for m in mobilenet(widths=(8, 16)).modules() if type(m).__name__ == "Conv2d"]
    [1, 8, 1]
    """
    from torch import nn

    layers: list[Any] = [nn.Conv2d(3, widths[0], 3, stride=2, padding=1), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    c = widths[0]
    for w in widths[1:]:
        stride = 2 if w > c else 1
        layers += [
            nn.Conv2d(c, c, 3, stride=stride, padding=1, groups=c),  # depthwise
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, w, 1),  # pointwise
            nn.BatchNorm2d(w),
            nn.ReLU(),
        ]
        c = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_outputs))


#: Profile name -> (builder, keyword arguments, input shape).
PROFILES: dict[str, tuple[Any, dict[str, Any], tuple[int, int, int]]] = {
    "resnet18-32": (resnet18, {"stem": "cifar"}, (3, 32, 32)),
    "resnet18-224": (resnet18, {"stem": "imagenet"}, (3, 224, 224)),
    "vgg11-32": (vgg11, {}, (3, 32, 32)),
    "vgg11-224": (vgg11, {}, (3, 224, 224)),
    "mobilenet-32": (mobilenet, {}, (3, 32, 32)),
    "mobilenet-224": (mobilenet, {}, (3, 224, 224)),
}
