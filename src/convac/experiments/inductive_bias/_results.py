"""The inductive-bias results directory: protocol manifest, results file, checkpoints."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from convac.errors import InputError
from convac.experiments._runner.store import (
    ResultStore,
    read_records,
    write_atomic,
)
from convac.experiments.inductive_bias.protocol import MANIFEST, RESULTS, Protocol


# ---------------------------------------------------------------------------- results on disk
def _results_advice(out_dir: Path) -> str:
    return f"delete that line (its cell then runs again) or run again with --restart to start {out_dir} over"


def load_results(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    r"""Finished cells in ``out_dir/results.jsonl``.

    A torn last line (a run killed while writing it) is ignored with a warning; any other line
    that is not a result record raises a :class:`~convac.errors.InputError` naming it.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     empty = load_results(out)
    ...     rows = [{"key": "a", "protocol": "p", "test_accuracy": 0.5}, {"key": "b", "protocol": "p"}]
    ...     _ = (pathlib.Path(out) / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ...     records = load_results(out)
    >>> empty, [r["key"] for r in records], records[0]["test_accuracy"]
    ([], ['a', 'b'], 0.5)
    """
    out = Path(out_dir)
    path = out / RESULTS
    if not path.exists():
        return []
    return [record for _, record in read_records(path, _results_advice(out), check_record)]


def check_record(record: dict[str, Any]) -> str | None:
    """Say what is wrong with a results line (None for a good record): its key, protocol and accuracies."""
    if not (isinstance(record.get("key"), str) and "protocol" in record):
        return "is not a result record"
    for name in ("test_accuracy", "train_accuracy"):
        value = record.get(name)
        if value is not None and not (isinstance(value, (int, float)) and 0 <= value <= 1):
            return f"has {name} {value!r}, not a fraction in [0, 1]"
    return None


def result_store(out_dir: Path, protocol: Protocol) -> ResultStore:
    """Return the sweep's results file as the shared store (directories of earlier versions have no header)."""
    return ResultStore(
        out_dir / RESULTS,
        protocol.to_dict(),
        key=lambda r: r["key"],
        check=check_record,
        what="inductive-bias",
        headerless_ok=True,
    )


def claim_dir(out_dir: Path, protocol: Protocol) -> None:
    """Create ``out_dir`` for ``protocol`` or check that it already belongs to it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / MANIFEST
    if manifest.exists():
        try:
            stored = json.loads(manifest.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            stored = None
        if not isinstance(stored, dict):
            raise InputError(
                f"{manifest} is not a convac protocol file; use another --out directory, delete it, "
                "or run again with --restart to start over"
            )
        if stored != protocol.to_dict():
            diff = sorted(
                k for k in set(stored) | set(protocol.to_dict()) if stored.get(k) != protocol.to_dict().get(k)
            )
            # Directories written before the real digits became the default hold source "digits".
            hint = " (it holds the 8x8 digits: add --source digits)" if stored.get("source") == "digits" else ""
            if "protocol_version" not in stored and protocol.protocol_version != 1:
                hint = (
                    hint[:-1] + "; " if hint else " ("
                ) + "it was written before the init fix: add --protocol-version 1)"
            raise InputError(
                f"results directory {out_dir} holds a sweep with another configuration (differs in: "
                f"{', '.join(diff)}){hint}; use a new --out directory, the same settings, or --restart to discard them"
            )
    else:
        if (out_dir / RESULTS).exists():
            raise InputError(
                f"{out_dir} has results but no {MANIFEST}; refusing to mix them, use a new --out directory "
                "or --restart to discard them"
            )
        write_atomic(manifest, json.dumps(protocol.to_dict(), indent=1, sort_keys=True) + "\n")
    bad = [r["key"] for r in load_results(out_dir) if r.get("protocol") != protocol.fingerprint]
    if bad:
        raise InputError(
            f"{out_dir}/{RESULTS} holds {len(bad)} result(s) of another configuration; "
            "use a new --out directory or --restart to discard them"
        )


def clear_dir(out_dir: Path) -> None:
    """Delete what a sweep wrote in ``out_dir`` (``--restart``); other files are left alone."""
    for name in (RESULTS, MANIFEST, "table.md", "table.csv", "figure.png"):
        (out_dir / name).unlink(missing_ok=True)
    ckpt_dir = out_dir / "checkpoints"
    if ckpt_dir.is_dir():
        for path in [*ckpt_dir.glob("*.pt"), *ckpt_dir.glob("*.tmp")]:
            path.unlink()
