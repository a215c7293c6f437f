"""Function bound per scale of real CNNs (ResNet-18, VGG-11, MobileNet-style) and LeNet-5/small VGG with both bounds.

Run from the repository root (one thread, low priority; a few minutes in all):

    OMP_NUM_THREADS=1 PYTHONPATH=src:tests/fx nice -n 10 python scripts/real_cnn_profiles.py [--figures] [NAME]

Writes docs/results/analyze_module/real_cnns.txt (and with ``--figures`` one PNG per profile: log2
function bound vs scale, one marker per partition family). For every profile of
:data:`convac.fx.zoo.PROFILES` it times ``convac.analyze_module`` (trace + map + function bound at
every scale; ``onehot=False``). For LeNet-5 on 28x28 and the small VGG on 32x32
(tests/fx/cnn_shapes.py) it times the function bound and the one-hot min-cut (exact flow on the
unrolled network) separately, scale by scale. Times are wall-clock seconds of one run on a shared
machine: read them as orders of magnitude.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import torch

import convac
from convac._figures import new_figure, save_figure
from convac.fx import module_graph
from convac.fx.zoo import PROFILES
from convac.mincut import function_bound

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "docs" / "results" / "analyze_module"


def profile_rows(names: list[str], figures: bool) -> list[str]:
    """Time analyze_module on each named profile; one table line (and a tie-groups line) per profile."""
    lines = ["profile          input        nodes  adds  seconds  log2 function bound per scale (cut through)"]
    for name in names:
        builder, kwargs, shape = PROFILES[name]
        net = builder(**kwargs)
        start = time.perf_counter()
        a = convac.analyze_module(net, shape, name=name, onehot=False)
        seconds = time.perf_counter() - start
        g = a.arch
        adds = sum(n.op == "add" for n in g.nodes) if isinstance(g, convac.spec.GraphArchitecture) else 0
        n_nodes = g.n_nodes if isinstance(g, convac.spec.GraphArchitecture) else g.depth + 1
        scales = ", ".join(f"{r.label} {r.log2:.4g}" for r in a.rows)
        lines.append(f"{name:<16} {'x'.join(map(str, shape)):<12} {n_nodes:>5} {adds:>5} {seconds:>8.2f}  {scales}")
        lines.append(f"{'':<16} tie groups: {'; '.join('='.join(t) for t in a.tie_groups) or '-'}")
        print(lines[-2], flush=True)
        if figures:
            figure(a, HERE / f"{name}_function_bound.png")
    return lines


def figure(a: convac.Analysis, path: Path) -> None:
    """Write log2 function bound vs length scale, one marker per partition family."""
    fig = new_figure(figsize=(6, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    for family, marker in (("checkerboard", "s"), ("blocks", "o"), ("left_right", ">"), ("up_down", "^")):
        rows = [r for r in a.rows if r.scale.family == family]
        if rows:
            ax.plot([r.length for r in rows], [r.log2 for r in rows], marker=marker, label=family)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("length scale (input positions)")
    ax.set_ylabel("log2 function bound")
    ax.set_title(a.name)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def both_bounds_rows() -> Iterator[str]:
    """LeNet-5 and the small VGG: function bound and one-hot min-cut per scale, each timed (yielded as done)."""
    from cnn_shapes import LeNet5, vgg_small

    yield "network        scale          log2 function  seconds  log2 one-hot  seconds"
    for name, net, shape in (("LeNet-5", LeNet5(), (1, 28, 28)), ("VGG small", vgg_small(), (3, 32, 32))):
        spec, _ = convac.fx.module_architecture(net, shape)
        graph = module_graph(net, shape)
        for scale in convac.analysis.scales(spec.grid):
            part = scale.partition(spec.grid)
            start = time.perf_counter()
            fb = function_bound(graph, part)
            t_fb = time.perf_counter() - start
            start = time.perf_counter()
            one = convac.min_cut(spec, part)
            t_one = time.perf_counter() - start
            line = f"{name:<14} {scale.label:<14} {fb.log2:>13.6g} {t_fb:>8.3f} {one.log2:>13.6g} {t_one:>8.2f}"
            print(line, flush=True)
            yield line


def main(argv: list[str]) -> None:
    """Run the profiles named in argv (all by default) and write the table."""
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    figures = "--figures" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    names = [n for n in PROFILES if not wanted or any(w in n for w in wanted)]
    HERE.mkdir(parents=True, exist_ok=True)
    target = HERE / ("real_cnns.txt" if not wanted else f"real_cnns_{'_'.join(wanted)}.txt")
    out = profile_rows(names, figures)
    target.write_text("\n".join(out) + "\n")  # written before the slow one-hot rows, so a stop keeps it
    if not wanted:
        with target.open("a") as fh:
            fh.write("\n")
            for line in both_bounds_rows():  # each row as it finishes
                fh.write(line + "\n")
                fh.flush()
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
