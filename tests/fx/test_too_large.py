"""Bad inputs B88, N067, N067L: a VGG-16-like net at 224x224 is refused in about a second, not after 10 minutes."""

import time

import pytest
from cnn_shapes import vgg16_like, vgg_style

from convac import TooLargeError, analyze_module
from convac.analysis import MAX_UNROLLED_MATRICES, unrolled_matrices
from convac.fx import module_architecture


def test_vgg16_like_at_224_is_refused_fast_with_the_estimate_and_the_limit():
    net = vgg16_like()
    start = time.perf_counter()
    with pytest.raises(TooLargeError) as info:
        analyze_module(net, (3, 224, 224), onehot=True)  # the function bound needs no unrolling
    elapsed = time.perf_counter() - start
    message = str(info.value)
    assert "\n" not in message
    assert "about 1.08e+16 matrices" in message and f"over the limit of {MAX_UNROLLED_MATRICES:,}" in message
    assert "use a smaller input grid" in message
    assert elapsed < 20  # tracing and one forward pass; under a second on an idle core (minutes before)


def test_the_estimate_is_counted_without_building_anything():
    spec, _ = module_architecture(vgg16_like(), (3, 224, 224))
    start = time.perf_counter()
    count = unrolled_matrices(spec)
    assert time.perf_counter() - start < 1.0
    # 224 -> 7 by five poolings: far beyond any graph convac could build
    assert count == 10756527859562697


def test_the_cifar_vgg_is_refused_before_its_graph_is_built():
    spec, _ = module_architecture(vgg_style(), (3, 32, 32))
    assert unrolled_matrices(spec) > MAX_UNROLLED_MATRICES
    with pytest.raises(TooLargeError, match=r"would have .* matrices"):
        analyze_module(vgg_style(), (3, 32, 32), onehot=True)
