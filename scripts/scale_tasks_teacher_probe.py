"""Probe: fit a known function whose rank is high at one scale; there the theorem's cut is a hard floor.

A classifier needs only the sign of its scores, so the rank a cut must carry does not bind it (the glyph
probe). A *function fit* is where it binds: the teacher is a signed shared-weight ConvAC on 16 positions with
``M = 8`` symbols whose rank across the canonical cuts at sides 2, 4, 8 is ``8, 2, 2`` (short), ``3, 6, 2``
(middle) or ``3, 3, 6`` (long). A student ConvAC ``s`` is fitted to the teacher ``t`` on the whole input space
(all ``8^16`` sequences, summed exactly by the tree's Gram recursion) by minimising the infidelity
``1 - <s,t>^2 / (<s,s> <t,t>)``, the relative squared error after the best scale. Eckart-Young gives every
student a floor it cannot go below: at each canonical cut where the student's min-cut ``c`` is below the
teacher's rank, the teacher's Schmidt weight beyond the ``c`` largest. The teacher is *whitened* (every level's
block features orthonormal within their span, random isometries, Gaussian output) so its spectra are not
steep and the floors are material.

Arms at exactly 169 weights: one per task whose canonical cuts meet that task's ranks only (``8,9,2,5`` /
``8,6,6,3`` / ``8,4,6,7``), a flat one that meets none (``8,5,6,5``), and two designed ones
(:func:`convac.channel_design.design_feasible` at 169 weights): ``designed-rank`` from the teacher's rank per
level (``ln r_l``, margin 0: the cut must carry the rank), ``designed-entropy`` from its entropy per level
(the default margin ``ln 2``, the closest design if the budget cannot meet it).

A probe, not part of the library: one line per (task, arm, seed) in ``--out/teacher_probe.jsonl``.

    PYTHONPATH=src OMP_NUM_THREADS=1 python scripts/scale_tasks_teacher_probe.py --out docs/results/scale_tasks
        --tasks short,middle,long --seeds 0,1,2,3,4   (one command line)
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from convac.experiments.scale_tasks.arms import architecture, canonical_cut_capacities
from convac.experiments.scale_tasks.cell import RESTART_SEED_STRIDE

N_POSITIONS = 16
M = 8
BUDGET = 169
SIDES = (1, 2, 4, 8)
TEACHERS: dict[str, tuple[int, ...]] = {"short": (8, 8, 2, 2), "middle": (3, 6, 6, 2), "long": (3, 3, 6, 6)}
"""Teacher widths; their canonical cuts at sides 2, 4, 8 are 8, 2, 2 / 3, 6, 2 / 3, 3, 6."""
HAND_ARMS: dict[str, tuple[int, ...]] = {
    "fits-short": (8, 9, 2, 5),
    "fits-middle": (8, 6, 6, 3),
    "fits-long": (8, 4, 6, 7),
    "flat": (8, 5, 6, 5),
}
DESIGNED = ("designed-rank", "designed-entropy")
STUDENT_SEED_OFFSET = 10_000


def student(widths: tuple[int, ...], seed: int) -> Any:
    """Return a signed shared-weight ConvAC (float64, one output) on the probe's 16 positions."""
    from convac.models import DeepConvAC

    arch = architecture(widths, N_POSITIONS, M, n_outputs=1)
    return DeepConvAC(arch, representation="onehot", seed=seed, weights="signed").double()


def teacher(task: str, seed: int) -> Any:
    """Return the task's whitened teacher: block features orthonormal within their span at every level."""
    import torch

    widths = TEACHERS[task]
    net = student(widths, seed)
    rng = np.random.default_rng(seed)
    pooled = np.eye(M)  # Gram of one-hot symbols summed over the alphabet
    with torch.no_grad():
        for layer, width in enumerate(widths):
            lam, basis = np.linalg.eigh(pooled)
            keep = lam > 1e-10 * lam.max()
            basis, lam = basis[:, keep], lam[keep]
            side = max(len(lam), width)
            rotation, _ = np.linalg.qr(rng.standard_normal((side, side)))
            weight = basis @ np.diag(lam**-0.5) @ rotation[: len(lam), :width]
            net.conv[layer].copy_(torch.from_numpy(weight))
            gram = weight.T @ pooled @ weight
            pooled = gram * gram  # product pooling of two blocks with the same features
        net.output_raw.copy_(torch.from_numpy(rng.standard_normal((widths[-1], 1))))
    return net


def log_overlap(a: Any, b: Any) -> tuple[Any, Any]:
    """Return (sign, ln |<A_a, A_b>|) summed over every input: the cross Gram of each level, squared by pooling.

    The Gram is rescaled at each level and its log scale carried, so depth never overflows.
    """
    import torch

    mats_a = [a.conv_weight(layer) for layer in range(a.arch.depth)] + [a.output]
    mats_b = [b.conv_weight(layer) for layer in range(b.arch.depth)] + [b.output]
    gram = mats_a[0].T @ mats_b[0]
    log_scale = torch.zeros((), dtype=gram.dtype)
    for wa, wb in zip(mats_a[1:], mats_b[1:], strict=True):
        peak = gram.abs().max()
        gram = (gram / peak) ** 2
        log_scale = 2 * (log_scale + torch.log(peak))
        gram = wa.T @ gram @ wb
    value = gram.squeeze()
    return torch.sign(value), log_scale + torch.log(value.abs())


def neg_log_fidelity(s: Any, t: Any, log_tt: Any) -> Any:
    """Return ``-ln F``, ``F = <s,t>^2 / (<s,s> <t,t>)``; its gradient does not vanish where ``F`` is tiny."""
    _, log_st = log_overlap(s, t)
    _, log_ss = log_overlap(s, s)
    return -(2 * log_st - log_ss - log_tt)


def fit(t: Any, widths: tuple[int, ...], seed: int, iters: int, start: Any = None) -> float:
    """Fit a student of ``widths`` from ``seed`` (or from the model ``start``) by L-BFGS on ``-ln F``.

    Returns its infidelity ``1 - F``.
    """
    import torch

    s = student(widths, seed) if start is None else start
    log_tt = log_overlap(t, t)[1].detach()
    params = [p for name, p in s.named_parameters() if name != "log_temperature"]
    opt = torch.optim.LBFGS(
        params, lr=1, max_iter=iters, history_size=50, line_search_fn="strong_wolfe",
        tolerance_grad=1e-12, tolerance_change=1e-14,
    )  # fmt: skip

    def closure() -> Any:
        opt.zero_grad()
        loss = neg_log_fidelity(s, t, log_tt)
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float(-torch.expm1(-neg_log_fidelity(s, t, log_tt)))


def spectra(t: Any) -> list[np.ndarray]:
    """Return the teacher's Schmidt weights (descending, summing to 1) across one block of each side in SIDES."""
    import convac

    out = []
    for side in SIDES:
        mask = np.zeros(N_POSITIONS, dtype=bool)
        mask[:side] = True
        ent = convac.entanglement(t, convac.Partition.from_mask(mask, grid=(N_POSITIONS,)), method="network")
        out.append(np.sort(np.asarray(ent.schmidt_values) ** 2)[::-1])
    return out


def floor(weights: list[np.ndarray], widths: tuple[int, ...]) -> tuple[float, int]:
    """Return the Eckart-Young floor of a student's infidelity and the side where it binds (0 if none)."""
    cuts = canonical_cut_capacities(widths, N_POSITIONS, M)
    tails = [float(w[c:].sum()) for w, c in zip(weights, cuts, strict=True)]
    level = int(np.argmax(tails))
    return tails[level], SIDES[level] if tails[level] > 0 else 0


def level_profile(measure: str, weights: list[np.ndarray]) -> list[float]:
    """Return the teacher's per-level profile in nats: ``ln`` of its rank, or its entropy.

    The rank is :func:`convac.wavefunction.truncation_rank` at 1e-12 (the teachers' kept weights are above
    1e-6 and the rest below 1e-12), the rule ``design_from_state(measure="rank")`` uses for a state.
    """
    from convac.schmidt import entropy
    from convac.wavefunction import truncation_rank

    if measure == "rank":
        return [math.log(truncation_rank(np.sqrt(w), tol=1e-12)) for w in weights]
    return [entropy(np.sqrt(w)) for w in weights]


def _template() -> Any:
    from convac import Architecture

    return Architecture.deep_1d(N_POSITIONS, M, [1] * len(SIDES), shared=True, n_outputs=1)


def designed_widths(arm: str, weights: list[np.ndarray]) -> tuple[int, ...] | None:
    """Return the designed arm's widths at BUDGET from the teacher's rank or entropy per canonical level.

    None where the design finds no integer widths of exactly BUDGET weights (its InputError).
    """
    from convac.channel_design import design_feasible
    from convac.errors import InputError

    if arm == "designed-rank":
        profile, options = level_profile("rank", weights), {"margin": 0.0}
    else:
        profile, options = level_profile("entropy", weights), {"infeasible": "closest"}
    try:
        made = design_feasible(_template(), BUDGET, profile, **options)  # type: ignore[arg-type]
    except InputError:
        return None
    return tuple(int(c) for c in made.channels)


def cell(
    task: str, arm: str, seed: int, restarts: int, iters: int, earlier: list[float] | None = None
) -> dict[str, Any]:
    """Fit one arm to the task's teacher of ``seed`` ``restarts`` times; keep the lowest infidelity.

    ``earlier``: the infidelities of the first restarts, already fitted (restart ``j`` always starts from the
    same seed), so a cell with more restarts only fits the new ones; ``seconds`` counts those.
    """
    done = list(earlier or [])
    start = time.perf_counter()
    t = teacher(task, seed)
    weights = spectra(t)
    widths = HAND_ARMS[arm] if arm in HAND_ARMS else designed_widths(arm, weights)
    if widths is None:
        return {"task": task, "arm": arm, "widths": None, "seed": seed, "restarts": [None] * restarts, "iters": iters}
    starts = range(len(done), restarts)
    runs = done + [fit(t, widths, STUDENT_SEED_OFFSET + seed + j * RESTART_SEED_STRIDE, iters) for j in starts]
    bound, side = floor(weights, widths)
    return {
        "task": task, "arm": arm, "widths": list(widths), "seed": seed,
        "n_params": architecture(widths, N_POSITIONS, M, n_outputs=1).n_params,
        "cuts": list(canonical_cut_capacities(widths, N_POSITIONS, M)), "floor": bound, "floor_side": side,
        "infidelity": min(runs), "restarts": runs, "iters": iters, "seconds": round(time.perf_counter() - start, 1),
    }  # fmt: skip


CLIP = 1e-12
"""Infidelities below this are float64 round-off of ``1 - F``; logs are taken of ``max(infidelity, CLIP)``."""
FITTED = 1e-6
"""A fit counts as having reached its teacher below this infidelity."""


def table(records: list[dict[str, Any]]) -> str:
    """Return markdown: per number of restarts and task, each arm's cuts, floor, fitted infidelity and gap."""
    lines = [
        "Infidelity `1 - F` of the fitted student (best of k L-BFGS fits, 2,000 iterations each) to a whitened "
        "teacher, 16 positions, M = 8, every arm at exactly 169 weights; floor = the Eckart-Young lower bound from "
        "the student's canonical cuts (0 where its cuts hold every rank). Teacher ranks at sides 2, 4, 8: short "
        "8, 2, 2; middle 3, 6, 2; long 3, 3, 6. Gap: paired difference of log10 infidelity (clipped at "
        f"{CLIP:g}) against the arm that fits the task over teacher seeds (positive: the arm ends further from "
        "the teacher; wins: seeds where the fitting arm ends closer), 95 % t interval, exact sign test. Made by "
        "`PYTHONPATH=src OMP_NUM_THREADS=1 python scripts/scale_tasks_teacher_probe.py --out "
        "docs/results/scale_tasks --seeds 0,1,2,3,4` (`--restarts 6` for the second block; it reuses the first "
        "three fits of each cell); `--table-only` rewrites this page and the figure.",
    ]
    for k in sorted({len(r["restarts"]) for r in records}):
        lines += ["", f"### Best of {k} fits"]
        for task in TEACHERS:
            mine = [r for r in records if r["task"] == task and len(r["restarts"]) == k]
            if mine:
                lines += _task_table(task, mine)
    return "\n".join(lines) + "\n"


def _task_table(task: str, mine: list[dict[str, Any]]) -> list[str]:
    from convac.experiments._stats import paired_test

    fitting = {r["seed"]: math.log10(max(r["infidelity"], CLIP)) for r in mine if r["arm"] == f"fits-{task}"}
    lines = [
        "",
        f"**{task}** (teacher widths {','.join(map(str, TEACHERS[task]))})",
        "",
        "| arm | widths | cuts at side 2, 4, 8 | floor mean [min, max] | infidelity median [min, max] "
        f"| below {FITTED:g} | log10 infidelity mean ± sd | gap to the fitting arm [95% CI] | wins/losses | sign p |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for arm in (*HAND_ARMS, *DESIGNED):
        every = [r for r in mine if r["arm"] == arm]
        rows = sorted((r for r in every if r["widths"] is not None), key=lambda r: r["seed"])
        label = (
            arm
            if len(rows) == len(every)
            else f"{arm} (no design of {BUDGET} weights on {len(every) - len(rows)} seeds)"
        )
        if not rows:
            continue
        fl = np.array([r["floor"] for r in rows])
        inf = np.array([r["infidelity"] for r in rows])
        logs = np.log10(np.maximum(inf, CLIP))
        spread = logs.std(ddof=1) if len(logs) > 1 else 0.0
        gap = ["–", "–", "–"]
        paired = [math.log10(max(r["infidelity"], CLIP)) - fitting[r["seed"]] for r in rows if r["seed"] in fitting]
        if arm != f"fits-{task}" and len(paired) > 1:
            test = paired_test(paired)
            gap = [
                f"{test.mean:+.2f} [{test.ci[0]:+.2f}, {test.ci[1]:+.2f}]",
                f"{test.wins}/{test.losses}",
                f"{test.sign_p:.3f}",
            ]
        lines.append(
            f"| {label} | {' or '.join(sorted({','.join(map(str, r['widths'])) for r in rows}))} | "
            f"{' or '.join(sorted({', '.join(map(str, r['cuts'][1:])) for r in rows}))} | {fl.mean():.3g} "
            f"[{fl.min():.2g}, {fl.max():.2g}] | {np.median(inf):.2g} [{inf.min():.2g}, {inf.max():.2g}] | "
            f"{int((inf < FITTED).sum())}/{inf.size} | {logs.mean():.2f} ± {spread:.2f} | " + " | ".join(gap) + " |"
        )
    return lines


def entropy_design_notes(seeds: list[int]) -> str:
    """Return markdown: per teacher, whether the entropy design (margin ln 2) fits BUDGET without the closest rule."""
    from convac.channel_design import design_feasible
    from convac.errors import InputError

    template = _template()
    lines = ["", f"**The entropy design at exactly {BUDGET} weights without the closest rule** (margin ln 2):", ""]
    for task in TEACHERS:
        outcomes = []
        for seed in seeds:
            entropies = level_profile("entropy", spectra(teacher(task, seed)))
            try:
                outcomes.append(",".join(map(str, design_feasible(template, BUDGET, entropies).channels)))
            except InputError as err:
                outcomes.append(str(err).split(";")[0])
        lines.append(f"- {task}: " + "; ".join(f"seed {s}: {o}" for s, o in zip(seeds, outcomes, strict=True)))
    return "\n".join(lines) + "\n"


def figure(records: list[dict[str, Any]]) -> Any:
    """Return a Figure: per task, each arm's fitted infidelity per seed (dots) and its floor (bars)."""
    from convac._figures import new_figure

    most = max(len(r["restarts"]) for r in records)
    records = [r for r in records if len(r["restarts"]) == most]
    fig = new_figure(figsize=(11, 3.8), layout="constrained")
    axes = fig.subplots(1, len(TEACHERS), sharey=True)
    arms = (*HAND_ARMS, *DESIGNED)
    for ax, task in zip(axes, TEACHERS, strict=True):
        for i, arm in enumerate(arms):
            rows = [r for r in records if r["task"] == task and r["arm"] == arm and r["widths"] is not None]
            if not rows:
                continue
            fitted = [max(r["infidelity"], CLIP) for r in rows]
            color = "C2" if arm == f"fits-{task}" else "C1" if arm in DESIGNED else "C0"
            ax.scatter(i + np.linspace(-0.15, 0.15, len(fitted)), fitted, s=14, color=color)
            floors = [r["floor"] for r in rows if r["floor"] > 0]  # a zero floor has no place on a log axis
            ax.hlines(floors, i - 0.3, i + 0.3, color="C3", linewidth=1)
        ax.set_yscale("log")
        ax.set_title(f"{task} teacher")
        ax.set_xticks(range(len(arms)), arms, rotation=45, ha="right", fontsize=8)
    axes[0].set_ylabel(f"infidelity 1 - F (clipped at {CLIP:g})")
    fig.suptitle(
        f"best of {most} fits: fitted infidelity per seed (dots; green: the hand-made arm whose cuts hold the "
        "teacher, orange: designed)\n"
        "and the Eckart-Young floor per seed (red bars; none where the cuts hold every rank)",
        fontsize=9,
    )
    return fig


def main() -> None:
    """Run each requested cell not yet in the file; append its line; rewrite the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--tasks", default="short,middle,long")
    p.add_argument("--arms", default=",".join((*HAND_ARMS, *DESIGNED)))
    p.add_argument("--seeds", default="0,1,2,3,4")
    p.add_argument("--restarts", type=int, default=3)
    p.add_argument("--iters", type=int, default=2000, help="L-BFGS iterations per fit")
    p.add_argument("--table-only", action="store_true", help="only rewrite --out/teacher_probe.md from the file")
    args = p.parse_args()
    path = Path(args.out) / "teacher_probe.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    done = {(r["task"], r["arm"], r["seed"], len(r["restarts"]), r["iters"]) for r in records}
    for task in [] if args.table_only else args.tasks.split(","):
        for arm in args.arms.split(","):
            for seed in (int(v) for v in args.seeds.split(",")):
                if (task, arm, seed, args.restarts, args.iters) in done:
                    continue
                fewer = [
                    r["restarts"] for r in records
                    if (r["task"], r["arm"], r["seed"], r["iters"]) == (task, arm, seed, args.iters)
                    and r["widths"] is not None and len(r["restarts"]) < args.restarts
                ]  # fmt: skip
                rec = cell(task, arm, seed, args.restarts, args.iters, max(fewer, key=len) if fewer else None)
                with path.open("a") as f:
                    f.write(json.dumps(rec) + "\n")
                records.append(rec)
                print(json.dumps(rec), flush=True)
    seeds = sorted({r["seed"] for r in records})
    (path.parent / "teacher_probe.md").write_text(table(records) + (entropy_design_notes(seeds) if seeds else ""))
    if records:
        from convac._figures import save_figure

        save_figure(figure(records), path.parent / "teacher_probe.png", dpi=110)


if __name__ == "__main__":
    main()
