"""``convac wavefunction``: a ConvAC as a variational wave function; flags and defaults are WavefunctionRun's."""

from __future__ import annotations

import argparse
from typing import Any

from convac.cli._config_flags import Field, add_config_flags, config_values
from convac.cli._flags import windows_list

__all__: list[str] = []

DESCRIPTION = (
    "Variational Monte Carlo with a deep ConvAC on one-hot spins: full sums over all 2^N configurations "
    "(N <= 20) or Metropolis sampling, Adam or stochastic reconfiguration. Writes history.jsonl (one line per "
    "step), checkpoint.pt (continue with --resume), summary.json and entanglement.png into --out, and prints the "
    "ansatz's entanglement per partition next to the exact ground state's and the min-cut bound."
)
EPILOG = (
    "examples:\n"
    "  convac wavefunction --model tfim --shape 16 --channels 4,16,16,16 --optimizer sr --steps 200 --out runs/tfim16\n"
    "  convac wavefunction --model heisenberg --shape 4x4 --marshall --magnetization 0 --channels 16,64 "
    "--out runs/heis44\n"
    "  convac wavefunction --model tfim --shape 6x6 --field 3 --windows 3x3,2x2 --channels 16,32 --sample "
    "--optimizer sr --out runs/tfim66"
)


def _grid(text: str) -> tuple[int, ...]:
    from convac.analysis import parse_grid

    return parse_grid(text)


def _finite(text: str) -> float:
    from convac._validation import real

    return real(float(text), "the value")


# The WavefunctionRun fields on the command line; every default is the dataclass's.
FIELDS = {
    "model": Field("the Hamiltonian", choices=("tfim", "heisenberg", "j1j2")),
    "shape": Field("lattice: N (a chain) or HxW (a square lattice)", parse=_grid),
    "field": Field("transverse field of the TFIM", parse=_finite),
    "j2": Field("next-nearest coupling of J1-J2", parse=_finite),
    "channels": Field("hidden widths, one per pooling layer, comma-separated"),
    "windows": Field("pooling windows, comma-separated (2D: 2x2,3x3; default: 2 per layer)", parse=windows_list),
    "weights": Field("positive or signed weights", choices=("positive", "signed")),
    "symmetry": Field(
        "sum the network over lattice translations (space_group: and rotations and reflections) and/or the global "
        "spin flip",
        choices=("none", "translation", "spin_flip", "translation_spin_flip", "space_group", "space_group_spin_flip"),
    ),
    "optimizer": Field("adam or sr (stochastic reconfiguration)", choices=("adam", "sr")),
    "steps": Field("optimisation steps", minimum=1),
    "lr": Field("learning rate"),
    "lr_decay": Field("step t uses lr / (1 + lr_decay t)", parse=_finite),
    "diag_shift": Field("diagonal shift of SR"),
    "diag_shift_decay": Field("step t uses max(diag_shift_min, diag_shift * decay^t)", parse=_finite),
    "diag_shift_min": Field("floor of the decaying diagonal shift", parse=_finite),
    "magnetization": Field("fix sum sz (full sum: that sector; sampling: exchange moves)", parse=int),
    "n_chains": Field(
        "Metropolis chains (exact sampling: groups of samples for the error bar)", flag="--chains", minimum=1
    ),
    "sampler": Field(
        "with --sample: metropolis (local flips, or exchanges with --magnetization) or exact (independent samples "
        "drawn down the tree, importance-weighted for --symmetry; real ansatz, no --magnetization)",
        choices=("metropolis", "exact"),
    ),
    "n_per_chain": Field("samples per chain and step", flag="--samples-per-chain", minimum=1),
    "seed": Field("seed of the weights, the sampler and the optimiser", minimum=0),
    "threads": Field("torch threads (default: torch's)", minimum=1),
    "exact_energy": Field("reference energy (Lanczos when N <= 20)", parse=_finite),
    "final_samples": Field(
        "with --sample: measure the trained ansatz from this many independent tree samples (0: the mean of the "
        "last tenth of the steps)",
        minimum=0,
    ),
    "out": Field("run folder (history.jsonl, checkpoint.pt, summary.json, entanglement.png)"),
    "start_from": Field(
        "checkpoint.pt of an earlier run (same lattice, windows, weights): start from its network, widened to "
        "--channels with every amplitude kept"
    ),
}

# Switches: WavefunctionRun field -> (flag, help, the field's value when the flag is given)
SWITCHES = {
    "pbc": ("--open", "open boundaries (default: periodic)", False),
    "marshall": ("--marshall", "Marshall sign rotation for bipartite lattices (default: off)", True),
    "shared": ("--shared", "share weights across positions (default: one matrix per position)", True),
    "phase": ("--phase", "add a phase network for sign problems such as J1-J2 (default: off)", True),
    "full_sum": ("--sample", "Metropolis sampling instead of full sums (default: full sums)", False),
    "resume": ("--resume", "continue the run in --out from its checkpoint (default: a new run)", True),
    "sr_scale": (
        "--sr-scale",
        "with --sample and --optimizer sr: solve SR in units of each parameter's own log-derivative (default: raw)",
        True,
    ),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    from convac.wavefunction import WavefunctionRun

    add_config_flags(p, WavefunctionRun, FIELDS)
    for name, (flag, text, value) in SWITCHES.items():
        p.add_argument(flag, dest=name, action="store_const", const=value, default=None, help=text)


def _log(step: int, record: dict[str, Any], psi: Any) -> None:
    if step % 50 == 0:
        rel = record.get("relative_error")
        print(f"step {step}: E = {record['energy']:.10g}" + ("" if rel is None else f" (rel. error {rel:.3g})"))


def run(args: argparse.Namespace) -> int:
    from convac.wavefunction import WavefunctionRun
    from convac.wavefunction import run as run_wavefunction

    values = config_values(args, FIELDS)
    values.update({name: getattr(args, name) for name in SWITCHES if getattr(args, name) is not None})
    if "seed" in values:
        values["init_seed"] = values["seed"]
    summary = run_wavefunction(WavefunctionRun(**values), log=_log)
    print(
        f"{summary['hamiltonian']}: E = {summary['energy']:.12g} +- {summary['error']:.2g}, "
        f"exact {summary['exact_energy']}, relative error {summary['relative_error']}, "
        f"{summary['n_params']} parameters, {summary['seconds']:.1f} s"
    )
    for row in summary["entanglement"]:
        bound = f"min-cut {row['min_cut']}"
        if row["rank_bound"] != row["min_cut"]:  # a symmetrised (sum of trees) or sector-projected ansatz
            bound = f"rank bound {row['rank_bound']}, tree min-cut {row['min_cut']}"
        print(
            f"  {row['label']:>12}: ansatz S = {row['ansatz_entropy']:.4f} (rank {row['ansatz_rank']} <= "
            f"{bound}), exact S = {row.get('exact_entropy', float('nan')):.4f}"
        )
    return 0
