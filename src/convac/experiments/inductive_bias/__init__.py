"""The paper's experiment: wide-base vs wide-tip on the local and global digit tasks.

A sweep runs every cell of task x schedule x r x seed x model family. Each cell is a
pure function of ``(Protocol, Cell)``: data placement, digit split, initial weights and
batch order all come from the cell's seed, so cells can run in any order, in a process
pool (or on Ray), and be resumed.

On disk (``out_dir``):

* ``protocol.json`` - the training protocol; a directory written under another protocol
  is refused, so results of different settings never mix;
* ``results.jsonl`` - one JSON line per finished cell, appended whole (and fsynced) the
  moment the cell finishes; re-runs skip the cells found there;
* ``checkpoints/<cell>.pt`` - after every epoch of a cell in progress (written to a
  temporary file, then renamed): model, optimizer and RNG state as plain tensors/dicts
  (``torch.load(weights_only=True)``); an interrupted cell resumes from it and ends exactly
  where an uninterrupted run would;
* ``table.md``, ``table.csv``, ``figure.png`` - written at the end by :mod:`convac.report`.

Ctrl-C (SIGINT) or SIGTERM kills the workers at once, cancels the cells not started and
raises :class:`~convac.experiments._runner.signals.Interrupted` saying how many cells are saved;
running the sweep again resumes. A file in ``out_dir`` that convac cannot read (a corrupt
checkpoint, a malformed line) is refused with one line naming it; ``restart=True``
(``--restart``) deletes what an earlier sweep wrote and starts over.

Optimiser (the paper does not state it): Adam (betas 0.9/0.999, no weight decay by
default), cross-entropy, learning rate annealed per step on a cosine from ``lr`` to 0,
batch order reshuffled every epoch from ``(seed, epoch)``. Initialisation: He-normal
weights, then (``init="data"``, the default) the data-dependent rescaling of
:meth:`ReLUConvNet.initialize_from` on the first 256 training images; ``init="he"`` skips it.

Examples
--------
>>> sweep = Sweep(Protocol(n_train=8, n_test=8, epochs=1, batch_size=8), tasks=("local",),
...               schedules=("wide_base",), rs=(1,), seeds=(0,))
>>> [c.key for c in sweep.cells()]
['local|relu|wide_base|r=1|seed=0']

The package: :mod:`.protocol` (protocol, cells, profiles), :mod:`.cell` (one cell),
:mod:`._batched` (cells of one shape stacked), :mod:`._steps` (what both share), :mod:`._results`
(the results directory), :mod:`.sweep` (the driver, on :mod:`convac.experiments._runner`) and
:mod:`.report` (tables and figure).
"""

from convac.experiments.inductive_bias._results import load_results
from convac.experiments.inductive_bias.cell import run_cell
from convac.experiments.inductive_bias.protocol import MANIFEST, PROFILES, RESULTS, Cell, Protocol, Sweep, profile
from convac.experiments.inductive_bias.sweep import SweepResult, _cell_task, run_sweep  # noqa: F401  (_cell_task: tests)

__all__ = [
    "MANIFEST",
    "PROFILES",
    "RESULTS",
    "Cell",
    "Protocol",
    "Sweep",
    "SweepResult",
    "load_results",
    "profile",
    "run_cell",
    "run_sweep",
]
