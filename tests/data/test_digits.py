"""Bundled digits and image patches."""

import numpy as np
import pytest
import torch

from convac.data import image_patches, load_digits, split_digits
from convac.errors import InputError


def test_digits_split_is_disjoint_stratified_and_seeded():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and float(images.max()) <= 1.0
    train, test = split_digits(0.25, seed=1)
    assert set(train).isdisjoint(test) and len(train) + len(test) == 1797
    counts = np.bincount(labels[test].numpy(), minlength=10)
    assert counts.min() >= 40
    assert np.array_equal(split_digits(0.25, seed=1)[1], test)
    assert not np.array_equal(split_digits(0.25, seed=2)[1], test)


def test_image_patches_are_neighbourhoods():
    img = torch.arange(16.0).view(1, 4, 4)
    p = image_patches(img, 3)
    assert p.shape == (1, 16, 9)
    # position (1, 2) = 6: its 3x3 neighbourhood, row-major
    assert p[0, 6].tolist() == [1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 9.0, 10.0, 11.0]
    # corner (0, 0) is zero-padded
    assert p[0, 0].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 4.0, 5.0]


def test_bad_patch_arguments():
    with pytest.raises(ValueError, match="positive odd integer"):
        image_patches(torch.zeros(1, 4, 4), 2)
    with pytest.raises(InputError, match="shape"):
        image_patches(torch.zeros(4, 4), 1)
    with pytest.raises(TypeError):
        image_patches(np.zeros((1, 4, 4)), 1)
    with pytest.raises(ValueError, match="test_fraction"):
        split_digits(1.5)
