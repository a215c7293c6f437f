"""Summarise the measurement runs of scripts/wavefunction_measure.py, finished or not.

Usage::

    python scripts/wavefunction_report.py NAME key=value ...   # the same keys as the run

Reads ``runs/wavefunction/NAME/history.jsonl`` and the latest ``checkpoint.pt`` (so a run that
was stopped early is reported at its last checkpoint), prints the last record, the best energy
and the entanglement of the checkpointed ansatz next to the exact ground state's and the
min-cut (and, for a symmetrised ansatz, its rank bound), and writes ``docs/wavefunction/NAME.png``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from convac.wavefunction import (
    WavefunctionRun,
    build_hamiltonian,
    entanglement_figure,
    entanglement_report,
    ground_state,
    load_wavefunction,
    standard_partitions,
)


def _first_below(history: list[dict], e0: float) -> dict[str, list[float]]:
    """``{threshold: [step, optimizer seconds up to it]}``: the first step at or below 1e-3, 1e-4, 1e-5."""
    out: dict[str, list[float]] = {}
    elapsed = 0.0
    for record in history:
        elapsed += record["seconds"]
        error = abs(record["energy"] - e0) / abs(e0)
        for threshold in ("1e-3", "1e-4", "1e-5"):
            if threshold not in out and error <= float(threshold):
                out[threshold] = [record["step"], round(elapsed, 1)]
    return out


def main(argv: list[str]) -> None:
    """Print the summary of run ``NAME`` and draw its entanglement figure."""
    sys.path.insert(0, str(Path(__file__).parent))
    from wavefunction_measure import parse_options  # the same key=value parsing as the run

    name, *pairs = argv
    config = WavefunctionRun(**parse_options(pairs))
    folder = Path("runs/wavefunction") / name
    history = [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()]
    state_dict = torch.load(folder / "checkpoint.pt", weights_only=False)
    H = build_hamiltonian(config)
    psi = load_wavefunction(folder / "checkpoint.pt", config)
    e0, state = ground_state(H, config.magnetization)
    step = state_dict["step"]
    # record k is measured with the parameters after k updates, i.e. the checkpoint of step k
    last = history[step] if step < len(history) else history[step - 1]
    print(
        json.dumps(
            {
                "run": name,
                "hamiltonian": repr(H),
                "n_params": psi.n_params,
                "exact_energy": e0,
                "checkpoint_step": step,
                "energy_at_checkpoint": last["energy"],
                "relative_error_at_checkpoint": abs(last["energy"] - e0) / abs(e0),
                "best_relative_error": min(abs(r["energy"] - e0) / abs(e0) for r in history),
                "v_score_at_checkpoint": last["v_score"],
                "steps_logged": len(history),
                "optimizer_seconds": sum(r["seconds"] for r in history),
                "first_step_below": _first_below(history, e0),
            }
        )
    )
    rows = entanglement_report(psi, standard_partitions(H.shape), state, config.magnetization)
    for row in rows:
        print(
            f"  {row.label:>12}: ansatz S={row.ansatz_entropy:.4f} rank {row.ansatz_rank} <= bound {row.rank_bound} "
            f"(tree min-cut {row.min_cut}); exact S={row.exact_entropy:.4f} rank {row.exact_rank}"
        )
    entanglement_figure(rows, f"docs/wavefunction/{name}.png", title=f"{H!r}, step {step}")


if __name__ == "__main__":
    main(sys.argv[1:])
