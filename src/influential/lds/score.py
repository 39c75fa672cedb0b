"""The linear datamodeling score of each estimator on each test point (Park et al. 2023).

For test point z, subsets S_j (fraction alpha of the training set) and f_j its objective under the model trained on
S_j (the mean over training seeds), an estimator predicts f_j up to a constant by the sum of its points' effects of
being included, g_j = sum_{i in S_j} tau_i. Our estimators give the change if a point is left OUT (positive: z's
objective rises without it), so tau_i = -predicted_i and g_j = -sum_{i in S_j} predicted_i. LDS(z) is the Spearman
correlation over j of f_j and g_j (Pearson beside it); 1 would be a perfect linear datamodel.
"""

import numpy as np
import pandas as pd
from scipy import stats

from influential.core.errors import InputError
from influential.core.names import PREDICTED


def objective_values(models: pd.DataFrame, dataset, model, points: list[dict]) -> np.ndarray:
    """Each test point's objective (`points`: their records) under every subset model (rows of `models`, with
    `theta` and `test_losses`), (models, points): the stored test loss, or the objective evaluated at the stored
    parameters."""
    from influential.testpoints import cross_loss
    from influential.testpoints.objectives import Objective

    losses = np.stack(models["test_losses"].to_numpy()).astype(np.float64)
    columns = []
    for point in points:
        position = point["test_position"]
        objective = cross_loss.bind(Objective.from_config(point["objective"]), model, dataset)
        if objective.is_loss:
            columns.append(losses[:, position])
        else:
            thetas = np.stack(models["theta"].to_numpy())
            x, y = dataset.test.x[[position]], dataset.test.y[[position]]
            columns.append(objective.evaluate(thetas, x, y)[:, 0])
    return np.stack(columns, axis=1)


def subset_values(models: pd.DataFrame, values: np.ndarray, tests: list[str]) -> pd.DataFrame:
    """Each test objective's value on each subset's model, the mean over its training seeds: one row per
    (fraction, subset, test) with `value`, `seeds` and the subset's `mask`. `values`: (models' rows, tests)."""
    frames = []
    for j, test in enumerate(tests):
        frame = models[["fraction", "subset"]].assign(test=test, value=values[:, j])
        frames.append(
            frame.groupby(["fraction", "subset", "test"], as_index=False).agg(
                value=("value", "mean"), seeds=("value", "size")
            )
        )
    table = pd.concat(frames, ignore_index=True)
    held = models.drop_duplicates(["fraction", "subset"]).set_index(["fraction", "subset"])["mask"]
    table["mask"] = [held.loc[(f, s)] for f, s in zip(table["fraction"], table["subset"], strict=True)]
    return table.sort_values(["fraction", "test", "subset"], ignore_index=True)


def lds(values: np.ndarray, masks: np.ndarray, predicted: np.ndarray) -> dict:
    """Spearman (the LDS) and Pearson of the subsets' objective values (m,) against the estimator's group predictions
    -masks @ predicted ((m, n) booleans, (n,) changes if left out)."""
    if masks.shape[1] != len(predicted):
        raise InputError(f"lds: subsets of {masks.shape[1]} training points, predictions for {len(predicted)}")
    group = -(masks.astype(np.float64) @ np.asarray(predicted, dtype=np.float64))
    return {
        "spearman": stats.spearmanr(values, group).statistic,
        "pearson": stats.pearsonr(values, group).statistic,
    }


def agreement(values: pd.DataFrame, predicted: pd.DataFrame) -> pd.DataFrame:
    """Per estimator, test point and fraction: the LDS (`spearman`) and `pearson` over the subsets, as rows of
    tables/agreement.csv (`actual`: lds_{fraction}, `n`: the subsets). `values`: subset_values; `predicted`: the
    estimators' tables (estimator, test, train_position, predicted_change)."""
    rows = []
    for (estimator, test), table in predicted.groupby(["estimator", "test"], sort=True):
        change = table.sort_values("train_position")
        if not np.array_equal(change["train_position"], np.arange(len(change))):
            raise InputError(f"lds: {estimator}'s table for {test} does not cover every training position")
        for fraction, subsets in values[values["test"] == test].groupby("fraction", sort=True):
            masks = np.stack(subsets["mask"].to_numpy())
            score = lds(subsets["value"].to_numpy(), masks, change[PREDICTED].to_numpy())
            rows.append(
                {"estimator": estimator, "test": test, "actual": f"lds_{fraction:g}", "n": len(subsets)} | score
            )
    return pd.DataFrame(rows)
