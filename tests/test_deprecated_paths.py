"""Old public import paths keep working for one release, with a DeprecationWarning naming the new home."""

from __future__ import annotations

import importlib
import sys

import pytest

import convac
import convac.models

OLD_PATHS = [
    ("convac.architecture", "Architecture", "convac.spec", convac.Architecture),
    ("convac.models.schedules", "wide_tip", "convac.models", convac.models.wide_tip),
    ("convac.report.inductive_bias", "write_report", "convac.experiments.inductive_bias.report", None),
    ("convac.report.tour", "run_tour", "convac.experiments.tour", None),
]


@pytest.mark.parametrize(("old", "name", "advice", "same"), OLD_PATHS)
def test_old_path_warns_and_gives_the_same_object(old, name, advice, same):
    sys.modules.pop(old, None)  # the warning is given once per import of the module
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated .* use {advice}"):
        module = importlib.import_module(old)
    new = importlib.import_module(advice.split(" ")[0])
    if same is not None:
        assert getattr(module, name) is same
    else:
        assert getattr(module, name) is getattr(new, name)
