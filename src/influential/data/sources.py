"""Data sources and the train / validation / test split; every problem with a source's files or arrays is a
DataError that names the file (or setting) and what is wrong."""

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit

from influential.data import label_noise
from influential.data.splits import DataError, Dataset, Split

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
KOH_VALIDATION = 5000
KOH_TRAIN_FRACTION = 10
PIXEL_SLACK = 1e-3  # float images a little outside [0, 1] (rounding) are accepted as they are


@dataclass(frozen=True)
class Pools:
    """What a source provides before splitting: a training pool and, if the source has one, a test pool."""

    train: Split
    test: Split | None
    origin: str


def check_examples(x: np.ndarray, y: np.ndarray, origin: str) -> None:
    if len(x) != len(y):
        raise DataError(f"{origin}: {len(x)} inputs but {len(y)} labels")
    if x.ndim < 2 or len(x) == 0:
        raise DataError(f"{origin}: inputs must have shape (n, features...), got {x.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise DataError(f"{origin}: inputs must be numbers, got dtype {x.dtype}")
    if y.ndim != 1:
        raise DataError(f"{origin}: labels must have shape (n,), got {y.shape}")
    if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
        raise DataError(f"{origin}: labels must be whole numbers (class indices), got dtype {y.dtype}")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise DataError(f"{origin}: labels must be whole numbers (class indices), got dtype {y.dtype}")
    if np.any(y < 0):
        raise DataError(f"{origin}: labels out of range: minimum {y.min()} < 0")
    if not np.all(np.isfinite(x)):
        bad = int(np.count_nonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1)))
        raise DataError(f"{origin}: {bad} examples have non-finite values (NaN or inf)")
    if x.ndim >= 3 and x.dtype != np.uint8 and (x.min() < -PIXEL_SLACK or x.max() > 1 + PIXEL_SLACK):
        raise DataError(
            f"{origin}: image pixels must be uint8 (0-255) or floats in [0, 1], got {x.dtype} from {x.min():.4g} to "
            f"{x.max():.4g} (divide by 255, or store uint8)"
        )


def _as_inputs(x: np.ndarray) -> np.ndarray:
    """uint8 images are scaled to [0, 1]; 2-D images get a channel axis."""
    scaled = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return scaled[..., None] if scaled.ndim == 3 else scaled


def _pool(x: np.ndarray, y: np.ndarray, origin: str) -> Split:
    check_examples(x, y, origin)
    return Split(_as_inputs(x), y.astype(np.int64), np.arange(len(y)))


# --- sources ---------------------------------------------------------------------------------------------------


def synthetic_examples(n: int, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """Thesis 4.1.3: two Gaussian clusters, labels ~ Bernoulli(sigmoid(intercept + coefficients . x))."""
    rng = np.random.default_rng(settings["seed"])
    means = np.asarray(settings["means"], dtype=np.float64)
    cluster = np.arange(n) % 2
    x = means[cluster] + settings["std"] * rng.standard_normal((n, 2))
    p = expit(settings["intercept"] + x @ np.asarray(settings["coefficients"], dtype=np.float64))
    y = (rng.random(n) < p).astype(np.int64)
    return x.astype(np.float32), y


def gaussian_blobs(means, std: float, n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The cross-loss demonstration's data: n_per_class points from each isotropic Gaussian (float64), labelled by
    the Gaussian they came from."""
    means = np.asarray(means, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = np.concatenate([mean + std * rng.standard_normal((n_per_class, means.shape[1])) for mean in means])
    return x, np.repeat(np.arange(len(means)), n_per_class)


def load_bundled(path: str | Path) -> Pools:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: bundled MNIST file not found (see resources/README.md)")
    with np.load(path) as f:
        return Pools(_pool(f["images"], f["labels"], str(path)), None, str(path))


def load_npz(path: str | Path) -> Pools:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        f = np.load(path)
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: not a readable .npz file ({err})") from err
    with f:
        missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in f.files]
        if missing:
            raise DataError(f"{path}: missing arrays {', '.join(missing)} (has {', '.join(f.files)})")
        train = _pool(f["x_train"], f["y_train"], f"{path} (x_train/y_train)")
        test = _pool(f["x_test"], f["y_test"], f"{path} (x_test/y_test)")
    _check_same_shape(train, test, str(path))
    return Pools(train, test, str(path))


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (the MNIST format), gzipped or not."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, gzip.BadGzipFile) as err:
            raise DataError(f"{path}: truncated or damaged gzip file ({err})") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(raw) - offset != expected:
        raise DataError(f"{path}: header says {dims} = {expected} values, file holds {len(raw) - offset}")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def load_idx(folder: str | Path) -> Pools:
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: IDX folder not found")
    arrays = {}
    for key, stem in IDX_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DataError(f"{folder}: missing {stem} (or {stem}.gz)")
        arrays[key] = read_idx(found)
    train = _pool(arrays["x_train"], arrays["y_train"], f"{folder} (train files)")
    test = _pool(arrays["x_test"], arrays["y_test"], f"{folder} (t10k files)")
    _check_same_shape(train, test, str(folder))
    return Pools(train, test, str(folder))


def load_keras_mnist() -> Pools:
    """Official MNIST through keras.datasets.mnist: the local Keras cache, or a download when online."""
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as err:
        raise DataError(
            "keras.datasets.mnist: MNIST is not in the Keras cache (~/.keras/datasets/mnist.npz, or "
            f"$KERAS_HOME/datasets) and could not be downloaded ({type(err).__name__}: {err}); "
            "use source mnist_bundled offline"
        ) from err
    origin = "keras.datasets.mnist"
    return Pools(_pool(x_train, y_train, origin), _pool(x_test, y_test, origin), origin)


def _check_same_shape(train: Split, test: Split, origin: str) -> None:
    if train.x.shape[1:] != test.x.shape[1:]:
        raise DataError(f"{origin}: train inputs {train.x.shape[1:]} and test inputs {test.x.shape[1:]} differ")


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


def with_label_noise(dataset: Dataset, noise: dict) -> Dataset:
    """The training labels flipped as configured; meta records the flipped positions and their true labels. A map
    names the source's classes, translated here to the dataset's renumbered ones."""
    classes = dataset.meta.get("classes")

    def renumbered(label: int) -> int:
        if classes is None:
            return label
        if label not in classes:
            raise DataError(f"label_noise.map: class {label} is not among dataset.classes {classes}")
        return classes.index(label)

    class_map = {renumbered(a): renumbered(b) for a, b in noise.get("map", [])}
    train = dataset.train
    noisy, positions = label_noise.flip(train.y, dataset.n_classes, noise["fraction"], noise["seed"], class_map)
    record = {"positions": positions.tolist(), "true_labels": train.y[positions].tolist()}
    meta = dataset.meta | {"label_noise": {**noise, **record}}
    return Dataset(Split(train.x, noisy, train.index), dataset.validation, dataset.test, meta=meta)


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
