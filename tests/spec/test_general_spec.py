import pytest

from convac.errors import ArchitectureError, ConvacTypeError
from convac.spec import ConvStep, GeneralArchitecture


def test_lenet_like_grids_follow_torch_arithmetic():
    spec = GeneralArchitecture(
        grid=(28, 28),
        n_features=1,
        steps=[
            ConvStep(6, kernel=5, padding=2),
            ConvStep(None, kernel=2, stride=2),
            ConvStep(16, kernel=5),
            ConvStep(None, kernel=2, stride=2),
            ConvStep(120, kernel=5),
        ],
        n_outputs=10,
    )
    assert [spec.layer_grid(i) for i in range(6)] == [(28, 28), (28, 28), (14, 14), (10, 10), (5, 5), (1, 1)]
    assert spec.channels == (1, 6, 6, 16, 16, 120)
    assert not spec.is_tree
    # a corner output of the padded 5x5 conv sees only the 3x3 real inputs
    assert len(spec.window(0, (0, 0))) == 9


def test_dilated_window_positions():
    spec = GeneralArchitecture(grid=(9,), n_features=2, steps=[ConvStep(2, kernel=3, dilation=4)])
    assert spec.window(0, (0,)) == ((0,), (4,), (8,))
    assert spec.is_tree


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"grid": (8,), "steps": [ConvStep(2, kernel=3)]}, "must end at one position"),
        ({"grid": (4,), "steps": [ConvStep(2, kernel=5)]}, "more than the padded grid"),
        ({"grid": (4,), "steps": [ConvStep(2, kernel=2, padding=2), ConvStep(2, kernel=7)]}, "less than the kernel"),
        ({"grid": (4, 4, 4), "steps": [ConvStep(2, kernel=4)]}, "1D or 2D"),
        ({"grid": (4,), "steps": []}, "non-empty"),
        ({"grid": (4, 4), "steps": [ConvStep(2, kernel=(4, 4, 4))]}, "one per grid axis"),
        ({"grid": (4,), "steps": [ConvStep(0, kernel=4)]}, "positive integer"),
    ],
)
def test_bad_specs_are_refused(kwargs, match):
    with pytest.raises(ArchitectureError, match=match):
        GeneralArchitecture(n_features=2, **kwargs)


def test_non_step_is_a_type_error():
    with pytest.raises(ConvacTypeError, match="a ConvStep"):
        GeneralArchitecture(grid=(4,), n_features=2, steps=[(2, 4)])
