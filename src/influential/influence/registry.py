"""Every estimator by name (names.ESTIMATORS), for a caller that holds any of them: HYDRA's and TRAK's modules
(which load TensorFlow) are imported only when their estimator is built."""

import numpy as np

from influential.core import names
from influential.core.errors import InputError
from influential.influence import functions, tracin

# What the workflow caches for any estimator, read by role (influence.inputs)
LOADERS = functions.LOADERS | tracin.LOADERS


def build(
    name: str,
    settings: dict,
    model,
    theta: np.ndarray,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    train_gradients: np.ndarray | None = None,
    factorised=None,
    trajectory=None,
):
    """The estimator `name` from the settings it uses (each family's `build` says which) and what a workflow cached:
    per-example gradients and the factorised Hessian (influence functions), the training trajectory (TracIn,
    HYDRA); TRAK reads the data and the model only."""
    if name in names.INFLUENCE_FUNCTIONS:
        cached = {"train_gradients": train_gradients, "factorised": factorised}
        return functions.build(name, settings, model, theta, x_train, y_train, **cached)
    if name == names.TRACIN:
        return tracin.build(settings, model, x_train, y_train, trajectory=trajectory)
    if name in (names.HYDRA, names.HYDRA_FREE):
        from influential.influence import hydra

        return hydra.build(name, settings, model, x_train, y_train, trajectory=trajectory)
    if name == names.TRAK:
        from influential.influence import trak

        return trak.build(name, settings, model, theta, x_train, y_train)
    raise InputError(f"influence.estimators: unknown estimator {name!r} (known: {', '.join(names.ESTIMATORS)})")
