"""A ``torch.nn.Module`` named on the command line: ``package.module:attribute`` or ``path/to/file.py:attribute``.

Modules are found with the caller's ``sys.path`` as it is (this module never changes it; the
command line puts the working directory first, as ``python -m`` does); a file is loaded by its
path. Whatever goes wrong, missing, raising or exiting while imported, not a module, ends in one
:class:`~convac.errors.InputError` sentence, and anything the code prints while imported goes
to stderr, so that ``--json`` output stays clean.

Examples
--------
>>> load_module_object("torch.nn:Identity")
Identity()
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import stat
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from convac.errors import ConvacTypeError, InputError
from convac.fx._tracing import first_line

if TYPE_CHECKING:
    from torch import nn

__all__ = ["load_module_object"]

_FORM = "MODULE:ATTRIBUTE or path/to/file.py:ATTRIBUTE, e.g. mynets:lenet"


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what user code prints to stderr: a program's stdout may be machine-read (``--json``)."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _run_user_code(what: str, call: Callable[[], Any]) -> Any:
    """``call()``, with its prints on stderr and its failures (``sys.exit`` included) as one InputError line."""
    try:
        with _stdout_to_stderr():
            return call()
    except SystemExit as exc:
        raise InputError(
            f"{what} called sys.exit({exc.code!r}); a module named here must define the network without exiting"
        ) from None
    except Exception as exc:
        raise InputError(f"{what} failed: {first_line(exc)}") from None


def _is_file_name(location: str) -> bool:
    return location.endswith(".py") or "/" in location or os.sep in location


def _import_name(name: str, text: str) -> ModuleType:
    """Import ``name`` with the current ``sys.path``."""
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:  # a parent package that is missing or raises
        found = None
        if not isinstance(exc, ModuleNotFoundError):
            raise InputError(f"cannot import {name!r} (from {text!r}): {first_line(exc)}") from None
    if found is None:
        raise InputError(
            f"cannot import {name!r} (from {text!r}): no such module on the Python path; "
            "name an installed module or a file, path/to/file.py:ATTRIBUTE"
        )
    module: ModuleType = _run_user_code(f"importing {name!r} (from {text!r})", lambda: importlib.import_module(name))
    return module


def _module_name(path: str) -> str:
    """Return the ``sys.modules`` name of a file: its stem, unless that names another module already loaded."""
    stem = os.path.splitext(os.path.basename(path))[0]
    loaded = sys.modules.get(stem)
    if stem.isidentifier() and (loaded is None or getattr(loaded, "__file__", None) == path):
        return stem
    return f"_convac_loaded_{abs(hash(path)):x}"


def _import_file(location: str, text: str) -> ModuleType:
    """Load a Python file by its path, without touching ``sys.path``."""
    path = os.path.abspath(location)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"cannot read {location!r} (from {text!r}): {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{location!r} (from {text!r}) is not a regular file; name a Python file")
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"{location!r} (from {text!r}) cannot be loaded as Python; name a file ending in .py")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    # registered while it runs, as an import would: dataclasses and pickle look their module up by name
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        _run_user_code(f"importing {location!r} (from {text!r})", lambda: loader.exec_module(module))
    except InputError:
        if previous is None:
            del sys.modules[name]
        else:
            sys.modules[name] = previous
        raise
    return module


def _attribute(module: ModuleType, attr: str, location: str, text: str) -> Any:
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise InputError(f"{location!r} has no attribute {attr!r} (from {text!r})")
        obj = getattr(obj, part)
    return obj


def load_module_object(text: str) -> nn.Module:
    """Return the ``torch.nn.Module`` named by ``"package.module:attribute"`` or ``"path/to/file.py:attribute"``.

    A module name is resolved with the current ``sys.path`` (which this function never changes);
    a file name (ending in ``.py`` or holding a ``/``) is loaded from its path. The attribute
    (dots allowed) is a module instance, or a callable taking no arguments that returns one (a
    factory function or an ``nn.Module`` class). Output printed while importing or calling goes
    to stderr. Every failure (no such module or file, no such attribute, not a module, an import
    that raises or calls ``sys.exit``) raises :class:`~convac.errors.InputError` in one sentence.

    Examples
    --------
    >>> load_module_object("torch.nn:ReLU")
    ReLU()
    >>> load_module_object("torch.nn")
    Traceback (most recent call last):
        ...
    convac.errors.InputError: a module is named MODULE:ATTRIBUTE or path/to/file.py:ATTRIBUTE, e.g. mynets:lenet, \
got 'torch.nn'
    >>> load_module_object("torch.nn:Conv2d")
    Traceback (most recent call last):
        ...
    convac.errors.InputError: calling 'torch.nn:Conv2d' with no arguments failed: TypeError: ...
    """
    from torch import nn

    if not isinstance(text, str):
        raise ConvacTypeError(f"a module is named by a string, {_FORM}; got {type(text).__name__}")
    location, sep, attr = (part.strip() for part in text.rpartition(":"))
    if not sep or not location or not attr:
        raise InputError(f"a module is named {_FORM}, got {text!r}")
    module = _import_file(location, text) if _is_file_name(location) else _import_name(location, text)
    obj = _attribute(module, attr, location, text)
    if not isinstance(obj, nn.Module):
        if not callable(obj):
            raise InputError(f"{text!r} is a {type(obj).__name__}, not a torch.nn.Module or a factory returning one")
        obj = _run_user_code(f"calling {text!r} with no arguments", obj)
    if not isinstance(obj, nn.Module):
        raise InputError(f"{text!r} returned a {type(obj).__name__}, not a torch.nn.Module")
    return obj
