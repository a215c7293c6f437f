"""Figures are drawn on their own canvas: no pyplot, no backend switch (library code changes no global state)."""

import subprocess
import sys

import pytest

from convac.analysis import analyze_many, paper_architecture, paper_pair, wide_tip
from convac.analysis._figures import plot_layer_width_effect, plot_scales
from convac.errors import InputError

_SCRIPT = """
import os, sys, tempfile
import matplotlib
matplotlib.use("svg")
from convac.analysis import analyze_many, paper_architecture, paper_pair, wide_tip
from convac.analysis._figures import plot_layer_width_effect, plot_scales
d = tempfile.mkdtemp()
plot_scales(analyze_many(paper_pair(2), rank=False), os.path.join(d, "s.png"))
plot_layer_width_effect(paper_architecture(wide_tip(2)), os.path.join(d, "w.png"))
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""


def test_drawing_leaves_the_backend_and_pyplot_alone():
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["svg", "False"]


def test_figures_are_png_files(tmp_path):
    path = plot_scales(analyze_many(paper_pair(2), rank=False), tmp_path / "sub" / "scales.png")
    assert path == str(tmp_path / "sub" / "scales.png")
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    width = plot_layer_width_effect(paper_architecture(wide_tip(2)), tmp_path / "w.png")
    with open(width, "rb") as fh:
        assert fh.read(4) == b"\x89PNG"


def test_bad_inputs_are_one_line(tmp_path):
    with pytest.raises(InputError, match="at least one analysis"):
        plot_scales([], tmp_path / "x.png")
    with pytest.raises(InputError, match="the same grid"):
        a = analyze_many(paper_pair(2), rank=False)
        from convac import Architecture, analyze

        plot_scales([a[0], analyze(Architecture.deep_1d(8, 2, [2, 2, 2]), rank=False)], tmp_path / "x.png")
