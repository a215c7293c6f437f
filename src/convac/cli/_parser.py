"""The parser every ``convac`` command uses: one-line errors, defaults shown in help, help filled in lazily."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = ["CommandParser", "HelpFormatter", "UsageError"]


class UsageError(Exception):
    """A command-line mistake; ``main`` prints it as one line ``PROG: error: MESSAGE`` with exit code 2.

    ``prog`` is the command that failed (``convac design``); left None, ``main`` names the command that ran.
    """

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions but keeps the epilog's example lines; appends "(default: ...)" where the help has none.

    Flags whose default needs words ("the profile's value") say so in their help; switches
    (store_true) have no default worth printing.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:  # an epilog of examples, laid out by hand
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            "(default" in text
            or action.default in (None, argparse.SUPPRESS)
            or isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
        ):
            return text
        return text + " (default: %(default)s)"


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors become a :class:`UsageError` and whose help may be completed late."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        # Fill in help text that needs a heavy import, only when this parser's help is shown.
        self.help_hooks: list[Callable[[], None]] = []

    def format_help(self) -> str:
        for hook in self.help_hooks:
            hook()
        self.help_hooks = []
        return super().format_help()

    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        # "argument --seed: --seed must be ..." from the flag type functions: say it once.
        head, sep, rest = message.partition(": ")
        if sep and head.startswith("argument ") and rest.startswith("--"):
            message = rest
        raise UsageError(message, self.prog)
