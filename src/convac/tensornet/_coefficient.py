"""The dense coefficient tensor A^y of a ConvAC model (small N only).

``h_y(X) = <A^y, v_1 (x) ... (x) v_N>``: every score is the contraction of this order-N
tensor with the feature vectors of the N patches. It is built by the one coefficient recursion
(:mod:`convac.tensornet._recursion`, the hierarchical Tucker recursion of docs/theory.md §1) on
the model's float64 weights. A shallow ConvAC is the one-window case: a CP decomposition of rank Z.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from convac._validation import instance, output_index
from convac.errors import TooLargeError
from convac.tensornet._recursion import recursion, tree_steps

if TYPE_CHECKING:
    from convac.models.base import ConvACBase

__all__ = ["DEFAULT_MAX_BYTES", "check_dense_size", "coefficient_tensor"]

DEFAULT_MAX_BYTES = 1 << 29  # 512 MiB


def check_dense_size(n_features: int, n_inputs: int, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "tensor") -> None:
    """Raise :class:`TooLargeError` if an ``M**N`` float64 tensor exceeds ``max_bytes``."""
    entries = n_features**n_inputs
    if entries * 8 > max_bytes:
        raise TooLargeError(
            f"the dense coefficient {what} would have M^N = {n_features}^{n_inputs} = {entries:.3e} entries "
            f"({entries * 8 / 2**30:.3g} GiB in float64), over the limit of {max_bytes / 2**30:.3g} GiB; "
            "use the tensor-network path or raise max_bytes"
        )


def coefficient_tensor(model: ConvACBase, output: int = 0, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Return the order-N coefficient tensor ``A^output`` as a float64 array of shape ``(M,) * N``.

    Axis ``j`` is input position ``j``.

    Examples
    --------
    >>> import torch, convac
    >>> arch = convac.Architecture.deep_1d(n_inputs=4, n_features=2, channels=[2, 2])
    >>> model = convac.DeepConvAC(arch, seed=0).double()
    >>> A = convac.coefficient_tensor(model)
    >>> A.shape
    (2, 2, 2, 2)
    >>> v = model.representation(torch.randn(1, 4, 1, dtype=torch.float64))[0].detach().numpy()
    >>> bool(np.isclose(np.einsum("abcd,a,b,c,d->", A, *v), model.circuit(torch.tensor(v[None]))[0, 0].item()))
    True
    """
    from convac.models.base import ConvACBase

    instance(model, "model", ConvACBase, "a DeepConvAC or ShallowConvAC")
    arch = model.arch
    output_index(output, arch.n_outputs)
    check_dense_size(arch.n_features, arch.n_inputs, max_bytes)

    def weights(layer: int) -> np.ndarray:
        return model.weight_matrices(layer).detach().to("cpu", dtype=__import__("torch").float64).numpy()

    hidden = [weights(layer) for layer in range(arch.depth)]
    return recursion(arch.n_inputs, arch.n_features, tree_steps(arch, hidden), weights(arch.depth)[0][:, output], None)
