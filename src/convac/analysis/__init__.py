"""Analysis of what an architecture can correlate, scale by scale, and the paper's geometry.

- :mod:`~convac.analysis._scales`: the probe partitions (checkerboard, blocks, halves) per length scale;
- :mod:`~convac.analysis._analyze`: exact min-cut, lower bound, cut layers and generic rank per scale;
- :mod:`~convac.analysis._channel_cuts`: min-cuts for many channel vectors at once (design search);
- :mod:`~convac.analysis._figures`: matplotlib figures written to a path;
- :mod:`~convac.analysis._paper`: the paper's 64x64, M=10 networks, wide-base and wide-tip;
- :mod:`~convac.analysis._specs`: architectures from flags or YAML/JSON files;
- :mod:`~convac.analysis._fx`: the ConvAC analogue of a PyTorch CNN (``torch.fx``) and its analysis.
"""

from convac.analysis._analyze import (
    Analysis,
    ScaleResult,
    analyze,
    analyze_many,
    compare_table,
    layer_names,
    paper_pair,
)
from convac.analysis._channel_cuts import binding_layers, log2_min_cuts
from convac.analysis._fx import (
    SUPPORTED_LAYERS,
    analyze_general,
    analyze_module,
    load_module,
    module_architecture,
    pooling_twin,
    tree_twin,
)
from convac.analysis._paper import paper_architecture, paper_budget, paper_schedule, wide_base, wide_tip
from convac.analysis._scales import FAMILIES, Scale, parse_scale, scales
from convac.analysis._specs import architecture_from_options, load_architecture, parse_grid

__all__ = [
    "FAMILIES",
    "SUPPORTED_LAYERS",
    "Analysis",
    "Scale",
    "ScaleResult",
    "analyze",
    "analyze_general",
    "analyze_many",
    "analyze_module",
    "architecture_from_options",
    "binding_layers",
    "compare_table",
    "layer_names",
    "load_architecture",
    "load_module",
    "log2_min_cuts",
    "module_architecture",
    "paper_architecture",
    "paper_budget",
    "paper_pair",
    "paper_schedule",
    "parse_grid",
    "parse_scale",
    "pooling_twin",
    "scales",
    "tree_twin",
    "wide_base",
    "wide_tip",
]
