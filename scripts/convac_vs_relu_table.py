"""Side-by-side table: ConvAC-family cells of one results file against the ReLU cells of another.

Pairs cells by (task, schedule, r, seed); prints mean ± std over seeds of both test accuracies and
of the paired gap (ConvAC minus ReLU, in points), as markdown.

    python scripts/convac_vs_relu_table.py docs/results/inductive_bias/convac-neutral-quick-r4-results.jsonl \
        docs/results/inductive_bias/quick-results.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def _cells(path: str, family: str) -> dict[tuple[str, str, int, int], float]:
    out = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            if rec["family"] == family:
                out[(rec["task"], rec["schedule"], rec["r"], rec["seed"])] = 100 * rec["test_accuracy"]
    return out


def _ms(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {sd:.1f}"


def main() -> None:
    """Print the side-by-side markdown table of the two results files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("convac", help="results.jsonl with the ConvAC-family cells")
    parser.add_argument("relu", help="results.jsonl with the ReLU-family cells")
    args = parser.parse_args()
    convac, relu = _cells(args.convac, "convac"), _cells(args.relu, "relu")
    groups = sorted({key[:3] for key in convac if key in relu})
    print(
        "| task | schedule | r | seeds | ReLU test acc (%) | ConvAC test acc (%) | ConvAC minus ReLU (points, paired) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for task, schedule, r in groups:
        seeds = sorted(k[3] for k in convac if k[:3] == (task, schedule, r) and k in relu)
        a = [relu[(task, schedule, r, s)] for s in seeds]
        b = [convac[(task, schedule, r, s)] for s in seeds]
        gap = [y - x for x, y in zip(a, b, strict=True)]
        print(f"| {task} | {schedule} | {r} | {len(seeds)} | {_ms(a)} | {_ms(b)} | {_ms(gap)} |")


if __name__ == "__main__":
    main()
