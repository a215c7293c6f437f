"""ConvACs as variational wave functions: Hamiltonians, exact references, the ansatz, VMC, design.

A ConvAC on one-hot spins (``M = 2``) has its coefficient tensor as amplitude table, so it is a
many-body wave function whose entanglement across any partition is bounded by
:func:`convac.min_cut`. This package builds spin Hamiltonians (:func:`tfim`, :func:`heisenberg`,
:func:`j1j2`), exact references (:func:`ground_state`, :func:`state_entanglement`), the ansatz
(:class:`ConvACWaveFunction`), its optimisation (:func:`optimize`: full sums, Metropolis or exact
samples drawn down the tree, Adam or stochastic reconfiguration), and the comparison of its entanglement with the exact
state's and with the min-cut bound.

Examples
--------
>>> import convac
>>> from convac.wavefunction import ConvACWaveFunction, ground_state, optimize, tfim
>>> H = tfim((8,), field=1.0)
>>> e0, _ = ground_state(H)
>>> psi = ConvACWaveFunction(convac.Architecture.deep_1d(n_inputs=8, n_features=2, channels=[4, 4, 2]), seed=0)
>>> result = optimize(psi, H, full_sum=True, optimizer="sr", steps=40, lr=0.1, seed=0, threads=1)
>>> e0 <= result.energy < 0.98 * e0
True
"""

from convac.wavefunction._ansatz import ConvACWaveFunction
from convac.wavefunction._design import (
    ARMS,
    architecture_for,
    canonical_profile,
    compare_designs,
    design_from_state,
    entanglement_profile,
    equal_arms,
    equal_param_channels,
    truncation_rank,
)
from convac.wavefunction._entanglement import (
    PartitionEntanglement,
    entanglement_figure,
    entanglement_report,
    standard_partitions,
)
from convac.wavefunction._estimators import Estimate, FullSum, Sampled, SampledEnergy, sampled_energy
from convac.wavefunction._exact import ground_state, state_entanglement, state_schmidt_values
from convac.wavefunction._exact_sampler import ExactSampler
from convac.wavefunction._hamiltonian import MAX_SPARSE_SITES, Hamiltonian, heisenberg, j1j2, sector_basis, tfim
from convac.wavefunction._optimize import OPTIMIZERS, SAMPLERS, VMCConfig, VMCResult, optimize, sr_direction
from convac.wavefunction._run import MODELS, WavefunctionRun, build_hamiltonian, load_wavefunction, run
from convac.wavefunction._sampler import MetropolisSampler
from convac.wavefunction._symmetry import SYMMETRIES

__all__ = [
    "ARMS",
    "MAX_SPARSE_SITES",
    "MODELS",
    "OPTIMIZERS",
    "SAMPLERS",
    "SYMMETRIES",
    "ConvACWaveFunction",
    "Estimate",
    "ExactSampler",
    "FullSum",
    "Hamiltonian",
    "MetropolisSampler",
    "PartitionEntanglement",
    "Sampled",
    "SampledEnergy",
    "VMCConfig",
    "VMCResult",
    "WavefunctionRun",
    "architecture_for",
    "build_hamiltonian",
    "canonical_profile",
    "compare_designs",
    "design_from_state",
    "entanglement_figure",
    "entanglement_profile",
    "entanglement_report",
    "equal_arms",
    "equal_param_channels",
    "ground_state",
    "heisenberg",
    "j1j2",
    "load_wavefunction",
    "optimize",
    "run",
    "sampled_energy",
    "sector_basis",
    "sr_direction",
    "standard_partitions",
    "state_entanglement",
    "state_schmidt_values",
    "tfim",
    "truncation_rank",
]
