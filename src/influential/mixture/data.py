"""The Gaussian-mixture experiment's data: points drawn from each cluster, labelled by their cluster."""

import numpy as np


def gaussian_blobs(means, std: float, n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The cross-loss demonstration's data: n_per_class points from each isotropic Gaussian (float64), labelled by
    the Gaussian they came from."""
    means = np.asarray(means, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = np.concatenate([mean + std * rng.standard_normal((n_per_class, means.shape[1])) for mean in means])
    return x, np.repeat(np.arange(len(means)), n_per_class)
