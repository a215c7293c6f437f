"""Figures without global state: a :class:`matplotlib.figure.Figure` bound to its own Agg canvas.

Library code never calls ``matplotlib.use`` and never touches pyplot, so drawing from a
notebook or a GUI program leaves the user's backend and current figure alone.

Examples
--------
>>> import os, tempfile
>>> from convac._figures import new_figure, save_figure
>>> fig = new_figure(figsize=(3, 2))
>>> ax = fig.subplots()
>>> _ = ax.plot([0, 1], [1, 0])
>>> path = save_figure(fig, os.path.join(tempfile.mkdtemp(), "line.png"))
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

import os
from typing import Any

from convac._validation import image_path

__all__ = ["new_figure", "save_figure"]


def new_figure(**kwargs: Any) -> Any:
    """Return a new ``matplotlib.figure.Figure`` (keyword arguments as for ``Figure``) on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str], **kwargs: Any) -> str:
    """Write ``fig`` to ``path`` (an image suffix; parent folders are made); return the path as a string."""
    out = os.fspath(image_path(path))
    parent = os.path.dirname(out)
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(out, **kwargs)
    return out
