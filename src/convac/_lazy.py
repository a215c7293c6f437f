"""One PEP 562 lazy loader for the packages whose names must not import their modules up front.

``convac``, ``convac.models`` and ``convac.experiments`` each map their public names to the module
that defines them; the first access imports that module and caches the value in the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    package: str, names: Mapping[str, str], namespace: dict[str, Any], public: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of ``package`` for the lazily loaded ``names``.

    ``names`` maps each public name to its defining module (a name that maps to the module
    ``package.name`` is that subpackage itself); ``namespace`` is the package's ``globals()``,
    where a loaded value is cached so that later lookups skip ``__getattr__``.

    Examples
    --------
    >>> ns = {}
    >>> getattr_, dir_ = lazy_attributes("demo", {"sqrt": "math"}, ns, ["sqrt"])
    >>> getattr_("sqrt")(9.0), "sqrt" in ns, dir_()
    (3.0, True, ['sqrt'])
    >>> getattr_("nothing")
    Traceback (most recent call last):
        ...
    AttributeError: module 'demo' has no attribute 'nothing'
    >>> subpackage_getattr, _ = lazy_attributes("os", {"path": "os.path"}, {}, ["path"])
    >>> subpackage_getattr("path").__name__ in ("posixpath", "ntpath")
    True
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        imported = importlib.import_module(module)
        value = imported if module == f"{package}.{name}" else getattr(imported, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__
