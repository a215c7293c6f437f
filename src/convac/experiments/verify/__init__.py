"""An exact check of the min-cut theorem over grids of architectures and partitions.

For every case (architecture, partition) it computes the min-cut ``W`` (exact integer, tree
DP), the power-of-p lower bound ``W_low`` and the generic rank ``r`` over GF(p)
(:func:`convac.generic_ranks`), and checks

- ``r <= W`` (proven for any weights and any architecture: a failure is a bug or a
  counterexample, and makes the check fail);
- ``W_low <= r`` (proven only for deep 1D ConvACs with window 2 and unshared weights; a
  failure there makes the check fail, elsewhere it is *measured* and reported);
- ``r == W`` when all bond dimensions (``M`` and every channel number) are powers of one
  integer (proven, again, for 1D window 2 unshared; measured elsewhere).

Where ``r < W`` it reports by how much (``1 - r/W`` and ``log2 W - log2 r``). A rank below
the min-cut or below the lower bound is recomputed with ``redraws`` fresh weight draws
(the generic rank is the maximum over draws), so a Schwartz–Zippel accident
(probability ``<= D r / p``) cannot pass for a gap.

Each *cell* (one architecture with its partitions) is a pure function of its
:class:`Cell` (config and seed), so cells could run anywhere; here they run on an executor
(``local``: this process or a pool of worker processes). Every finished cell is appended
at once, as one whole line, to a JSON-lines file ``<out>/<suite>[-full].jsonl`` whose first
line records the configuration: a re-run skips finished cells, an interrupted run resumes
(Ctrl-C or SIGTERM kill the workers at once), and a file written by another configuration
or holding a malformed line is refused (``restart=True`` deletes it and starts over). At
the end a table (markdown and CSV) is printed and saved.

Suites (``SUITES``): ``paper`` (N = 16, M = 2, 4 distinct bond dimensions from
{2,3,5,7,11,13}: 360 arrangements x 6435 balanced partitions), ``2d`` (4x4 inputs, 2x2
pooling), ``shared`` (the paper's grid with shared weights), ``shallow``, and ``powers``
(bond dimensions all powers of one integer). Without ``full`` each suite runs a seeded
sample of its grid.

Examples
--------
>>> import tempfile, convac
>>> with tempfile.TemporaryDirectory() as tmp:
...     report = convac.verify(["shallow"], out=tmp, cells=2, partitions=5, workers=1, progress=False)
>>> report.ok, report.rows[0].suite, report.rows[0].cases
(True, 'shallow', 14)

The package: :mod:`.suites` (the grids and their cells), :mod:`.cell` (one cell's check),
:mod:`.report` (the table) and :mod:`.run` (the driver, on the shared runner
:mod:`convac.experiments._runner`).
"""

from convac.experiments.verify.cell import is_power_family, lower_bound_values, run_cell
from convac.experiments.verify.report import SuiteSummary, VerifyReport
from convac.experiments.verify.run import verify
from convac.experiments.verify.suites import (
    SUITES,
    VERIFY_MIN_PRIME,
    VERIFY_PRIME,
    VERIFY_REDRAWS,
    Cell,
    SuiteSpec,
    check_verify_prime,
    suite_cells,
)

__all__ = [
    "SUITES",
    "VERIFY_MIN_PRIME",
    "VERIFY_PRIME",
    "VERIFY_REDRAWS",
    "Cell",
    "SuiteSpec",
    "SuiteSummary",
    "VerifyReport",
    "check_verify_prime",
    "is_power_family",
    "lower_bound_values",
    "run_cell",
    "suite_cells",
    "verify",
]
