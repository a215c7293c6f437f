"""The public API is pinned: names in ``__all__`` of convac and of each public subpackage, and no shadowing.

A change to a public name must change this file too, on purpose.
"""

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import convac

TOP_LEVEL = {
    "Analysis",
    "Architecture",
    "ArchitectureError",
    "ConvACTensorNetwork",
    "ConvacError",
    "ConvacTypeError",
    "CutEdge",
    "DataEntanglement",
    "DeepConvAC",
    "Design",
    "Entanglement",
    "FitResult",
    "InputError",
    "LayerSpec",
    "MinCut",
    "MissingDependencyError",
    "Partition",
    "PartitionError",
    "ReLUConvNet",
    "ShallowConvAC",
    "TooLargeError",
    "VerifyReport",
    "analyze",
    "analyze_module",
    "canonical_entanglement",
    "coefficient_tensor",
    "contract",
    "data_entanglement",
    "design",
    "design_schedule",
    "entanglement",
    "feature_gram",
    "fit",
    "generic_rank",
    "generic_ranks",
    "min_cut",
    "min_cut_lower_bound",
    "min_cut_values",
    "rearrange_features",
    "to_tensor_network",
    "verify",
    "wavefunction",
}

SUBPACKAGES = {
    "convac.wavefunction": {
        "ARMS",
        "ExactSampler",
        "SAMPLERS",
        "MAX_SPARSE_SITES",
        "MODELS",
        "OPTIMIZERS",
        "SYMMETRIES",
        "ConvACWaveFunction",
        "Estimate",
        "FullSum",
        "Hamiltonian",
        "MetropolisSampler",
        "PartitionEntanglement",
        "Sampled",
        "SampledEnergy",
        "VMCConfig",
        "VMCResult",
        "WavefunctionRun",
        "load_wavefunction",
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
    },
    "convac.datatensor": {
        "BISECTORS",
        "DATA_RANK_RTOL",
        "CanonicalProfile",
        "DataEntanglement",
        "Level",
        "LevelEntanglement",
        "affinity",
        "canonical_entanglement",
        "canonical_levels",
        "canonical_partitions",
        "data_entanglement",
        "design_profile",
        "plot_profiles",
        "rearrange_features",
    },
    "convac.schmidt": {
        "AUTO_DENSE_MAX_ENTRIES",
        "AUTO_SVD_MAX_CUT",
        "DEFAULT_RANK_RTOL",
        "METHODS",
        "SOLVERS",
        "Entanglement",
        "entanglement",
        "entanglement_tracker",
        "entropy",
        "feature_gram",
        "geometric_measure",
        "gram_root",
        "renyi_entropy",
        "schmidt_measures",
        "schmidt_rank",
        "schmidt_values",
    },
    "convac.ranks": {
        "DEFAULT_PRIME",
        "MAX_PRIME",
        "coefficient_tensor_mod",
        "generic_rank",
        "generic_ranks",
        "rank_mod",
        "schwartz_zippel_bound",
    },
    "convac.general": {
        "ConvNode",
        "ConvStep",
        "GeneralArchitecture",
        "GeneralMinCut",
        "Hyperedge",
        "TensorNetworkGraph",
        "coefficient_tensor",
        "coefficient_tensor_mod",
        "conv_matrices",
        "generic_rank",
        "min_cut",
        "random_weights",
        "tensor_network_graph",
    },
    "convac.spec": {
        "Architecture",
        "ConvStep",
        "GeneralArchitecture",
        "GraphArchitecture",
        "GraphNode",
        "LayerSpec",
        "to_architecture",
    },
    "convac.report": {
        "TourResult",
        "against_best",
        "merge_results",
        "paired_gaps",
        "per_seed",
        "run_tour",
        "summarize",
        "write_report",
    },
    "convac.fx": {"SUPPORTED_LAYERS", "analyze_module", "load_module_object", "module_architecture", "module_graph"},
    "convac.mincut": {
        "METHODS",
        "ConvNode",
        "CutEdge",
        "FunctionBound",
        "GeneralMinCut",
        "Hyperedge",
        "MinCut",
        "TensorNetworkGraph",
        "cut_weight",
        "function_bound",
        "min_cut",
        "min_cut_lower_bound",
        "min_cut_values",
        "tensor_network_graph",
    },
    "convac.tensornet": {
        "Bond",
        "ConvACTensorNetwork",
        "TNTensor",
        "coefficient_tensor",
        "contract",
        "to_tensor_network",
    },
}


def all_modules() -> list[str]:
    names = ["convac"]
    for info in pkgutil.walk_packages(convac.__path__, prefix="convac."):
        names.append(info.name)
    return names


def test_top_level_all_is_pinned():
    assert set(convac.__all__) == TOP_LEVEL
    for name in convac.__all__:
        assert getattr(convac, name) is not None


@pytest.mark.parametrize("package", sorted(SUBPACKAGES))
def test_subpackage_all_is_pinned(package):
    module = importlib.import_module(package)
    assert set(module.__all__) == SUBPACKAGES[package]
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name} is in __all__ but missing"


def test_every_public_module_has_an_explicit_all():
    for name in all_modules():
        if any(part.startswith("_") for part in name.split(".")) or name == "convac.cli":
            continue
        module = importlib.import_module(name)
        assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__ list"


def test_no_module_is_shadowed_by_an_attribute():
    # `import convac.x.y as m` must give the module, never a same-named function (scipy 1.4's lesson)
    for name in all_modules():
        module = importlib.import_module(name)
        parent_name, _, child = name.rpartition(".")
        if not parent_name:
            continue
        parent = importlib.import_module(parent_name)
        assert getattr(parent, child) is module, f"{parent_name}.{child} is not the module {name}"


def test_top_level_functions_resolve_to_their_defining_objects():
    from convac.channel_design import design
    from convac.schmidt import entanglement

    assert convac.design is design
    assert convac.entanglement is entanglement


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        convac.nonexistent  # noqa: B018


def test_import_convac_loads_no_submodule():
    # only the lazy loader itself
    code = (
        "import sys, convac; print(sorted(m for m in sys.modules if m.startswith('convac.') and m != 'convac._lazy'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_is_lazily_resolvable():
    assert set(convac.__all__) == set(convac._LAZY)


@pytest.mark.filterwarnings("ignore:convac.general:DeprecationWarning")  # it reads every old name too
def test_every_public_function_and_class_has_a_runnable_example():
    # The doctests run under --doctest-modules, so a '>>>' here is an example that is checked.
    missing = []
    for name in all_modules():
        if any(part.startswith("_") for part in name.split(".")) or name == "convac.cli":
            continue
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and ">>>" not in (inspect.getdoc(obj) or ""):
                missing.append(f"{name}.{attr}")
    assert not missing, f"public functions/classes without an Examples doctest: {sorted(set(missing))}"
