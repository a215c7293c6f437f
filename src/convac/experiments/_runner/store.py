"""The result store: a JSON-lines file, one complete line per finished cell, that survives interrupts.

The first line is a header, ``{"kind": "header", "fingerprint": ..., "config": {...}}``: the
configuration the cells belong to and its :func:`fingerprint` (a stable hash). Resuming checks it
and refuses a file of another configuration with one line saying to use another ``--out`` or
``--restart``. Every record line is written with one ``write`` call and fsynced before the next
cell is handled, and the runner holds back SIGINT/SIGTERM while it writes, so an interrupt never
leaves half a line. Only a hard kill (SIGKILL, power loss) in the middle of that write can: such a
torn last line, recognised by its missing newline, is dropped with a warning and its cell runs
again. Any other line that is not a record is refused with an :class:`~convac.errors.InputError`
naming the file and the line.

Files written before the header carried a fingerprint (verify's ``{"kind": "header", "config":
...}``) are checked by their config; files with no header at all (the inductive-bias and
function-entanglement results of earlier versions) are read as they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any

from convac.errors import InputError

__all__ = [
    "ResultStore",
    "append_line",
    "drop_torn_tail",
    "fingerprint",
    "is_header",
    "read_lines",
    "read_records",
    "write_atomic",
]

log = logging.getLogger("convac.experiments")


def fingerprint(config: Mapping[str, Any]) -> str:
    """Return a stable 16-hex-digit hash of a JSON-serialisable config (key order does not matter).

    Examples
    --------
    >>> fingerprint({"a": 1, "b": [2, 3]}) == fingerprint({"b": [2, 3], "a": 1})
    True
    >>> fingerprint({"a": 1}) == fingerprint({"a": 2}), len(fingerprint({}))
    (False, 16)
    """
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_header(record: object) -> bool:
    """Return True for the store's header line (not a cell record)."""
    return isinstance(record, dict) and record.get("kind") == "header"


def read_lines(path: Path, advice: str) -> list[tuple[int, Any]]:
    """``(line number, parsed JSON)`` for every complete line of ``path``.

    A torn last line is skipped with a warning; a line that is not JSON raises an InputError
    that ends with ``advice`` (what the user should do).
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
            raise InputError(f"{path} line {number} is not valid JSON; {advice}") from None
    return out


def read_records(
    path: Path, advice: str, check: Callable[[Any], str | None] | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` of every cell record of ``path`` (the header skipped).

    ``check(record)`` returns None for a good record, else what is wrong with it; a bad record is
    refused with an InputError naming the file, the line and ``advice``.
    """
    out = []
    for number, record in read_lines(path, advice):
        if is_header(record):
            continue
        problem = "is not a result record" if not isinstance(record, dict) else None
        if problem is None and check is not None:
            problem = check(record)
        if problem is not None:
            raise InputError(f"{path} line {number} {problem}; {advice}")
        out.append((number, record))
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


def append_line(path: Path, record: Mapping[str, Any]) -> None:
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


def _first_line(path: Path) -> Any:
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        return json.loads(first) if first.endswith(b"\n") else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class ResultStore:
    """One study's results file: a header with the config's fingerprint, then one line per finished cell.

    ``key(record)`` names a record's cell (finished cells are skipped on resume); ``check(record)``
    returns what is wrong with a line that is not a good record (None if it is good); ``what``
    names the study in messages. ``headerless_ok`` accepts an existing file without a header (an
    earlier version's results, whose configuration the caller has checked another way).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = ResultStore(pathlib.Path(tmp) / "r.jsonl", {"lr": 0.1}, key=lambda r: r["cell"])
    ...     first = store.open()
    ...     store.append({"cell": 0, "loss": 1.5})
    ...     again = ResultStore(store.path, {"lr": 0.1}, key=lambda r: r["cell"]).open()
    ...     ResultStore(store.path, {"lr": 0.2}, key=lambda r: r["cell"]).open()
    Traceback (most recent call last):
    ...
    convac.errors.InputError: ... was written by another configuration (differs in: lr); use another --out ...
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        config: Mapping[str, Any],
        *,
        key: Callable[[dict[str, Any]], Hashable],
        check: Callable[[Any], str | None] | None = None,
        what: str = "",
        headerless_ok: bool = False,
    ) -> None:
        self.path = Path(path)
        self.config = json.loads(json.dumps(dict(config)))  # as it reads back (tuples -> lists)
        self.fingerprint = fingerprint(self.config)
        self.key, self.check, self.what, self.headerless_ok = key, check, what, headerless_ok
        self.finished: dict[Hashable, dict[str, Any]] = {}

    @property
    def advice(self) -> str:
        """What to do about a bad line."""
        return "delete that line (its cell then runs again) or run again with --restart to start over"

    def open(self, restart: bool = False) -> dict[Hashable, dict[str, Any]]:
        """Create the file with its header, or check the header of an existing one; the finished cells.

        ``restart`` deletes the file first. A torn last line is cut off (its cell runs again).
        """
        if restart:
            self.path.unlink(missing_ok=True)
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            header = {"kind": "header", "fingerprint": self.fingerprint, "config": self.config}
            write_atomic(self.path, json.dumps(header, sort_keys=True) + "\n")
            self.finished = {}
            return self.finished
        self._check_header()
        drop_torn_tail(self.path)
        self.finished = {self.key(r): r for _, r in read_records(self.path, self.advice, self.check)}
        return self.finished

    def _check_header(self) -> None:
        header = _first_line(self.path)
        study = f"{self.what} " if self.what else ""
        if not is_header(header):
            if self.headerless_ok:
                return
            raise InputError(
                f"{self.path} is not a convac {study}results file; use another --out or run again with --restart"
            )
        if header.get("fingerprint", fingerprint(header.get("config") or {})) == self.fingerprint:
            return
        stored = header.get("config") if isinstance(header.get("config"), dict) else {}
        diff = sorted(k for k in set(stored) | set(self.config) if stored.get(k) != self.config.get(k)) or ["config"]
        raise InputError(
            f"{self.path} was written by another {study}configuration (differs in: {', '.join(diff)}); "
            "use another --out or run again with --restart"
        )

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one finished cell's record (one whole, fsynced line) and remember it."""
        append_line(self.path, record)
        self.finished[self.key(dict(record))] = dict(record)
