import math

import numpy as np

import convac
from convac.data import image_patches, load_digits
from convac.experiments.digits import DigitsConfig, train_digits
from convac.experiments.tour import _section_training


def test_tour_reports_the_function_entanglement_of_every_class():
    lines: list[str] = []
    page: list[str] = []
    rows = _section_training(0, 1, lines.append, page)["entanglement"]
    model, _ = train_digits(DigitsConfig(epochs=1, seed=0), progress=False)
    model = model.double()
    images, _ = load_digits()
    gram = convac.feature_gram(model, image_patches(images, 3).double())
    measured = [r for r in rows if r[2] is not None]
    assert measured
    for name, log2, mean, top in measured:
        part = {"blocks(4)": convac.Partition.blocks(model.arch, 4)}.get(name) or getattr(convac.Partition, name)(
            model.arch
        )
        per_class = [e.entropy for e in convac.entanglement(model, part, output="all", feature_gram=gram)]
        assert np.isclose(mean, np.mean(per_class)) and np.isclose(top, max(per_class))
        # the function's Schmidt rank is bounded by the min-cut, so is its entropy
        assert 0 <= mean <= top <= log2 * math.log(2) + 1e-9
        basis = convac.entanglement(model, part, output=0).entropy
        assert not np.isclose(basis, per_class[0])
    assert any("function entanglement" in line for line in lines)
