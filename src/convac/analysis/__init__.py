"""Analysis of what an architecture can correlate, scale by scale, and the paper's geometry.

- :mod:`~convac.analysis._scales`: the probe partitions (checkerboard, blocks, halves) per length scale;
- :mod:`~convac.analysis._analyze`: exact min-cut, lower bound, cut layers and generic rank per scale,
  for tree and general specs alike;
- :mod:`~convac.analysis._function_rows`: the function bound of general and graph specs, the one-hot
  min-cut beside it, and per-layer widths, weights and tie groups (:class:`LayerInfo`);
- :mod:`~convac.analysis._unrolled`: the size of a general spec's unrolled tensor network, before it is built;
- :mod:`~convac.analysis._twins`: the tree equal to a general spec (or the nearest one);
- :mod:`~convac.analysis._channel_cuts`: min-cuts for many channel vectors at once (design search);
- :mod:`~convac.analysis._figures`: matplotlib figures written to a path;
- the paper's 64x64, M=10 networks, wide-base and wide-tip (defined in :mod:`convac.spec`);
- :mod:`~convac.analysis._specs`: architectures from flags or YAML/JSON files.

PyTorch CNNs are mapped to specs by :mod:`convac.fx` (``convac.analyze_module``), which builds on this package.
"""

from convac.analysis._analyze import (
    Analysis,
    ScaleResult,
    analyze,
    analyze_general,
    analyze_many,
    compare_table,
    layer_names,
    paper_pair,
)
from convac.analysis._channel_cuts import binding_layers, log2_min_cuts
from convac.analysis._function_rows import ONEHOT_AUTO_MATRICES, LayerInfo, layer_info, tie_groups
from convac.analysis._scales import FAMILIES, Scale, parse_scale, scales
from convac.analysis._specs import architecture_from_options, load_architecture, parse_grid
from convac.analysis._twins import pooling_twin, tree_twin
from convac.analysis._unrolled import MAX_UNROLLED_MATRICES, unrolled_matrices
from convac.spec._paper import paper_architecture, paper_budget, paper_schedule, wide_base, wide_tip

__all__ = [
    "FAMILIES",
    "MAX_UNROLLED_MATRICES",
    "ONEHOT_AUTO_MATRICES",
    "Analysis",
    "LayerInfo",
    "Scale",
    "ScaleResult",
    "analyze",
    "analyze_general",
    "analyze_many",
    "architecture_from_options",
    "binding_layers",
    "compare_table",
    "layer_info",
    "layer_names",
    "load_architecture",
    "log2_min_cuts",
    "paper_architecture",
    "paper_budget",
    "paper_pair",
    "paper_schedule",
    "parse_grid",
    "parse_scale",
    "pooling_twin",
    "scales",
    "tie_groups",
    "tree_twin",
    "unrolled_matrices",
    "wide_base",
    "wide_tip",
]
