"""Well-known CNN shapes for analyze_module's tests and README tables (``convac analyze --module cnn_shapes:LeNet5``).

Not a test module: imported by tests/fx, and by the command line (``--module tests/fx/cnn_shapes.py:example_net``).
"""

import torch
import torch.nn.functional as F
from torch import nn


class LeNet5(nn.Module):
    """LeNet-5 on 28x28 (LeCun et al. 1998, with the usual padding 2 on the first conv)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def vgg_style(widths=(16, 32, 64, 128, 128)) -> nn.Sequential:
    """A CIFAR VGG (as in the common VGG-for-CIFAR code): per width, [conv3x3 pad 1, BN, ReLU] x 2 + max-pool 2.

    Five poolings take 32x32 RGB images to one position; a single Linear layer gives 10 scores.
    """
    layers: list[nn.Module] = []
    c = 3
    for w in widths:
        for _ in range(2):
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]
            c = w
        layers.append(nn.MaxPool2d(2))
    side = 32 // 2 ** len(widths)
    return nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.5), nn.Linear(c * side * side, 10))


def vgg_small(widths=(16, 32, 64)) -> nn.Sequential:
    """A small VGG-style stack on 32x32: per width, one [conv3x3 pad 1, BN, ReLU] + max-pool 2; then Linear.

    Three poolings leave a 4x4 grid that the Linear layer reads whole. Small enough for the exact
    general min-cut (its unrolled tensor network has about 10^5 matrices; the two-conv CIFAR VGG
    above has more than 2 * 10^6 and is refused).
    """
    layers: list[nn.Module] = []
    c = 3
    for w in widths:
        layers += [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2)]
        c = w
    side = 32 // 2 ** len(widths)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * side * side, 10))


def example_net() -> nn.Sequential:
    """A small CNN on 1x8x8 inputs whose ConvAC analogue is a tree (the command line's tests use it)."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 2, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 2 * 2, 2),
    )  # fmt: skip


def vgg16_like(width: int = 2, n_outputs: int = 10) -> nn.Sequential:
    """VGG-16's layout (13 convolutions 3x3 pad 1 in five blocks, each closed by a max-pool 2) at ``width`` channels.

    At 224x224 its overlapping convolutions unroll to far more matrices than the exact min-cut
    accepts (bad input N067); narrow channels keep its forward pass cheap.
    """
    layers: list[nn.Module] = []
    c = 3
    for repeats in (2, 2, 3, 3, 3):
        for _ in range(repeats):
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
            c = width
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * 7 * 7, 16), nn.ReLU(), nn.Linear(16, n_outputs))
