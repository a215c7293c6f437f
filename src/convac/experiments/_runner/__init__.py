"""One sweep runner for every study (hydra style: a study only describes its cells).

A study is a config dataclass, a list of cells it expands to, and a pure cell function of
``(config, cell)`` whose randomness comes from the cell's seed and which returns a JSON record.
The runner does the rest, the same way for every study:

- :mod:`.store`: the one result store (a JSONL file whose header holds the config's fingerprint,
  checked on resume; whole fsynced lines; torn last lines dropped; bad lines refused);
- :mod:`.executors`: where cells run, by name (``local`` process pool, ``ray``);
- :mod:`.loop`: run the unfinished cells, save each as it arrives, stop cleanly on Ctrl-C;
- :mod:`.workers`: the default worker count, from the cores this process may use.
"""

from convac.experiments._runner.executors import EXECUTORS, Executor, Interrupted, make_executor, stop_on_signals
from convac.experiments._runner.loop import run_tasks
from convac.experiments._runner.store import ResultStore, fingerprint, read_records
from convac.experiments._runner.workers import default_workers, resolve_workers

__all__ = [
    "EXECUTORS",
    "Executor",
    "Interrupted",
    "ResultStore",
    "default_workers",
    "fingerprint",
    "make_executor",
    "read_records",
    "resolve_workers",
    "run_tasks",
    "stop_on_signals",
]
