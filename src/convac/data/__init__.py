"""Data: bundled digits, image patches (tasks and MNIST loaders join here)."""

from convac.data.digits import load_digits, split_digits
from convac.data.patches import image_patches

__all__ = ["image_patches", "load_digits", "split_digits"]
