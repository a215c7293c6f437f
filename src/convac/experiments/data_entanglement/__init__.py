"""Validation of data entanglement on offline data: natural, permuted and rearranged feature orders.

For each dataset (``mnist1d``: a 1D CNN; ``mnist5k``: a 2D CNN) and seed, the features are kept in
their natural order, permuted at random (seeded), or permuted and then put back in the order of
:func:`convac.rearrange_features` (computed on the training split only). Each cell trains a small
CNN and measures the canonical entanglement per pooling level of the training data in that order.
Every finished cell is one line of ``out_dir/results.jsonl`` (the shared result store of
:mod:`convac.experiments._runner`); a rerun skips finished cells. Directories of earlier
versions kept one JSON file per cell in ``out_dir/cells``: they are read as finished cells too.

The package: :mod:`.config`, :mod:`.cell` (one cell), :mod:`.run` (the driver) and
:mod:`.report` (table, CSV and figures). Argument parsing belongs to the command line.
"""

from convac.experiments.data_entanglement.cell import run_cell
from convac.experiments.data_entanglement.config import ORDERS, ValidationConfig
from convac.experiments.data_entanglement.report import summarize
from convac.experiments.data_entanglement.run import run_validation

__all__ = ["ORDERS", "ValidationConfig", "run_cell", "run_validation", "summarize"]
