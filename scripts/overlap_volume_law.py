"""Volume law of overlapping ConvACs (Levine, Sharir, Cohen, Shashua, PRL 122, 065301 (2019)).

log2 min-cut (exact, convac.min_cut) of a centred contiguous block against the block's
volume, for a stride-1 overlapping stack and for the non-overlapping tree of similar size, in 1D
and 2D; plus the entanglement entropy (bits, mean over random float64 weights) of the dense
coefficient tensor of small specs. Writes docs/results/overlap/volume_law.png and volume_law.json.

    PYTHONPATH=src python scripts/overlap_volume_law.py          # a few minutes on 1 core
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from convac.experiments.overlap import overlap_stack, tree_stack, volume_law_rows

M = 2
C = 4


def specs() -> dict[str, dict]:
    """Name -> spec, block sizes, panel, whether to measure entropy."""
    return {
        "1D N=64 overlapping k=3, 4 layers": dict(
            spec=overlap_stack((64,), M, [C] * 4), sizes=range(1, 33), panel=0, entropy=0
        ),
        "1D N=64 tree (window 2, 6 layers)": dict(
            spec=tree_stack((64,), M, [C] * 6, [2] * 6), sizes=range(1, 33), panel=0, entropy=0
        ),
        "1D N=12 overlapping k=3, 2 layers": dict(
            spec=overlap_stack((12,), M, [C] * 2), sizes=range(1, 7), panel=0, entropy=5
        ),
        "1D N=12 tree (windows 2, 2, 3)": dict(
            spec=tree_stack((12,), M, [C] * 3, [2, 2, 3]), sizes=range(1, 7), panel=0, entropy=5
        ),
        "2D 12x12 overlapping 3x3, 2 layers": dict(
            spec=overlap_stack((12, 12), M, [C] * 2), sizes=range(1, 9), panel=1, entropy=0
        ),
        "2D 12x12 tree (windows 2, 2, 3)": dict(
            spec=tree_stack((12, 12), M, [C] * 3, [2, 2, 3]), sizes=range(1, 9), panel=1, entropy=0
        ),
        "2D 4x4 overlapping 3x3, 2 layers": dict(
            spec=overlap_stack((4, 4), M, [C] * 2), sizes=range(1, 4), panel=1, entropy=5
        ),
        "2D 4x4 tree (windows 2, 2)": dict(
            spec=tree_stack((4, 4), M, [C] * 2, [2, 2]), sizes=range(1, 4), panel=1, entropy=5
        ),
    }


def main() -> None:
    """Measure (or, with --replot, reload) the volume-law data and draw the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/results/overlap", help="folder for volume_law.png and volume_law.json")
    parser.add_argument("--replot", action="store_true", help="redraw the figure from an existing volume_law.json")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        results = json.loads((out / "volume_law.json").read_text())
    else:
        results = {}
        for name, case in specs().items():
            rows = volume_law_rows(case["spec"], case["sizes"], entropy_seeds=case["entropy"])
            results[name] = {"spec": repr(case["spec"]), "panel": case["panel"], "rows": rows}
            print(name, [(r["volume"], round(r["log2_min_cut"], 2), round(r.get("entropy_bits", -1), 2)) for r in rows])
        (out / "volume_law.json").write_text(json.dumps(results, indent=1))

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    for name, res in results.items():
        rows = res["rows"]
        vol = [r["volume"] for r in rows]
        over = "overlapping" in name
        color = "C0" if over else "C3"
        if "entropy_bits" in rows[0]:
            ax = axes[2]
            marker = "o" if over else "s"
            dim = "1D" if name.startswith("1D") else "2D"
            color = ("C0" if over else "C3") if dim == "1D" else ("C9" if over else "C1")
            ax.plot(
                vol,
                [r["log2_min_cut"] for r in rows],
                "-" if over else "--",
                color=color,
                alpha=0.5,
                label=f"{name}: log2 min-cut",
            )
            ax.plot(
                vol,
                [r["log2_generic_rank"] for r in rows],
                marker,
                color=color,
                ms=7,
                mfc="none",
                label="  log2 exact generic rank",
            )
            ax.plot(
                vol,
                [r["entropy_bits"] for r in rows],
                marker,
                color=color,
                ms=4,
                label="  entropy, Gaussian weights (bits)",
            )
        else:
            ax = axes[res["panel"]]
            ax.plot(
                vol, [r["log2_min_cut"] for r in rows], "-" if over else "--", color=color, marker=".", label=f"{name}"
            )
    titles = (
        "1D, N=64: log2 min-cut of a centred block",
        "2D, 12x12: log2 min-cut of a centred l x l block",
        "small N: bound, exact generic rank, entropy",
    )
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("block volume (inputs in the block)")
        ax.set_ylabel("bits")
        ax.legend(fontsize=6.5, loc="upper left")
        ax.grid(alpha=0.3)
    axes[2].set_ylim(top=13.5)  # room for the legend above the data
    fig.suptitle(f"Overlapping ConvACs: volume law up to the receptive field (M={M}, C={C})", fontsize=11)
    fig.tight_layout()
    fig.savefig(out / "volume_law.png", dpi=130)
    print("wrote", out / "volume_law.png", out / "volume_law.json")


if __name__ == "__main__":
    main()
