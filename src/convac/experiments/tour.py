"""``convac demo``: the tour.

It writes a report folder (markdown page + PNGs) covering the architecture, the tensor-network
picture, entanglement and min-cut across scales, the design for each preset, and a short training run.
Every number in it comes from a seed.
"""

from __future__ import annotations

import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from convac.models import DeepConvAC
from convac.partitions import Partition
from convac.spec import Architecture
from convac.tensornet import coefficient_tensor

__all__ = ["TourResult", "run_tour"]

Echo = Callable[[str], None]


@dataclass
class TourResult:
    """What the tour measured, and where it wrote the page.

    Examples
    --------
    >>> result = TourResult(out_dir=None, max_relative_error=1e-14, seconds=9.5)
    >>> result.out_dir is None, result.sections
    (True, {})
    """

    out_dir: Path | None
    max_relative_error: float
    seconds: float
    sections: dict[str, Any] = field(default_factory=dict)


def _section_architecture(seed: int, echo: Echo, page: list[str]) -> tuple[DeepConvAC, float]:
    arch = Architecture.deep_1d(n_inputs=16, n_features=2, channels=[4, 4, 2, 2], n_outputs=2)
    echo(arch.summary())
    model = DeepConvAC(arch, representation="gaussian", patch_dim=1, seed=seed, weights="signed").double()
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(8, arch.n_inputs, 1, dtype=torch.float64, generator=generator)
    with torch.no_grad():
        features = model.representation(x).numpy()
        scores = model(x).numpy()
    letters = string.ascii_letters[: arch.n_inputs].replace("z", "Z")
    spec = letters + "," + ",".join("z" + c for c in letters) + "->z"
    echo("")
    echo(f"forward pass vs <A^y, v_1 x ... x v_N> for {len(x)} random inputs (float64):")
    worst = 0.0
    for y in range(arch.n_outputs):
        tensor = coefficient_tensor(model, output=y)
        contracted = np.einsum(spec, tensor, *features.transpose(1, 0, 2), optimize="greedy")
        rel = float(np.max(np.abs(contracted - scores[:, y]) / np.abs(contracted)))
        worst = max(worst, rel)
        echo(
            f"  output {y}: A^{y} has shape {'x'.join(['2'] * arch.n_inputs)} ({tensor.size} entries); "
            f"max relative difference {rel:.1e}"
        )
    page += [
        "## 1. The architecture",
        "",
        f"A deep 1D ConvAC with random signed weights (seed {seed}).",
        "",
        "```",
        arch.summary(),
        "```",
        "",
        f"Its forward pass equals the contraction of its coefficient tensor A^y with the feature vectors: "
        f"largest relative difference over 8 random inputs and 2 outputs **{worst:.1e}** (float64).",
        "",
    ]
    return model, worst


def _section_network(model: DeepConvAC, out: Path | None, echo: Echo, page: list[str]) -> None:
    from convac.tensornet import to_tensor_network

    tn = to_tensor_network(model)
    echo("")
    echo(f"tensor network: {tn!r}")
    page += ["## 2. The tensor network", ""]
    page.append(
        "The same ConvAC as a tree tensor network: one matrix per conv weight (squares), one δ (copy) tensor "
        "per pooling window (dots), inputs on the open legs at the bottom, bond dimensions = channel numbers."
    )
    page.append("")
    if out is not None:
        tn.draw(out / "network.png")
        page += ["![tensor network](network.png)", ""]


def _section_entanglement(
    model: DeepConvAC, seed: int, out: Path | None, echo: Echo, page: list[str]
) -> list[dict[str, Any]]:
    from convac.mincut import min_cut, min_cut_lower_bound
    from convac.ranks import generic_rank
    from convac.schmidt import entanglement

    arch = model.arch
    parts = [Partition.blocks(arch, w) for w in (1, 2, 4)] + [Partition.left_right(arch)]
    parts += [Partition.random(arch, seed=seed)]
    rows: list[dict[str, Any]] = []
    echo("")
    echo("entanglement and min-cut across scales (random signed weights; ranks exact over a prime field):")
    header = f"  {'partition':<16} {'min-cut':>8} {'lower':>6} {'rank':>6} {'S (nats)':>9} {'ln min-cut':>10}"
    echo(header)
    for part in parts:
        cut = min_cut(arch, part)
        ent = entanglement(model, part, output=0, method="dense")
        row: dict[str, Any] = {
            "partition": part.name,
            "min_cut": cut.value,
            "lower_bound": min_cut_lower_bound(arch, part),
            "generic_rank": generic_rank(arch, part, seed=seed),
            "entropy": ent.entropy,
            "schmidt_rank": ent.schmidt_rank,
            "binding": sorted({e.layer for e in cut.edges}),
        }
        rows.append(row)
        echo(
            f"  {part.name:<16} {row['min_cut']:>8} {row['lower_bound']:>6} {row['generic_rank']:>6} "
            f"{row['entropy']:>9.3f} {np.log(row['min_cut']):>10.3f}"
        )
    page += [
        "## 3. Entanglement and min-cut across scales",
        "",
        "Contiguous blocks of width 1 (interleaved), 2, 4, then left/right, and one random balanced partition. "
        "`min-cut` is the product of bond dimensions of the cheapest cut (δ tensors as hyperedges), `lower` the "
        "power-of-p lower bound, `rank` the exact generic rank of the matricization (random weights over a prime "
        "field), `S` the von Neumann entropy of this model's Schmidt spectrum (float64). The theorem says "
        "lower ≤ rank ≤ min-cut and S ≤ ln(min-cut).",
        "",
        "| partition | min-cut | lower bound | generic rank | S (nats) | ln min-cut | layers cut |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        layers = ", ".join("input" if layer < 0 else f"layer {layer}" for layer in r["binding"])
        page.append(
            f"| {r['partition']} | {r['min_cut']} | {r['lower_bound']} | {r['generic_rank']} | "
            f"{r['entropy']:.3f} | {np.log(r['min_cut']):.3f} | {layers} |"
        )
    page.append("")
    if out is not None:
        _plot_entanglement(rows, out / "entanglement.png")
        page += ["![entropy vs min-cut](entanglement.png)", ""]
    return rows


def _plot_entanglement(rows: list[dict[str, Any]], path: Path) -> None:
    from convac._figures import new_figure, save_figure

    names = [r["partition"] for r in rows]
    x = np.arange(len(rows))
    fig = new_figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    ax.bar(x - 0.2, [np.log(r["min_cut"]) for r in rows], width=0.4, label="ln min-cut (bound)")
    ax.bar(x + 0.2, [r["entropy"] for r in rows], width=0.4, label="entropy S")
    ax.set_xticks(x, names, rotation=20)
    ax.set_ylabel("nats")
    ax.set_title("16-input deep ConvAC: entanglement vs its min-cut bound")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def _section_design(out: Path | None, echo: Echo, page: list[str], r: int = 8) -> dict[str, Any]:
    from convac.analysis import analyze_many, compare_table, paper_pair
    from convac.analysis._figures import plot_scales
    from convac.channel_design import design_schedule

    designs = {profile: design_schedule(profile) for profile in ("local", "global")}
    tokens = [d.token(f"designed_{p}") for p, d in designs.items()]
    analyses = analyze_many(paper_pair(r, ["wide_base", "wide_tip", *tokens]), rank=False)
    table = compare_table(analyses)
    echo("")
    echo(f"the paper's networks (64x64 inputs, M=10, shared weights) at r={r}: log2 min-cut per length scale")
    for line in table.splitlines():
        echo("  " + line)
    for profile, d in designs.items():
        echo(f"design for the '{profile}' preset: {d.token(f'designed_{profile}')} -> channels {list(d.channels)}")
    page += [
        "## 4. Designing channel widths",
        "",
        f"The paper's ConvNet geometry (64x64 inputs, a 10-channel representation, six 1x1 conv + 2x2 pooling "
        f"layers, shared weights) at r = {r}: wide-base [4r,4r,2r,2r,r,r], wide-tip [r,r,2r,2r,4r,4r], and what "
        "`convac design --for-experiment` picks for the `local` and `global` presets. Each entry is the exact "
        "log2 min-cut of the partition at that length scale (`convac analyze`).",
        "",
        "```",
        table,
        "```",
        "",
    ]
    if out is not None:
        plot_scales(analyses, out / "scales.png", title=f"log2 min-cut per length scale, r = {r}")
        page += ["![min-cut per scale](scales.png)", ""]
    for profile, d in designs.items():
        page += [
            f"**Preset `{profile}`** → `{d.token(f'designed_{profile}')}`, channels at r = 8: "
            f"{list(d.channels)} ({d.n_params} parameters).",
            "",
            d.explanation,
            "",
        ]
    return {p: d.to_dict() for p, d in designs.items()}


def _section_training(seed: int, epochs: int, echo: Echo, page: list[str]) -> dict[str, Any]:
    from convac.experiments.digits import DigitsConfig, train_digits
    from convac.schmidt import entanglement

    config = DigitsConfig(epochs=epochs, seed=seed)
    start = time.perf_counter()
    model, result = train_digits(config, progress=False)
    seconds = time.perf_counter() - start
    echo("")
    echo(
        f"short training run: deep 2D ConvAC on the bundled digits, {epochs} epochs: "
        f"test accuracy {result.test_accuracy:.3f} ({seconds:.1f} s)"
    )
    arch = model.arch
    model = model.double()
    from convac.data import image_patches, load_digits
    from convac.mincut import min_cut
    from convac.schmidt import feature_gram

    # The M Gaussian features are not an orthonormal basis, so the Schmidt values of the
    # coefficient tensor alone depend on that basis; the function's entanglement in L2(mu) with mu
    # the digits' patch distribution does not (docs/theory.md §8).
    images, _ = load_digits()
    gram = feature_gram(model, image_patches(images, config.patch_size).double())
    rows: list[tuple[str, float, float | None, float | None]] = []
    parts = [Partition.checkerboard(arch), *(Partition.blocks(arch, w) for w in (2, 4))]
    parts += [Partition.left_right(arch), Partition.up_down(arch)]
    for part in parts:
        cut = min_cut(arch, part)
        if cut.value > 4096:
            rows.append((part.name, cut.log2, None, None))
            echo(f"  trained model, {part.name:<12} min-cut 2^{cut.log2:.0f}: too large to contract, skipped")
            continue
        per_class = [e.entropy for e in entanglement(model, part, output="all", method="network", feature_gram=gram)]
        rows.append((part.name, cut.log2, float(np.mean(per_class)), float(np.max(per_class))))
        echo(
            f"  trained model, {part.name:<12} min-cut 2^{cut.log2:.0f}, "
            f"function entanglement {np.mean(per_class):.3f} nats (mean of 10 classes, max {max(per_class):.3f})"
        )
    page += [
        "## 5. A short training run",
        "",
        f"`convac train --epochs {epochs}`: a deep 2D ConvAC (8x8 grid of 3x3 pixel patches, M=16 Gaussian "
        f"features, channels {list(arch.channels)}) on scikit-learn's bundled digits, disjoint train/test digits. "
        f"Test accuracy after {epochs} epochs: **{result.test_accuracy:.3f}** ({seconds:.1f} s).",
        "",
        "Entanglement of the trained network's score functions, in L2 of the digits' patch distribution "
        "(the feature Gram absorbed into the network, docs/theory.md §8), computed on the network itself "
        "(no dense tensor: it would have 16^64 entries):",
        "",
        "| partition | log2 min-cut | entropy, mean of 10 classes (nats) | largest class (nats) |",
        "|---|---|---|---|",
        *[
            f"| {name} | {log2:.0f} | "
            + ("beyond the network path's limit (min-cut > 4096) | – |" if ent is None else f"{ent:.3f} | {top:.3f} |")
            for name, log2, ent, top in rows
        ],
        "",
    ]
    return {"test_accuracy": result.test_accuracy, "seconds": seconds, "entanglement": rows}


def run_tour(
    out_dir: str | Path | None = "convac-report",
    seed: int = 0,
    epochs: int = 3,
    echo: Echo = print,
) -> TourResult:
    """Run the tour; write ``out_dir/report.md`` and its PNGs (``out_dir=None`` writes nothing).

    It trains for ``epochs`` epochs, so it is exercised by ``tests/test_cli.py`` rather than a doctest;
    ``run_tour("convac-report", seed=0)`` is what ``convac demo`` calls.

    Examples
    --------
    The tour takes about 10 s, so this example is not run as a doctest; ``tests/test_cli.py``
    runs it through ``convac demo``.

    >>> result = run_tour(out_dir=None, epochs=1, echo=lambda *lines: None)  # doctest: +SKIP
    >>> result.max_relative_error < 1e-12, sorted(result.sections)  # doctest: +SKIP
    (True, ['design', 'entanglement', 'training'])
    """
    start = time.perf_counter()
    out = None if out_dir is None else Path(out_dir)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    page = [
        "# convac tour",
        "",
        f"Generated by `convac demo --seed {seed}`. Every number below follows from the seed.",
        "",
    ]
    model, worst = _section_architecture(seed, echo, page)
    _section_network(model, out, echo, page)
    sections: dict[str, Any] = {"entanglement": _section_entanglement(model, seed, out, echo, page)}
    sections["design"] = _section_design(out, echo, page)
    sections["training"] = _section_training(seed, epochs, echo, page)
    seconds = time.perf_counter() - start
    page.append(f"_Tour finished in {seconds:.1f} s._")
    if out is not None:
        (out / "report.md").write_text("\n".join(page) + "\n")
        echo("")
        echo(f"report written to {out / 'report.md'} ({seconds:.1f} s)")
    return TourResult(out, worst, seconds, sections)
