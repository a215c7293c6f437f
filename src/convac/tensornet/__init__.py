"""The tensor-network view of a ConvAC: weight matrices and delta (copy) tensors."""

from convac.tensornet.coefficient import coefficient_tensor

__all__ = ["coefficient_tensor"]
