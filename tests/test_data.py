import gzip

import numpy as np
import pytest
from scipy.special import expit

from influential.data import readers, sources
from influential.data.splits import DataError, Dataset, Split

from .conftest import BUNDLED, digit_arrays, idx_bytes

SYNTHETIC = {
    "means": [[-1.5, -1.5], [1.5, 1.5]],
    "std": 1.0,
    "intercept": 1.0,
    "coefficients": [1.0, 1.0],
    "outlier": {"x": [7.0, 7.0], "label": 0},
    "seed": 0,
}


def random_split(n_train, n_validation, n_test, seed=0):
    return {"method": "random", "n_train": n_train, "n_validation": n_validation, "n_test": n_test, "seed": seed}


def test_synthetic_labels_follow_the_logistic_model():
    x, y = sources.synthetic_examples(40_000, SYNTHETIC)
    p = expit(1.0 + x.sum(axis=1))
    # Bernoulli(p): the mean label in each probability band matches the band's mean probability.
    for lo, hi in [(0.0, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 1.0)]:
        band = (p >= lo) & (p < hi)
        assert abs(y[band].mean() - p[band].mean()) < 0.02
    assert np.allclose(x[0::2].mean(axis=0), [-1.5, -1.5], atol=0.03)
    assert np.allclose(x[1::2].std(axis=0), [1.0, 1.0], atol=0.03)


def test_synthetic_dataset_is_reproducible_and_holds_the_outlier():
    a = sources.build({"source": "synthetic", "split": random_split(30, 5, 10), "synthetic": SYNTHETIC}, BUNDLED)
    b = sources.build({"source": "synthetic", "split": random_split(30, 5, 10), "synthetic": SYNTHETIC}, BUNDLED)
    assert (len(a.train), len(a.validation), len(a.test)) == (31, 5, 10)
    assert np.array_equal(a.train.x, b.train.x) and np.array_equal(a.test.index, b.test.index)
    outlier = a.meta["marked"]["outlier"]
    assert outlier == [45]
    position = np.flatnonzero(a.train.index == 45)
    assert a.train.x[position].tolist() == [[7.0, 7.0]] and a.train.y[position].tolist() == [0]
    all_indices = np.concatenate([a.train.index, a.validation.index, a.test.index])
    assert len(np.unique(all_indices)) == len(all_indices) == 46


def test_bundled_digits_trace_back_to_the_resource_file():
    ds = sources.build({"source": "mnist_bundled", "split": random_split(100, 20, 50, seed=4)}, BUNDLED)
    with np.load(BUNDLED) as f:
        images, labels = f["images"], f["labels"]
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    for split in (ds.train, ds.validation, ds.test):
        assert split.x.shape[1:] == (28, 28, 1) and split.x.dtype == np.float32
        assert np.array_equal(split.x[..., 0], images[split.index] / np.float32(255))
        assert np.array_equal(split.y, labels[split.index])
    everything = np.concatenate([ds.train.index, ds.validation.index, ds.test.index])
    assert len(np.unique(everything)) == 170
    assert ds.n_classes == 10


def test_classes_are_kept_and_renumbered_in_the_given_order():
    ds = sources.build({"source": "mnist_bundled", "classes": [7, 1], "split": random_split(50, 0, 20)}, BUNDLED)
    with np.load(BUNDLED) as f:
        labels = f["labels"]
    assert set(ds.train.y) == {0, 1}
    assert np.array_equal(np.where(ds.train.y == 0, 7, 1), labels[ds.train.index])
    assert ds.n_classes == 2 and ds.meta["classes"] == [7, 1]


def test_koh_split_matches_koh_and_liangs_procedure():
    train, validation = sources.koh_split_positions(60_000)
    # Koh & Liang's load_small_mnist: np.random.seed(0), shuffle arange(55000), keep the first tenth.
    np.random.seed(0)  # noqa: NPY002  (the legacy global generator is the procedure under test)
    perm = np.arange(55_000)
    np.random.shuffle(perm)  # noqa: NPY002
    assert np.array_equal(train, 5_000 + perm[:5_500])
    assert np.array_equal(validation, np.arange(5_000))


def write_npz(path, **overrides):
    arrays = digit_arrays() | overrides
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return arrays


def test_npz_source_draws_from_train_and_test(tmp_path):
    path = tmp_path / "d.npz"
    arrays = write_npz(path)
    ds = sources.build({"source": "npz", "path": str(path), "split": random_split(20, 5, 12)}, BUNDLED)
    assert np.array_equal(ds.test.y, arrays["y_test"][ds.test.index])
    assert np.array_equal(ds.train.x[..., 0], arrays["x_train"][ds.train.index] / np.float32(255))
    assert not set(ds.train.index) & set(ds.validation.index)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"y_test": None}, "missing arrays y_test"),
        ({"y_train": np.zeros(29, dtype=int)}, "(x_train/y_train): 30 inputs but 29 labels"),
        ({"y_train": -np.ones(30, dtype=int)}, "(x_train/y_train): labels out of range: minimum -1 < 0"),
        ({"y_train": np.full(30, 0.5)}, "(x_train/y_train): labels must be whole numbers"),
        ({"x_test": np.full((12, 28, 28), np.nan)}, "(x_test/y_test): 12 examples have non-finite values"),
        ({"x_test": np.zeros((12, 14, 14), dtype=np.uint8)}, "train inputs (28, 28, 1) and test inputs (14, 14, 1)"),
        (
            {"y_train": np.array(["seven"] * 30)},
            "(x_train/y_train): labels must be whole numbers (class indices), got dtype <U5",
        ),
        (
            {"x_train": np.full((30, 28, 28), 255.0)},
            "(x_train/y_train): image pixels must be uint8 (0-255) or floats in [0, 1], got float64 from 255 to 255",
        ),
        ({"x_train": np.full((30, 28, 28), "a")}, "(x_train/y_train): inputs must be numbers, got dtype <U1"),
    ],
)
def test_bad_npz_files_are_named_with_their_problem(tmp_path, overrides, message):
    path = tmp_path / "bad.npz"
    write_npz(path, **overrides)
    with pytest.raises(DataError) as info:
        sources.build({"source": "npz", "path": str(path), "split": random_split(10, 0, 5)}, BUNDLED)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.npz: file not found"):
        readers.load_npz(tmp_path / "nothere.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(DataError, match=r"junk\.npz: not a readable \.npz file"):
        readers.load_npz(tmp_path / "junk.npz")
    with pytest.raises(DataError, match="bundled MNIST file not found"):
        readers.load_bundled(tmp_path / "missing.npz")


def test_too_few_examples_for_the_requested_split(tmp_path):
    path = tmp_path / "d.npz"
    write_npz(path)
    with pytest.raises(
        DataError,
        match=r"\(n_train \+ n_validation from the training pool\): 31 examples "
        r"requested but only 30 available",
    ):
        sources.build({"source": "npz", "path": str(path), "split": random_split(30, 1, 5)}, BUNDLED)
    with pytest.raises(DataError, match=r"dataset.classes \[11\] do not occur in the labels"):
        sources.build({"source": "npz", "path": str(path), "classes": [1, 11], "split": random_split(5, 0, 2)}, BUNDLED)


@pytest.mark.parametrize("compressed", [False, True])
def test_idx_folder_gzipped_or_not(tmp_path, compressed):
    arrays = write_npz(tmp_path / "unused.npz")
    for key, stem in readers.IDX_FILES.items():
        raw = idx_bytes(arrays[key])
        if compressed:
            (tmp_path / f"{stem}.gz").write_bytes(gzip.compress(raw))
        else:
            (tmp_path / stem).write_bytes(raw)
    pools = readers.load_idx(tmp_path)
    assert np.array_equal(pools.train.x[..., 0], arrays["x_train"] / np.float32(255))
    assert np.array_equal(pools.test.y, arrays["y_test"])


def test_bad_idx_files(tmp_path):
    with pytest.raises(DataError, match="missing train-images-idx3-ubyte"):
        readers.load_idx(tmp_path)
    bad = tmp_path / "f"
    bad.write_bytes(b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(DataError, match="bad magic number"):
        readers.read_idx(bad)
    bad.write_bytes(idx_bytes(np.zeros((4, 2, 2)))[:-3])
    with pytest.raises(DataError, match=r"header says \(4, 2, 2\) = 16 values, file holds 13"):
        readers.read_idx(bad)


def test_a_truncated_gzipped_idx_file_is_named(tmp_path):
    bad = tmp_path / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(idx_bytes(np.zeros(100)))[:-12])
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: truncated or damaged gzip file"):
        readers.read_idx(bad)


def test_float_images_a_rounding_error_outside_zero_one_are_accepted(tmp_path):
    path = tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    images = rng.random((30, 28, 28))
    images[0, 0, 0], images[1, 0, 0] = -5e-4, 1 + 5e-4
    write_npz(path, x_train=images)
    pools = readers.load_npz(path)
    np.testing.assert_allclose(pools.train.x[..., 0], images.astype(np.float32))


def test_test_labels_that_training_never_sees_are_refused(tmp_path):
    path = tmp_path / "d.npz"
    write_npz(path, y_train=np.arange(30) % 5, y_test=np.arange(12) % 7)  # classes 5 and 6 only in the test pool
    with pytest.raises(
        DataError,
        match=r"d\.npz: test labels \[5, 6\] never occur among the 20 training examples \(training labels: "
        r"\[0, 1, 2, 3, 4\]\)",
    ):
        sources.build({"source": "npz", "path": str(path), "split": random_split(20, 0, 12)}, BUNDLED)


def test_keras_mnist_failure_names_the_cache(monkeypatch):
    import keras

    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError, match=r"not in the Keras cache .* could not be downloaded \(OSError: no net"):
        readers.load_keras_mnist()


def test_marked_positions_follow_source_indices():
    train = Split(np.zeros((4, 2)), np.zeros(4, dtype=int), np.array([7, 3, 9, 5]))
    empty = Split(np.zeros((0, 2)), np.zeros(0, dtype=int), np.zeros(0, dtype=int))
    dataset = Dataset(train, empty, empty, meta={"n_classes": 2, "marked": {"outlier": [9]}})
    assert dataset.marked_positions() == {"outlier": [2]}
