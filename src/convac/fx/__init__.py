"""Any PyTorch CNN as a ConvAC: trace it with ``torch.fx``, map it to a general spec, analyse it.

- :mod:`~convac.fx._tracing`: ``torch.fx`` tracing and one shape-recording forward pass;
- :mod:`~convac.fx._tables`: which torch layers map to what (:class:`~convac.fx._tables.LayerTables`);
- :mod:`~convac.fx._mapping`: a chain of layers -> :class:`~convac.spec.GeneralArchitecture`, any
  network (residual sums, concatenations, groups) -> :class:`~convac.spec.GraphArchitecture`;
- :mod:`~convac.fx._analysis`: :func:`analyze_module`, the scale-by-scale min-cuts of that spec;
- :mod:`~convac.fx._loading`: a module named ``pkg.mod:attr`` or ``file.py:attr`` (the command line's ``--module``).

The tree twins of general specs (:func:`convac.analysis.tree_twin`,
:func:`convac.analysis.pooling_twin`) live with the analysis, which uses them too.

Examples
--------
>>> from torch import nn
>>> import convac
>>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 1), nn.MaxPool2d(2),
...                     nn.Conv2d(3, 2, 1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 2 * 2, 2))
>>> spec, labels = module_architecture(net, (1, 8, 8))
>>> spec.is_tree, labels
(True, ('0', '2', '3', '4', '5', '6+7'))
>>> [(r.label, r.value) for r in convac.analyze_module(net, (1, 8, 8)).rows][-1]
('up_down', 2)
"""

from convac.fx._analysis import analyze_module
from convac.fx._loading import load_module_object
from convac.fx._mapping import module_architecture, module_graph
from convac.fx._tables import SUPPORTED_LAYERS

__all__ = ["SUPPORTED_LAYERS", "analyze_module", "load_module_object", "module_architecture", "module_graph"]
