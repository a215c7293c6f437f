"""One function-entanglement cell: train a ConvAC, measuring its entanglement per probe every epoch."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from convac.experiments.function_entanglement.config import FunctionEntanglementConfig, _cell_key, probes
from convac.partitions import Partition

__all__ = []


def _run_cell(
    config: FunctionEntanglementConfig, task: str, schedule: str, seed: int, progress: bool
) -> dict[str, Any]:
    import convac
    from convac.data.tasks import make_task
    from convac.mincut import min_cut
    from convac.models.digit_nets import build_family_model
    from convac.schmidt import entanglement_tracker
    from convac.spec._paper import parse_schedule

    start = time.perf_counter()
    train, test = make_task(task, config.n_train, config.n_test, seed=seed, canvas=config.image_size)
    channels = parse_schedule(schedule).channels(config.r)
    model = build_family_model(
        "convac", channels, seed=seed, image_size=config.image_size, convac_weights=config.weights
    )
    gram_images = train.images(torch.arange(min(len(train), config.n_gram)))
    init = getattr(model, "initialize_from", None)
    if callable(init):
        init(gram_images, seed=seed)
    arch = config.architecture(schedule)
    named = dict(probes(arch, config.max_cut))
    every_epoch = {k: v for k, v in named.items() if k in config.tracked_probes} or named
    track = entanglement_tracker(every_epoch, gram_images, max_cut=config.max_cut)
    profile = entanglement_tracker(named, gram_images, max_cut=config.max_cut)
    with torch.no_grad():
        initial = profile(model)
        initial_ink = _profile_with_gram(model, named, _ink_gram(model, gram_images), config.max_cut)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        result = convac.fit(
            model,
            train,
            test,
            epochs=config.epochs,
            lr=config.lr,
            batch_size=config.batch_size,
            seed=seed,
            progress=progress,
            track=track,
        )
    with torch.no_grad():
        final = profile(model)
        final_ink = _profile_with_gram(model, named, _ink_gram(model, gram_images), config.max_cut)
        coefficient = entanglement_tracker(named, None, max_cut=config.max_cut)(model)
    cuts = {name: min_cut(arch, p).value for name, p in named.items()}
    return {
        "key": _cell_key(task, schedule, config.r, seed),
        "task": task,
        "schedule": parse_schedule(schedule).name,
        "weights": config.weights,
        "r": config.r,
        "seed": seed,
        "channels": channels,
        "probes": list(named),
        "min_cut": cuts,
        "history": result.history,
        "tracked": result.tracked,
        "initial": initial,
        "final": final,
        "initial_ink": initial_ink,
        "final_ink": final_ink,
        "coefficient": coefficient,
        "test_accuracy": result.test_accuracy,
        "train_accuracy": result.train_accuracy,
        "seconds": time.perf_counter() - start,
    }


def _ink_gram(model: Any, images: torch.Tensor) -> np.ndarray:
    """Return the feature Gram over the patches that touch the digit (any non-zero pixel) only.

    The canvases are mostly blank, so the patch marginal is nearly a point mass on the blank patch
    (its Gram is rank one to about 2 %), and in ``L²`` of that measure almost every function is
    close to a product. This second measure asks the same question about the part of patch space
    where the digits live.
    """
    from convac.data.patches import image_patches

    feats = model.features(images).detach().to(torch.float64)
    ink = image_patches(images, 3).abs().sum(dim=-1) > 0
    f = feats[ink]
    return (f.T @ f / max(len(f), 1)).numpy()


def _profile_with_gram(model: Any, named: dict[str, Partition], gram: np.ndarray, max_cut: int) -> dict[str, float]:
    from convac.schmidt import entanglement

    record: dict[str, float] = {}
    for key, part in named.items():
        for ent in entanglement(model, part, "all", feature_gram=gram, max_cut=max_cut):
            record[f"{key}/y{ent.output}"] = ent.entropy
    return record
