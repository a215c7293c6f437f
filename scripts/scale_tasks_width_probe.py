"""Which levels of the pooling tree each scale task needs, and how many channels: the known-scale tasks' demand.

Two probes on the scale-task study's own training (positive-weight ConvAC, one-hot input, 30 epochs,
best of 3 restarts by training loss, 1,000 training and 1,000 test samples, 16 positions):

- **flat**: the same width ``w`` at every level above the input (``M, w, w, w``), ``w = 2 .. 6``: how
  wide a flat net must be to solve each scale;
- **starved**: 6 channels everywhere except one level, cut to 2: which levels each scale needs.

With ``n_types = q`` a level of block side ``t`` that the marked pair has not yet crossed carries one
mark's type (``q + 1`` states with the blank), so a task at distance ``d`` needs about ``q + 1`` channels at
every side ``t <= d`` and an agreement bit (2) above: the demands are nested (long needs every level).
One thread, resumable (one line per cell in ``--out/width_probe.jsonl``); writes ``--out/width_probe.md``.

    PYTHONPATH=src OMP_NUM_THREADS=1 python scripts/scale_tasks_width_probe.py --out docs/results/scale_tasks
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from convac._threads import thread_limit
from convac.data.scale_tasks import SCALES, scale_distance
from convac.experiments.scale_tasks.arms import architecture
from convac.experiments.scale_tasks.cell import _best_of_restarts, _tasks
from convac.experiments.scale_tasks.config import ScaleTasksConfig


def probes(m: int) -> list[tuple[str, tuple[int, ...]]]:
    """``(probe name, widths)`` of every network probed, first width ``M``."""
    flat = [(f"flat {w}", (m, w, w, w)) for w in range(2, 7)]
    starved = [(f"side {2 ** (lv + 1)} at 2", tuple(m if i == 0 else (2 if i == lv + 1 else 6) for i in range(4)))
               for lv in range(3)]  # fmt: skip
    return flat + starved


def cell(scale: str, widths: tuple[int, ...], seed: int, cfg: ScaleTasksConfig) -> dict[str, object]:
    """Train the network of ``widths`` on the task at ``scale`` from ``seed``; keep the lowest training loss."""
    train, test = _tasks(scale, seed, cfg)
    arch = architecture(widths, cfg.n_positions, cfg.n_types + 1)
    chosen, runs = _best_of_restarts(arch, train, test, seed, cfg)
    best = runs[chosen]
    return {"scale": scale, "widths": list(widths), "n_params": arch.n_params, "seed": seed, **best}


def table(recs: list[dict], cfg: ScaleTasksConfig) -> str:
    """Markdown: per probe, each scale's test accuracy mean ± sd and the seeds at 100 %."""
    lines = [
        f"Test accuracy % (mean ± sd over seeds; in brackets: seeds at 100 %), n_types = {cfg.n_types}, "
        f"{cfg.n_positions} positions, best of {cfg.restarts} trainings per cell.",
        "",
        "| network | widths | weights | "
        + " | ".join(f"{s} (d = {scale_distance(s, cfg.n_positions)})" for s in SCALES)
        + " |",
        "|---|---|---|" + "---|" * len(SCALES),
    ]
    for name, widths in probes(cfg.n_types + 1):
        mine = [r for r in recs if tuple(r["widths"]) == widths]
        if not mine:
            continue
        cells = []
        for s in SCALES:
            acc = np.array([100 * r["test_accuracy"] for r in mine if r["scale"] == s])
            if acc.size == 0:
                cells.append("–")
                continue
            sd = f"{acc.std(ddof=1):.1f}" if acc.size > 1 else "–"
            cells.append(f"{acc.mean():.1f} ± {sd} ({int((acc > 99.95).sum())}/{acc.size})")
        lines.append(f"| {name} | {','.join(map(str, widths))} | {mine[0]['n_params']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the missing cells, then write the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--n-types", type=int, default=3)
    args = p.parse_args()
    cfg = ScaleTasksConfig(n_types=args.n_types)
    out = Path(args.out)
    path = out / "width_probe.jsonl"
    recs = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    done = {(r["scale"], tuple(r["widths"]), r["seed"]) for r in recs}
    with thread_limit(1):
        for _, widths in probes(cfg.n_types + 1):
            for scale in SCALES:
                for seed in range(args.seeds):
                    if (scale, widths, seed) in done:
                        continue
                    rec = cell(scale, widths, seed, cfg)
                    recs.append(rec)
                    with path.open("a") as f:
                        f.write(json.dumps(rec) + "\n")
                    print(scale, widths, seed, round(100 * float(rec["test_accuracy"]), 1), flush=True)  # type: ignore[arg-type]
    (out / "width_probe.md").write_text(table(recs, cfg))
    print(table(recs, cfg))


if __name__ == "__main__":
    main()
