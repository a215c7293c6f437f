"""The three pieces of a sampled SR step that the tree's structure makes cheaper, each against its alternative.

Run from the repository root (not part of the test suite; about two minutes):

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_path_updates.py
    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_path_updates.py --quick   # unsymmetrised only
    PYTHONPATH=src python benchmarks/bench_path_updates.py --chunks 512   # the chunk size of batch_pass

On the step-cost ansatz of ``scripts/wavefunction_step_cost.py`` (TFIM 6x6, Gamma = 3, channels
16,32 with windows 3x3, 2x2, 3,232 signed parameters, seed 0, untrained), unsymmetrised with 1,024
samples and symmetrised over the 72 translations and spin flips with 128 samples:

- **draw**: exact samples by environments passed down the tree (``ExactSampler.draw``, one
  ``c x c`` product per node) against one path to the root per spin (the draw before,
  ``benchmarks/_exact_sampler_before.py``), on the same sampler and seed; the samples must be the
  same and their ``log p`` equal to rounding;
- **local energies**: ``Sampled.local_energies`` (every single-spin flip from
  ``convac.wavefunction._flips``) against evaluating every connected configuration in full
  with ``psi.log_psi`` (what it did before); the values must agree;
- **flips: paths -> backward pass**: every single-flip ``log psi`` from one backward pass
  (``flip_log_psi``'s default) against the path updates above (``route="paths"``);
- **terms + flips + Jacobian**: a step's ``log psi`` terms, flips and per-sample Jacobian from one
  forward and one backward pass (``BatchPass``) against the three separate routes it replaced
  (no-grad terms, path updates, the per-copy ``per_sample_jacobian``);
- **SR solve**: the minSR solve with real rows for a real ``psi`` against the rows it used before
  (real and imaginary parts stacked, the imaginary ones all zero), from the same samples.

``--chunks N``: instead, a step's one pass over ``N`` samples of the same ansatz symmetrised over
its space group and spin flip (576 images per sample), whole (``BatchPass``) against
``batch_pass`` in chunks of several sizes (``convac.wavefunction._one_pass.MAX_IMAGES`` is chosen
from this), on the threads torch starts with.

One cold call, then ``--repeats`` warm calls (min, median); the ratio is of the medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from convac.wavefunction import ConvACWaveFunction, ExactSampler, architecture_for, tfim
from convac.wavefunction._estimators import Estimate, Sampled
from convac.wavefunction._flips import flip_log_psi
from convac.wavefunction._one_pass import BatchPass, batch_pass
from convac.wavefunction._optimize import sr_direction

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _exact_sampler_before import draw_per_spin


def _time(call: Callable[[], Any], repeats: int) -> tuple[float, float, float, Any]:
    tic = time.perf_counter()
    out = call()
    cold = time.perf_counter() - tic
    warm = []
    for _ in range(repeats):
        tic = time.perf_counter()
        call()
        warm.append(time.perf_counter() - tic)
    return cold, min(warm), statistics.median(warm), out


def _row(piece: str, before: tuple[float, ...], after: tuple[float, ...], check: str) -> None:
    ratio = before[2] / after[2]
    print(
        f"| {piece} | {before[0]:.3f} / {before[1]:.3f} / {before[2]:.3f} | "
        f"{after[0]:.3f} / {after[1]:.3f} / {after[2]:.3f} | {ratio:.1f}x | {check} |",
        flush=True,
    )


def _full_local_energies(sampled: Sampled, sigma: torch.Tensor, log_psi: torch.Tensor) -> torch.Tensor:
    connected, elements = sampled.H.connected(sigma)
    off = elements[:, 1:]
    rows, cols = torch.nonzero(off, as_tuple=True)
    with torch.no_grad():
        log_other = sampled.psi.log_psi(connected[:, 1:][rows, cols])
    ratio = torch.exp(log_other - log_psi[rows]) * off[rows, cols]
    return elements[:, 0].to(log_psi.dtype).index_add(0, rows, ratio.to(log_psi.dtype))


def bench(symmetry: str, n_samples: int, repeats: int) -> None:
    """Time the three pieces on one ansatz and print one table row each."""
    arch = architecture_for((6, 6), [16, 32], windows=[(3, 3), (2, 2)])
    psi = ConvACWaveFunction(arch, weights="signed", seed=0, symmetry=symmetry)
    H = tfim((6, 6), field=3.0)
    sampler = ExactSampler(psi, n_chains=64, seed=0)
    print(f"\n{symmetry}, {n_samples} samples, {psi.n_params} parameters", flush=True)
    print("| piece | before cold / min / median s | now cold / min / median s | before/now | check |")
    print("|---|---:|---:|---:|---|")

    state = sampler.generator.get_state()
    before = _time(lambda: draw_per_spin(sampler, n_samples), repeats)
    sampler.generator.set_state(state)
    after = _time(lambda: sampler.draw(n_samples), repeats)
    (old_sigma, old_log_p), (new_sigma, new_log_p) = before[3], after[3]
    same = bool(torch.equal(old_sigma, new_sigma))
    _row("draw", before[:3], after[:3], f"same samples {same}, max |d log p| {(old_log_p - new_log_p).abs().max():.1e}")

    sigma, _ = sampler.sample(n_samples // 64)
    sampled = Sampled(psi, H, sampler)
    log_psi = psi.log_psi(sigma).detach()
    before = _time(lambda: _full_local_energies(sampled, sigma, log_psi), repeats)
    after = _time(lambda: sampled.local_energies(sigma, log_psi), repeats)
    gap = float((before[3] - after[3]).abs().max() / before[3].abs().max())
    _row("local energies", before[:3], after[:3], f"max relative difference {gap:.1e}")

    before = _time(lambda: flip_log_psi(psi, sigma, route="paths"), repeats)
    after = _time(lambda: flip_log_psi(psi, sigma), repeats)
    gap = float((torch.exp(after[3] - before[3]) - 1).abs().max())
    _row("flips: paths -> backward pass", before[:3], after[:3], f"max relative difference {gap:.1e}")

    def separate() -> torch.Tensor:
        with torch.no_grad():
            psi.log_psi_terms(sigma)
        flip_log_psi(psi, sigma, route="paths")
        return psi.per_sample_jacobian(sigma)

    def one_pass() -> torch.Tensor:
        one = BatchPass(psi, sigma)
        one.flip_log_psi()
        return one.jacobian()

    before = _time(separate, repeats)
    after = _time(one_pass, repeats)
    gap = float((before[3] - after[3]).abs().max() / before[3].abs().max())
    _row("terms + flips + Jacobian", before[:3], after[:3], f"Jacobian max relative difference {gap:.1e}")

    est = sampled.estimate(n_samples // 64, 0, with_sr=True)
    assert est.sr_x is not None and est.sr_e is not None
    x, e = est.sr_x, est.sr_e
    stacked = Estimate(0.0, 0.0, 0.0, est.gradient, sr_x=torch.cat([x, torch.zeros_like(x)]), sr_e=torch.cat([e, e]))
    before = _time(lambda: sr_direction(stacked, 1e-3), repeats)
    after = _time(lambda: sr_direction(est, 1e-3), repeats)
    gap = float((before[3] - after[3]).abs().max() / before[3].abs().max())
    rows = f"{x.shape[0]} rows, not {2 * x.shape[0]}"
    _row("SR solve", before[:3], after[:3], f"{rows}; max relative difference {gap:.1e}")


def bench_chunks(n_samples: int, repeats: int, sizes: tuple[int, ...] = (1024, 4096, 16384, 65536)) -> None:
    """Time the whole one pass against chunks of each size in ``sizes`` (group images)."""
    arch = architecture_for((6, 6), [16, 32], windows=[(3, 3), (2, 2)])
    psi = ConvACWaveFunction(arch, weights="signed", seed=0, symmetry="space_group_spin_flip")
    sigma, _ = ExactSampler(psi, n_chains=n_samples, seed=0).sample(1)
    group = psi.group_perms.shape[0]
    print(f"\nspace_group_spin_flip ({group} images a sample), {n_samples} samples, {torch.get_num_threads()} threads")
    print("| piece | whole cold / min / median s | chunked cold / min / median s | whole/chunked | check |")
    print("|---|---:|---:|---:|---|")

    def whole() -> torch.Tensor:
        one = BatchPass(psi, sigma)
        one.flip_log_psi()
        return one.jacobian()

    before = _time(whole, repeats)
    for size in sizes:
        after = _time(lambda size=size: batch_pass(psi, sigma, max_images=size).jacobian, repeats)
        gap = float((before[3] - after[3]).abs().max() / before[3].abs().max())
        _row(f"chunks of {size} images", before[:3], after[:3], f"Jacobian max relative difference {gap:.1e}")


def main() -> None:
    """Parse the flags and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="the unsymmetrised ansatz only")
    parser.add_argument("--chunks", type=int, default=0, metavar="N", help="time batch_pass's chunks on N samples")
    args = parser.parse_args()
    if args.chunks:
        bench_chunks(args.chunks, args.repeats)
        return
    torch.set_num_threads(1)
    bench("none", 1024, args.repeats)
    if not args.quick:
        bench("translation_spin_flip", 128, max(2, args.repeats // 2))


if __name__ == "__main__":
    main()
