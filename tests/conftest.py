from pathlib import Path

import numpy as np
import pytest

from influential.core import config as cfg
from influential.data.splits import Split

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "workflow" / "schemas" / "config.schema.yaml"
BUNDLED = REPO / "resources" / "mnist_bundled.npz"


@pytest.fixture(scope="session")
def schema():
    return cfg.load_schema(SCHEMA_PATH)


@pytest.fixture
def logistic_problem():
    """A small, noisy, two-feature binary problem and its split."""
    rng = np.random.default_rng(3)
    n = 80
    x = rng.standard_normal((n, 2)).astype(np.float32) + np.where(np.arange(n) % 2, 1.0, -1.0)[:, None]
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * x.sum(axis=1)))).astype(np.int64)
    train = Split(x[:60], y[:60], np.arange(60))
    test = Split(x[60:], y[60:], np.arange(60, n))
    return train, test


def digit_arrays() -> dict[str, np.ndarray]:
    """A user's small image dataset: uint8 28x28 images, three classes in both pools."""
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "y_train": np.arange(30) % 3,
        "x_test": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "y_test": np.arange(12) % 3,
    }


def idx_bytes(array: np.ndarray) -> bytes:
    """An array as an MNIST-format IDX file (unsigned bytes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()
