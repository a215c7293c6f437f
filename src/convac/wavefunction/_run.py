"""One experiment end to end, as the command line runs it: build, reference, train, measure.

:class:`WavefunctionRun` holds every setting; :func:`run` builds the Hamiltonian and the
ansatz, computes the exact ground state where the lattice is small enough, optimises, and
reports the energy, the relative error and the entanglement of the trained ansatz next to the
exact state's and the min-cut bound. With ``out`` it writes ``history.jsonl`` and
``checkpoint.pt`` (see :func:`optimize`), ``summary.json`` and ``entanglement.png``.

Examples
--------
>>> summary = run(WavefunctionRun(model="tfim", shape=(8,), channels=(4, 4, 2), steps=20, lr=0.1, optimizer="sr"))
>>> summary["n_params"], summary["exact_energy"] < summary["energy"] < 0.97 * summary["exact_energy"]
(146, True)
>>> [row["label"] for row in summary["entanglement"]]
['checkerboard', 'blocks(2)', 'left_right']
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from convac._validation import choice, instance, integer
from convac.errors import InputError
from convac.wavefunction._ansatz import ConvACWaveFunction
from convac.wavefunction._design import architecture_for
from convac.wavefunction._entanglement import entanglement_figure, entanglement_report, standard_partitions
from convac.wavefunction._estimators import SampledEnergy, sampled_energy
from convac.wavefunction._exact import ground_state
from convac.wavefunction._hamiltonian import MAX_SPARSE_SITES, Hamiltonian, heisenberg, j1j2, tfim
from convac.wavefunction._lattice import check_shape
from convac.wavefunction._optimize import VMCResult, optimize

__all__ = ["MODELS", "WavefunctionRun", "build_hamiltonian", "load_wavefunction", "run"]

MODELS: tuple[str, ...] = ("tfim", "heisenberg", "j1j2")
"""The Hamiltonians :func:`run` builds."""


@dataclass(frozen=True)
class WavefunctionRun:
    """Every setting of :func:`run` (the command line's options, one to one).

    ``model``/``shape``/``field``/``j2``/``pbc``/``marshall``: the Hamiltonian.
    ``channels``/``windows``/``shared``/``weights``/``phase``/``symmetry``/``init_seed``: the ansatz.
    ``full_sum``, ``optimizer``, ``steps``, ``lr``, ``lr_decay``, ``seed``, ``magnetization``,
    ``diag_shift``, ``diag_shift_decay``, ``diag_shift_min``, ``sr_scale``, ``cg_steps``,
    ``n_chains``, ``n_per_chain``, ``sampler``, ``threads``: the optimisation.
    ``exact_energy``: a known reference energy (computed by Lanczos when None and N <= 20).
    ``final_samples``: with sampling, measure the trained ansatz once more from this many
    independent tree samples (:func:`sampled_energy`; 0: report the mean of the last tenth of the
    steps, which mixes the states those steps passed through).
    ``out``/``resume``: the run folder and whether to continue it.
    ``start_from``: the ``checkpoint.pt`` of an earlier run with the same lattice, windows, sharing
    and weights and no more channels per layer: a new run starts from its network, widened to
    ``channels`` with every amplitude kept (:meth:`ConvACWaveFunction.widened`) and summed over
    this run's ``symmetry`` (which may differ: the saved weights are the tree's); ignored by
    ``resume``, which continues the run's own checkpoint.

    Examples
    --------
    >>> WavefunctionRun(model="heisenberg", shape=(4, 4), marshall=True, channels=(16, 32)).full_sum
    True
    """

    model: str = "tfim"
    shape: tuple[int, ...] = (16,)
    field: float = 1.0
    j2: float = 0.5
    pbc: bool = True
    marshall: bool = False
    channels: tuple[int, ...] = (4, 8, 8, 8)
    windows: tuple[Any, ...] | None = None
    shared: bool = False
    weights: str = "signed"
    phase: bool = False
    symmetry: str = "none"
    init_seed: int = 0
    full_sum: bool = True
    optimizer: str = "adam"
    steps: int = 100
    lr: float = 0.01
    lr_decay: float = 0.0
    seed: int = 0
    magnetization: int | None = None
    diag_shift: float = 1e-3
    diag_shift_decay: float = 1.0
    diag_shift_min: float = 0.0
    sr_scale: bool = False
    cg_steps: int = 100
    n_chains: int = 64
    n_per_chain: int = 16
    sampler: str = "metropolis"
    threads: int | None = None
    exact_energy: float | None = None
    final_samples: int = 0
    out: str | None = None
    resume: bool = False
    start_from: str | None = None


def build_hamiltonian(config: WavefunctionRun) -> Hamiltonian:
    """Return the Hamiltonian ``config`` names.

    Examples
    --------
    >>> build_hamiltonian(WavefunctionRun(model="j1j2", shape=(4, 4), j2=0.5))
    j1j2((4, 4), pbc=True, j2=0.5, marshall=False)
    """
    choice(config.model, "model", MODELS)
    shape = check_shape(config.shape)
    if config.model == "tfim":
        return tfim(shape, field=config.field, pbc=config.pbc)
    if config.model == "heisenberg":
        return heisenberg(shape, pbc=config.pbc, marshall=config.marshall)
    return j1j2(shape, j2=config.j2, pbc=config.pbc, marshall=config.marshall)


def _ansatz(config: WavefunctionRun, shape: tuple[int, ...]) -> ConvACWaveFunction:
    arch = architecture_for(shape, config.channels, config.windows, config.shared)
    return ConvACWaveFunction(
        arch, weights=config.weights, phase=config.phase, seed=config.init_seed, symmetry=config.symmetry
    )


def load_wavefunction(path: str | Path, config: WavefunctionRun) -> ConvACWaveFunction:
    """Return the wave function saved in a run's ``checkpoint.pt``, checked against ``config``.

    The checkpoint's channels are kept (they may differ from ``config.channels``); the lattice,
    windows, sharing, weights and depth must be ``config``'s, and the group sum is
    ``config.symmetry`` (it has no parameters, so a trained tree may be measured under another
    group). Anything else is an :class:`~convac.errors.InputError` naming the file.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> config = WavefunctionRun(model="tfim", shape=(4,), channels=(2, 2), steps=1, out=folder)
    >>> _ = run(config)
    >>> psi = load_wavefunction(f"{folder}/checkpoint.pt", replace(config, symmetry="translation"))
    >>> psi.arch.channels, psi.symmetry
    ((2, 2), 'translation')
    >>> load_wavefunction(f"{folder}/checkpoint.pt", replace(config, shape=(8,), channels=(2, 2, 2)))
    Traceback (most recent call last):
    ...
    convac.errors.InputError: ...holds an ansatz of another depth than channels=(2, 2, 2)
    """
    import torch

    instance(config, "config", WavefunctionRun, "a WavefunctionRun")
    path = Path(instance(path, "path", (str, Path), "a path to a checkpoint.pt"))
    if not path.is_file():
        raise InputError(f"{str(path)!r} is not a file; give the checkpoint.pt of an earlier run")
    try:
        state = torch.load(path, weights_only=False, map_location="cpu")
        saved = state["psi"]
    except Exception as error:  # an unpickling error of any kind: the file is not a run's checkpoint
        raise InputError(f"{str(path)!r} is not a checkpoint.pt of a run ({type(error).__name__})") from None
    depth = len(config.channels)
    convs = [saved.get(f"amplitude.conv.{layer}") for layer in range(depth)]
    if any(w is None for w in convs) or f"amplitude.conv.{depth}" in saved:
        raise InputError(f"{str(path)!r} holds an ansatz of another depth than channels={config.channels}")
    psi = _ansatz(replace(config, channels=tuple(int(w.shape[-1]) for w in convs)), check_shape(config.shape))
    ansatz = state.get("ansatz")  # checkpoints before this field carry only the weights' shapes
    mismatch = ansatz is not None and (
        ansatz["weights"] != psi.weights
        or {**ansatz["arch"], "channels": None} != {**psi.arch.to_dict(), "channels": None}
    )
    try:
        psi.load_state_dict(saved)
    except RuntimeError:
        mismatch = True
    if mismatch:
        raise InputError(
            f"{str(path)!r} holds an ansatz of another lattice, windows, sharing or weights than this run's"
        )
    return psi


def _started_from(config: WavefunctionRun, psi: ConvACWaveFunction) -> ConvACWaveFunction:
    """Load the wave function saved at ``config.start_from`` and widen it to ``psi``'s channels."""
    path = instance(config.start_from, "start_from", str, "a path to a checkpoint.pt")
    try:
        narrow = load_wavefunction(path, config)
    except InputError as error:
        raise InputError(f"start_from={error}") from None
    if narrow.arch.channels == psi.arch.channels:
        return narrow
    return narrow.widened(psi.arch.channels, seed=config.init_seed)


def run(config: WavefunctionRun, log: Any = None) -> dict[str, Any]:
    """Run one experiment; return its summary (also written to ``out/summary.json`` with ``out``).

    ``log(step, record, psi)`` is called after every optimisation step.

    Examples
    --------
    >>> summary = run(WavefunctionRun(model="heisenberg", shape=(4,), channels=(2, 2), steps=2, magnetization=0))
    >>> summary["steps"], round(summary["exact_energy"], 10)
    (2, -8.0)
    """
    instance(config, "config", WavefunctionRun, "a WavefunctionRun")
    started = time.perf_counter()
    H = build_hamiltonian(config)
    if config.full_sum and H.n_sites > MAX_SPARSE_SITES:
        raise InputError(
            f"full_sum=True needs N <= {MAX_SPARSE_SITES} spins, got {H.n_sites}; use sampling (full_sum=False)"
        )
    psi = _ansatz(config, H.shape)
    if config.start_from is not None and not config.resume:
        psi = _started_from(config, psi)
    exact, state = config.exact_energy, None
    if H.n_sites <= MAX_SPARSE_SITES:
        energy, state = ground_state(H, config.magnetization)
        exact = energy if exact is None else exact
    result = optimize(
        psi,
        H,
        full_sum=config.full_sum,
        optimizer=config.optimizer,
        steps=config.steps,
        seed=config.seed,
        out=config.out,
        resume=config.resume,
        callback=log,
        lr=config.lr,
        lr_decay=config.lr_decay,
        magnetization=config.magnetization,
        diag_shift=config.diag_shift,
        diag_shift_decay=config.diag_shift_decay,
        diag_shift_min=config.diag_shift_min,
        sr_scale=config.sr_scale,
        cg_steps=config.cg_steps,
        n_chains=config.n_chains,
        n_per_chain=config.n_per_chain,
        sampler=config.sampler,
        threads=config.threads,
        exact_energy=exact,
    )
    final = None
    if config.final_samples and not config.full_sum:
        final = sampled_energy(psi, H, integer(config.final_samples, "final_samples", minimum=2), seed=config.seed)
    summary = _summary(config, H, psi, result, state, final, time.perf_counter() - started)
    if config.out is not None:
        folder = Path(config.out)
        (folder / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def _summary(
    config: WavefunctionRun,
    H: Hamiltonian,
    psi: ConvACWaveFunction,
    result: VMCResult,
    state: Any,
    final: SampledEnergy | None,
    seconds: float,
) -> dict[str, Any]:
    rows = []
    if H.n_sites <= MAX_SPARSE_SITES:
        rows = entanglement_report(psi, standard_partitions(H.shape), state, config.magnetization)
        if config.out is not None:
            entanglement_figure(rows, Path(config.out) / "entanglement.png", title=repr(H))
    exact = result.config.exact_energy
    last = result.history[-1] if result.history else {}
    energy, error = (result.energy, result.error) if final is None else (final.energy, final.error)
    return {
        "config": asdict(config),
        "hamiltonian": repr(H),
        "channels": list(psi.arch.channels),
        "n_params": psi.n_params,
        "energy": energy,
        "error": error,
        "exact_energy": exact,
        "relative_error": None if exact is None else abs(energy - exact) / abs(exact),
        "final": None if final is None else asdict(final),
        "variance": last.get("variance", math.nan) if final is None else final.variance,
        "v_score": last.get("v_score", math.nan),
        "steps": len(result.history),
        "seconds": seconds,
        "entanglement": [row.to_dict() for row in rows],
    }
