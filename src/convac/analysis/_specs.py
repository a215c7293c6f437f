"""Architectures from command-line style options or from a YAML/JSON file.

Examples
--------
>>> architecture_from_options(grid="8x8", features=2, channels=[4, 4, 2]).grid
(8, 8)
>>> architecture_from_options(inputs=8, features=2, channels=[3], shallow=True).kind
'shallow'
>>> architecture_from_options(grid="28x28", features=2, channels=[4, 4, 2], windows=[2, 2, 7]).layer_grid(2)
(7, 7)
>>> parse_grid("64x32")
(64, 32)
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from typing import Any

from convac._validation import integer
from convac.errors import ArchitectureError, ConvacError, InputError
from convac.spec import Architecture

__all__ = ["architecture_from_options", "load_architecture", "parse_grid"]


def parse_grid(text: str | int | Sequence[int]) -> tuple[int, ...]:
    """``"64x64"`` -> ``(64, 64)``, ``"16"`` or ``16`` -> ``(16,)``.

    Examples
    --------
    >>> parse_grid("64x64"), parse_grid(16)
    ((64, 64), (16,))
    """
    if isinstance(text, int):
        return (int(text),)
    if not isinstance(text, str):
        return tuple(integer(v, "every grid length") for v in text)
    parts = text.lower().replace(" ", "").split("x")
    try:
        grid = tuple(int(p) for p in parts)
    except ValueError:
        raise ArchitectureError(f"a grid is LENGTH or HEIGHTxWIDTH such as 64x64, got {text!r}") from None
    if len(grid) not in (1, 2) or min(grid) < 1:
        raise ArchitectureError(f"a grid is LENGTH or HEIGHTxWIDTH such as 64x64, got {text!r}")
    return grid


def architecture_from_options(
    *,
    grid: str | Sequence[int] | None = None,
    inputs: int | None = None,
    features: int = 2,
    channels: Sequence[int] = (),
    window: int | None = None,
    outputs: int = 1,
    shared: bool = False,
    shallow: bool = False,
    windows: Sequence[Any] | None = None,
) -> Architecture:
    """One architecture from flags: ``grid`` (``"64x64"``) or ``inputs`` (1D), ``channels`` per layer.

    ``window`` (one size for every layer, default 2) or ``windows`` (one window per layer) set
    the pooling. ``shallow`` takes one channel number (Z). Errors are :class:`ArchitectureError`
    sentences.

    Examples
    --------
    >>> arch = architecture_from_options(grid="8x8", features=3, channels=[4, 4, 2])
    >>> arch.kind, arch.grid, arch.channels
    ('deep', (8, 8), (4, 4, 2))
    """
    if (grid is None) == (inputs is None):
        raise ArchitectureError("give exactly one of --grid HxW (2D) and --inputs N (1D)")
    shape = parse_grid(grid) if grid is not None else (int(inputs),)  # type: ignore[arg-type]
    if not channels:
        raise ArchitectureError("give the channel numbers, e.g. --channels 4,4,2,2")
    if shallow:
        if window is not None or windows is not None:
            raise ArchitectureError("a shallow ConvAC pools its whole grid at once; drop --window/--windows")
        if len(channels) != 1:
            raise ArchitectureError(
                f"a shallow ConvAC has one hidden layer; give one channel number, got {list(channels)}"
            )
        if len(shape) == 2:
            return Architecture.shallow(
                n_features=features,
                hidden=channels[0],
                n_outputs=outputs,
                shared=shared,
                height=shape[0],
                width=shape[1],
            )
        return Architecture.shallow(
            n_inputs=shape[0], n_features=features, hidden=channels[0], n_outputs=outputs, shared=shared
        )
    if len(shape) == 2:
        return Architecture.deep_2d(
            shape[0], shape[1], features, channels, outputs, shared, window=window, windows=windows
        )
    return Architecture.deep_1d(shape[0], features, channels, outputs, shared, window=window, windows=windows)


def _read_text(path: str | os.PathLike[str]) -> str:
    """Return the file's text; a FIFO, device or folder is refused before opening (opening a FIFO blocks)."""
    name = os.fspath(path)
    try:
        mode = os.stat(name).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"architecture file {name!r} is not a regular file; give a YAML or JSON file")
        with open(name, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise ArchitectureError(f"cannot read architecture file {name!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(
            f"architecture file {name!r} is not UTF-8 text; give a YAML or JSON file (see Architecture.to_dict)"
        ) from None


def load_architecture(path: str | os.PathLike[str]) -> list[Architecture]:
    """Architectures from a YAML or JSON file: one mapping (see ``Architecture.to_dict``) or a list of them.

    A malformed file raises :class:`ArchitectureError` naming the file and what is wrong; a path
    that is not a regular file (a FIFO, a folder) or a file that is not UTF-8 text raises
    :class:`~convac.errors.InputError`.

    Examples
    --------
    >>> import json, os, tempfile, convac
    >>> spec = convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[3, 3, 2]).to_dict()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "arch.json")
    ...     with open(path, "w") as f:
    ...         json.dump([spec, spec], f)
    ...     [a.channels for a in load_architecture(path)]
    [(3, 3, 2), (3, 3, 2)]
    """
    import yaml

    text = _read_text(path)
    try:
        data: Any = json.loads(text) if os.fspath(path).endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ArchitectureError(f"architecture file {os.fspath(path)!r} is not valid YAML/JSON: {first}") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise ArchitectureError(f"architecture file {os.fspath(path)!r} holds no architecture")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ArchitectureError(
                f"architecture file {os.fspath(path)!r}: entry {i} must be a mapping with kind, grid, n_features, "
                f"channels; got {type(item).__name__}"
            )
        try:
            out.append(Architecture.from_dict(item))
        except ConvacError as exc:
            raise ArchitectureError(f"architecture file {os.fspath(path)!r}, entry {i}: {exc}") from None
    return out
