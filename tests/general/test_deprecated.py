"""convac.general is a deprecated re-export of names that moved (one release)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import convac
import convac.general as general
from convac.mincut import MinCut
from convac.spec import ConvStep, GeneralArchitecture


def test_every_old_name_still_resolves_and_warns() -> None:
    for name in general.__all__:
        with pytest.warns(DeprecationWarning, match=f"convac.general.{name} is deprecated"):
            assert getattr(general, name) is not None


def test_from_import_warns_and_gives_the_new_objects() -> None:
    with pytest.warns(DeprecationWarning, match="use convac.spec.GeneralArchitecture"):
        from convac.general import GeneralArchitecture as Old
    assert Old is GeneralArchitecture
    with pytest.warns(DeprecationWarning, match="use convac.MinCut"):
        assert general.GeneralMinCut is MinCut


def test_importing_the_package_alone_is_silent() -> None:
    # A fresh interpreter: importing the package warns nothing until an old name is used.
    code = "import convac.general"
    subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], check=True)


def test_old_min_cut_keeps_its_layer_numbering() -> None:
    spec = GeneralArchitecture(grid=(10,), n_features=2, steps=[ConvStep(3, kernel=2), ConvStep(5, kernel=9)])
    part = convac.Partition(10, side_a=range(1, 6))
    with pytest.warns(DeprecationWarning):
        old = general.min_cut(spec, part)
    new = convac.min_cut(spec, part)
    assert (old.value, old.layers) == (20, (0, 2))
    assert (new.value, new.layers) == (20, (-1, 1))
    assert isinstance(old, MinCut)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        general.nope  # noqa: B018
