from pathlib import Path

import numpy as np
import pytest

from influential import config as cfg
from influential.data import Split

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
