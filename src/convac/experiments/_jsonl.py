"""JSON-lines result files that survive interrupts: one complete line per finished cell.

Every line is written with one ``write`` call and fsynced before the next cell is handled,
and the sweep holds back SIGINT/SIGTERM while it writes, so an interrupt never leaves half a
line. Only a hard kill (SIGKILL, power loss) in the middle of that write can: such a torn
last line, recognised by its missing newline, is dropped with a warning and its cell is run
again. Any other line that is not what convac wrote is refused with a
:class:`~convac.errors.ConvacError` naming the file, the line and what to do.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from convac.errors import ConvacError

__all__ = ["append_line", "drop_torn_tail", "read_lines", "write_atomic"]

log = logging.getLogger("convac.experiments")


def read_lines(path: Path, advice: str) -> list[tuple[int, Any]]:
    """``(line number, parsed JSON)`` for every complete line of ``path``.

    A torn last line is skipped with a warning; a line that is not JSON raises a
    ConvacError that ends with ``advice`` (what the user should do).
    """
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        log.warning("%s: ignoring a half-written last line (a killed run); its cell will run again", path)
    out = []
    for number, line in enumerate(data[:end].decode("utf-8", errors="replace").splitlines(), start=1):
        try:
            out.append((number, json.loads(line)))
        except json.JSONDecodeError:
            raise ConvacError(f"{path} line {number} is not valid JSON; {advice}") from None
    return out


def drop_torn_tail(path: Path) -> None:
    """Cut a torn last line off ``path`` (in place, one truncate), so appends start on a fresh line."""
    if not path.exists():
        return
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        log.warning("%s: removed a half-written last line (a killed run); its cell will run again", path)
        os.truncate(path, end)


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one JSON line in a single write, flushed and fsynced."""
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    with path.open("ab") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: all of it or nothing."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
