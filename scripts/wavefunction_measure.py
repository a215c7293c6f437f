"""Measurement driver for docs/wavefunction: one VMC run per invocation, written under runs/.

Usage (run with ``nice -n 19`` and ``OMP_NUM_THREADS=1`` on a shared machine)::

    python scripts/wavefunction_measure.py NAME key=value ...

Keys are the fields of :class:`convac.wavefunction.WavefunctionRun` (tuples as ``4,8,8``, square
windows as ``windows=3x3,2x2``);
the run folder is ``runs/wavefunction/NAME`` (history.jsonl, checkpoint.pt, summary.json,
entanglement.png). A progress line is printed every 10 steps.
"""

from __future__ import annotations

import dataclasses
import sys
import time

from convac.wavefunction import WavefunctionRun, run


def _value(field: dataclasses.Field, text: str):  # type: ignore[type-arg]
    kind = str(field.type)
    if field.name == "windows":  # 3x3,2x2 -> ((3, 3), (2, 2)); 2,3 -> (2, 3) on a chain
        return tuple(tuple(int(v) for v in w.split("x")) if "x" in w else int(w) for w in text.split(","))
    if "tuple" in kind:
        return tuple(int(v) for v in text.split(",") if v)
    if "bool" in kind:
        return text.lower() in ("1", "true", "yes")
    if text == "None":
        return None
    if "int" in kind and "float" not in kind:
        return int(text)
    if "float" in kind:
        return float(text)
    return text


def parse_options(pairs: list[str]) -> dict:
    """``key=value`` strings -> WavefunctionRun fields."""
    fields = {f.name: f for f in dataclasses.fields(WavefunctionRun)}
    options = {}
    for pair in pairs:
        key, _, text = pair.partition("=")
        options[key] = _value(fields[key], text)
    return options


def main(argv: list[str]) -> None:
    """Parse ``NAME key=value ...`` and run one experiment."""
    name, *pairs = argv
    options = parse_options(pairs)
    config = WavefunctionRun(out=f"runs/wavefunction/{name}", **options)
    started = time.time()

    def log(step, record, psi):
        if step % 10 == 0:
            rel = record.get("relative_error")
            print(
                f"{step} {record['energy']:.10f} rel={rel} var={record['variance']:.3g} "
                f"acc={record['acceptance']} t={time.time() - started:.0f}s",
                flush=True,
            )

    summary = run(config, log=log)
    print({k: summary[k] for k in ("energy", "exact_energy", "relative_error", "n_params", "seconds")}, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
