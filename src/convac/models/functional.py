"""Stateless ConvAC operations on tensors carried as mantissa plus base-2 exponent.

A deep ConvAC multiplies thousands of numbers: with 4096 inputs a score is a product of
4096 factors, far outside float32's range. The circuit therefore carries every
activation as a *mantissa* ``x`` (``batch x positions x channels``) together with an
integer *exponent* per sample ``e`` (``batch``), so the true value is ``x * 2**e``.
After every product the mantissas of each position are renormalised by a power of
two, which is exact in binary floating point: no rounding is added, and signed
weights are no problem (pure log-space would be). The exponents carry no gradient;
they are piecewise constant, so this is exact for backpropagation as well.

Examples
--------
>>> import torch
>>> x = torch.tensor([[[3.0, -0.5], [0.25, 2.0]]])   # 1 sample, 2 positions, 2 channels
>>> m, e = normalize(x, torch.zeros(1, dtype=torch.int64))
>>> m
tensor([[[ 0.7500, -0.1250],
         [ 0.0625,  0.5000]]])
>>> e                                                 # 2**2 from each position
tensor([4])
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "conv_pool",
    "global_product_pool",
    "normalize",
    "pointwise_conv",
    "product_pool",
    "recombine",
    "safe_exponent_range",
    "unit_scores",
    "window_product_pool",
]


def _ldexp(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``x * 2**k`` in two halves, because ``2**k`` alone can overflow when ``x`` is tiny (subnormal)."""
    half = torch.div(k, 2, rounding_mode="floor")
    return torch.ldexp(torch.ldexp(x, half.to(x.dtype)), (k - half).to(x.dtype))


def _exponent_limits(dtype: torch.dtype) -> tuple[int, int]:
    """Range of k for which ``2**-k`` is a normal number of ``dtype``."""
    info = torch.finfo(dtype)
    # frexp: max = 0.99.. * 2**128 and tiny = 0.5 * 2**-125 in float32, so 2**127 and 2**-126 are the extremes.
    return -(math.frexp(info.max)[1] - 1), -(math.frexp(info.tiny)[1] - 1)


def normalize(x: torch.Tensor, exponent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rescale each position of ``x`` by a power of two so its largest magnitude lies in [0.5, 1).

    The powers taken out are added to ``exponent`` (one integer per sample). Positions
    that are exactly zero are left alone. One multiplication by a per-position power of two
    does the work (measured: the per-element ``ldexp`` it replaces made the 64x64 training step
    about 1.5x slower); a peak so small that its inverse power of two is not a normal number
    is brought into range by a second pass.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[6.0, -1.0], [0.0, 0.0]], [[1e-30, 0.0], [0.5, 0.25]]])
    >>> m, e = normalize(x, torch.zeros(2, dtype=torch.int64))
    >>> m[0], e
    (tensor([[ 0.7500, -0.1250],
            [ 0.0000,  0.0000]]), tensor([  3, -99]))
    >>> peaks = m.abs().amax(dim=-1)                # every nonzero position now peaks in [0.5, 1)
    >>> bool(((peaks >= 0.5) & (peaks < 1)).sum() == 3)
    True
    """
    return _normalize_by_peak(x, exponent, _peak(x))


def _peak(x: torch.Tensor) -> torch.Tensor:
    """Largest magnitude of each position, (batch, positions), without gradient."""
    low, high = torch.aminmax(x.detach(), dim=-1)  # one pass, no |x| temporary
    return torch.maximum(high, -low)


def _normalize_by_peak(
    x: torch.Tensor, exponent: torch.Tensor, peak: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    _, k = torch.frexp(peak)
    lo, hi = _exponent_limits(x.dtype)
    clamped = k.clamp(lo, hi)
    scale = torch.ldexp(torch.ones((), dtype=x.dtype), (-clamped).to(x.dtype))
    scaled = x * scale.unsqueeze(-1)
    exponent = exponent + clamped.to(torch.int64).sum(dim=-1)
    if bool((clamped != k).any()):
        return normalize(scaled, exponent)
    return scaled, exponent


def pointwise_conv(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Return a 1x1 convolution: ``x`` (batch, positions, c_in) times ``weight``.

    ``weight`` is (c_in, c_out) when shared across positions, or (positions, c_in, c_out)
    for a locally connected (unshared) layer.

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, 3, 4)                    # 2 samples, 3 positions, 4 channels
    >>> pointwise_conv(x, torch.ones(4, 5)).shape  # shared weights
    torch.Size([2, 3, 5])
    >>> w = torch.arange(3.0).view(3, 1, 1).expand(3, 4, 1)  # position p sums channels times p
    >>> pointwise_conv(x, w)[0, :, 0]
    tensor([0., 4., 8.])
    """
    if weight.dim() == 2:
        return x @ weight
    # (P, B, c_in) @ (P, c_in, c_out) batches the per-position matmuls in one call.
    return torch.bmm(x.transpose(0, 1), weight).transpose(0, 1)


def product_pool(x: torch.Tensor, grid: tuple[int, ...], window: int | tuple[int, ...]) -> torch.Tensor:
    """Multiply channel-wise over non-overlapping windows of a 1D or 2D (row-major) grid.

    ``window`` is one size per grid axis (an integer: the same size on every axis).

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(1.0, 9.0).view(1, 4, 2)  # 4 positions, 2 channels
    >>> product_pool(x, (4,), 2)
    tensor([[[ 3.,  8.],
             [35., 48.]]])
    """
    b, p, c = x.shape
    kh, *rest = (window,) * len(grid) if isinstance(window, int) else window
    # Explicit products of strided views: torch.prod's backward divides and tests for zeros, which
    # measured slower than the multiplications' own backward.
    if len(grid) == 1:
        parts = x.view(b, p // kh, kh, c).unbind(dim=2)
    else:
        h, w = grid
        (kw,) = rest
        tiles = x.view(b, h // kh, kh, w // kw, kw, c)
        # unbind (backward: one stack) rather than slicing (backward: a zero-filled tensor per slice)
        parts = tuple(part for row in tiles.unbind(dim=2) for part in row.unbind(dim=3))
    out = parts[0]
    for part in parts[1:]:
        out = out * part
    # The pooled size is spelled out: with an empty batch, -1 would be ambiguous.
    return out.reshape(b, p // len(parts), c)


# A pooled peak below this (times the weights' growth bound) may have lost bits to subnormal
# partial products: 2**-126 is float32's smallest normal, and 48 more bits keep every element
# within 2**-24 of the peak accurate to float32 rounding.
_FUSED_MARGIN = 48
# Upper bound on log2 of a pooled value in the fused path; far below float32's 127.
_FUSED_MAX_LOG2 = 100


def conv_pool(
    x: torch.Tensor,
    exponent: torch.Tensor,
    weight: torch.Tensor,
    grid: tuple[int, ...],
    window: int | tuple[int, ...],
) -> tuple[torch.Tensor, torch.Tensor]:
    """One hidden layer: :func:`pointwise_conv`, :func:`product_pool`, then :func:`normalize`.

    ``x`` must have every position's largest magnitude at most 1 (as :func:`normalize` leaves it).
    The result equals ``normalize(product_pool(normalize(pointwise_conv(x, weight), exponent)...))``,
    the layer with a renormalisation after the conv too, bit for bit while every intermediate is a
    normal float: a power-of-two rescaling commutes exactly with the conv's sums and the pool's
    products, so the second renormalisation only needs to guard the range. Here the range is
    guarded by bounds instead of a pass over the conv's output: with ``|x| <= 1`` every conv output
    is at most ``S``, the largest column sum of ``|weight|``, so a window of ``n`` factors stays
    below ``S**n`` (checked against float range before), and a pooled peak far above float's
    smallest normal times ``S**(n-1)`` proves that no partial product lost bits (checked after).
    Where either check fails the layer is recomputed with both renormalisations. With the image
    ConvAC's channels-last features this took its 64x64 training step from 1.54x to 0.91x the ReLU
    ConvNet's (median over six schedules, batch 32; ``benchmarks/bench_training_step.py``).

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[0.5], [0.75], [0.5], [1.0]]])       # 4 positions, 1 channel
    >>> m, e = conv_pool(x, torch.zeros(1, dtype=torch.int64), torch.tensor([[4.0]]), (4,), 4)
    >>> m, e, (m * 2.0 ** e).item()                          # 4**4 * 0.1875 = 48
    (tensor([[[0.7500]]]), tensor([6]), 48.0)
    """
    factors = window ** len(grid) if isinstance(window, int) else math.prod(window)
    max_log2, min_log2 = (-k for k in _exponent_limits(x.dtype))  # 127, -126 in float32
    bound = float(weight.detach().abs().sum(dim=-2).amax())
    log2_bound = math.log2(bound) if bound > 1 else 0.0
    if factors * log2_bound <= min(_FUSED_MAX_LOG2, max_log2 - 27):  # False for inf and nan too
        pooled = product_pool(pointwise_conv(x, weight), grid, window)
        peak = _peak(pooled)
        floor = min_log2 + _FUSED_MARGIN + (factors - 1) * log2_bound
        if bool((peak >= 2.0**floor).all()):
            # Every peak is a normal number below 2**100 here, so its inverse power of two is
            # normal too and normalize's clamping (and its check) can be left out.
            _, k = torch.frexp(peak)
            scale = torch.ldexp(torch.ones((), dtype=pooled.dtype, device=pooled.device), (-k).to(pooled.dtype))
            return pooled * scale.unsqueeze(-1), exponent + k.sum(dim=-1, dtype=torch.int64)
    x, exponent = normalize(pointwise_conv(x, weight), exponent)
    return normalize(product_pool(x, grid, window), exponent)


def window_product_pool(
    x: torch.Tensor, exponent: torch.Tensor, grid: tuple[int, ...], window: tuple[int, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Product pooling over large windows, renormalising between partial products.

    A 7x7 window multiplies 49 factors per channel; done in one go the product can leave
    float32's range even though each factor is normalised. Each window is gathered into a
    row of its own and reduced pairwise by :func:`global_product_pool`; the exponents of a
    sample's windows add up, as every position's scale multiplies its scores once.

    Examples
    --------
    >>> import torch
    >>> x = torch.full((1, 36, 1), 0.5)               # a 6x6 grid pooled by 3x2 windows
    >>> m, e = window_product_pool(x, torch.zeros(1, dtype=torch.int64), (6, 6), (3, 2))
    >>> m.shape, (m[0, :, 0] * 2.0 ** (e / 6)).tolist() == [0.5**6] * 6
    (torch.Size([1, 6, 1]), True)
    """
    b, _, c = x.shape
    if len(grid) == 1:
        (k,) = window
        rows = x.reshape(b * (grid[0] // k), k, c)
    else:
        (h, w), (kh, kw) = grid, window
        tiles = x.reshape(b, h // kh, kh, w // kw, kw, c).permute(0, 1, 3, 2, 4, 5)
        rows = tiles.reshape(-1, kh * kw, c)
    pooled, exps = global_product_pool(rows, torch.zeros(rows.shape[0], dtype=torch.int64))
    n_windows = rows.shape[0] // b
    return pooled.reshape(b, n_windows, c), exponent + exps.view(b, n_windows).sum(dim=1)


def global_product_pool(x: torch.Tensor, exponent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Multiply over all positions, pairwise with renormalisation so no partial product leaves range.

    Returns a mantissa of shape (batch, 1, channels) and the updated exponent.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[[0.5], [0.75], [0.5]]])  # 3 positions, product 3/16
    >>> m, e = global_product_pool(x, torch.zeros(1, dtype=torch.int64))
    >>> m.shape, (m * 2.0 ** e).item()
    (torch.Size([1, 1, 1]), 0.1875)
    >>> big = torch.full((1, 4096, 1), 0.5)         # 2**-4096: far below float32's range
    >>> global_product_pool(big, torch.zeros(1, dtype=torch.int64))
    (tensor([[[0.5000]]]), tensor([-4095]))
    """
    while x.shape[1] > 1:
        p = x.shape[1]
        head = x[:, : p - p % 2]
        paired = head.view(x.shape[0], p // 2, 2, x.shape[2]).prod(dim=2)
        if p % 2:
            paired = torch.cat([paired, x[:, -1:]], dim=1)
        x, exponent = normalize(paired, exponent)
    return x, exponent


def safe_exponent_range(dtype: torch.dtype) -> int:
    """Return the largest |log2| a score may have before :func:`recombine` stops folding the exponent in.

    Examples
    --------
    >>> import torch
    >>> safe_exponent_range(torch.float32), safe_exponent_range(torch.float64)
    (100, 1000)
    """
    return 100 if dtype in (torch.float32, torch.float16, torch.bfloat16) else 1000


def recombine(mantissa: torch.Tensor, exponent: torch.Tensor) -> torch.Tensor:
    """Scores ``mantissa * 2**exponent``, exact where representable, kept finite where not.

    Each sample's exponent is folded in as far as it keeps every score of the sample
    within ``2**±safe_exponent_range``; beyond that the sample's scores are returned
    scaled by a (per-sample, positive) power of two, so signs, ratios and the
    arg-max stay exact.

    Examples
    --------
    >>> import torch
    >>> mantissa = torch.tensor([[0.5, -0.75], [0.5, 0.25]])
    >>> recombine(mantissa, torch.tensor([3, 0]))             # exact: 0.5 * 2**3 = 4
    tensor([[ 4.0000, -6.0000],
            [ 0.5000,  0.2500]])
    >>> far = recombine(mantissa[:1], torch.tensor([5000]))  # 2**5000 is beyond float32
    >>> bool(far.isfinite().all()), (far[0, 1] / far[0, 0]).item()
    (True, -1.5)
    """
    limit = safe_exponent_range(mantissa.dtype)
    peak = mantissa.detach().abs().amax(dim=-1)
    _, k = torch.frexp(peak)
    k = k.to(torch.int64)
    # Any e with k + e in [-limit, limit] is safe for this sample.
    folded = torch.clamp(exponent, -limit - k, limit - k)
    return _ldexp(mantissa, folded.unsqueeze(-1))


def unit_scores(mantissa: torch.Tensor) -> torch.Tensor:
    """Each row of ``mantissa`` (batch, n_outputs) divided by its L2 norm; all-zero rows stay zero.

    The rows are first brought to max-abs in [0.5, 1) by an exact power of two, so the squares
    in the norm can neither overflow nor underflow whatever the scale of the scores; the
    result is therefore the same for ``mantissa * 2**e`` with any per-row ``e``.

    >>> import torch
    >>> unit_scores(torch.tensor([[3.0, -4.0], [0.0, 0.0]]))
    tensor([[ 0.6000, -0.8000],
            [ 0.0000,  0.0000]])
    """
    scaled, _ = normalize(
        mantissa.unsqueeze(1), torch.zeros(mantissa.shape[0], dtype=torch.int64, device=mantissa.device)
    )
    scaled = scaled.squeeze(1)
    # A zero row has norm 0; the clamp keeps it 0 (and its gradient finite) instead of NaN.
    norm = torch.linalg.vector_norm(scaled, dim=-1, keepdim=True).clamp_min(torch.finfo(scaled.dtype).tiny)
    return scaled / norm
