"""Names and one-line descriptions of the ``convac verify`` suites, with no imports.

The command line lists them in its help; keeping them apart from
:mod:`convac.experiments.verify` (which needs numpy) keeps ``convac --help`` fast.
"""

__all__ = ["SUITE_DESCRIPTIONS"]

SUITE_DESCRIPTIONS: dict[str, str] = {
    "paper": "1D N=16, M=2, unshared; channels = 4 distinct values from {2,3,5,7,11,13} (360); "
    "balanced partitions (6435)",
    "2d": "2D 4x4 inputs, 2x2 pooling, M=2, unshared; channels (r0, r1) from {2,3,4,5,7} (25); "
    "balanced partitions (6435)",
    "shared": "as paper but with weights shared across positions (360 x 6435)",
    "shallow": "shallow ConvAC, N in {4,6,8}, M in {2,3}, Z in {1,2,3,5,7,16,40} (42); all bipartitions",
    "powers": "1D unshared, all bond dims powers of one integer: N=16 M=2 channels in {2,4,8,16}^4, "
    "N=8 M=3 in {3,9,27}^3, N=8 M=4 in {2,4,16}^3 (310); balanced partitions",
}
