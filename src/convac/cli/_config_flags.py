"""Command-line flags derived from a config dataclass, so that no default is written twice.

Each chosen field becomes ``--kebab-name``; its parser follows the field's annotation (``int``,
``float``, ``str``, ``tuple[int, ...]``, ``tuple[str, ...]``, optionally ``| None``) and its
default is the dataclass's. The flag's argparse default is ``None``: :func:`config_values`
returns only the fields the user gave, so the config (or a profile) fills in the rest itself.
What the CLI adds per field (help text, choices, a custom parser, another flag name, the
smallest integer) lives in a small :class:`Field` table beside the command.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from convac.cli._flags import IntFlag, PositiveFloatFlag, int_list, str_list
from convac.errors import InternalError

__all__ = ["Field", "add_config_flags", "config_defaults", "config_values", "show_default"]


@dataclass(frozen=True)
class Field:
    """How one config field appears on the command line.

    ``help`` may hold ``{default}``, replaced by the field's default as the command line writes it; a
    help without "(default" gets ``(default: ...)`` appended (or the command's ``default_text``).
    ``flag`` renames the option (default ``--`` + the field name with dashes), ``minimum`` is the
    smallest value of an integer field (sizes and counts: 1), ``parse`` replaces the parser the
    annotation implies.
    """

    help: str
    flag: str | None = None
    minimum: int = 1
    choices: Sequence[str] | None = None
    parse: Callable[[str], Any] | None = None
    metavar: str | None = None


def show_default(value: Any) -> str:
    """Return a default as it would be typed: tuples comma-separated, None as "none".

    Examples
    --------
    >>> show_default((2, 4)), show_default(None), show_default(0.003)
    ('2,4', 'none', '0.003')
    """
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


def config_defaults(config: type) -> dict[str, Any]:
    """Every field's default of the dataclass ``config`` (``default_factory`` called)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def _parser_for(annotation: Any, flag: str, minimum: int) -> Callable[[str], Any] | None:
    """Return the type function the annotation implies; None for a plain string."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return _parser_for(rest[0], flag, minimum)
    elif annotation is bool:
        pass  # a switch needs its own wording; give it a Field.parse or leave it off the command line
    elif annotation is int:
        return IntFlag(flag, minimum)
    elif annotation is float:
        return PositiveFloatFlag(flag)
    elif annotation is str:
        return None
    elif typing.get_origin(annotation) is tuple:
        item = typing.get_args(annotation)[0]
        if item is int:
            return int_list
        if item is str:
            return str_list
    raise InternalError(f"no command-line parser for a field annotated {annotation!r} ({flag}); give Field.parse")


def add_config_flags(
    parser: argparse.ArgumentParser,
    config: type,
    table: Mapping[str, Field],
    default_text: str | None = None,
) -> None:
    """Add one option per field of ``table`` to ``parser``, typed and documented from the dataclass ``config``.

    ``default_text`` replaces the "(default: VALUE)" of every field whose help does not mention its
    default (e.g. "(default: the --profile's value)" where a profile supplies the defaults).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Config:
    ...     epochs: int = 3
    ...     seeds: tuple[int, ...] = (0, 1)
    >>> p = argparse.ArgumentParser()
    >>> add_config_flags(p, Config, {"epochs": Field("passes"), "seeds": Field("seeds to run")})
    >>> args = p.parse_args(["--seeds", "4,5"])
    >>> config_values(args, {"epochs": Field("passes"), "seeds": Field("seeds to run")})
    {'seeds': (4, 5)}
    >>> [a.help for a in p._actions[1:]]
    ['passes (default: 3)', 'seeds to run (default: 0,1)']
    """
    hints = typing.get_type_hints(config)
    defaults = config_defaults(config)
    for name, spec in table.items():
        if name not in hints:
            raise InternalError(f"{config.__name__} has no field {name!r}")
        flag = spec.flag or "--" + name.replace("_", "-")
        shown = show_default(defaults.get(name))
        if "(default" in spec.help:
            text = spec.help.replace("{default}", shown)
        else:
            text = f"{spec.help} {default_text or f'(default: {shown})'}"
        parse = spec.parse or _parser_for(hints[name], flag, spec.minimum)
        typed: dict[str, Any] = {} if parse is None else {"type": parse}
        parser.add_argument(
            flag, dest=name, choices=spec.choices, default=None, help=text, metavar=spec.metavar, **typed
        )


def config_values(args: argparse.Namespace, table: Mapping[str, Field]) -> dict[str, Any]:
    """Return the fields of ``table`` given on the command line (the others keep the config's or profile's value)."""
    return {name: getattr(args, name) for name in table if getattr(args, name) is not None}
