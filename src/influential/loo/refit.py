"""Logistic regression refitted without each training point (the thesis' 4.1.1: from scratch), with the solver
settings of the original fit; every point or a seeded sample."""

import logging

import numpy as np
import pandas as pd

from influential.data.splits import Split
from influential.training.fit import fit_logistic

log = logging.getLogger(__name__)


def refit_logistic(
    model,
    theta: np.ndarray,
    train: Split,
    test: Split,
    tol: float,
    max_iter: int,
    positions: np.ndarray | None = None,
    from_fit: bool = False,
) -> pd.DataFrame:
    """One row per refit without a training point (`left_out`) and one for the original fit (`checkpoint`), each
    with its parameters (`theta`) and its loss on every test example (`test_losses`), so that the table serves every
    test point and test objective, including ones configured later (loo.gather). Each refit starts from zero, or
    with `from_fit` from theta (the same unique optimum, reached in fewer iterations)."""
    positions = np.arange(len(train)) if positions is None else np.asarray(positions)
    keep = np.ones(len(train), dtype=bool)
    rows = []
    for count, position in enumerate(positions, start=1):
        keep[position] = False
        theta_without, info = fit_logistic(
            model, train.x[keep], train.y[keep], tol, max_iter, theta if from_fit else None
        )
        keep[position] = True
        rows.append(
            {
                "model": "left_out",
                "train_position": int(position),
                "train_index": int(train.index[position]),
                "label": int(train.y[position]),
                "theta": theta_without,
                "test_losses": model.losses(theta_without, test.x, test.y),
                "n_iter": info["n_iter"],
                "converged": info["converged"],
                "param_distance": float(np.linalg.norm(theta_without - theta)),
            }
        )
        if count % max(1, len(positions) // 10) == 0 or count == len(positions):
            log.info("leave-one-out refits: %d of %d", count, len(positions))
    rows.append(
        {
            "model": "checkpoint",
            "train_position": -1,
            "train_index": -1,
            "label": -1,
            "theta": theta,
            "test_losses": model.losses(theta, test.x, test.y),
            "param_distance": 0.0,
        }
    )
    return pd.DataFrame(rows).astype({"n_iter": "Int64", "converged": "boolean"})


def sampled_positions(n_train: int, sample: int | None, seed: int) -> np.ndarray | None:
    """The training positions to refit without: `sample` of them drawn with `seed`, in order; None: every one."""
    if sample is None:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_train, sample, replace=False))
