"""Leave-one-out ground truth: refit without each training point and record the change of every test loss."""

import logging

import numpy as np
import pandas as pd

from influential.data import Split
from influential.evaluation import ACTUAL
from influential.training import fit_logistic

log = logging.getLogger(__name__)


def refit_logistic(
    model,
    theta: np.ndarray,
    train: Split,
    test: Split,
    test_names: list[str],
    tol: float,
    max_iter: int,
    positions: np.ndarray | None = None,
) -> pd.DataFrame:
    """Refit from scratch without each training point (the thesis' 4.1.1), same solver settings.

    Returns one row per (left-out point, test point) with L(test; theta_-z) - L(test; theta).
    """
    positions = np.arange(len(train)) if positions is None else np.asarray(positions)
    base = model.losses(theta, test.x, test.y)
    keep = np.ones(len(train), dtype=bool)
    rows = []
    for count, position in enumerate(positions, start=1):
        keep[position] = False
        theta_without, info = fit_logistic(model, train.x[keep], train.y[keep], tol, max_iter)
        keep[position] = True
        change = model.losses(theta_without, test.x, test.y) - base
        rows.extend(
            {
                "train_position": int(position),
                "train_index": int(train.index[position]),
                "label": int(train.y[position]),
                "test": name,
                ACTUAL: float(delta),
                "n_iter": info["n_iter"],
                "converged": info["converged"],
                "param_distance": float(np.linalg.norm(theta_without - theta)),
            }
            for name, delta in zip(test_names, change, strict=True)
        )
        if count % max(1, len(positions) // 10) == 0 or count == len(positions):
            log.info("leave-one-out refits: %d of %d", count, len(positions))
    return pd.DataFrame(rows)
