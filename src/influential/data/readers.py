"""Reading a source's examples: the bundled digits, a user's npz or IDX files, official MNIST through Keras. Every
problem with a source's files or arrays is a DataError that names the file and what is wrong."""

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from influential.data.splits import DataError, Split

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
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
