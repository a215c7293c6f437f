"""Variational Monte Carlo: minimise ``<psi|H|psi> / <psi|psi>`` with Adam or stochastic reconfiguration.

``full_sum=True`` sums over every configuration (or one ``sum sz`` sector): exact energy and
gradient, no noise, N <= 20. ``full_sum=False`` samples, with ``sampler`` (:data:`SAMPLERS`):
``"metropolis"`` (:class:`MetropolisSampler`, any ansatz) or ``"exact"`` (:class:`ExactSampler`:
independent samples drawn down the tree, for real ansätze; a symmetrised one is sampled from the
group average of its tree with importance weights, and each record gains ``effective_samples``).

Optimisers (:data:`OPTIMIZERS`): ``"adam"`` on the energy gradient; ``"sr"``, stochastic
reconfiguration ``theta -= lr (S + shift I)^{-1} F`` with a diagonal shift, solved in the
minSR / NTK form ``X^T (X X^T + shift I)^{-1} e`` when parameters outnumber the rows of ``X``
(the push-through identity makes both forms equal).

Every step appends one JSON line to ``out/history.jsonl`` (energy, variance, error bar,
acceptance, V-score ``N Var(E) / (E - E_inf)^2``, relative error when the exact energy is given,
seconds); every ``checkpoint_every`` steps ``out/checkpoint.pt`` holds the parameters, the
optimiser, the sampler's chains and generator. ``resume=True`` continues from the checkpoint,
dropping history lines after it, and produces the same records as an uninterrupted run.

Examples
--------
>>> import convac
>>> from convac.wavefunction import ConvACWaveFunction, tfim, optimize
>>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
>>> result = optimize(psi, tfim((4,)), optimizer="sr", steps=30, lr=0.1, seed=0, threads=1)
>>> result.energy < -5.19, len(result.history), sorted(result.history[-1])[:3]
(True, 30, ['acceptance', 'energy', 'error'])
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from convac._threads import thread_limit
from convac._validation import choice, instance, integer, positive_real, real
from convac.errors import InputError, InternalError
from convac.wavefunction._ansatz import ConvACWaveFunction
from convac.wavefunction._estimators import Estimate, FullSum, Sampled
from convac.wavefunction._exact_sampler import ExactSampler, check_exact_sampling
from convac.wavefunction._hamiltonian import MAX_SPARSE_SITES, Hamiltonian
from convac.wavefunction._sampler import MetropolisSampler
from convac.wavefunction._symmetry import needs_periodic

__all__ = ["OPTIMIZERS", "SAMPLERS", "VMCConfig", "VMCResult", "optimize", "sr_direction"]

Optimizer = Literal["adam", "sr"]
OPTIMIZERS: tuple[str, ...] = ("adam", "sr")
"""The optimisers :func:`optimize` accepts."""

SAMPLERS: tuple[str, ...] = ("metropolis", "exact")
"""The samplers of :func:`optimize` with ``full_sum=False``."""


@dataclass(frozen=True)
class VMCConfig:
    """Every setting of a VMC run (see :func:`optimize` for their meaning).

    Examples
    --------
    >>> VMCConfig(optimizer="sr", lr=0.05).diag_shift
    0.001
    >>> VMCConfig(optimizer="newton")
    Traceback (most recent call last):
        ...
    convac.errors.InputError: optimizer must be 'adam' or 'sr', got 'newton'
    """

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
    cg_tol: float = 1e-6
    cg_steps: int = 100
    n_chains: int = 64
    n_per_chain: int = 16
    n_discard: int = 2
    sampler: str = "metropolis"
    exact_energy: float | None = None
    e_inf: float = 0.0
    threads: int | None = None
    checkpoint_every: int = 10

    def __post_init__(self) -> None:
        instance(self.full_sum, "full_sum", bool, "True or False")
        instance(self.sr_scale, "sr_scale", bool, "True or False")
        if self.sr_scale and self.full_sum:
            raise InputError(
                "sr_scale=True needs sampling (full_sum=False): it rescales the sampled SR matrix's columns"
            )
        choice(self.optimizer, "optimizer", OPTIMIZERS)
        choice(self.sampler, "sampler", SAMPLERS)
        integer(self.steps, "steps", minimum=0)
        positive_real(self.lr, "lr")
        integer(self.seed, "seed", minimum=0)
        positive_real(self.diag_shift, "diag_shift")
        positive_real(self.cg_tol, "cg_tol")
        real(self.lr_decay, "lr_decay", low=0.0)
        real(self.diag_shift_decay, "diag_shift_decay", low=0.0, high=1.0, low_open=True)
        real(self.diag_shift_min, "diag_shift_min", low=0.0)
        for name in ("n_chains", "n_per_chain", "checkpoint_every", "cg_steps"):
            integer(getattr(self, name), name, minimum=1)
        integer(self.n_discard, "n_discard", minimum=0)
        if self.exact_energy is not None:
            real(self.exact_energy, "exact_energy")
        real(self.e_inf, "e_inf")
        if self.threads is not None:
            integer(self.threads, "threads", minimum=1)


@dataclass
class VMCResult:
    """The outcome of :func:`optimize`.

    ``energy``: the last step's energy for a full sum; for sampling, the mean over the last
    tenth of the steps (at least one), with ``error`` its standard error from those steps' error
    bars. ``history``: one record per step (the JSON lines).

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction, tfim
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> result = optimize(psi, tfim((4,)), steps=2, exact_energy=-5.226251859505506, threads=1)
    >>> len(result.history), result.relative_error == abs(result.energy + 5.226251859505506) / 5.226251859505506
    (2, True)
    """

    energy: float
    error: float
    history: list[dict[str, Any]]
    psi: ConvACWaveFunction
    config: VMCConfig
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def relative_error(self) -> float | None:
        """``|E - E_exact| / |E_exact|`` when the exact energy was given."""
        e0 = self.config.exact_energy
        return None if e0 is None else abs(self.energy - e0) / abs(e0)


SR_SCALE_FLOOR = 0.1
"""The smallest unit of :func:`sr_direction`'s ``scale``, relative to the root mean square of all units."""


def sr_direction(
    est: Estimate,
    diag_shift: float,
    *,
    cg_tol: float = 1e-6,
    cg_steps: int = 100,
    guess: torch.Tensor | None = None,
    scale: bool = False,
) -> torch.Tensor:
    """``(S + shift I)^{-1} F`` from an estimate's SR terms.

    With an operator (full sum): conjugate gradients to relative residual ``cg_tol``, starting
    from ``guess`` (the previous step's direction: SR directions change slowly). With samples:
    a direct solve, in the minSR / NTK form ``X^T (X X^T + shift I)^{-1} e`` when X is wide.

    ``scale`` (samples only): solve in units where every parameter's log-derivative has unit
    root mean square, ``D = sqrt(diag S)``: ``D^-1 (S' + shift I)^-1 F'`` with ``S' = D^-1 S D^-1``.
    Then the step's change of ``log psi`` does not depend on how each parameter is scaled, and a
    parameter whose derivative is small (a new channel's outgoing weight, :meth:`widened`) is not
    held back by the shift or, in the minSR form, by the minimum-norm choice, both of which weigh
    every raw parameter alike. A unit is at least :data:`SR_SCALE_FLOOR` times the root mean square
    of all of them (so a parameter whose derivative is only starting to grow, say a widened channel's
    incoming weight, moves at most that many times farther than an ordinary one: without the floor
    the 6x6 run's first widened steps went to 1e154); parameters with a zero column stay put.

    Examples
    --------
    >>> x, e = torch.randn(5, 12, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    >>> wide = sr_direction(Estimate(0.0, 0.0, 0.0, torch.zeros(12), sr_x=x, sr_e=e), 1e-2)
    >>> square = torch.linalg.solve(x.T @ x + 1e-2 * torch.eye(12, dtype=torch.float64), x.T @ e)
    >>> bool(torch.allclose(wide, square))
    True
    >>> op = Estimate(0.0, 0.0, 0.0, torch.zeros(12), sr_force=x.T @ e, sr_operator=lambda v: x.T @ (x @ v))
    >>> bool(torch.allclose(sr_direction(op, 1e-2, cg_tol=1e-10), square))
    True
    """
    if est.sr_operator is not None and est.sr_force is not None:
        if scale:
            raise InputError("scale=True needs a sampled estimate's SR matrix, not a full sum's operator")
        operator = est.sr_operator
        return _conjugate_gradient(lambda v: operator(v) + diag_shift * v, est.sr_force, cg_tol, cg_steps, guess)
    if est.sr_x is None or est.sr_e is None:
        raise InputError("this estimate carries no SR terms; estimate it with with_sr=True")
    x, e = est.sr_x, est.sr_e
    units = None
    if scale:
        norms = x.norm(dim=0)
        floor = SR_SCALE_FLOOR * float(norms.square().mean().sqrt())
        units = norms.clamp_min(floor) if floor > 0 else torch.ones_like(norms)
        x = x / units
    rows, n_params = x.shape
    if n_params <= rows:
        direction = torch.linalg.solve(x.T @ x + diag_shift * torch.eye(n_params, dtype=x.dtype), x.T @ e)
    else:
        direction = x.T @ torch.linalg.solve(x @ x.T + diag_shift * torch.eye(rows, dtype=x.dtype), e)
    return direction if units is None else direction / units


def _conjugate_gradient(
    apply: Any, b: torch.Tensor, tol: float, steps: int, guess: torch.Tensor | None = None
) -> torch.Tensor:
    """Solve ``apply(x) = b`` for a symmetric positive definite operator (plain CG from ``guess`` or 0)."""
    x = torch.zeros_like(b) if guess is None else guess.clone()
    r = b - apply(x) if guess is not None else b.clone()
    p = r.clone()
    rr = float(r @ r)
    target = tol * tol * max(float(b @ b), 1e-300)
    for _ in range(steps):
        if rr <= target:
            break
        ap = apply(p)
        alpha = rr / float(p @ ap)
        x += alpha * p
        r -= alpha * ap
        new = float(r @ r)
        p = r + (new / rr) * p
        rr = new
    return x


def _check_problem(psi: Any, H: Any, config: VMCConfig) -> None:
    instance(psi, "psi", ConvACWaveFunction, "a ConvACWaveFunction")
    instance(H, "H", Hamiltonian, "a convac.wavefunction Hamiltonian (tfim, heisenberg or j1j2)")
    if tuple(psi.arch.grid) != tuple(H.shape):
        raise InputError(f"the ansatz's grid {tuple(psi.arch.grid)} is not the Hamiltonian's lattice {H.shape}")
    if needs_periodic(psi.symmetry) and not H.pbc:
        raise InputError(
            f"symmetry={psi.symmetry!r} sums over lattice translations, which need periodic boundaries; "
            "use pbc=True or symmetry='none' or 'spin_flip'"
        )
    if psi.symmetry.endswith("spin_flip") and config.magnetization not in (None, 0):
        raise InputError(
            f"symmetry={psi.symmetry!r} flips every spin, which leaves the sector sum sz = {config.magnetization}; "
            "use magnetization=0 or None, or a symmetry without spin_flip"
        )
    if not config.full_sum and config.sampler == "exact":
        check_exact_sampling(psi, config.magnetization)
    if config.full_sum and H.n_sites > MAX_SPARSE_SITES:
        raise InputError(
            f"full_sum=True sums over 2^{H.n_sites} configurations, over the limit of 2^{MAX_SPARSE_SITES}; "
            "use full_sum=False (sampling)"
        )


class _Run:
    """The state of one optimisation: estimator, optimiser, output files."""

    def __init__(self, psi: ConvACWaveFunction, H: Hamiltonian, config: VMCConfig, out: Path | None) -> None:
        self.psi, self.H, self.config, self.out = psi, H, config, out
        self.params = psi.variational_parameters()
        self.adam = torch.optim.Adam(self.params, lr=config.lr) if config.optimizer == "adam" else None
        self.sampler: MetropolisSampler | ExactSampler | None = None
        if config.full_sum:
            self.full = FullSum(psi, H, config.magnetization)
        else:
            kind = ExactSampler if config.sampler == "exact" else MetropolisSampler
            self.sampler = kind(psi, config.n_chains, config.magnetization, config.seed)
            self.sampled = Sampled(psi, H, self.sampler)
        self.step = 0
        self.guess: torch.Tensor | None = None

    def estimate(self) -> Estimate:
        with_sr = self.config.optimizer == "sr"
        if self.config.full_sum:
            return self.full.estimate(with_sr)
        return self.sampled.estimate(self.config.n_per_chain, self.config.n_discard, with_sr)

    def learning_rate(self) -> float:
        """``lr / (1 + lr_decay * step)``: constant for ``lr_decay = 0``."""
        return self.config.lr / (1.0 + self.config.lr_decay * self.step)

    def shift(self) -> float:
        """``max(diag_shift_min, diag_shift * diag_shift_decay^step)``: constant for a decay of 1."""
        c = self.config
        return max(c.diag_shift_min, c.diag_shift * c.diag_shift_decay**self.step)

    def update(self, est: Estimate) -> None:
        lr = self.learning_rate()
        if self.adam is not None:
            for group in self.adam.param_groups:
                group["lr"] = lr
            offset = 0
            for p in self.params:
                p.grad = est.gradient[offset : offset + p.numel()].view_as(p).clone()
                offset += p.numel()
            self.adam.step()
            return
        c = self.config
        direction = sr_direction(
            est, self.shift(), cg_tol=c.cg_tol, cg_steps=c.cg_steps, guess=self.guess, scale=c.sr_scale
        )
        self.guess = direction if self.config.full_sum else None
        offset = 0
        with torch.no_grad():
            for p in self.params:
                p.sub_(lr * direction[offset : offset + p.numel()].view_as(p))
                offset += p.numel()

    def record(self, est: Estimate, seconds: float) -> dict[str, Any]:
        c = self.config
        gap = est.energy - c.e_inf
        rec: dict[str, Any] = {
            "step": self.step,
            "energy": est.energy,
            "variance": est.variance,
            "error": est.error,
            "acceptance": est.acceptance,
            "v_score": self.H.n_sites * est.variance / (gap * gap) if gap != 0 else math.inf,
            "seconds": seconds,
        }
        if est.effective_samples is not None:
            rec["effective_samples"] = est.effective_samples
        if c.exact_energy is not None:
            rec["relative_error"] = abs(est.energy - c.exact_energy) / abs(c.exact_energy)
        return rec

    # ------------------------------------------------------------------ files
    def save(self) -> None:
        if self.out is None:
            return
        state = {
            "step": self.step,
            "psi": self.psi.state_dict(),
            "adam": None if self.adam is None else self.adam.state_dict(),
            "sampler": None if self.sampler is None else self.sampler.state_dict(),
            "guess": self.guess,
            "config": asdict(self.config),
            "ansatz": {"arch": self.psi.arch.to_dict(), "weights": self.psi.weights, "symmetry": self.psi.symmetry},
        }
        tmp = self.out / "checkpoint.pt.tmp"
        torch.save(state, tmp)
        tmp.replace(self.out / "checkpoint.pt")

    def load(self) -> list[dict[str, Any]]:
        """Restore the checkpoint; return the history up to it (later lines are dropped from the file)."""
        if self.out is None:
            raise InternalError("_Run.load needs the run folder; optimize checks resume=True has out=")
        path = self.out / "checkpoint.pt"
        if not path.exists():
            raise InputError(f"resume=True but {path} does not exist; run without resume first")
        state = torch.load(path, weights_only=False)
        self.psi.load_state_dict(state["psi"])
        if self.adam is not None and state["adam"] is not None:
            self.adam.load_state_dict(state["adam"])
        if self.sampler is not None and state["sampler"] is not None:
            self.sampler.load_state_dict(state["sampler"])
        self.step = int(state["step"])
        self.guess = state.get("guess")
        lines = (self.out / "history.jsonl").read_text().splitlines()[: self.step]
        (self.out / "history.jsonl").write_text("".join(line + "\n" for line in lines))
        return [json.loads(line) for line in lines]


def optimize(
    psi: ConvACWaveFunction,
    H: Hamiltonian,
    full_sum: bool = True,
    optimizer: str = "adam",
    steps: int = 100,
    seed: int = 0,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    callback: Any = None,
    **settings: Any,
) -> VMCResult:
    """Minimise the energy of ``psi`` for ``H``; return a :class:`VMCResult` (``psi`` is trained in place).

    Parameters
    ----------
    psi, H:
        The ansatz and the Hamiltonian (same lattice).
    full_sum:
        Exact sums over all configurations (N <= 20) instead of Metropolis sampling.
    optimizer:
        ``"adam"`` or ``"sr"`` (:data:`OPTIMIZERS`).
    steps, seed:
        Number of optimisation steps; seed of the sampler (the ansatz has its own).
    out, resume:
        Folder for ``history.jsonl`` and ``checkpoint.pt``; continue from its checkpoint.
    callback:
        Called as ``callback(step, record, psi)`` after every step (e.g. entanglement tracking).
    settings:
        The other fields of :class:`VMCConfig`: ``lr``, ``lr_decay`` (step ``t`` uses
        ``lr / (1 + lr_decay * t)``), ``magnetization`` (a ``sum sz`` sector),
        ``diag_shift`` (step ``t`` uses ``max(diag_shift_min, diag_shift * diag_shift_decay^t)``),
        ``sr_scale`` (SR in units of each parameter's own log-derivative, :func:`sr_direction`; sampling),
        ``cg_tol``, ``cg_steps`` (conjugate gradients of full-sum SR), ``n_chains``,
        ``n_per_chain``, ``n_discard``, ``sampler`` (``"metropolis"`` or ``"exact"``), ``exact_energy``, ``e_inf``,
        ``threads``, ``checkpoint_every``.

    Examples
    --------
    >>> import convac
    >>> from convac.wavefunction import ConvACWaveFunction, heisenberg
    >>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2]), seed=0)
    >>> result = optimize(psi, heisenberg((4,), marshall=True), optimizer="sr", lr=0.1, steps=20, magnetization=0)
    >>> -8.0 <= result.energy < result.history[0]["energy"]
    True
    """
    unknown = sorted(set(settings) - set(VMCConfig.__dataclass_fields__) - {"full_sum", "optimizer"})
    if unknown:
        raise InputError(f"unknown settings {unknown}; allowed: {sorted(VMCConfig.__dataclass_fields__)}")
    config = VMCConfig(full_sum=full_sum, optimizer=optimizer, steps=steps, seed=seed, **settings)
    _check_problem(psi, H, config)
    instance(resume, "resume", bool, "True or False")
    folder = None if out is None else Path(out)
    if resume and folder is None:
        raise InputError("resume=True needs out=, the folder of the run to continue")
    with thread_limit(config.threads):
        return _loop(psi, H, config, folder, resume, callback)


def _loop(
    psi: ConvACWaveFunction, H: Hamiltonian, config: VMCConfig, folder: Path | None, resume: bool, callback: Any
) -> VMCResult:
    started = time.perf_counter()
    run = _Run(psi, H, config, folder)
    history: list[dict[str, Any]] = []
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        if resume:
            history = run.load()
        else:
            (folder / "history.jsonl").write_text("")
    while run.step < config.steps:
        tic = time.perf_counter()
        est = run.estimate()
        run.update(est)
        run.step += 1
        rec = run.record(est, time.perf_counter() - tic)
        rec["step"] = run.step - 1
        history.append(rec)
        if folder is not None:
            with open(folder / "history.jsonl", "a") as fh:
                fh.write(json.dumps(rec) + "\n")
            if run.step % config.checkpoint_every == 0 or run.step == config.steps:
                run.save()
        if callback is not None:
            callback(run.step - 1, rec, psi)
    return _result(psi, config, history, time.perf_counter() - started)


def _result(psi: ConvACWaveFunction, config: VMCConfig, history: list[dict[str, Any]], seconds: float) -> VMCResult:
    if not history:
        return VMCResult(math.nan, math.nan, history, psi, config, seconds)
    if config.full_sum:
        return VMCResult(history[-1]["energy"], 0.0, history, psi, config, seconds)
    tail = history[-max(1, len(history) // 10) :]
    energy = sum(r["energy"] for r in tail) / len(tail)
    error = math.sqrt(sum(r["error"] ** 2 for r in tail if math.isfinite(r["error"]))) / len(tail)
    return VMCResult(energy, error, history, psi, config, seconds)
