"""Finding mislabelled training examples: rankings of the training points by a score (mislabel.scores: an
estimator's self-influence or validation ranking, or a baseline) and how well a ranking finds the labels that were
flipped."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from influential.core import names
from influential.data.splits import Split


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


def ranking_table(train: Split, ranker: str, scores: np.ndarray) -> pd.DataFrame:
    """One ranker's scores of the training points, with each point's rank (1 = inspected first)."""
    rank = np.empty(len(scores), dtype=np.int64)
    rank[ranking(scores)] = np.arange(1, len(scores) + 1)
    return pd.DataFrame(
        {
            "ranker": ranker,
            "train_position": np.arange(len(train)),
            "train_index": train.index,
            "label": train.y,
            "score": scores,
            "rank": rank,
        }
    )


def evaluate(rankings: pd.DataFrame, flipped: np.ndarray, inspect: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per ranker (with its estimator and strategy; a baseline is its own estimator, strategy `baseline`): the
    summary (ROC AUC, share found at `inspect`) and the found-vs-inspected curve."""
    summaries, curves = [], []
    for ranker, table in rankings.groupby("ranker", sort=False):
        scores = table.sort_values("train_position")["score"].to_numpy()
        estimator, strategy = names.ESTIMATOR_RANKERS.get(ranker, (ranker, "baseline"))
        facts = {"ranker": ranker, "estimator": estimator, "strategy": strategy, "flipped": len(flipped)}
        summaries.append(facts | ranking_summary(scores, flipped, inspect))
        curves.append(found_curve(scores, flipped).assign(ranker=ranker))
    return pd.DataFrame(summaries), pd.concat(curves, ignore_index=True)


def fixed_labels(labels: np.ndarray, scores: np.ndarray, flipped: np.ndarray, true_labels: np.ndarray, share: float):
    """The labels after inspecting the top `share` of a ranking and restoring every flipped label found there, and
    how many were restored."""
    inspected = _flags(len(scores), ranking(scores)[: round(share * len(scores))])
    found = inspected[flipped]
    fixed = labels.copy()
    fixed[flipped[found]] = true_labels[found]
    return fixed, int(found.sum())
