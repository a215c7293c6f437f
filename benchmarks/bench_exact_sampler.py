"""Exact tree sampling against Metropolis: seconds per batch of samples, and cost per unit of precision.

Run from the repository root (not part of the test suite; about a minute per lattice):

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_exact_sampler.py            # 4x4 and 6x6
    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_exact_sampler.py --quick    # 4x4 only

Both samplers feed the same VMC step: ``n_chains * n_per_chain`` samples (64 x 16 = 1,024, the
optimiser's defaults), Metropolis with ``n_discard = 2`` sweeps after chains already burnt in (as
between VMC steps), the exact sampler drawing that many independent samples down the tree. Timed:
one cold call, then ``--repeats`` warm calls (min, median). Because Metropolis samples are
correlated, seconds alone understate its cost: each repeat also estimates the TFIM energy
(Gamma = 3, PBC) with its error bar, and ``seconds x error^2`` (the cost of a given precision,
since the error falls as 1/sqrt(samples)) is compared too; the error bars are the chain means'
standard error for both, averaged over the repeats as a variance. The ansatz is the unsymmetrised
one of ``scripts/wavefunction_step_cost.py`` (signed weights, seed 0, untrained).

``--symmetrised`` compares the samplers on the symmetrised 4x4 ansatz of the TFIM goal run
(channels 8,16, translations and spin flip, G = 32, signed, seed 0): Metropolis evaluates the group
sum at every proposal, the exact sampler draws from the tree and a random group element and
weights each sample by ``psi_sym^2 / sum_g T(g sigma)^2``. Here the whole energy estimate is timed
(sampling, the weights and the local energies, which cost the same ``G (N + 1)`` network calls per
sample for both), and the error bars are the estimator's own: chain means for Metropolis, the
self-normalised weighted one for the exact sampler. Besides the untrained ansatz (``--trained
CHECKPOINT`` loads parameters, e.g. the goal run's), the effective sample size is printed.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_exact_sampler.py --symmetrised
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from convac.wavefunction import (
    ConvACWaveFunction,
    ExactSampler,
    MetropolisSampler,
    Sampled,
    architecture_for,
    tfim,
)

LATTICES = {
    (4, 4): dict(channels=[8, 16], windows=None),
    (6, 6): dict(channels=[16, 32], windows=[(3, 3), (2, 2)]),
}


def _timed_sampling(estimator: Sampled, per_chain: int, chains: int) -> tuple[float, float, float, float]:
    """One batch of samples, timed alone: (seconds, chain-mean variance of the energy, energy, samples)."""
    tic = time.perf_counter()
    estimator.sampler.refresh()
    sigma, _ = estimator.sampler.sample(per_chain, 2)
    seconds = time.perf_counter() - tic
    with torch.no_grad():
        local = estimator.local_energies(sigma, estimator.psi.log_psi(sigma)).real
    means = local.view(per_chain, chains).mean(0)
    return seconds, float(means.var() / chains), float(local.mean()), float(sigma.shape[0])


def _timed_estimate(estimator: Sampled, per_chain: int, chains: int) -> tuple[float, float, float, float]:
    """One whole energy estimate, timed: (seconds, the estimator's error squared, energy, effective samples)."""
    tic = time.perf_counter()
    est = estimator.estimate(per_chain, 2)
    seconds = time.perf_counter() - tic
    return seconds, est.error**2, est.energy, est.effective_samples or float(chains * per_chain)


def compare(
    psi: ConvACWaveFunction, shape: tuple[int, int], repeats: int, chains: int, per_chain: int, whole: bool
) -> dict[str, float]:
    """Time both samplers on ``psi`` (TFIM Gamma = 3 on ``shape``): sampling alone, or ``whole`` estimates."""
    H = tfim(shape, field=3.0)
    measure = _timed_estimate if whole else _timed_sampling
    row: dict[str, float] = {"n_params": psi.n_params}
    for name, sampler in (
        ("metropolis", MetropolisSampler(psi, chains, seed=0)),
        ("exact", ExactSampler(psi, chains, seed=0)),
    ):
        estimator = Sampled(psi, H, sampler)
        if name == "metropolis":
            sampler.sample(1, n_discard=50)  # burn in, as the chains are between VMC steps
        row[f"{name}_cold"] = measure(estimator, per_chain, chains)[0]
        times, variances, energies, effective = zip(
            *(measure(estimator, per_chain, chains) for _ in range(repeats)), strict=True
        )
        row[f"{name}_min"], row[f"{name}_median"] = min(times), statistics.median(times)
        row[f"{name}_error"] = statistics.fmean(variances) ** 0.5
        row[f"{name}_cost"] = row[f"{name}_median"] * statistics.fmean(variances)
        row[f"{name}_energy"] = statistics.fmean(energies)
        row[f"{name}_ess"] = statistics.fmean(effective)
    return row


def bench(shape: tuple[int, int], repeats: int, chains: int, per_chain: int) -> dict[str, float]:
    """Time both samplers' sampling on one lattice's unsymmetrised ansatz; return the row's numbers."""
    spec = LATTICES[shape]
    arch = architecture_for(shape, spec["channels"], windows=spec["windows"])
    return compare(ConvACWaveFunction(arch, weights="signed", seed=0), shape, repeats, chains, per_chain, False)


def bench_symmetrised(repeats: int, chains: int, per_chain: int, trained: str | None) -> dict[str, float]:
    """Time one energy estimate per sampler on the symmetrised 4x4 ansatz; return the row's numbers."""
    arch = architecture_for((4, 4), [8, 16])
    psi = ConvACWaveFunction(arch, weights="signed", symmetry="translation_spin_flip", seed=0)
    if trained is not None:
        psi.load_state_dict(torch.load(trained, weights_only=False)["psi"])
    return compare(psi, (4, 4), repeats, chains, per_chain, True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4x4 only")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chains", type=int, default=64)
    parser.add_argument("--per-chain", type=int, default=16)
    parser.add_argument("--symmetrised", action="store_true", help="the symmetrised 4x4 ansatz only")
    parser.add_argument("--trained", help="with --symmetrised: a checkpoint.pt whose 'psi' parameters to load")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.symmetrised:
        r = bench_symmetrised(args.repeats, args.chains, args.per_chain, args.trained)
        print(f"{args.chains} x {args.per_chain} samples per estimate, {args.repeats} warm repeats, one thread")
        print("| ansatz | params | Metropolis cold / min / median s | exact cold / min / median s | "
              "Metropolis/exact (median) | energy M / exact | error bar M / exact | effective samples (exact) | "
              "seconds x error^2, M/exact |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| 4x4 symmetrised (G = 32){' trained' if args.trained else ''} | {r['n_params']:,} | "
            f"{r['metropolis_cold']:.3f} / {r['metropolis_min']:.3f} / {r['metropolis_median']:.3f} | "
            f"{r['exact_cold']:.3f} / {r['exact_min']:.3f} / {r['exact_median']:.3f} | "
            f"{r['metropolis_median'] / r['exact_median']:.1f}x | "
            f"{r['metropolis_energy']:.3f} / {r['exact_energy']:.3f} | "
            f"{r['metropolis_error']:.4f} / {r['exact_error']:.4f} | {r['exact_ess']:.0f} | "
            f"{r['metropolis_cost'] / r['exact_cost']:.1f}x |"
        )
        return
    print(f"{args.chains} x {args.per_chain} samples per call, {args.repeats} warm repeats, one thread")
    print("| lattice | params | Metropolis cold / min / median s | exact cold / min / median s | "
          "Metropolis/exact (median) | error bar M / exact | seconds x error^2, M/exact |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for shape in [(4, 4)] if args.quick else list(LATTICES):
        r = bench(shape, args.repeats, args.chains, args.per_chain)
        print(
            f"| {shape[0]}x{shape[1]} | {r['n_params']:,} | "
            f"{r['metropolis_cold']:.3f} / {r['metropolis_min']:.3f} / {r['metropolis_median']:.3f} | "
            f"{r['exact_cold']:.3f} / {r['exact_min']:.3f} / {r['exact_median']:.3f} | "
            f"{r['metropolis_median'] / r['exact_median']:.1f}x | "
            f"{r['metropolis_error']:.4f} / {r['exact_error']:.4f} | {r['metropolis_cost'] / r['exact_cost']:.1f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
