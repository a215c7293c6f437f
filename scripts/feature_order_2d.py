r"""The 2D part of the feature-order suite, a chosen subset of its cells: digits (8x8) and mnist5k (28x28).

The suite's own driver (:func:`convac.experiments.feature_order.run_suite`, as ``convac experiment
feature-order --out OUT --datasets digits,mnist5k --orders ...``) on the ``--orders`` asked for, which may
include methods the suite does not run by default (``EXTRA_ORDERS``: ``entanglement-blocks``); one
thread; writes ``OUT/results.jsonl``, the table, CSV and figure, then ``paired.txt``: ``entanglement``
minus each other order, paired by seed. ``--layout-figure PNG`` draws where the methods put MNIST's
pixels instead (and prints their scores). A rerun resumes, and one results file grows by datasets,
seeds or orders run at different times.

    PYTHONPATH=src nice -n 10 python scripts/feature_order_2d.py --out docs/results/feature_order/2d \
        --datasets mnist5k,digits \
        --orders natural,permuted,entanglement,entanglement-blocks,entanglement-unordered,greedy-chain,spectral,igtd
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Literal

from convac.datatensor._rearrange import Method
from convac.experiments.feature_order import FeatureOrderConfig, run_suite


def layout_figure(path: str, dataset: str = "mnist5k", seed: int = 0) -> None:
    """Where each method puts the pixels of the permuted training split: original row, column, mean image."""
    import numpy as np

    from convac._figures import new_figure, save_figure
    from convac.datatensor import affinity, rearrange_features
    from convac.datatensor._seriate import grid_score
    from convac.experiments.feature_order.cell import neighbours_kept, split

    xtr = split(dataset, seed)[0]
    grid = xtr.shape[1:]
    perm = np.random.default_rng([seed, 11]).permutation(int(np.prod(grid)))  # as the suite permutes
    flat = xtr.reshape(len(xtr), -1)
    methods: tuple[Method | Literal["natural"], ...] = ("natural", "entanglement-blocks", "entanglement")
    fig = new_figure(figsize=(9, 3 * len(methods)))
    axes = fig.subplots(len(methods), 3)
    for row, method in enumerate(methods):
        back = np.arange(flat.shape[1])
        if method != "natural":  # narrows method to a rearrange_features method for the type checker
            back = perm[rearrange_features(flat[:, perm].reshape(xtr.shape), grid=grid, method=method, seed=seed)]
        r, c = np.divmod(back.reshape(grid), grid[1])
        score = grid_score(affinity(flat), back.reshape(grid))  # what the polish climbs
        print(f"{method}: summed neighbour affinity {score:.1f}, neighbours kept {neighbours_kept(back, grid):.3f}")
        images = (r, c, flat[:, back].mean(0).reshape(grid))
        titles = (f"{method}: original row", "original column", f"mean image (kept {neighbours_kept(back, grid):.2f})")
        for ax, img, title in zip(axes[row], images, titles, strict=True):
            ax.imshow(img, cmap="gray" if title.startswith("mean") else "viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=90)


def main() -> None:
    """Parse the flags, run the missing cells, summarise."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--datasets", default="digits,mnist5k")
    p.add_argument("--orders", default="natural,permuted,entanglement,greedy-chain")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--layout-figure", help="only draw mnist5k seed 0's layouts (natural, blocks, default) to this PNG")
    args = p.parse_args()
    if args.layout_figure:
        layout_figure(args.layout_figure)
        return
    config = FeatureOrderConfig(
        datasets=tuple(args.datasets.split(",")),
        seeds=tuple(int(s) for s in args.seeds.split(",")),
        orders=tuple(args.orders.split(",")),
    )
    run_suite(args.out, config)
    paired(args.out)


def paired(out: str, against: str = "entanglement") -> None:
    """Print (and write to ``out/paired.txt``) ``against`` minus every other order, paired by seed."""
    import numpy as np

    from convac.experiments._runner import read_records
    from convac.experiments.feature_order.report import mean_ci

    recs = [r for _, r in read_records(Path(out) / "results.jsonl", "delete that line")]
    acc = {(r["dataset"], r["order"], r["seed"]): 100 * r["test_accuracy"] for r in recs}
    lines = []
    for d in sorted({k[0] for k in acc}):
        for o in sorted({k[1] for k in acc if k[0] == d} - {against}):
            seeds = sorted(s for (dd, oo, s) in acc if dd == d and oo == o and (d, against, s) in acc)
            if len(seeds) < 2:
                continue
            gap = np.array([acc[d, against, s] - acc[d, o, s] for s in seeds])
            mean, sd, half = mean_ci(list(gap))
            lines.append(f"{d}: {against} - {o}: {mean:+.2f} ± {sd:.2f} (sd), 95 % CI ± {half:.2f}, "
                         f"{int((gap > 0).sum())}/{len(seeds)} seeds above, {int((gap < 0).sum())} below")  # fmt: skip
    print("\n".join(lines))
    (Path(out) / "paired.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
