"""What trained ConvACs use: function entanglement per length scale against the min-cut, through training.

For every cell (task x schedule x seed) a 2D ConvAC of the inductive-bias experiment's geometry
(64x64 canvases, 3x3 patches, M = 10 Gaussian features, six 2x2 pooling layers) is trained with
:func:`convac.fit` on the local or global task, and after every epoch (and before the first) the
entanglement of its ten score *functions* is measured on the network path across a set of probe
partitions, with the feature Gram of the current representation on ``n_gram`` training images
(docs/theory.md §8). After training the coefficient tensor's entanglement is measured on the
same probes, for comparison.

Probes. The length-scale partitions of :func:`convac.analysis._scales.scales` that the network
path can do at 64x64 (min-cut up to ``max_cut``; the checkerboard and blocks 2-8 have min-cuts of
``2^32`` and more and are refused with :class:`~convac.errors.TooLargeError`), plus one short-range
family it can always do: a single ``w x w`` block (aligned with the pooling tree, top-left corner at
the canvas centre) against the rest, ``w = 2 .. 32``, whose min-cut is the width of the layer where
the block's subtree closes.

On disk (``out_dir``): ``config.json``, ``results.jsonl`` (one line per finished cell; a rerun
skips them), ``table.md``, ``profile.png``, ``training.png``, ``accuracy.png``.

>>> cfg = FunctionEntanglementConfig(tasks=("local",), schedules=("wide_base",), seeds=(0,))
>>> [p for p, _ in probes(cfg.architecture("wide_base"))][:3]
['block(2)', 'block(4)', 'block(8)']
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from convac.errors import ConvacError
from convac.partitions import Partition
from convac.spec import Architecture

__all__ = [
    "FunctionEntanglementConfig",
    "probes",
    "run_digits_tracking",
    "run_function_entanglement",
    "summarize_cells",
    "write_function_entanglement_report",
]

RESULTS = "results.jsonl"
CONFIG = "config.json"


@dataclass(frozen=True)
class FunctionEntanglementConfig:
    """The runs: every task x schedule x seed at width ``r``, and how they are trained and probed.

    Examples
    --------
    >>> cfg = FunctionEntanglementConfig(tasks=("local",), schedules=("wide_base", "wide_tip"), r=1)
    >>> arch = cfg.architecture("wide_tip")
    >>> arch.grid, arch.channels
    ((64, 64), (1, 1, 2, 2, 4, 4))
    >>> FunctionEntanglementConfig(epochs=0)
    Traceback (most recent call last):
        ...
    convac.errors.ConvacError: epochs must be a positive integer, got 0
    """

    tasks: tuple[str, ...] = ("local", "global")
    schedules: tuple[str, ...] = ("wide_base", "wide_tip")
    seeds: tuple[int, ...] = (0, 1)
    r: int = 2
    n_train: int = 2000
    n_test: int = 500
    epochs: int = 5
    lr: float = 3e-3
    batch_size: int = 16
    n_gram: int = 256
    max_cut: int = 1024
    # Measured after every epoch; the full probe profile is measured before and after training only
    # (a 64x64 probe costs about a second, see benchmarks/bench_function_profile.py).
    tracked_probes: tuple[str, ...] = ("block(4)", "block(16)", "left_right")
    # Positive 64x64 ConvACs stay at chance on these tasks (their top vector collapses onto one
    # input-independent direction); signed ones train through the normalised logits.
    weights: str = "signed"
    image_size: int = 64

    def __post_init__(self) -> None:
        from convac.data.tasks import TASKS
        from convac.spec._paper import parse_schedule

        for task in self.tasks:
            if task not in TASKS:
                raise ConvacError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
        for s in self.schedules:
            parse_schedule(s)
        for name in ("r", "n_train", "n_test", "epochs", "batch_size", "n_gram", "max_cut", "image_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConvacError(f"{name} must be a positive integer, got {value!r}")
        if not self.tasks or not self.schedules or not self.seeds:
            raise ConvacError("the experiment needs at least one task, schedule and seed")
        if self.weights not in ("positive", "signed", "neutral"):
            raise ConvacError(f"weights must be 'positive', 'signed' or 'neutral', got {self.weights!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConvacError(f"lr must be a positive number, got {self.lr!r}")

    def architecture(self, schedule: str) -> Architecture:
        """Return the ConvAC architecture of ``schedule`` at width ``r``."""
        from convac.spec._paper import parse_schedule

        channels = parse_schedule(schedule).channels(self.r)
        n = self.image_size
        return Architecture.deep_2d(n, n, n_features=10, channels=channels, n_outputs=10, shared=True)


def probes(arch: Architecture, max_cut: int = 1024) -> list[tuple[str, Partition]]:
    """Return the probe partitions of a 2D architecture whose min-cut is at most ``max_cut``, short range first.

    ``block(w)``: one ``w x w`` block (top-left at the grid centre) against the rest; then the
    length-scale partitions (checkerboard, blocks(w), left_right, up_down) that fit.

    Examples
    --------
    >>> from convac.mincut import min_cut
    >>> arch = FunctionEntanglementConfig(r=1).architecture("wide_base")
    >>> found = probes(arch, max_cut=2)
    >>> [name for name, _ in found]
    ['block(4)', 'block(8)', 'block(16)', 'block(32)', 'blocks(16)', 'blocks(32)', 'left_right', 'up_down']
    >>> all(min_cut(arch, p).value <= 2 for _, p in found)
    True
    """
    from convac.analysis._scales import scales
    from convac.mincut import min_cut

    h, w = arch.grid
    out: list[tuple[str, Partition]] = []
    width = 2
    while width <= min(h, w) // 2:
        mask = np.zeros((h, w), dtype=bool)
        mask[h // 2 : h // 2 + width, w // 2 : w // 2 + width] = True
        out.append((f"block({width})", Partition.from_mask(mask.ravel(), grid=(h, w))))
        width *= 2
    out.extend((s.label, s.partition(arch)) for s in scales(arch))
    return [(name, p) for name, p in out if min_cut(arch, p).value <= max_cut]


def _cell_key(task: str, schedule: str, r: int, seed: int) -> str:
    return f"{task}|{schedule}|r={r}|seed={seed}"


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


def _load(out: Path) -> list[dict[str, Any]]:
    path = out / RESULTS
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            records.append(json.loads(line))
    return records


def run_function_entanglement(
    config: FunctionEntanglementConfig,
    out_dir: str | Path,
    progress: bool = True,
    on_cell: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every cell not yet in ``out_dir/results.jsonl`` (one CPU thread each), then write the report.

    Returns all records of the directory. A directory written under another configuration is refused.

    Examples
    --------
    >>> import tempfile
    >>> cfg = FunctionEntanglementConfig(tasks=("local",), schedules=("wide_base",), seeds=(0,), r=1,
    ...                                  n_train=8, n_test=8, epochs=1, n_gram=4, batch_size=8, max_cut=2,
    ...                                  tracked_probes=("block(4)",))
    >>> with tempfile.TemporaryDirectory() as out:
    ...     _ = open(f"{out}/config.json", "w").write('{"r": 3}')
    ...     run_function_entanglement(cfg, out, progress=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    convac.errors.ConvacError: ... holds results of another configuration; use a new directory

    Even this tiny cell trains and probes a 64x64 ConvAC (about 20 s on 2 CPU cores), so it is skipped:

    >>> with tempfile.TemporaryDirectory() as out:  # doctest: +SKIP
    ...     (rec,) = run_function_entanglement(cfg, out, progress=False)
    >>> rec["key"], len(rec["history"]), rec["min_cut"]["left_right"]  # doctest: +SKIP
    ('local|wide_base|r=1|seed=0', 1, 1)
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / CONFIG
    settings = asdict(config)
    if manifest.exists():
        if json.loads(manifest.read_text()) != json.loads(json.dumps(settings)):
            raise ConvacError(f"{out} holds results of another configuration; use a new directory")
    else:
        manifest.write_text(json.dumps(settings, indent=1))
    done = {rec["key"] for rec in _load(out)}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for seed in config.seeds:
            for task in config.tasks:
                for schedule in config.schedules:
                    from convac.spec._paper import parse_schedule

                    key = _cell_key(task, parse_schedule(schedule).name, config.r, seed)
                    if key in done:
                        continue
                    record = _run_cell(config, task, schedule, seed, progress)
                    with (out / RESULTS).open("a") as fh:
                        fh.write(json.dumps(record) + "\n")
                    if on_cell is not None:
                        on_cell(record)
    finally:
        torch.set_num_threads(threads)
    records = _load(out)
    write_function_entanglement_report(records, out)
    return records


def run_digits_tracking(
    out_dir: str | Path, seeds: tuple[int, ...] = (0, 1), epochs: int = 20, progress: bool = True
) -> list[dict[str, Any]]:
    """Run the same measurements on a ConvAC that learns.

    The ConvAC is ``convac train``'s deep 2D ConvAC on the bundled 8x8 digits
    (:class:`~convac.experiments.digits.DigitsConfig` defaults, ``epochs`` and each seed), with
    the feature Gram of its training patches, every probe after every epoch; records appended to
    ``out_dir/results.jsonl`` as each seed finishes (a rerun skips them) and the same report.

    Examples
    --------
    One epoch of one seed takes minutes on 2 CPU cores, so the call is skipped here:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as out:  # doctest: +SKIP
    ...     (rec,) = run_digits_tracking(out, seeds=(0,), epochs=1, progress=False)
    >>> rec["key"], rec["probes"]  # doctest: +SKIP
    ('digits|32-32-32|epochs=1|seed=0', ['block(2)', 'block(4)', 'blocks(4)', 'left_right', 'up_down'])
    """
    import convac
    from convac.data import image_patches, load_digits, split_digits
    from convac.experiments.digits import DigitsConfig, train_digits
    from convac.mincut import min_cut
    from convac.schmidt import entanglement_tracker

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    done = {rec["key"]: rec for rec in _load(out)}
    records = []
    try:
        for seed in seeds:
            config = DigitsConfig(seed=seed, epochs=epochs)
            key = f"digits|{'-'.join(map(str, config.channels))}|epochs={epochs}|seed={seed}"
            if key in done:
                records.append(done[key])
                continue
            images, _ = load_digits()
            train_idx, _ = split_digits(config.test_fraction, seed=seed)
            patches = image_patches(images, config.patch_size)[train_idx]
            arch = convac.Architecture.deep_2d(8, 8, config.n_features, list(config.channels), n_outputs=10)
            named = dict(probes(arch, DEFAULT_DIGITS_MAX_CUT))
            start = time.perf_counter()
            model, result = train_digits(config, progress=progress, track=entanglement_tracker(named, patches))
            records.append(
                {
                    "key": key,
                    "task": "digits",
                    "schedule": "-".join(map(str, config.channels)),
                    "r": 0,
                    "seed": seed,
                    "channels": list(config.channels),
                    "probes": list(named),
                    "min_cut": {name: min_cut(arch, p).value for name, p in named.items()},
                    "history": result.history,
                    "tracked": result.tracked,
                    "coefficient": entanglement_tracker(named, None)(model),
                    "test_accuracy": result.test_accuracy,
                    "train_accuracy": result.train_accuracy,
                    "seconds": time.perf_counter() - start,
                }
            )
            with (out / RESULTS).open("a") as fh:
                fh.write(json.dumps(records[-1]) + "\n")
    finally:
        torch.set_num_threads(threads)
    write_function_entanglement_report(records, out)
    return records


DEFAULT_DIGITS_MAX_CUT = 4096


# ---------------------------------------------------------------------------- report
def _mean_entropy(values: dict[str, float], probe: str) -> tuple[float, float]:
    """Mean and max over classes of the entropies ``probe/y*`` in one tracked record (NaN if not measured)."""
    ents = [v for k, v in values.items() if k.startswith(probe + "/y")]
    return (float(np.mean(ents)), float(np.max(ents))) if ents else (math.nan, math.nan)


def _corr(a: list[float], b: list[float]) -> float:
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return math.nan
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))  # Spearman: Pearson of the ranks
    return float(np.corrcoef(ra, rb)[0, 1])


def summarize_cells(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Summarise the records: one row per (task, schedule, probe).

    Each row holds the mean over seeds of the final function entropy (mean and max over classes), the
    coefficient-tensor entropy, ``ln`` of the min-cut, the accuracy, and the Spearman correlation over epochs
    (0..E, loss of epoch 0 excluded) between the mean entropy and the training loss.

    >>> rec = {"task": "local", "schedule": "wide_base", "seed": 0, "probes": ["left_right"],
    ...        "min_cut": {"left_right": 2}, "test_accuracy": 0.5,
    ...        "history": [{"loss": 2.0}, {"loss": 1.5}, {"loss": 1.0}],
    ...        "tracked": [{"left_right/y0": 0.0}, {"left_right/y0": 0.1}, {"left_right/y0": 0.2},
    ...                    {"left_right/y0": 0.3}], "coefficient": {"left_right/y0": 0.6}}
    >>> row = summarize_cells([rec])[0]
    >>> round(row["function"], 3), round(row["capacity"], 3), row["corr_loss"]
    (0.3, 0.693, -1.0)
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rec in records:
        for probe in rec["probes"]:
            groups.setdefault((rec["task"], rec["schedule"], probe), []).append(rec)
    rows = []
    for (task, schedule, probe), recs in groups.items():
        final = [_mean_entropy(r.get("final", r["tracked"][-1]), probe) for r in recs]
        initial = [_mean_entropy(r.get("initial", r["tracked"][0]), probe)[0] for r in recs]
        coeff = [_mean_entropy(r["coefficient"], probe)[0] for r in recs]
        ink = [_mean_entropy(r["final_ink"], probe) for r in recs if "final_ink" in r]
        ink0 = [_mean_entropy(r["initial_ink"], probe)[0] for r in recs if "initial_ink" in r]
        corrs = [
            _corr([_mean_entropy(t, probe)[0] for t in r["tracked"][1:]], [h["loss"] for h in r["history"]])
            for r in recs
            if f"{probe}/y0" in r["tracked"][-1]
        ]
        finite = [c for c in corrs if math.isfinite(c)]
        rows.append(
            {
                "task": task,
                "schedule": schedule,
                "probe": probe,
                "n_seeds": len(recs),
                "capacity": math.log(recs[0]["min_cut"][probe]),
                "initial": float(np.mean(initial)),
                "function": float(np.mean([f[0] for f in final])),
                "function_max": float(np.mean([f[1] for f in final])),
                "coefficient": float(np.mean(coeff)),
                "initial_ink": float(np.mean(ink0)) if ink0 else math.nan,
                "function_ink": float(np.mean([f[0] for f in ink])) if ink else math.nan,
                "function_ink_max": float(np.mean([f[1] for f in ink])) if ink else math.nan,
                "test_accuracy": float(np.mean([r["test_accuracy"] for r in recs])),
                "corr_loss": float(np.mean(finite)) if finite else math.nan,
            }
        )
    return rows


def _markdown(rows: list[dict[str, Any]], records: list[dict[str, Any]]) -> str:
    seeds = sorted({r["seed"] for r in records})
    lines = [
        f"Seeds {seeds}; entropies in nats, mean over the seeds run (their number in brackets); "
        "function entropies are the mean / max over the 10 classes.",
        "",
        "| task | schedule | test acc. (seeds) | probe | ln min-cut "
        "| function, data measure: init -> trained (mean / max) "
        "| function, digit-patch measure: init -> trained (mean / max) | coefficient tensor, trained "
        "| Spearman(entropy, loss) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ink = (
            f"{row['initial_ink']:.4f} -> {row['function_ink']:.4f} / {row['function_ink_max']:.4f}"
            if math.isfinite(row["function_ink"])
            else "-"
        )
        lines.append(
            f"| {row['task']} | {row['schedule']} | {row['test_accuracy']:.3f} ({row['n_seeds']}) | {row['probe']} | "
            f"{row['capacity']:.2f} | {row['initial']:.4f} -> {row['function']:.4f} / {row['function_max']:.4f} "
            f"| {ink} | {row['coefficient']:.4f} | {row['corr_loss']:+.2f} |"
        )
    return "\n".join(lines) + "\n"


def write_function_entanglement_report(records: list[dict[str, Any]], out_dir: str | Path) -> dict[str, Path]:
    """Write the report of the records.

    ``table.md``, ``profile.png`` (entropy per probe vs ln min-cut), ``training.png`` (entropy and loss per
    epoch) and ``accuracy.png`` (long-range entropy vs test accuracy).

    Examples
    --------
    A record as :func:`run_function_entanglement` writes it (entropies per ``probe/y<class>``):

    >>> import tempfile
    >>> names = ["block(4)", "left_right"]
    >>> def ent(scale):
    ...     return {f"{p}/y{k}": scale * (i + 1) for i, p in enumerate(names) for k in range(10)}
    >>> rec = {"key": "local|wide_base|r=1|seed=0", "task": "local", "schedule": "wide_base", "r": 1,
    ...        "seed": 0, "probes": names, "min_cut": {"block(4)": 2, "left_right": 1},
    ...        "history": [{"epoch": 1, "loss": 2.0, "train_accuracy": 0.5, "test_accuracy": 0.5}],
    ...        "tracked": [{"epoch": e, **ent(0.1 * (e + 1))} for e in range(2)],
    ...        "initial": ent(0.1), "final": ent(0.2), "initial_ink": ent(0.01), "final_ink": ent(0.02),
    ...        "coefficient": ent(0.3), "test_accuracy": 0.5, "train_accuracy": 0.5}
    >>> with tempfile.TemporaryDirectory() as out:
    ...     files = write_function_entanglement_report([rec], out)
    ...     table = files["table"].read_text()
    ...     written = all(path.exists() for path in files.values())
    >>> sorted(files), written
    (['accuracy', 'classes', 'profile', 'table', 'training'], True)
    >>> "| local | wide_base | 0.500 (1) | left_right | 0.00 | 0.2000 -> 0.4000 / 0.4000 |" in table
    True
    """
    out = Path(out_dir)
    files: dict[str, Path] = {}
    if not records:
        return files
    rows = summarize_cells(records)
    files["table"] = out / "table.md"
    files["table"].write_text(_markdown(rows, records))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = ["local", "global"]
    tasks = sorted({r["task"] for r in records}, key=lambda k: (order.index(k) if k in order else len(order), k))
    schedules = sorted({r["schedule"] for r in records})
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    colors = {s: palette[i % len(palette)] for i, s in enumerate(schedules)}
    # One x position per probe name across schedules (wide-tip lacks blocks(16) at r = 2, for instance).
    axis = max((r["probes"] for r in records), key=len)
    axis = list(dict.fromkeys([*axis, *(p for r in records for p in r["probes"])]))
    fig, axes = plt.subplots(1, len(tasks), figsize=(6.5 * len(tasks), 4.2), squeeze=False, sharey=True)
    for ax, task in zip(axes[0], tasks, strict=True):
        for schedule in schedules:
            sel = [row for row in rows if row["task"] == task and row["schedule"] == schedule]
            xs = [axis.index(r["probe"]) for r in sel]
            color = colors.get(schedule)
            acc = sel[0]["test_accuracy"] if sel else math.nan
            ax.plot(
                xs,
                [r["function"] for r in sel],
                "o-",
                color=color,
                label=f"{schedule}: function, data measure (acc {acc:.2f})",
            )
            if any(math.isfinite(r["function_ink"]) for r in sel):
                ax.plot(
                    xs,
                    [r["function_ink"] for r in sel],
                    "D-.",
                    color=color,
                    label=f"{schedule}: function, digit-patch measure",
                )
            ax.plot(
                xs, [r["coefficient"] for r in sel], "s--", color=color, alpha=0.5, label=f"{schedule}: coefficients"
            )
            ax.plot(
                xs,
                [r["capacity"] for r in sel],
                "_",
                color=color,
                markersize=18,
                mew=2,
                label=f"{schedule}: ln min-cut",
            )
        ax.set_xticks(range(len(axis)), axis, rotation=45, ha="right")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_title(f"{task} task")
        ax.set_ylabel("entropy (nats)")
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    files["profile"] = out / "profile.png"
    fig.savefig(files["profile"], dpi=110)
    plt.close(fig)

    probes_all = records[0]["probes"]
    measured = [k.split("/")[0] for k in records[0]["tracked"][-1] if k.endswith("/y0")]
    pick = [p for p in ("block(4)", "left_right") if p in measured] or measured[:1]
    fig, axes = plt.subplots(1, len(tasks), figsize=(6.5 * len(tasks), 4.0), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        twin = ax.twinx()
        for rec in [r for r in records if r["task"] == task]:
            color = colors.get(rec["schedule"])
            epochs = [t["epoch"] for t in rec["tracked"]]
            for probe, style in zip(pick, ("-", "--"), strict=False):
                ax.plot(epochs, [_mean_entropy(t, probe)[0] for t in rec["tracked"]], style, color=color, alpha=0.8)
            twin.plot(
                [h["epoch"] for h in rec["history"]], [h["loss"] for h in rec["history"]], ":", color=color, alpha=0.5
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel(
            "function entropy, mean over classes (nats): "
            + ", ".join(f"{p} {s}" for p, s in zip(pick, ("solid", "dashed"), strict=False))
        )
        ax.yaxis.label.set_size(7)
        twin.set_ylabel("training loss (dotted)")
        ax.set_title(f"{task}: " + ", ".join(f"{s} {c.split(':')[1]}" for s, c in colors.items()))
        ax.grid(alpha=0.3)
    fig.tight_layout()
    files["training"] = out / "training.png"
    fig.savefig(files["training"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    markers = {"local": "o", "global": "s"}
    probe = "left_right" if "left_right" in probes_all else probes_all[-1]
    for rec in records:
        ax.scatter(
            rec["test_accuracy"],
            _mean_entropy(rec.get("final", rec["tracked"][-1]), probe)[0],
            color=colors.get(rec["schedule"]),
            marker=markers.get(rec["task"], "x"),
            label=f"{rec['task']} {rec['schedule']}",
        )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=8)
    ax.set_xlabel("test accuracy")
    ax.set_ylabel(f"function entropy across {probe}, mean over classes (nats)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    files["accuracy"] = out / "accuracy.png"
    fig.savefig(files["accuracy"], dpi=110)
    plt.close(fig)

    # Per class: the final function entropy across the long-range probe, mean over seeds.
    cells = sorted({(r["task"], r["schedule"]) for r in records})
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    width = 0.8 / len(cells)
    for i, (task, schedule) in enumerate(cells):
        recs = [r for r in records if r["task"] == task and r["schedule"] == schedule]
        per_class = [
            float(np.mean([r.get("final", r["tracked"][-1])[f"{probe}/y{y}"] for r in recs])) for y in range(10)
        ]
        ax.bar(np.arange(10) + i * width, per_class, width, label=f"{task} {schedule}")
    ax.set_xticks(np.arange(10) + 0.4 - width / 2, [str(y) for y in range(10)])
    ax.set_xlabel("class y")
    ax.set_ylabel(f"function entropy of h_y across {probe} (nats)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    files["classes"] = out / "classes.png"
    fig.savefig(files["classes"], dpi=110)
    plt.close(fig)
    return files
