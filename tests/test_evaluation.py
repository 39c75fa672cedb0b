import numpy as np
import pandas as pd
import pytest

from influential.core.names import ACTUAL, PREDICTED
from influential.evaluation import agreement as evaluation


def tables():
    rng = np.random.default_rng(1)
    actual_values = rng.standard_normal(30)
    predicted_values = actual_values + 0.3 * rng.standard_normal(30)
    predicted = pd.DataFrame(
        {"estimator": "exact", "test": "t", "train_position": np.arange(30), PREDICTED: predicted_values}
    )
    actual = pd.DataFrame({"test": "t", "train_position": np.arange(30)[::-1], ACTUAL: actual_values[::-1]})
    return predicted, actual, predicted_values, actual_values


def test_join_matches_rows_by_test_and_training_point():
    predicted, actual, p, a = tables()
    joined = evaluation.join(predicted, actual)
    np.testing.assert_array_equal(joined[ACTUAL], a)
    np.testing.assert_array_equal(joined[PREDICTED], p)


def test_agreement_statistics_against_numpy():
    predicted, actual, p, a = tables()
    row = evaluation.agreement(evaluation.join(predicted, actual), {"outlier": [int(np.argmax(np.abs(a)))]}).iloc[0]
    assert row.n == 30
    assert row.pearson == pytest.approx(np.corrcoef(p, a)[0, 1])
    rank = lambda v: np.argsort(np.argsort(v))  # noqa: E731  (no ties here)
    assert row.spearman == pytest.approx(np.corrcoef(rank(p), rank(a))[0, 1])
    assert row.sign_agreement == pytest.approx(np.mean(np.sign(p) == np.sign(a)))
    assert row.outlier_rank_by_abs_actual == 1
