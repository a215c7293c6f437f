"""The tensor-network view of a ConvAC: weight matrices and delta (copy) tensors."""

from convac.tensornet._coefficient import coefficient_tensor
from convac.tensornet._network import Bond, ConvACTensorNetwork, TNTensor, contract, to_tensor_network

__all__ = ["Bond", "ConvACTensorNetwork", "TNTensor", "coefficient_tensor", "contract", "to_tensor_network"]
