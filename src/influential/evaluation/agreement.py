"""Predicted against actual influence: joined tables and agreement statistics."""

import numpy as np
import pandas as pd
from scipy import stats

from influential.core.names import ACTUAL, EXACT, PREDICTED, RAW


def join(predicted: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """Rows of both tables for the same (estimator, test, training point): the points retrained for that test
    point (a point retrained only for another test point is left out, as in the thesis' top-k)."""
    keys = ["test", "train_position"]
    if "selected" in actual:
        actual = actual[actual["selected"]]
    measured = [c for c in (ACTUAL, RAW) if c in actual]
    return predicted.merge(actual[[*keys, *measured]], on=keys, how="inner", validate="many_to_one")


def agreement_statistics(predicted: np.ndarray, actual: np.ndarray) -> dict:
    """Pearson and Spearman correlation of predicted with actual change, and the share with the same sign."""
    return {
        "pearson": stats.pearsonr(predicted, actual).statistic,
        "spearman": stats.spearmanr(predicted, actual).statistic,
        "sign_agreement": float(np.mean(np.sign(predicted) == np.sign(actual))),
    }


def agreement(joined: pd.DataFrame, marked_positions: dict[str, list[int]] | None = None) -> pd.DataFrame:
    """Per estimator, test point and measurement (paired; raw where retraining had a control): Pearson,
    Spearman, sign agreement, and where marked points rank by |actual|."""
    rows = []
    variants = {"paired": ACTUAL, "raw": RAW} if RAW in joined else {"refit": ACTUAL}
    for (estimator, test), group in joined.groupby(["estimator", "test"], sort=True):
        for variant, column in variants.items():
            a = group[column].to_numpy()
            row = {"estimator": estimator, "test": test, "actual": variant, "n": len(group)}
            row |= agreement_statistics(group[PREDICTED].to_numpy(), a)
            order = group["train_position"].to_numpy()[np.argsort(-np.abs(a), kind="stable")]
            rank = {pos: r for r, pos in enumerate(order, start=1)}
            for name, positions in (marked_positions or {}).items():
                row[f"{name}_rank_by_abs_actual"] = min((rank[p] for p in positions if p in rank), default=np.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def estimator_comparison(predicted: pd.DataFrame, diagnostics: list[dict]) -> pd.DataFrame:
    """Per test point and estimator: cost and accuracy of the solve, and agreement with the reference estimator
    (exact when it ran, else the first) over all training points."""
    table = pd.DataFrame(diagnostics)
    present = list(dict.fromkeys(predicted["estimator"]))
    reference = EXACT if EXACT in present else present[0]
    wide = predicted.pivot_table(index=["test", "train_position"], columns="estimator", values=PREDICTED)
    rows = []
    for (test, name), _ in table.groupby(["test", "estimator"], sort=False):
        values = wide.loc[test]
        rows.append(
            {
                "test": test,
                "estimator": name,
                "reference": reference,
                "pearson_with_reference": stats.pearsonr(values[name], values[reference]).statistic,
                "spearman_with_reference": stats.spearmanr(values[name], values[reference]).statistic,
            }
        )
    return table.merge(pd.DataFrame(rows), on=["test", "estimator"]).sort_values(["test", "estimator"])


def mixture_agreement(predicted: np.ndarray, actual: np.ndarray, classes: np.ndarray) -> pd.DataFrame:
    """Per test point (a row of the test x training matrices): Pearson and Spearman of predicted against actual
    change over every training point, and how often their signs agree (the cross-loss authors' per test point
    correlation)."""
    rows = []
    for t in range(len(predicted)):
        rows.append({"test_position": t, "class": int(classes[t])} | agreement_statistics(predicted[t], actual[t]))
    return pd.DataFrame(rows)


def mixture_summary(agreement: pd.DataFrame, thresholds=(0.6, 0.8)) -> pd.DataFrame:
    """Per model, evaluation and class (and all classes): the mean and median per test point Pearson, the share of
    test points with Pearson at or above each threshold, and the median Spearman."""
    rows = []
    for (model, evaluation), table in agreement.groupby(["model", "evaluation"], sort=False):
        for cls, group in [*table.groupby("class"), ("all", table)]:
            row = {
                "model": model,
                "evaluation": evaluation,
                "class": cls,
                "test_points": len(group),
                "mean_pearson": group["pearson"].mean(),
                "median_pearson": group["pearson"].median(),
            }
            row |= {f"share_pearson_ge_{t:g}": float((group["pearson"] >= t).mean()) for t in thresholds}
            rows.append(row | {"median_spearman": group["spearman"].median()})
    return pd.DataFrame(rows)
