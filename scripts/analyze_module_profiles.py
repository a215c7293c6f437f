"""Per-scale min-cut profiles of well-known CNN shapes, and what the design tool would change.

Run from the repository root:

    PYTHONPATH=src:tests/fx python scripts/analyze_module_profiles.py [--figures] [NAME]

Prints, for the paper's ReLU ConvNet (wide-base and wide-tip, r = 8), LeNet-5 on 28x28 and a
CIFAR VGG on 32x32 (tests/analysis/cnn_shapes.py):

1. the ConvAC analogue layer by layer (torch layers, step, grid, receptive field);
2. ``convac.analyze_module``: log2 min-cut per length scale and the layer(s) its cut goes
   through (exact on the general graph with copy nodes when the analogue is not a tree;
   this needs ``convac.min_cut``);
3. the pooling twin (the tree with the same pooling skeleton and widths, overlaps removed) and
   the channels ``convac.design`` picks for it at the same parameter count, for the ``local`` and
   ``global`` profiles.

``--figures`` writes docs/results/analyze_module/*.png (log2 min-cut per scale, side by side); ``NAME``
(e.g. ``lenet``) keeps only the networks whose name contains it.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import torch

import convac
from convac.analysis import analyze, pooling_twin
from convac.fx import module_architecture

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "docs" / "results" / "analyze_module"  # where the figures and profiles.txt live


def receptive_field(spec: convac.spec.GeneralArchitecture, layer: int) -> str:
    """Extent (rows x columns, in representation positions) of the centre position's receptive field."""
    grid = spec.layer_grid(layer)
    frontier = {tuple(g // 2 for g in grid)}
    for step in reversed(range(layer)):
        frontier = {c for p in frontier for c in spec.window(step, p)}
    return "x".join(str(max(c[a] for c in frontier) - min(c[a] for c in frontier) + 1) for a in range(spec.ndim))


def layer_table(spec: convac.spec.GeneralArchitecture, labels: tuple[str, ...]) -> str:
    """One row per layer of the ConvAC analogue: torch layer(s), step, grid, channels, receptive field."""
    rows = [f"  {'layer':<6} {'torch layer(s)':<22} {'step':<34} {'grid':<7} {'channels':>8} {'receptive field':>16}"]
    rows.append(
        f"  {'input':<6} {labels[0]:<22} {'representation (M features)':<34} "
        f"{'x'.join(map(str, spec.grid)):<7} {spec.n_features:>8} {'1x1':>16}"
    )
    for i, st in enumerate(spec.steps):
        kind = "pool" if st.channels is None else f"1x1 -> {st.channels}, product"
        geo = f"k={'x'.join(map(str, st.kernel))} s={'x'.join(map(str, st.stride))}"  # type: ignore[arg-type]
        if any(st.padding):  # type: ignore[arg-type]
            geo += f" p={'x'.join(map(str, st.padding))}"  # type: ignore[arg-type]
        rows.append(
            f"  {i:<6} {labels[i + 1]:<22} {kind + ' ' + geo:<34} {'x'.join(map(str, spec.layer_grid(i + 1))):<7} "
            f"{spec.channels[i + 1]:>8} {receptive_field(spec, i + 1):>16}"
        )
    rows.append(f"  output: {spec.n_outputs} scores")
    return "\n".join(rows)


def design_rows(twin: convac.Architecture, name: str) -> tuple[list[str], list[convac.Analysis]]:
    """One line per profile: the designed channels at the twin's parameter count and what moves; and their analyses."""
    own = analyze(twin, name=name, rank=False)
    out, analyses = [], [own]
    for profile in ("local", "global"):
        # uniform windows: window=; a mixed schedule needs design(..., windows=) (branch windows)
        pooling = {"window": twin.window} if twin.window is not None else {"windows": list(twin.windows)}  # type: ignore[attr-defined]
        try:
            d = convac.design(
                twin.grid,
                budget=twin.n_params,
                profile=profile,
                n_features=twin.n_features,
                n_outputs=twin.n_outputs,
                shared=twin.shared,
                **pooling,
            )
        except (convac.ConvacError, TypeError) as exc:
            out.append(f"  design({profile}): not available for this twin ({str(exc).splitlines()[0]})")
            continue
        new = analyze(d.arch, name=f"design({profile})", rank=False)
        analyses.append(new)
        change = ", ".join(f"{a}->{b}" if a != b else str(a) for a, b in zip(twin.channels, d.channels, strict=True))
        gains = ", ".join(
            f"{r.label} {r.log2:g}->{s.log2:g}" for r, s in zip(own.rows, new.rows, strict=True) if r.value != s.value
        )
        out.append(
            f"  design({profile}) at {twin.n_params} params: channels [{change}] ({d.n_params} params); "
            f"log2 min-cut {gains or 'unchanged'}"
        )
    return out, analyses


def main(figures: bool, only: str = "") -> None:
    """Print every network's tables (and write the figures)."""
    torch.manual_seed(0)
    from cnn_shapes import LeNet5, vgg_small, vgg_style

    from convac.models.relu_convnet import ReLUConvNet
    from convac.spec._paper import wide_base, wide_tip

    nets = {
        "ReLUConvNet wide_base(8)": (ReLUConvNet(wide_base(8), seed=0), (1, 64, 64)),
        "ReLUConvNet wide_tip(8)": (ReLUConvNet(wide_tip(8), seed=0), (1, 64, 64)),
        "LeNet-5": (LeNet5(), (1, 28, 28)),
        "VGG-style (CIFAR)": (vgg_style(), (3, 32, 32)),
        "VGG-style small": (vgg_small(), (3, 32, 32)),
    }
    for name, (net, shape) in nets.items():
        if only and only.lower() not in name.lower():
            continue
        print(f"=== {name} on {'x'.join(map(str, shape))}")
        spec, labels = module_architecture(net, shape)
        print(layer_table(spec, labels))
        try:
            a = convac.analyze_module(net, shape, name=name, rank=False)
            print(a.table())
        except convac.ConvacError as exc:
            print(f"  analyze_module: {exc}")
            a = None
        twin = pooling_twin(spec)
        if twin is None:
            print("  pooling twin: none on this grid with this version (needs Architecture(..., windows=))")
            print()
            continue
        arch, merged = twin
        slug = "_".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())
        if arch != convac.analysis.tree_twin(spec):
            print(analyze(arch, name=f"{name}: pooling twin", rank=False).table())
            print(f"  (twin layers = steps {', '.join(merged)})")
        lines, designs = design_rows(arch, "pooling twin" if a is None or a.arch != arch else name)
        print("\n".join(lines))
        if figures:
            from convac.analysis._figures import plot_scales

            written = [
                plot_scales(designs, HERE / f"{slug}_{'twin_' if a is None or a.arch != arch else ''}designs.png")
            ]
            if a is not None and not isinstance(a.arch, convac.Architecture):
                # a tree with mixed windows is probed at its own receptive fields: draw the scales both have
                common = {r.label for r in a.rows} & {r.label for r in designs[0].rows}
                pair = [replace(x, rows=tuple(r for r in x.rows if r.label in common)) for x in (a, designs[0])]
                written.append(plot_scales(pair, HERE / f"{slug}_overlap_vs_twin.png"))
            for path in written:
                print(f"  wrote {Path(path).relative_to(ROOT)}")
        print()


if __name__ == "__main__":
    args = sys.argv[1:]
    main("--figures" in args, next((a for a in args if not a.startswith("--")), ""))
