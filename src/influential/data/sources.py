"""An experiment's dataset from its config: the source's pools (data.readers, or the synthetic clusters of thesis
4.1.3), the classes kept, the train / validation / test split, and label noise on purpose (data.label_noise)."""

from pathlib import Path

import numpy as np
from scipy.special import expit

from influential.data.label_noise import with_label_noise
from influential.data.readers import Pools, load_bundled, load_idx, load_keras_mnist, load_npz
from influential.data.splits import DataError, Dataset, Split

KOH_VALIDATION = 5000
KOH_TRAIN_FRACTION = 10


def synthetic_examples(n: int, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """Thesis 4.1.3: two Gaussian clusters, labels ~ Bernoulli(sigmoid(intercept + coefficients . x))."""
    rng = np.random.default_rng(settings["seed"])
    means = np.asarray(settings["means"], dtype=np.float64)
    cluster = np.arange(n) % 2
    x = means[cluster] + settings["std"] * rng.standard_normal((n, 2))
    p = expit(settings["intercept"] + x @ np.asarray(settings["coefficients"], dtype=np.float64))
    y = (rng.random(n) < p).astype(np.int64)
    return x.astype(np.float32), y


# --- splitting -------------------------------------------------------------------------------------------------


def keep_classes(split: Split, classes: list[int] | None, origin: str) -> Split:
    """Keep only the listed labels, renumbered 0..k-1 in the listed order."""
    if classes is None:
        return split
    absent = [c for c in classes if not np.any(split.y == c)]
    if absent:
        raise DataError(f"{origin}: dataset.classes {absent} do not occur in the labels")
    mapping = np.full(max(int(split.y.max()), max(classes)) + 1, -1)
    mapping[classes] = np.arange(len(classes))
    kept = np.flatnonzero(mapping[split.y] >= 0)
    return Split(split.x[kept], mapping[split.y[kept]], split.index[kept])


def _draw(rng: np.random.Generator, available: int, wanted: int, what: str) -> np.ndarray:
    if wanted > available:
        raise DataError(f"{what}: {wanted} examples requested but only {available} available")
    return rng.permutation(available)[:wanted]


def random_split(pools: Pools, n_train: int, n_validation: int, n_test: int, seed: int) -> tuple[Split, ...]:
    rng = np.random.default_rng(seed)
    if pools.test is None:
        order = _draw(
            rng,
            len(pools.train),
            n_train + n_validation + n_test,
            f"{pools.origin}: dataset.split (n_train + n_validation + n_test)",
        )
        parts = np.split(order, [n_train, n_train + n_validation])
        return tuple(pools.train.take(np.sort(p)) for p in parts)
    fit = _draw(
        rng,
        len(pools.train),
        n_train + n_validation,
        f"{pools.origin}: dataset.split (n_train + n_validation from the training pool)",
    )
    test = _draw(rng, len(pools.test), n_test, f"{pools.origin}: dataset.split.n_test (test pool)")
    train, validation = np.split(fit, [n_train])
    return (
        pools.train.take(np.sort(train)),
        pools.train.take(np.sort(validation)),
        pools.test.take(np.sort(test)),
    )


def koh_split_positions(n_pool: int) -> tuple[np.ndarray, np.ndarray]:
    """Koh & Liang's small-MNIST split: validation = first 5,000; training = 10% of the rest, numpy seed 0."""
    rest = n_pool - KOH_VALIDATION
    permutation = np.random.RandomState(0).permutation(rest)
    train = KOH_VALIDATION + permutation[: rest // KOH_TRAIN_FRACTION]
    return train, np.arange(KOH_VALIDATION)


def build(dataset: dict, bundled_path: str | Path | None = None) -> Dataset:
    """The dataset described by an experiment's validated `dataset` config (`bundled_path`: for mnist_bundled),
    with its label noise, if any."""
    built = _build_clean(dataset, bundled_path)
    noise = dataset.get("label_noise")
    return built if noise is None else with_label_noise(built, noise)


def _build_clean(dataset: dict, bundled_path: str | Path | None) -> Dataset:
    source, split = dataset["source"], dataset["split"]
    classes = dataset.get("classes")
    if source == "synthetic":
        return synthetic_dataset(dataset["synthetic"], split)
    loaders = {
        "mnist_bundled": lambda: load_bundled(bundled_path),
        "mnist": load_keras_mnist,
        "npz": lambda: load_npz(dataset["path"]),
        "idx": lambda: load_idx(dataset["path"]),
    }
    pools = loaders[source]()
    pools = Pools(
        keep_classes(pools.train, classes, pools.origin),
        None if pools.test is None else keep_classes(pools.test, classes, pools.origin),
        pools.origin,
    )
    if split["method"] == "koh":
        if len(pools.train) != 60000 or classes is not None:
            raise DataError(f"{pools.origin}: the koh split needs the full 60,000-image training set")
        train_pos, validation_pos = koh_split_positions(len(pools.train))
        parts = (pools.train.take(train_pos), pools.train.take(validation_pos), pools.test)
    else:
        parts = random_split(pools, split["n_train"], split["n_validation"], split["n_test"], split["seed"])
    check_labels_trained(parts, pools.origin)
    n_classes = len(classes) if classes else int(max(p.y.max() for p in parts if len(p)) + 1)
    meta = {
        "source": source,
        "origin": pools.origin,
        "classes": classes,
        "n_classes": n_classes,
        "marked": {},
    }
    return Dataset(*parts, meta=meta)


def check_labels_trained(parts: tuple[Split, Split, Split], origin: str) -> None:
    """Test labels must be classes the training split has: a class the model never sees would silently become one
    more output with nothing to learn from."""
    train, _, test = parts
    seen = set(np.unique(train.y).tolist())
    unseen = sorted(set(np.unique(test.y).tolist()) - seen)
    if unseen:
        raise DataError(
            f"{origin}: test labels {unseen} never occur among the {len(train)} training examples (training labels: "
            f"{sorted(seen)}); choose dataset.classes or a larger dataset.split.n_train"
        )


def synthetic_dataset(settings: dict, split: dict) -> Dataset:
    """Clusters split at random; the outlier is added to the training set on top of n_train."""
    n = split["n_train"] + split["n_validation"] + split["n_test"]
    x, y = synthetic_examples(n, settings)
    outlier_index = n
    x = np.concatenate([x, np.asarray([settings["outlier"]["x"]], dtype=np.float32)])
    y = np.concatenate([y, [settings["outlier"]["label"]]])
    everything = Split(x, y, np.arange(n + 1))
    pools = Pools(everything.take(np.arange(n)), None, "synthetic")
    train, validation, test = random_split(
        pools, split["n_train"], split["n_validation"], split["n_test"], split["seed"]
    )
    train = Split(
        np.concatenate([train.x, x[-1:]]),
        np.concatenate([train.y, y[-1:]]),
        np.concatenate([train.index, [outlier_index]]),
    )
    meta = {
        "source": "synthetic",
        "origin": "synthetic",
        "classes": None,
        "n_classes": 2,
        "marked": {"outlier": [outlier_index]},
    }
    return Dataset(train, validation, test, meta=meta)
