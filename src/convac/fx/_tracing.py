"""A PyTorch module as a ``torch.fx`` graph whose tensor nodes know their shapes.

:func:`trace` runs ``torch.fx.symbolic_trace`` (or, for a forward that checks its input's shape,
the meta tracer); :func:`propagate_shapes` runs one forward pass on zeros in eval mode and records
every tensor node's output shape in ``node.meta["convac_shape"]``.

Examples
--------
>>> from torch import nn
>>> net = nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU())
>>> gm = trace(net, (2, 1, 5))
>>> propagate_shapes(gm, net, (2, 1, 5))
>>> [(n.name, node_shape(n)) for n in gm.graph.nodes]
[('input_1', (2, 1, 5)), ('_0', (2, 2, 3)), ('_1', (2, 2, 3)), ('output', (2, 2, 3))]
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from convac.errors import InputError

__all__ = ["first_line", "fx_name", "node_shape", "propagate_shapes", "refuse", "trace"]


def refuse(where: str, why: str) -> InputError:
    """Return the one-line error for a layer with no ConvAC analogue: what it is, why, and what is supported."""
    from convac.fx._tables import SUPPORTED_LAYERS

    return InputError(f"analyze_module cannot map {where}: {why}; supported: {SUPPORTED_LAYERS}")


def first_line(exc: BaseException, with_type: bool = True) -> str:
    """Return the first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if with_type else text.splitlines()[0]


def fx_name(node: Any, gm: Any) -> str:
    """How errors name an fx node: its module path and type, or its function or method."""
    if node.op == "call_module":
        kind = type(gm.get_submodule(node.target)).__name__
        same = node.name.lstrip("_") == str(node.target).replace(".", "_").lstrip("_")
        return f"{node.target} ({kind}{'' if same else f', fx node {node.name!r}'})"
    target = node.target
    what = target if isinstance(target, str) else getattr(target, "__name__", repr(target))
    kind = "method" if node.op == "call_method" else "function"
    return f"fx node '{node.name}' ({kind} {what})"


def node_shape(node: Any) -> tuple[int, ...] | None:
    """Return the output shape :func:`propagate_shapes` recorded (None for non-tensor values and non-nodes)."""
    return node.meta.get("convac_shape") if hasattr(node, "meta") else None


def trace(module: Any, batch_shape: tuple[int, ...]) -> Any:
    """``torch.fx.symbolic_trace``; for a forward that branches on its input's shape, the meta tracer."""
    import torch
    import torch.fx

    try:
        return torch.fx.symbolic_trace(module)
    except Exception as exc:
        failure = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    # A forward like ReLUConvNet's checks x.dim() / x.shape: the meta tracer knows the shapes.
    params = [
        p
        for p in inspect.signature(module.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(params) == 1:
        from torch.fx.experimental.meta_tracer import symbolic_trace as meta_trace

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return meta_trace(module, meta_args={params[0].name: torch.empty(batch_shape, device="meta")})
        except Exception:  # the first tracer's complaint is the clearer one
            pass
    raise InputError(
        f"torch.fx could not trace {type(module).__name__} ({failure}); analyze_module needs a forward with one "
        "tensor input whose control flow does not depend on tensor values"
    )


def propagate_shapes(gm: Any, module: Any, batch_shape: tuple[int, ...]) -> None:
    """Record every tensor node's output shape (``node.meta['convac_shape']``) from one forward pass."""
    import torch
    from torch.fx import Interpreter

    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        names = ", ".join(n.name for n in placeholders)
        raise refuse(f"the inputs ({names}) of {type(module).__name__}", "the forward must take one tensor")

    class _Shapes(Interpreter):
        failure: str | None = None

        def run_node(self, n: Any) -> Any:
            try:
                result = super().run_node(n)
            except Exception as exc:
                if self.failure is None:  # the innermost node's complaint, before fx appends its own context
                    self.failure = f"{fx_name(n, gm)} fails ({first_line(exc, with_type=False)})"
                raise
            if isinstance(result, torch.Tensor):
                n.meta["convac_shape"] = tuple(int(v) for v in result.shape)
            return result

    # eval: batch norm must not update the caller's running statistics, dropout must not drop.
    modes = [(m, m.training) for m in (*module.modules(), *gm.modules())]
    module.eval()
    gm.eval()
    shapes = _Shapes(gm)
    try:
        with torch.no_grad():
            shapes.run(torch.zeros(batch_shape))
    except Exception as exc:
        shape = ", ".join(map(str, batch_shape[1:]))
        raise InputError(
            f"{type(module).__name__} does not run on inputs of shape (batch, {shape}): "
            f"{shapes.failure or str(exc).splitlines()[0]}"
        ) from None
    finally:
        for m, mode in modes:
            m.train(mode)
