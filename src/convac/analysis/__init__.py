"""Analysis of what an architecture can correlate, scale by scale, and the paper's geometry.

- :mod:`~convac.analysis.scales`: the probe partitions (checkerboard, blocks, halves) per length scale;
- :mod:`~convac.analysis.analyze`: exact min-cut, lower bound, cut layers and generic rank per scale;
- :mod:`~convac.analysis.channel_cuts`: min-cuts for many channel vectors at once (design search);
- :mod:`~convac.analysis.figures`: matplotlib figures written to a path;
- :mod:`~convac.analysis.paper`: the paper's 64x64, M=10 networks, wide-base and wide-tip;
- :mod:`~convac.analysis.specs`: architectures from flags or YAML/JSON files.
"""

from convac.analysis.analyze import (
    Analysis,
    ScaleResult,
    analyze,
    analyze_many,
    compare_table,
    layer_names,
    paper_pair,
)
from convac.analysis.channel_cuts import binding_layers, log2_min_cuts
from convac.analysis.paper import paper_architecture, paper_budget, paper_schedule, wide_base, wide_tip
from convac.analysis.scales import FAMILIES, Scale, parse_scale, scales
from convac.analysis.specs import architecture_from_options, load_architecture, parse_grid

__all__ = [
    "FAMILIES",
    "Analysis",
    "Scale",
    "ScaleResult",
    "analyze",
    "analyze_many",
    "architecture_from_options",
    "binding_layers",
    "compare_table",
    "layer_names",
    "load_architecture",
    "log2_min_cuts",
    "paper_architecture",
    "paper_budget",
    "paper_pair",
    "paper_schedule",
    "parse_grid",
    "parse_scale",
    "scales",
    "wide_base",
    "wide_tip",
]
