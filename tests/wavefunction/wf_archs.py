"""Small architectures that the wave-function tests share: each kind of window, sharing and depth."""

import convac

ARCHS = {
    "chain-8": convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 4, 2]),
    "chain-12-window-3": convac.Architecture.deep_1d(n_inputs=12, n_features=2, channels=[2, 3, 2], windows=[2, 3, 2]),
    "square-4x4": convac.Architecture.deep_2d(height=4, width=4, n_features=2, channels=[3, 2]),
    "2x4-shared": convac.Architecture.deep_2d(
        height=2, width=4, n_features=2, channels=[3, 2], windows=[(1, 2), (2, 2)], shared=True
    ),
    "square-4x4-one-window": convac.Architecture.deep_2d(
        height=4, width=4, n_features=2, channels=[3], windows=[(4, 4)]
    ),
    "chain-16-one-window": convac.Architecture.deep_1d(n_inputs=16, n_features=2, channels=[3], windows=[16]),
}
