"""Finding mislabelled training examples: self-influence rankings and how well a ranking finds the flipped labels.

A point's self-influence is the change of its own loss if it were left out (its own influence on itself), the
predicted_loss_change_if_removed of the point as its own test point: (1/n) grad L(z)^T H^-1 grad R_z. A mislabelled
point is fitted against the rest of its class, so its own loss rises most when it is removed."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def self_influence(solve, loss_gradients: np.ndarray, removal_gradients: np.ndarray) -> np.ndarray:
    """(1/n) grad L(z)^T H^-1 grad R_z for every training point z; `solve` applies H^-1 to the columns of a
    matrix (the rows of loss_gradients are grad L(z))."""
    solved = solve(removal_gradients.T)  # (n_params, n)
    return np.einsum("ij,ji->i", loss_gradients, solved) / len(loss_gradients)


def ranking(scores: np.ndarray) -> np.ndarray:
    """Training positions in the order they are inspected: the highest score first, ties by position."""
    return np.argsort(-np.asarray(scores), kind="stable")


def _flags(n: int, flipped: np.ndarray) -> np.ndarray:
    """Whether each of n training positions is among the flipped ones."""
    flags = np.zeros(n, dtype=bool)
    flags[flipped] = True
    return flags


def found_curve(scores: np.ndarray, flipped: np.ndarray) -> pd.DataFrame:
    """After inspecting the top k points (k = 0..n), the fraction of the training set inspected and the fraction
    of the flipped labels found (Koh & Liang's figure 6)."""
    is_flipped = _flags(len(scores), flipped)
    found = np.concatenate([[0], np.cumsum(is_flipped[ranking(scores)])])
    return pd.DataFrame(
        {
            "inspected": np.arange(len(scores) + 1) / len(scores),
            "found": found / max(len(flipped), 1),
        }
    )


def ranking_summary(scores: np.ndarray, flipped: np.ndarray, inspect: float = 0.1) -> dict:
    """ROC AUC of the scores as a detector of the flipped labels, and the fraction of them found in the top
    `inspect` share of the training set."""
    is_flipped = _flags(len(scores), flipped)
    top = ranking(scores)[: round(inspect * len(scores))]
    return {
        "roc_auc": float(roc_auc_score(is_flipped, scores)),
        f"found_at_{inspect:g}": float(is_flipped[top].sum() / max(len(flipped), 1)),
    }
