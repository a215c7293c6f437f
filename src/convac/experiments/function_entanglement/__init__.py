"""What trained ConvACs use: function entanglement per length scale against the min-cut, through training.

For every cell (task x schedule x seed) a 2D ConvAC of the inductive-bias experiment's geometry
(64x64 canvases, 3x3 patches, M = 10 Gaussian features, six 2x2 pooling layers) is trained with
:func:`convac.fit` on the local or global task, and after every epoch (and before the first) the
entanglement of its ten score *functions* is measured on the network path across a set of probe
partitions, with the feature Gram of the current representation on ``n_gram`` training images
(docs/theory.md §8). After training the coefficient tensor's entanglement is measured on the
same probes, for comparison.

Probes. The length-scale partitions of :func:`convac.analysis._scales.scales` that the network
path can do at 64x64 (min-cut up to ``max_cut``; the checkerboard and blocks 2-8 have min-cuts of
``2^32`` and more and are refused with :class:`~convac.errors.TooLargeError`), plus one short-range
family it can always do: a single ``w x w`` block (aligned with the pooling tree, top-left corner at
the canvas centre) against the rest, ``w = 2 .. 32``, whose min-cut is the width of the layer where
the block's subtree closes.

On disk (``out_dir``): ``config.json``, ``results.jsonl`` (one line per finished cell; a rerun
skips them), ``table.md``, ``profile.png``, ``training.png``, ``accuracy.png``.

The package: ``config`` (configuration and probes), ``cell`` (one cell), ``run`` (the drivers, on
the shared runner ``convac.experiments._runner``) and ``report`` (table and figures).

Examples
--------
>>> cfg = FunctionEntanglementConfig(tasks=("local",), schedules=("wide_base",), seeds=(0,))
>>> names = [p for p, _ in probes(cfg.architecture("wide_base"))]
>>> names[:3]
['block(2)', 'block(4)', 'block(8)']
"""

from convac.experiments.function_entanglement.config import FunctionEntanglementConfig, probes
from convac.experiments.function_entanglement.report import summarize_cells, write_function_entanglement_report
from convac.experiments.function_entanglement.run import run_digits_tracking, run_function_entanglement

__all__ = [
    "FunctionEntanglementConfig",
    "probes",
    "run_digits_tracking",
    "run_function_entanglement",
    "summarize_cells",
    "write_function_entanglement_report",
]
