"""Data: bundled digits, image patches (tasks and MNIST loaders join here)."""

from convac.data.digits import load_digits, split_digits
from convac.data.mnist import load_mnist, read_idx, write_idx
from convac.data.patches import image_patches
from convac.data.tasks import TASKS, PlacedDigits, binarize_glyphs, digit_sources, make_task

__all__ = [
    "TASKS",
    "PlacedDigits",
    "binarize_glyphs",
    "digit_sources",
    "image_patches",
    "load_digits",
    "load_mnist",
    "make_task",
    "read_idx",
    "split_digits",
    "write_idx",
]
