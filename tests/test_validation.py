"""The shared argument checks: what each accepts, and the one-sentence error for what it refuses."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from convac import _validation as v
from convac.errors import ArchitectureError, ConvacTypeError, InputError, TooLargeError


@pytest.mark.parametrize("value", [0, 3, np.int64(7), 2**70])
def test_integer_accepts_python_and_numpy_ints(value):
    out = v.integer(value, "n")
    assert out == int(value) and type(out) is int


@pytest.mark.parametrize("value", [True, np.bool_(False), 1.0, "3", None, np.float64(2)])
def test_integer_refuses_other_types(value):
    with pytest.raises(ConvacTypeError, match=r"^n must be an integer, got "):
        v.integer(value, "n")


@pytest.mark.parametrize(
    ("kwargs", "value", "allowed"),
    [
        ({"minimum": 0}, -1, "a non-negative integer"),
        ({"minimum": 1}, 0, "a positive integer"),
        ({"minimum": 2}, 1, "an integer >= 2"),
        ({"maximum": 3}, 4, "an integer <= 3"),
        ({"minimum": 1, "maximum": 2}, 3, "an integer in 1..2"),
    ],
)
def test_integer_range_message(kwargs, value, allowed):
    with pytest.raises(InputError) as info:
        v.integer(value, "n", **kwargs)
    assert str(info.value) == f"n must be {allowed}, got {value}"


def test_error_class_is_chosen_by_the_caller():
    with pytest.raises(ArchitectureError, match="window must be an integer >= 2, got 1"):
        v.integer(1, "window", minimum=2, error=ArchitectureError)


@pytest.mark.parametrize("value", [0.0, -1, math.nan, math.inf])
def test_positive_real(value):
    with pytest.raises(InputError, match="lr must be a positive number"):
        v.positive_real(value, "lr")
    assert v.positive_real(0.5, "lr") == 0.5


def test_real_interval_and_inf():
    assert v.real(math.inf, "alpha", low=0, allow_inf=True) == math.inf
    with pytest.raises(InputError, match=r"alpha must be a non-negative number \(inf allowed\), got -1.0"):
        v.real(-1, "alpha", low=0, allow_inf=True)
    with pytest.raises(InputError, match=r"^p must be a number in \(0, 1\), got 1.0$"):
        v.probability(1, "p")
    assert v.probability(1, "p", open_ends=False) == 1.0
    with pytest.raises(ConvacTypeError, match="p must be a real number"):
        v.probability("0.5", "p")


def test_choice():
    assert v.choice("a", "mode", ("a", "b")) == "a"
    with pytest.raises(InputError, match=r"^mode must be 'a' or 'b', got 'c'$"):
        v.choice("c", "mode", ("a", "b"))
    with pytest.raises(InputError, match=r"^mode must be one of 'a', 'b', 'c', got 'd'$"):
        v.choice("d", "mode", ("a", "b", "c"))
    with pytest.raises(ConvacTypeError, match="mode must be"):
        v.choice(None, "mode", ("a", "b"))


def test_output_index():
    assert v.output_index(np.int32(2), 3) == 2
    assert v.output_index(None, 3, allow_none=True) is None
    for bad in (3, -1):
        with pytest.raises(InputError, match=f"^output must be an integer in 0..2, got {bad}$"):
            v.output_index(bad, 3)
    for bad in (None, True, 1.0):
        with pytest.raises(ConvacTypeError, match=r"output must be an integer in 0..2"):
            v.output_index(bad, 3)


def test_finite_array():
    out = v.finite_array([[1, 2, 3]], "x", shape=(None, 3))
    assert out.dtype == np.float64 and out.shape == (1, 3)
    with pytest.raises(InputError, match=r"x must have shape \(any, 4\), got \(1, 3\)"):
        v.finite_array([[1, 2, 3]], "x", shape=(None, 4))
    with pytest.raises(InputError, match="x must be finite, got 1 NaN or infinite entries"):
        v.finite_array([1, np.inf], "x")
    with pytest.raises(ConvacTypeError, match="x must be an array of real numbers"):
        v.finite_array(["a"], "x")


def test_image_path():
    assert v.image_path("out/fig.PDF", "--figure") == Path("out/fig.PDF")
    for bad in ("adir", "fig.jpg", "dir.png/"):
        if Path(bad).suffix.lower() in v.IMAGE_SUFFIXES:
            continue
        with pytest.raises(InputError, match=r"--figure must end in .png, .pdf, .svg"):
            v.image_path(bad, "--figure")
    with pytest.raises(ConvacTypeError):
        v.image_path(3, "--figure")


def test_model_size_and_positions():
    v.model_size("m", v.MAX_MODEL_BYTES // 4)
    with pytest.raises(TooLargeError, match=r"m has 1,073,741,825 parameters, which would need 4 GiB as float32"):
        v.model_size("m", v.MAX_MODEL_BYTES // 4 + 1)
    assert v.positions(v.MAX_POSITIONS, "g") == v.MAX_POSITIONS
    with pytest.raises(TooLargeError, match="g has 4,194,305 input positions, over the limit of 4,194,304"):
        v.positions(v.MAX_POSITIONS + 1, "g")
    with pytest.raises(TooLargeError, match="t would need 2 KiB, over the limit of 1 KiB; shrink it"):
        v.size_limit("t", 2048, 1024, hint="; shrink it")
