"""The tensor-network view of a ConvAC: weight matrices and delta (copy) tensors, and its contraction.

- :mod:`~convac.tensornet._recursion`: THE coefficient recursion (tree and general specs, float64
  or mod p) and the one ``matricize``; :func:`coefficient_tensor` runs it on a model's weights,
  :mod:`~convac.tensornet._modp` on random weights mod p, :mod:`~convac.tensornet._general` on a
  general spec's weights;
- :mod:`~convac.tensornet._network`, :mod:`~convac.tensornet._contraction`: the network object,
  its path-optimised, rescaled contraction, quimb export; :mod:`~convac.tensornet._drawing`: its picture.
"""

from convac.tensornet._coefficient import coefficient_tensor
from convac.tensornet._network import Bond, ConvACTensorNetwork, TNTensor, contract, to_tensor_network

__all__ = ["Bond", "ConvACTensorNetwork", "TNTensor", "coefficient_tensor", "contract", "to_tensor_network"]
